#include "services/oauth/oauth_clients.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "common/hosts.h"
#include "common/secret_text.h"
#include "common/sql_time.h"

namespace latchkey {
namespace {

using Json = nlohmann::json;

constexpr char kSecretKind[] = "oauth_client_secret";
constexpr size_t kMaxClientId = 512;
constexpr size_t kMaxClientSecret = 4096;
constexpr size_t kMaxScopes = 64;
constexpr size_t kMaxUriLength = 2048;

}  // namespace

std::string ScopeListJson(const std::vector<std::string>& scopes) { return Json(scopes).dump(); }

std::vector<std::string> ParseScopeList(const std::string& text) {
  Json j = Json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& s : j) {
    if (s.is_string()) out.push_back(s.get<std::string>());
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
  auto bad = [&](std::string_view why) {
    return InvalidArgument("redirectUris: '" + uri.substr(0, 128) + "' " + std::string(why));
  };
  if (uri.size() > kMaxUriLength) return bad("is too long");
  for (unsigned char c : uri) {
    if (c <= 0x20 || c == 0x7f) return bad("has spaces or control characters");
  }
  if (uri.find('#') != std::string::npos) return bad("must not have a fragment");
  bool https = uri.rfind("https://", 0) == 0;
  bool http = uri.rfind("http://", 0) == 0;
  if (!https && !http) return bad("must be an absolute https URL");
  size_t start = https ? 8 : 7;
  size_t end = uri.find_first_of("/?", start);
  std::string authority = uri.substr(start, end == std::string::npos ? end : end - start);
  if (authority.find('@') != std::string::npos) return bad("must not carry user info");
  std::string host = authority;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    host = close == std::string::npos ? "" : host.substr(1, close - 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  auto normal = NormalizeHost(host);
  if (!normal) return bad("has an invalid host");
  if (http && *normal != "localhost" && *normal != "127.0.0.1" && *normal != "::1") {
    return bad("must use https (plain http only to localhost)");
  }
  return Status::Ok();
}

}  // namespace

const std::vector<Migration>& OAuthClients::Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "CREATE TABLE oauth_clients ("
       " account_id TEXT NOT NULL,"
       " provider TEXT NOT NULL,"
       " client_id TEXT NOT NULL,"
       " sealed_secret ${BLOB} NOT NULL,"
       " secret_last4 TEXT,"
       " scopes TEXT,"
       " tenant TEXT,"
       " updated_at ${BIGINT} NOT NULL,"
       " PRIMARY KEY (account_id, provider));"
       "CREATE TABLE oauth_redirect_uris ("
       " account_id TEXT NOT NULL,"
       " uri TEXT NOT NULL,"
       " PRIMARY KEY (account_id, uri))"},
  };
  return kMigrations;
}

std::vector<std::string> OAuthClients::OwnedTables() {
  return {"oauth_clients", "oauth_redirect_uris"};
}

Result<OAuthClientInfo> OAuthClients::Put(const std::string& account_id,
                                          const std::string& provider_id,
                                          const OAuthClientWrite& write, const AuditContext& ctx) {
  const OAuthProvider* provider = providers_.Find(provider_id);
  if (!provider) return NotFound("no OAuth provider named '" + provider_id + "'");
  RETURN_IF_ERROR(CheckSecretText(write.client_id, "clientId", 1, kMaxClientId));
  RETURN_IF_ERROR(CheckSecretText(write.client_secret, "clientSecret", 1, kMaxClientSecret));
  if (write.scopes) RETURN_IF_ERROR(CheckOAuthScopes(*write.scopes, "scopes"));
  if (write.tenant) {
    if (!provider->uses_tenant) {
      return InvalidArgument("tenant: provider '" + provider_id + "' does not take a tenant");
    }
    if (!IsTenant(*write.tenant)) {
      return InvalidArgument("tenant must be 1-128 letters, digits, '-' or '.'");
    }
  }
  TimePoint now = clock_.Now();
  auto last4 = MaskedLast4(write.client_secret);
  SqlValue scopes = write.scopes ? SqlValue(ScopeListJson(*write.scopes)) : SqlValue();
  SqlValue tenant = write.tenant ? SqlValue(*write.tenant) : SqlValue();
  Status s = db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(Bytes sealed,
                     envelope_.Seal(tx, account_id, kSecretKind, provider_id, write.client_secret));
    RETURN_IF_ERROR(tx.Execute("DELETE FROM oauth_clients WHERE account_id = ? AND provider = ?",
                               {account_id, provider_id})
                        .status());
    RETURN_IF_ERROR(tx.Execute("INSERT INTO oauth_clients (account_id, provider, client_id,"
                               " sealed_secret, secret_last4, scopes, tenant, updated_at)"
                               " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                               {account_id, provider_id, write.client_id, sealed,
                                last4 ? SqlValue(*last4) : SqlValue(), scopes, tenant, ToUnix(now)})
                        .status());
    AuditEvent e = AuditEvent::For(ctx, account_id, "oauth.client.put", provider_id);
    e.details = {{"provider", provider_id}};
    return audit_.Append(tx, e).status();
  });
  RETURN_IF_ERROR(s);
  OAuthClientInfo info;
  info.provider = provider;
  info.configured = true;
  info.client_id = write.client_id;
  info.secret_last4 = last4;
  info.scopes = write.scopes ? *write.scopes : provider->scopes;
  info.tenant = write.tenant;
  info.updated_at = now;
  return info;
}

Result<std::vector<OAuthClientInfo>> OAuthClients::List(const std::string& account_id) {
  ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT provider, client_id, secret_last4, scopes,"
                                        " tenant, updated_at FROM oauth_clients"
                                        " WHERE account_id = ?",
                                        {account_id}));
  std::vector<OAuthClientInfo> out;
  for (const OAuthProvider& p : providers_.all()) {
    OAuthClientInfo info;
    info.provider = &p;
    info.scopes = p.scopes;
    for (const Row& row : rows) {
      if (row.Text(0) != p.id) continue;
      info.configured = true;
      info.client_id = row.Text(1);
      if (!row.IsNull(2)) info.secret_last4 = row.Text(2);
      if (!row.IsNull(3)) info.scopes = ParseScopeList(row.Text(3));
      if (!row.IsNull(4)) info.tenant = row.Text(4);
      info.updated_at = FromUnix(row.Int(5));
    }
    out.push_back(std::move(info));
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
    RETURN_IF_ERROR(
        tx.Execute("DELETE FROM oauth_redirect_uris WHERE account_id = ?", {account_id}).status());
    for (const auto& uri : unique) {
      RETURN_IF_ERROR(tx.Execute("INSERT INTO oauth_redirect_uris (account_id, "
                                 "uri) VALUES (?, ?)",
                                 {account_id, uri})
                          .status());
    }
    AuditEvent e = AuditEvent::For(ctx, account_id, "oauth.redirect_uris.put", "redirect-uris");
    e.details = {{"count", std::to_string(unique.size())}};
    return audit_.Append(tx, e).status();
  }));
  return unique;
}

Result<std::vector<std::string>> OAuthClients::RedirectUris(const std::string& account_id) {
  ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT uri FROM oauth_redirect_uris WHERE account_id = ?"
                                        " ORDER BY uri",
                                        {account_id}));
  std::vector<std::string> out;
  for (const Row& r : rows) out.push_back(r.Text(0));
  return out;
}

Result<bool> OAuthClients::IsRedirectUriAllowed(const std::string& account_id,
                                                const std::string& uri) {
  ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT 1 FROM oauth_redirect_uris"
                                        " WHERE account_id = ? AND uri = ?",
                                        {account_id, uri}));
  return !rows.empty();
}

Result<OAuthClientCredentials> OAuthClients::Registration(const std::string& account_id,
                                                          const OAuthProvider& provider,
                                                          bool open_secret) {
  ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT client_id, scopes, tenant, sealed_secret"
                                        " FROM oauth_clients WHERE account_id = ? AND provider = ?",
                                        {account_id, provider.id}));
  if (rows.empty()) {
    return FailedPrecondition("OAuth provider '" + provider.id +
                              "' is not configured for this account; PUT /oauth/providers/" +
                              provider.id + " first");
  }
  const Row& row = rows[0];
  OAuthClientCredentials out;
  out.client_id = row.Text(0);
  out.scopes = row.IsNull(1) ? provider.scopes : ParseScopeList(row.Text(1));
  if (!row.IsNull(2)) out.tenant = row.Text(2);
  if (open_secret) {
    ASSIGN_OR_RETURN(SecretBytes secret, envelope_.Open(db_, account_id, kSecretKind, provider.id,
                                                        AsView(row.Blob(3))));
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
