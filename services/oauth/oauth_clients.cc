#include "services/oauth/oauth_clients.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "common/secret_text.h"
#include "common/url.h"
#include "services/oauth/oauth_client_store.h"

namespace latchkey {
namespace {

using Json = nlohmann::json;

constexpr char kSecretKind[] = "oauth_client_secret";
constexpr size_t kMaxClientId = 512;
constexpr size_t kMaxClientSecret = 4096;
constexpr size_t kMaxScopes = 64;
constexpr size_t kMaxUriLength = 2048;

}  // namespace

std::string ScopeListJson(const std::vector<std::string>& scopes) {
  // Scopes we validated are ASCII, but a provider may grant ones that are
  // not UTF-8 (a form-encoded answer can carry any bytes). They are not
  // secret and this signature has no room for an error, so such bytes are
  // stored as U+FFFD rather than thrown over (dump's default).
  return Json(scopes).dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::vector<std::string> ParseScopeList(const std::string& text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const Json& item : j) {
    if (const auto* scope = item.get_ptr<const std::string*>()) out.push_back(*scope);
  }
  return out;
}

Status CheckOAuthScopes(const std::vector<std::string>& scopes, std::string_view field) {
  std::string f(field);
  if (scopes.size() > kMaxScopes) {
    return InvalidArgument(f + " holds more than " + std::to_string(kMaxScopes) + " entries");
  }
  for (const auto& s : scopes) {
    if (s.empty() || s.size() > 256)
      return InvalidArgument(f + " entries must be 1-256 characters");
    for (unsigned char c : s) {
      // Scope tokens are %x21 / %x23-5B / %x5D-7E (RFC 6749 §3.3); no comma
      // either, since Slack separates with it.
      if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == ',') {
        return InvalidArgument(f + " entry '" + s.substr(0, 64) +
                               "' has a character scopes cannot hold");
      }
    }
  }
  return Status::Ok();
}

namespace {

bool IsTenant(const std::string& t) {
  if (t.empty() || t.size() > 128) return false;
  for (char c : t) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return true;
}

// Absolute https, or http to a loopback host (RFC 8252 §7.3); no user info,
// no fragment (RFC 6749 §3.1.2).
Status CheckRedirectUri(const std::string& uri) {
  std::string name = "redirectUris: '" + uri.substr(0, 128) + "'";
  if (uri.size() > kMaxUriLength) return InvalidArgument(name + " is too long");
  ASSIGN_OR_RETURN(HttpUrl url, ParseHttpUrl(uri, name, kMaxUriLength));
  if (uri.find('#') != std::string::npos) {
    return InvalidArgument(name + " must not have a fragment");
  }
  if (url.scheme == "http" && url.host != "localhost" && url.host != "127.0.0.1" &&
      url.host != "::1") {
    return InvalidArgument(name + " must use https (plain http only to localhost)");
  }
  return Status::Ok();
}

// InvalidArgument naming the field, for Put.
Status CheckWrite(const OAuthProvider& provider, const OAuthClientWrite& write) {
  RETURN_IF_ERROR(CheckSecretText(write.client_id, "clientId", 1, kMaxClientId));
  RETURN_IF_ERROR(CheckSecretText(write.client_secret, "clientSecret", 1, kMaxClientSecret));
  if (write.scopes) RETURN_IF_ERROR(CheckOAuthScopes(*write.scopes, "scopes"));
  if (write.tenant) {
    if (!provider.uses_tenant) {
      return InvalidArgument("tenant: provider '" + provider.id + "' does not take a tenant");
    }
    if (!IsTenant(*write.tenant)) {
      return InvalidArgument("tenant must be 1-128 letters, digits, '-' or '.'");
    }
  }
  return Status::Ok();
}

// What a read shows of `provider`'s registration; `row` null when the
// account has not configured it.
OAuthClientInfo Info(const OAuthProvider& provider, const ClientRow* row) {
  OAuthClientInfo info;
  info.provider = &provider;
  info.scopes = provider.scopes;
  if (!row) return info;
  info.configured = true;
  info.client_id = row->client_id;
  info.secret_last4 = row->secret_last4;
  if (row->scopes) info.scopes = *row->scopes;
  info.tenant = row->tenant;
  info.updated_at = row->updated_at;
  return info;
}

}  // namespace

const std::vector<Migration>& OAuthClients::Migrations() { return OAuthClientStore::Migrations(); }

std::vector<std::string> OAuthClients::OwnedTables() { return OAuthClientStore::OwnedTables(); }

Result<OAuthClientInfo> OAuthClients::Put(const std::string& account_id,
                                          const std::string& provider_id,
                                          const OAuthClientWrite& write, const AuditContext& ctx) {
  const OAuthProvider* provider = providers_.Find(provider_id);
  if (!provider) return NotFound("no OAuth provider named '" + provider_id + "'");
  RETURN_IF_ERROR(CheckWrite(*provider, write));
  ClientRow row;
  row.provider = provider_id;
  row.client_id = write.client_id;
  row.secret_last4 = MaskedLast4(write.client_secret);
  row.scopes = write.scopes;
  row.tenant = write.tenant;
  row.updated_at = clock_.Now();
  RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(row.sealed_secret,
                     envelope_.Seal(tx, account_id, kSecretKind, provider_id, write.client_secret));
    RETURN_IF_ERROR(OAuthClientStore::Put(tx, account_id, row));
    AuditEvent e = AuditEvent::For(ctx, account_id, "oauth.client.put", provider_id);
    e.details = {{"provider", provider_id}};
    return audit_.Append(tx, e).status();
  }));
  return Info(*provider, &row);
}

Result<std::vector<OAuthClientInfo>> OAuthClients::List(const std::string& account_id) {
  ASSIGN_OR_RETURN(std::vector<ClientRow> rows, OAuthClientStore::List(db_, account_id));
  std::vector<OAuthClientInfo> out;
  for (const OAuthProvider& p : providers_.all()) {
    auto row = std::find_if(rows.begin(), rows.end(),
                            [&](const ClientRow& r) { return r.provider == p.id; });
    out.push_back(Info(p, row == rows.end() ? nullptr : &*row));
  }
  return out;
}

Result<std::vector<std::string>> OAuthClients::SetRedirectUris(const std::string& account_id,
                                                               const std::vector<std::string>& uris,
                                                               const AuditContext& ctx) {
  if (uris.size() > kMaxRedirectUris) {
    return InvalidArgument("redirectUris holds more than " + std::to_string(kMaxRedirectUris) +
                           " entries");
  }
  std::vector<std::string> unique;
  for (const auto& uri : uris) {
    RETURN_IF_ERROR(CheckRedirectUri(uri));
    if (std::find(unique.begin(), unique.end(), uri) == unique.end()) unique.push_back(uri);
  }
  RETURN_IF_ERROR(db_.Transaction([&](SqlExecutor& tx) -> Status {
    RETURN_IF_ERROR(OAuthClientStore::PutRedirectUris(tx, account_id, unique));
    AuditEvent e = AuditEvent::For(ctx, account_id, "oauth.redirect_uris.put", "redirect-uris");
    e.details = {{"count", std::to_string(unique.size())}};
    return audit_.Append(tx, e).status();
  }));
  return unique;
}

Result<std::vector<std::string>> OAuthClients::RedirectUris(const std::string& account_id) {
  return OAuthClientStore::RedirectUris(db_, account_id);
}

Result<bool> OAuthClients::IsRedirectUriAllowed(const std::string& account_id,
                                                const std::string& uri) {
  return OAuthClientStore::HasRedirectUri(db_, account_id, uri);
}

Result<OAuthClientCredentials> OAuthClients::Registration(const std::string& account_id,
                                                          const OAuthProvider& provider,
                                                          bool open_secret) {
  ASSIGN_OR_RETURN(std::optional<ClientRow> row,
                   OAuthClientStore::Get(db_, account_id, provider.id));
  if (!row) {
    return FailedPrecondition("OAuth provider '" + provider.id +
                              "' is not configured for this account; PUT /oauth/providers/" +
                              provider.id + " first");
  }
  OAuthClientCredentials out;
  out.client_id = row->client_id;
  out.scopes = row->scopes ? *row->scopes : provider.scopes;
  if (row->tenant) out.tenant = *row->tenant;
  if (open_secret) {
    ASSIGN_OR_RETURN(SecretBytes secret, envelope_.Open(db_, account_id, kSecretKind, provider.id,
                                                        AsView(row->sealed_secret)));
    out.client_secret = std::string(secret.view());
  }
  return out;
}

Result<OAuthClientCredentials> OAuthClients::Credentials(const std::string& account_id,
                                                         const OAuthProvider& provider) {
  return Registration(account_id, provider, /*open_secret=*/true);
}

Result<OAuthClientCredentials> OAuthClients::PublicPart(const std::string& account_id,
                                                        const OAuthProvider& provider) {
  return Registration(account_id, provider, /*open_secret=*/false);
}

}  // namespace latchkey
