#include "cli/output.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "cli/prompt.h"

namespace latchkey::cli {

namespace {

// Columns a cell takes: UTF-8 code points, not bytes ("…" is one).
size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

bool UseColour() {
  const char* no_colour = std::getenv("NO_COLOR");
  return StdoutIsTerminal() && !(no_colour && *no_colour);
}

void Table::Print() const {
  if (rows_.empty()) {
    std::cout << "(none)\n";
    return;
  }
  std::vector<size_t> width(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) width[i] = DisplayWidth(headers_[i]);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], DisplayWidth(row[i]));
    }
  }
  auto line = [&](const std::vector<std::string>& cells, bool bold) {
    std::string out;
    for (size_t i = 0; i < cells.size() && i < width.size(); ++i) {
      std::string cell = cells[i];
      if (i + 1 < cells.size()) cell.append(width[i] - DisplayWidth(cell), ' ');
      out += (i ? "  " : "") + cell;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    if (bold && UseColour()) out = "\033[1m" + out + "\033[0m";
    std::cout << out << "\n";
  };
  line(headers_, true);
  for (const auto& row : rows_) line(row, false);
}

std::string RelativeTime(const nlohmann::json& iso, std::time_t now) {
  if (!iso.is_string()) return "-";
  std::tm tm{};
  const std::string text = iso.get<std::string>();
  if (!strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return text;
  long long delta = static_cast<long long>(timegm(&tm)) - static_cast<long long>(now);
  long long ago = delta < 0 ? -delta : delta;
  std::string amount;
  if (ago < 60) {
    amount = std::to_string(ago) + "s";
  } else if (ago < 3600) {
    amount = std::to_string(ago / 60) + "m";
  } else if (ago < 86400) {
    amount = std::to_string(ago / 3600) + "h";
  } else {
    amount = std::to_string(ago / 86400) + "d";
  }
  if (ago < 5) return "just now";
  return delta < 0 ? amount + " ago" : "in " + amount;
}

std::string Cell(const nlohmann::json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  if (value.is_array()) {
    std::string out;
    for (const auto& item : value) out += (out.empty() ? "" : ",") + Cell(item);
    return out.empty() ? "-" : out;
  }
  return value.dump();
}

std::string IsoTime(std::time_t at) {
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&at));
  return out;
}

long long ParseDuration(const std::string& text) {
  if (text.size() < 2) return -1;
  char unit = text.back();
  std::string number = text.substr(0, text.size() - 1);
  if (number.find_first_not_of("0123456789") != std::string::npos) return -1;
  long long n = std::atoll(number.c_str());
  switch (unit) {
    case 's':
      return n;
    case 'm':
      return n * 60;
    case 'h':
      return n * 3600;
    case 'd':
      return n * 86400;
    default:
      return -1;
  }
}

}  // namespace latchkey::cli
