#include "common/database.h"

namespace latchkey {

bool Row::IsNull(size_t i) const {
  return i >= columns_.size() || std::holds_alternative<std::nullptr_t>(columns_[i]);
}

int64_t Row::Int(size_t i) const {
  if (i < columns_.size()) {
    if (const auto* v = std::get_if<int64_t>(&columns_[i])) return *v;
  }
  return 0;
}

std::string Row::Text(size_t i) const {
  if (i < columns_.size()) {
    if (const auto* v = std::get_if<std::string>(&columns_[i])) return *v;
    if (const auto* b = std::get_if<Bytes>(&columns_[i])) return std::string(AsView(*b));
    if (const auto* n = std::get_if<int64_t>(&columns_[i])) return std::to_string(*n);
  }
  return {};
}

Bytes Row::Blob(size_t i) const {
  if (i < columns_.size()) {
    if (const auto* b = std::get_if<Bytes>(&columns_[i])) return *b;
    if (const auto* v = std::get_if<std::string>(&columns_[i])) return ToBytes(*v);
  }
  return {};
}

}  // namespace latchkey
