// How the CLI prints: aligned tables, times relative to now, one-line
// errors, and colour only where it helps (a terminal, no NO_COLOR).
#pragma once

#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace latchkey::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Aligned columns, the header bold on a colour terminal; "(none)" when
  // there are no rows.
  void Print() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// "2026-11-28T01:02:03Z" -> "3m ago" / "in 2d"; "-" for null or missing.
std::string RelativeTime(const nlohmann::json& iso, std::time_t now = std::time(nullptr));

// A JSON value as a table cell: strings bare, arrays comma-joined, null "-".
std::string Cell(const nlohmann::json& value);

// Whether to colour stdout: a terminal, and NO_COLOR unset.
bool UseColour();

// `at` as "2026-11-28T01:02:03Z".
std::string IsoTime(std::time_t at);

// "30s", "10m", "1h", "7d" -> seconds; -1 if `text` is not one.
long long ParseDuration(const std::string& text);

}  // namespace latchkey::cli
