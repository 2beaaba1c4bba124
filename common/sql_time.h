// Timestamps in SQL rows: whole Unix seconds in BIGINT columns, NULL for
// "never".
#pragma once

#include <optional>

#include "common/clock.h"
#include "common/database.h"

namespace latchkey {

inline std::optional<TimePoint> OptionalTimeAt(const Row& row, size_t i) {
  if (row.IsNull(i)) return std::nullopt;
  return FromUnix(row.Int(i));
}

inline SqlValue TimeOrNull(const std::optional<TimePoint>& t) {
  if (!t) return nullptr;
  return ToUnix(*t);
}

}  // namespace latchkey
