// Clock: the one source of "now" for everything that expires, rotates or is
// scheduled. Production code takes a Clock&; tests pass a FakeClock and move
// time by hand instead of sleeping.
//
// Thread-safety: SystemClock is stateless; FakeClock is safe to read and
// advance from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace latchkey {

using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in whole seconds (all stored timestamps are seconds).
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
  // A process-wide instance.
  static SystemClock& Get();
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t unix_seconds = 1'700'000'000) : now_(unix_seconds) {}
  TimePoint Now() const override;
  void Advance(std::chrono::seconds by) { now_ += by.count(); }
  void Set(int64_t unix_seconds) { now_ = unix_seconds; }

 private:
  std::atomic<int64_t> now_;
};

inline int64_t ToUnix(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint FromUnix(int64_t s) { return TimePoint(std::chrono::seconds(s)); }

// "2026-11-22T03:04:05Z".
std::string FormatIso8601(TimePoint t);

// Accepts "YYYY-MM-DDTHH:MM:SS" with an optional ".fraction" (dropped) and a
// "Z" or "+HH:MM"/"-HH:MM" offset. Returns nullopt for anything else.
std::optional<TimePoint> ParseIso8601(std::string_view text);

}  // namespace latchkey
