// Logger: structured JSON lines on stderr (or any FILE*), one object per line:
//   {"time":"2026-11-22T03:04:05Z","level":"info","event":"request",...}
//
// Callers pass fields explicitly; nothing is formatted from arbitrary objects,
// which keeps secret values out unless someone types them in by hand. Never
// log a credential, token, key or request body.
//
// Thread-safety: Log() is safe from any thread; lines never interleave.
#pragma once

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

namespace latchkey {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug", "info", "warn", "error".
bool ParseLogLevel(std::string_view text, LogLevel* out);

struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, int64_t v) : key(k), value(std::to_string(v)), number(true) {}
  LogField(std::string_view k, int v) : key(k), value(std::to_string(v)), number(true) {}
  LogField(std::string_view k, double v);
  std::string_view key;
  std::string value;
  bool number = false;
};

class Logger {
 public:
  explicit Logger(std::FILE* out = stderr, LogLevel min_level = LogLevel::kInfo)
      : out_(out), min_level_(min_level) {}

  void set_min_level(LogLevel level) { min_level_ = level; }
  bool Enabled(LogLevel level) const { return level >= min_level_; }

  void Log(LogLevel level, std::string_view event, std::span<const LogField> fields);
  void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {}) {
    Log(level, event, std::span<const LogField>(fields.begin(), fields.size()));
  }
  void Info(std::string_view event, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kInfo, event, fields);
  }
  void Warn(std::string_view event, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kWarn, event, fields);
  }
  void Error(std::string_view event, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kError, event, fields);
  }

 private:
  std::FILE* out_;
  LogLevel min_level_;
  std::mutex mu_;  // serializes writes to out_
};

}  // namespace latchkey
