// The typed-secret half of CredentialService: named secrets of an account,
// created, replaced (a new version) and deleted one at a time.
#include <string>

#include "common/hosts.h"
#include "common/ids.h"
#include "common/names.h"
#include "services/credentials/credential_store.h"
#include "services/credentials/credentials.h"
#include "services/credentials/credentials_internal.h"
#include "services/credentials/secret_value.h"

namespace latchkey {

namespace credentials_internal {
namespace {

// Shorter usernames are not added to what the proxy redacts from answers:
// they are too likely to be ordinary words.
constexpr size_t kMinRedactedUsername = 8;

// Basic credentials (RFC 7617), and every form of them an upstream might
// echo back.
void AddBasicAuth(const SecretValue& v, Injection* inj) {
  Wiped pair{v.username + ":" + v.password};
  Wiped encoded{Base64Encode(pair.text)};
  inj->secrets.push_back(v.password);
  if (v.username.size() >= kMinRedactedUsername) inj->secrets.push_back(v.username);
  inj->secrets.push_back(encoded.text);
  inj->headers.emplace_back("Authorization", "Basic " + encoded.text);
}

}  // namespace

Result<Injection> InjectSecret(SecretType type, std::string_view plaintext) {
  ASSIGN_OR_RETURN(SecretValue v, ParseSealedText(plaintext));
  Injection inj;
  switch (type) {
    case SecretType::kApiKey:
      inj.secrets.push_back(v.value);
      inj.headers.emplace_back("Authorization", "Bearer " + v.value);
      break;
    case SecretType::kBasicAuth:
      AddBasicAuth(v, &inj);
      break;
    case SecretType::kCookie:
      inj.secrets.push_back(v.cookies);
      inj.headers.emplace_back("Cookie", v.cookies);
      break;
    case SecretType::kCustomHeader:
      for (const auto& [n, val] : v.headers) {
        inj.secrets.push_back(val);
        inj.headers.emplace_back(n, val);
      }
      break;
    case SecretType::kQueryParam:
      inj.secrets.push_back(v.value);
      inj.query.emplace_back(v.param, v.value);
      break;
  }
  return inj;
}

}  // namespace credentials_internal

namespace {

using credentials_internal::CheckBaseUrl;
using credentials_internal::CheckHosts;
using credentials_internal::CheckSecretValue;
using credentials_internal::kSecretKind;
using credentials_internal::MaskedParts;
using credentials_internal::SealedText;

// A secret and a provider key share the proxy's namespace of names, so a
// secret may not take a provider's, nor "oauth".
Status CheckSecretName(const std::string& name) {
  if (!IsCredentialName(name)) {
    return InvalidArgument("name must be 1-64 letters, digits, '-', '_' or '.'");
  }
  if (FindProvider(name)) {
    return InvalidArgument("name '" + name + "' is reserved for the provider credential");
  }
  // /proxy/oauth/{tokenId}/... would hide a secret of that name.
  if (name == "oauth") return InvalidArgument("name 'oauth' is reserved for OAuth tokens");
  return Status::Ok();
}

// Sets what a write decides: the type, what reads show of the value, and
// the hosts when given (a replace without them keeps the old ones).
void Apply(const SecretWrite& write, SecretInfo* info) {
  info->type = write.type;
  info->parts = MaskedParts(write.type, write.value);
  info->param.reset();
  if (write.type == SecretType::kQueryParam) info->param = write.value.param;
  if (write.allowed_hosts) info->allowed_hosts = *write.allowed_hosts;
  if (write.base_url) info->base_url = *write.base_url;
}

// A base URL must lead to one of the secret's allowed hosts.
Status CheckSecretBaseUrl(const SecretInfo& info) {
  if (!info.base_url) return Status::Ok();
  ASSIGN_OR_RETURN(HttpUrl url, CheckBaseUrl(*info.base_url, "baseUrl"));
  if (!HostAllowed(info.allowed_hosts, url.host, url.port)) {
    return InvalidArgument("baseUrl: " + url.host +
                           " is not among the secret's allowed hosts; add it to allowedHosts");
  }
  return Status::Ok();
}

// The value sealed to (account, "secret", name): a ciphertext moved to
// another name or account does not open.
Result<Bytes> Seal(SqlExecutor& tx, Envelope& envelope, const std::string& account_id,
                   const std::string& name, const SecretValue& value) {
  ASSIGN_OR_RETURN(SecretBytes plain, SealedText(value));
  return envelope.Seal(tx, account_id, kSecretKind, name, plain.view());
}

// FailedPrecondition at the per-account limit; AlreadyExists if taken.
Status CheckRoomFor(SqlExecutor& tx, const std::string& account_id, const std::string& name) {
  ASSIGN_OR_RETURN(int64_t count, CredentialStore::CountSecrets(tx, account_id));
  if (count >= CredentialService::kMaxSecretsPerAccount) {
    return FailedPrecondition("the account already has " +
                              std::to_string(CredentialService::kMaxSecretsPerAccount) +
                              " secrets");
  }
  ASSIGN_OR_RETURN(bool taken, CredentialStore::SecretExists(tx, account_id, name));
  if (taken) return AlreadyExists("a secret named '" + name + "' already exists");
  return Status::Ok();
}

// Names what changed, never the value.
AuditEvent SecretEvent(const AuditContext& ctx, const std::string& action, const SecretInfo& info) {
  AuditEvent event = AuditEvent::For(ctx, info.account_id, action, info.id);
  event.details = {{"name", info.name}, {"type", std::string(SecretTypeName(info.type))}};
  return event;
}

}  // namespace

Result<SecretInfo> CredentialService::CreateSecret(const std::string& account_id,
                                                   const std::string& name,
                                                   const SecretWrite& write,
                                                   const AuditContext& ctx) {
  RETURN_IF_ERROR(CheckSecretName(name));
  if (!write.allowed_hosts) return InvalidArgument("allowedHosts is required");
  RETURN_IF_ERROR(CheckHosts(*write.allowed_hosts, "allowedHosts"));
  RETURN_IF_ERROR(CheckSecretValue(write.type, write.value));
  return TransactionValue<SecretInfo>(db_, [&](SqlExecutor& tx) -> Result<SecretInfo> {
    RETURN_IF_ERROR(CheckRoomFor(tx, account_id, name));
    SecretInfo info;
    info.id = NewTimeOrderedId("sec");
    info.account_id = account_id;
    info.name = name;
    info.created_at = info.updated_at = clock_.Now();
    Apply(write, &info);
    RETURN_IF_ERROR(CheckSecretBaseUrl(info));
    ASSIGN_OR_RETURN(Bytes sealed, Seal(tx, envelope_, account_id, name, write.value));
    ASSIGN_OR_RETURN(info, CredentialStore::InsertSecret(tx, info, sealed));
    RETURN_IF_ERROR(audit_.Append(tx, SecretEvent(ctx, "secret.create", info)).status());
    return info;
  });
}

Result<std::vector<SecretInfo>> CredentialService::ListSecrets(const std::string& account_id) {
  RETURN_IF_ERROR(SyncUses());
  return CredentialStore::ListSecrets(db_, account_id);
}

Result<SecretInfo> CredentialService::GetSecret(const std::string& account_id,
                                                const std::string& name) {
  RETURN_IF_ERROR(SyncUses());
  ASSIGN_OR_RETURN(auto info, CredentialStore::GetSecret(db_, account_id, name));
  if (!info) return NotFound("secret not found");
  return std::move(*info);
}

Result<SecretInfo> CredentialService::ReplaceSecret(const std::string& account_id,
                                                    const std::string& name,
                                                    const SecretWrite& write,
                                                    const AuditContext& ctx) {
  if (write.allowed_hosts) RETURN_IF_ERROR(CheckHosts(*write.allowed_hosts, "allowedHosts"));
  RETURN_IF_ERROR(CheckSecretValue(write.type, write.value));
  auto replaced = TransactionValue<SecretInfo>(db_, [&](SqlExecutor& tx) -> Result<SecretInfo> {
    ASSIGN_OR_RETURN(auto info, CredentialStore::GetSecret(tx, account_id, name));
    if (!info) return NotFound("secret not found");
    Apply(write, &*info);
    RETURN_IF_ERROR(CheckSecretBaseUrl(*info));
    info->updated_at = clock_.Now();
    ASSIGN_OR_RETURN(Bytes sealed, Seal(tx, envelope_, account_id, name, write.value));
    ASSIGN_OR_RETURN(SecretInfo stored, CredentialStore::UpdateSecret(tx, *info, sealed));
    AuditEvent event = SecretEvent(ctx, "secret.update", stored);
    event.details.emplace_back("version", std::to_string(stored.version));
    RETURN_IF_ERROR(audit_.Append(tx, std::move(event)).status());
    return stored;
  });
  ForgetAccount(account_id);  // the proxy uses the new version at once
  return replaced;
}

Status CredentialService::DeleteSecret(const std::string& account_id, const std::string& name,
                                       const AuditContext& ctx) {
  Status deleted = db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(auto id, CredentialStore::DeleteSecret(tx, account_id, name));
    if (!id) return NotFound("secret not found");
    AuditEvent event = AuditEvent::For(ctx, account_id, "secret.delete", *id);
    event.details = {{"name", name}};
    return audit_.Append(tx, std::move(event)).status();
  });
  ForgetAccount(account_id);
  return deleted;
}

}  // namespace latchkey
