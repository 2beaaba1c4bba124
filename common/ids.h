// Resource ids: a type prefix and 20 random lowercase base32 characters
// (100 bits), e.g. "acct_k3v9...". Ids are public and carry no meaning.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace latchkey {

std::string NewId(std::string_view prefix);

// An id of the same form whose first 9 characters encode `unix_ms`, so ids
// made later sort later (11 random characters, 55 bits, follow). For
// append-heavy tables: new rows land at the end of the primary-key index
// instead of on a random page.
std::string NewSortableId(std::string_view prefix, uint64_t unix_ms);

// NewSortableId at the system clock's current millisecond: for resources
// that lists show newest first, so that two made within the same second
// still sort in the order they were made. It reads the system clock, not
// an injected Clock, on purpose: the order it gives is the real order of
// creation (Clock has whole seconds, and a test's FakeClock stands still).
std::string NewTimeOrderedId(std::string_view prefix);

// `n` CSPRNG bytes for values that are public once made (ids, request ids,
// JWT ids). Each thread draws them from a buffer refilled with one DRBG
// call per kilobyte, which keeps the DRBG's locking and fork check off
// per-request paths. Never use it for secrets: buffered bytes wait in
// memory until used. The buffer is discarded in a forked child.
void PublicRandomBytes(uint8_t* out, size_t n);

// True if `id` is `prefix` + '_' + 20 base32 characters.
bool IsValidId(std::string_view id, std::string_view prefix);

}  // namespace latchkey
