// The rules and encodings of a typed secret's value, internal to the
// credentials service: which parts each SecretType takes, the JSON that is
// sealed as its plaintext, and the masked parts that reads show instead.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/crypto.h"
#include "common/status.h"
#include "services/credentials/credentials.h"

namespace latchkey::credentials_internal {

// InvalidArgument naming the offending part: a part that `type` does not
// take, a missing or malformed one, or a header a secret may not set.
Status CheckSecretValue(SecretType type, const SecretValue& value);

// The plaintext to seal: a JSON object of value's non-empty parts, wiped
// when the caller drops it. InvalidArgument for a part that is not UTF-8
// (CheckSecretValue refuses those first).
Result<SecretBytes> SealedText(const SecretValue& value);

// The inverse of SealedText; DataLoss for anything SealedText never wrote.
Result<SecretValue> ParseSealedText(std::string_view text);

// The parts reads show for a value of `type`: each part's name and, for
// values long enough, its last four characters.
std::vector<MaskedPart> MaskedParts(SecretType type, const SecretValue& value);

}  // namespace latchkey::credentials_internal
