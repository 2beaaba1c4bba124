// The table behind latchkeyd's flags: one row per flag, grouped in
// sections. config_flags.cc holds the rows; config.cc parses with them and
// renders --help and the reference from them. Internal to api/.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/config.h"
#include "common/status.h"

namespace latchkey::config_internal {

// --listen lands in two members, Config::host and Config::port.
struct ListenAddress {};

using Field = std::variant<ListenAddress, int Config::*, size_t Config::*, double Config::*,
                           std::chrono::milliseconds Config::*, std::chrono::seconds Config::*,
                           std::string Config::*, LogLevel Config::*,
                           std::vector<std::string> Config::*, bool Config::*>;

// The values a flag accepts. Numbers must lie in [min, max]; `text` says so
// in messages ("--threads must be 1-64") and the reference, and defaults to
// "min-max". Other flags leave min and max at 0 and describe their values in
// `text` for the reference only (their checks word their own messages).
struct Range {
  constexpr Range() = default;
  constexpr Range(std::string_view t) : text(t) {}
  constexpr Range(double lo, double hi, std::string_view t = {}) : min(lo), max(hi), text(t) {}
  double min = 0;
  double max = 0;
  std::string_view text;
};

struct Flag;
// Runs after the value is stored: checks that need more than a range (and
// may normalize the value).
using Check = Status (*)(const Flag&, Config*);

// One row of the configuration table. The default is the Config member's
// initializer, shown in --help and the reference.
struct Flag {
  std::string_view name;     // "--threads"
  std::string_view arg;      // what the value looks like: "N", "MS", "HOST:PORT"
  std::string_view env;      // "LATCHKEY_THREADS"
  Field field;               // where the value lands
  Range range;               // what it may be
  std::string_view help;     // --help's line; opens the reference's meaning
  std::string_view details;  // the rest of the reference's meaning
  std::string_view none;     // the reference's default when the default is empty
  Check check = nullptr;
};

struct Section {
  std::string_view title;  // --help group and reference heading
  std::span<const Flag> flags;
};

// The sections in --help and reference order.
std::span<const Section> Sections();

// The shortest fixed-point text: 1.5 -> "1.5", 1e7 -> "10000000".
std::string FormatNumber(double v);
// What a flag accepts, as words ("1-64", "CIDRs"); "" when unconstrained.
std::string RangeText(const Flag& flag);
// "--threads must be 1-64".
Status OutOfRange(const Flag& flag);

}  // namespace latchkey::config_internal
