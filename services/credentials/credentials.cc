#include "services/credentials/credentials.h"

#include <strings.h>

#include <nlohmann/json.hpp>

#include "common/hosts.h"
#include "common/ids.h"
#include "common/names.h"
#include "common/secret_text.h"
#include "common/sql_time.h"

namespace latchkey {
namespace {

constexpr char kProviderKind[] = "provider_credential";
constexpr char kSecretKind[] = "secret";

using json = nlohmann::json;

// Wipes a string that held plaintext.
struct Wiped {
  std::string text;
  ~Wiped() { SecureWipe(text.data(), text.size()); }
};

Status CheckValue(std::string_view value, const std::string& field, size_t min_length) {
  return CheckSecretText(value, field, min_length, CredentialService::kMaxValueLength);
}

Status CheckHosts(const std::vector<std::string>& hosts, const std::string& field) {
  if (hosts.empty()) return InvalidArgument(field + " must name at least one host");
  if (hosts.size() > CredentialService::kMaxHosts) {
    return InvalidArgument(field + " has more than " +
                           std::to_string(CredentialService::kMaxHosts) + " entries");
  }
  for (const auto& h : hosts) {
    Status s = ValidateHostPattern(h);
    if (!s.ok()) return InvalidArgument(field + ": " + s.message());
  }
  return Status::Ok();
}

Status CheckSecretName(const std::string& name) {
  if (!IsCredentialName(name)) {
    return InvalidArgument("name must be 1-64 letters, digits, '-', '_' or '.'");
  }
  if (FindProvider(name)) {
    return InvalidArgument("name '" + name + "' is reserved for the provider credential");
  }
  return Status::Ok();
}

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Headers a secret may not set: framing, routing and the proxy's own.
bool IsReservedHeader(std::string_view name) {
  static const char* kReserved[] = {"host",       "content-length", "transfer-encoding",
                                    "connection", "keep-alive",     "upgrade",
                                    "te",         "trailer",        "expect"};
  for (const char* r : kReserved) {
    if (name.size() == strlen(r) && strncasecmp(name.data(), r, name.size()) == 0) return true;
  }
  for (std::string_view prefix : {"proxy-", "x-target-", "x-credential-"}) {
    if (name.size() >= prefix.size() &&
        strncasecmp(name.data(), prefix.data(), prefix.size()) == 0) {
      return true;
    }
  }
  return false;
}

Status CheckSecretValue(SecretType type, const SecretValue& v) {
  auto must_be_empty = [&](bool empty, const char* field) -> Status {
    if (!empty) {
      return InvalidArgument(std::string(field) + " does not apply to type " +
                             std::string(SecretTypeName(type)));
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(must_be_empty(
      type == SecretType::kApiKey || type == SecretType::kQueryParam || v.value.empty(), "value"));
  RETURN_IF_ERROR(must_be_empty(type == SecretType::kBasicAuth || v.username.empty(), "username"));
  RETURN_IF_ERROR(must_be_empty(type == SecretType::kBasicAuth || v.password.empty(), "password"));
  RETURN_IF_ERROR(must_be_empty(type == SecretType::kCookie || v.cookies.empty(), "cookies"));
  RETURN_IF_ERROR(must_be_empty(type == SecretType::kCustomHeader || v.headers.empty(), "headers"));
  RETURN_IF_ERROR(must_be_empty(type == SecretType::kQueryParam || v.param.empty(), "param"));
  switch (type) {
    case SecretType::kApiKey:
      return CheckValue(v.value, "value", 1);
    case SecretType::kBasicAuth:
      RETURN_IF_ERROR(CheckValue(v.username, "username", 1));
      if (v.username.find(':') != std::string::npos) {
        return InvalidArgument("username must not contain ':'");
      }
      return CheckValue(v.password, "password", 1);
    case SecretType::kCookie:
      return CheckValue(v.cookies, "cookies", 1);
    case SecretType::kCustomHeader: {
      if (v.headers.empty()) return InvalidArgument("headers must name at least one header");
      if (v.headers.size() > CredentialService::kMaxHeaders) {
        return InvalidArgument("headers has more than " +
                               std::to_string(CredentialService::kMaxHeaders) + " entries");
      }
      for (const auto& [name, value] : v.headers) {
        if (name.empty() || name.size() > 128) {
          return InvalidArgument("headers: a header name must be 1-128 characters");
        }
        for (char c : name) {
          if (!IsTokenChar(c))
            return InvalidArgument("headers: '" + name + "' is not a header name");
        }
        if (IsReservedHeader(name)) {
          return InvalidArgument("headers: '" + name + "' cannot be set by a secret");
        }
        RETURN_IF_ERROR(CheckValue(value, "headers." + name, 1));
      }
      return Status::Ok();
    }
    case SecretType::kQueryParam:
      if (v.param.empty() || v.param.size() > 128) {
        return InvalidArgument("param must be 1-128 characters");
      }
      for (char c : v.param) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == '~';
        if (!ok)
          return InvalidArgument("param may contain only letters, digits, '-', '_', '.', '~'");
      }
      return CheckValue(v.value, "value", 1);
  }
  return InvalidArgument("unknown type");
}

std::string SealedJson(const SecretValue& v) {
  json j = json::object();
  if (!v.value.empty()) j["value"] = v.value;
  if (!v.username.empty()) j["username"] = v.username;
  if (!v.password.empty()) j["password"] = v.password;
  if (!v.cookies.empty()) j["cookies"] = v.cookies;
  if (!v.param.empty()) j["param"] = v.param;
  if (!v.headers.empty()) {
    j["headers"] = json::array();
    for (const auto& [n, val] : v.headers) j["headers"].push_back({n, val});
  }
  std::string out = j.dump();
  WipeJsonStrings(j);  // `j` holds copies of every part
  return out;
}

Result<SecretValue> ParseSealed(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return DataLoss("stored secret does not parse");
  SecretValue v;
  auto get = [&](const char* k, std::string* out) {
    if (j.contains(k) && j[k].is_string()) *out = j[k].get<std::string>();
  };
  get("value", &v.value);
  get("username", &v.username);
  get("password", &v.password);
  get("cookies", &v.cookies);
  get("param", &v.param);
  if (j.contains("headers") && j["headers"].is_array()) {
    for (const auto& h : j["headers"]) {
      v.headers.emplace_back(h[0].get<std::string>(), h[1].get<std::string>());
    }
  }
  WipeJsonStrings(j);
  return v;
}

json MaskedJson(SecretType type, const SecretValue& v) {
  json parts = json::array();
  auto add = [&](const std::string& part, std::string_view value) {
    auto last4 = MaskedLast4(value);
    parts.push_back({{"part", part}, {"last4", last4 ? json(*last4) : json(nullptr)}});
  };
  switch (type) {
    case SecretType::kApiKey:
    case SecretType::kQueryParam:
      add("value", v.value);
      break;
    case SecretType::kBasicAuth:
      add("username", v.username);
      add("password", v.password);
      break;
    case SecretType::kCookie:
      add("cookies", v.cookies);
      break;
    case SecretType::kCustomHeader:
      for (const auto& [n, val] : v.headers) add("headers." + n, val);
      break;
  }
  return parts;
}

std::string HostsJson(const std::vector<std::string>& hosts) { return json(hosts).dump(); }

std::vector<std::string> HostsFromJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& h : j) {
      if (h.is_string()) out.push_back(h.get<std::string>());
    }
  }
  return out;
}

constexpr char kSecretColumns[] =
    "id, account_id, name, type, masked, allowed_hosts, version, created_at, updated_at,"
    " last_used_at, use_count";

SecretInfo SecretFromRow(const Row& row) {
  SecretInfo s;
  s.id = row.Text(0);
  s.account_id = row.Text(1);
  s.name = row.Text(2);
  s.type = ParseSecretType(row.Text(3)).value_or(SecretType::kApiKey);
  json masked = json::parse(row.Text(4), nullptr, false);
  if (masked.is_object()) {
    for (const auto& p : masked["parts"]) {
      MaskedPart part{p["part"].get<std::string>(), std::nullopt};
      if (p["last4"].is_string()) part.last4 = p["last4"].get<std::string>();
      s.parts.push_back(std::move(part));
    }
    if (masked.contains("param")) s.param = masked["param"].get<std::string>();
  }
  s.allowed_hosts = HostsFromJson(row.Text(5));
  s.version = row.Int(6);
  s.created_at = FromUnix(row.Int(7));
  s.updated_at = FromUnix(row.Int(8));
  s.last_used_at = OptionalTimeAt(row, 9);
  s.use_count = row.Int(10);
  return s;
}

std::string MaskedText(SecretType type, const SecretValue& v) {
  json m = {{"parts", MaskedJson(type, v)}};
  if (type == SecretType::kQueryParam) m["param"] = v.param;
  return m.dump();
}

}  // namespace

SecretValue::~SecretValue() {
  for (std::string* s : {&value, &username, &password, &cookies}) SecureWipe(s->data(), s->size());
  for (auto& [n, v] : headers) SecureWipe(v.data(), v.size());
}

std::string_view SecretTypeName(SecretType t) {
  switch (t) {
    case SecretType::kApiKey:
      return "API_KEY";
    case SecretType::kBasicAuth:
      return "BASIC_AUTH";
    case SecretType::kCookie:
      return "COOKIE";
    case SecretType::kCustomHeader:
      return "CUSTOM_HEADER";
    case SecretType::kQueryParam:
      return "QUERY_PARAM";
  }
  return "API_KEY";
}

std::optional<SecretType> ParseSecretType(std::string_view text) {
  for (SecretType t : {SecretType::kApiKey, SecretType::kBasicAuth, SecretType::kCookie,
                       SecretType::kCustomHeader, SecretType::kQueryParam}) {
    if (SecretTypeName(t) == text) return t;
  }
  return std::nullopt;
}

const std::vector<Migration>& CredentialService::Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "CREATE TABLE provider_credentials ("
       " account_id TEXT NOT NULL,"
       " provider TEXT NOT NULL,"
       " sealed ${BLOB} NOT NULL,"
       " last4 TEXT,"
       " allowed_hosts TEXT,"
       " updated_at ${BIGINT} NOT NULL,"
       " last_used_at ${BIGINT},"
       " use_count ${BIGINT} NOT NULL DEFAULT 0,"
       " PRIMARY KEY (account_id, provider));"
       "CREATE TABLE secrets ("
       " id TEXT PRIMARY KEY,"
       " account_id TEXT NOT NULL,"
       " name TEXT NOT NULL,"
       " type TEXT NOT NULL,"
       " sealed ${BLOB} NOT NULL,"
       " masked TEXT NOT NULL,"
       " allowed_hosts TEXT NOT NULL,"
       " version ${BIGINT} NOT NULL,"
       " created_at ${BIGINT} NOT NULL,"
       " updated_at ${BIGINT} NOT NULL,"
       " last_used_at ${BIGINT},"
       " use_count ${BIGINT} NOT NULL DEFAULT 0,"
       " UNIQUE (account_id, name))"},
  };
  return kMigrations;
}

std::vector<std::string> CredentialService::OwnedTables() {
  return {"provider_credentials", "secrets"};
}

Result<CredentialsSummary> CredentialService::PutProviderKeys(const std::string& account_id,
                                                              const ProviderKeysUpdate& update,
                                                              const AuditContext& ctx) {
  // Validate everything before writing anything.
  for (const auto& [id, key] : update.keys) {
    const ProviderInfo* p = FindProvider(id);
    if (!p) return InvalidArgument("unknown provider '" + id + "'");
    if (key) RETURN_IF_ERROR(CheckValue(*key, p->field, kMinProviderKeyLength));
  }
  for (const auto& [id, hosts] : update.hosts) {
    const ProviderInfo* p = FindProvider(id);
    if (!p) return InvalidArgument("unknown provider '" + id + "'");
    if (hosts) RETURN_IF_ERROR(CheckHosts(*hosts, "allowedHosts." + id));
  }
  auto summary =
      TransactionValue<CredentialsSummary>(db_, [&](SqlExecutor& tx) -> Result<CredentialsSummary> {
        int64_t now = ToUnix(clock_.Now());
        std::string set, removed, hosts_changed;
        auto append = [](std::string& list, const std::string& item) {
          if (!list.empty()) list += ',';
          list += item;
        };
        for (const auto& [id, key] : update.keys) {
          if (key) {
            ASSIGN_OR_RETURN(Bytes sealed, envelope_.Seal(tx, account_id, kProviderKind, id, *key));
            auto last4 = MaskedLast4(*key);
            RETURN_IF_ERROR(
                tx.Execute("INSERT INTO provider_credentials (account_id, provider, sealed,"
                           " last4, updated_at) VALUES (?, ?, ?, ?, ?)"
                           " ON CONFLICT (account_id, provider) DO UPDATE SET"
                           " sealed = excluded.sealed, last4 = excluded.last4,"
                           " updated_at = excluded.updated_at",
                           {account_id, id, sealed, *last4, now})
                    .status());
            append(set, id);
          } else {
            ASSIGN_OR_RETURN(int64_t n, tx.Execute("DELETE FROM provider_credentials WHERE"
                                                   " account_id = ? AND provider = ?",
                                                   {account_id, id}));
            if (n > 0) append(removed, id);
          }
        }
        for (const auto& [id, hosts] : update.hosts) {
          SqlValue value = hosts ? SqlValue(HostsJson(*hosts)) : SqlValue(nullptr);
          ASSIGN_OR_RETURN(int64_t n,
                           tx.Execute("UPDATE provider_credentials SET allowed_hosts = ?,"
                                      " updated_at = ? WHERE account_id = ? AND provider = ?",
                                      {value, now, account_id, id}));
          if (n == 0 && hosts) {
            return InvalidArgument("allowedHosts." + id + ": set " + FindProvider(id)->field +
                                   " first");
          }
          append(hosts_changed, id);
        }
        AuditEvent event = AuditEvent::For(ctx, account_id, "credentials.update", "credentials");
        if (!set.empty()) event.details.emplace_back("set", set);
        if (!removed.empty()) event.details.emplace_back("removed", removed);
        if (!hosts_changed.empty()) event.details.emplace_back("allowed_hosts", hosts_changed);
        RETURN_IF_ERROR(audit_.Append(tx, std::move(event)).status());
        return SummaryIn(tx, account_id);
      });
  ForgetAccount(account_id);  // the proxy uses the new keys at once
  return summary;
}

Result<CredentialsSummary> CredentialService::Summary(const std::string& account_id) {
  return SummaryIn(db_, account_id);
}

Result<CredentialsSummary> CredentialService::SummaryIn(SqlExecutor& exec,
                                                        const std::string& account_id) {
  ASSIGN_OR_RETURN(auto rows, exec.Query("SELECT provider, last4, allowed_hosts, updated_at,"
                                         " last_used_at, use_count FROM provider_credentials"
                                         " WHERE account_id = ?",
                                         {account_id}));
  CredentialsSummary summary;
  for (const ProviderInfo& p : Providers()) {
    ProviderSummary s;
    s.provider = &p;
    s.allowed_hosts = p.hosts;
    for (const Row& row : rows) {
      if (row.Text(0) != p.id) continue;
      s.has_key = true;
      if (!row.IsNull(1)) s.last4 = row.Text(1);
      if (!row.IsNull(2)) {
        s.allowed_hosts = HostsFromJson(row.Text(2));
        s.custom_hosts = true;
      }
      s.updated_at = FromUnix(row.Int(3));
      s.last_used_at = OptionalTimeAt(row, 4);
      s.use_count = row.Int(5);
      if (!summary.updated_at || *s.updated_at > *summary.updated_at) {
        summary.updated_at = s.updated_at;
      }
    }
    summary.providers.push_back(std::move(s));
  }
  return summary;
}

Result<SecretInfo> CredentialService::CreateSecret(const std::string& account_id,
                                                   const std::string& name,
                                                   const SecretWrite& write,
                                                   const AuditContext& ctx) {
  RETURN_IF_ERROR(CheckSecretName(name));
  if (!write.allowed_hosts) return InvalidArgument("allowedHosts is required");
  RETURN_IF_ERROR(CheckHosts(*write.allowed_hosts, "allowedHosts"));
  RETURN_IF_ERROR(CheckSecretValue(write.type, write.value));
  return TransactionValue<SecretInfo>(db_, [&](SqlExecutor& tx) -> Result<SecretInfo> {
    ASSIGN_OR_RETURN(auto count,
                     tx.Query("SELECT COUNT(*) FROM secrets WHERE account_id = ?", {account_id}));
    if (count[0].Int(0) >= kMaxSecretsPerAccount) {
      return FailedPrecondition("the account already has " + std::to_string(kMaxSecretsPerAccount) +
                                " secrets");
    }
    ASSIGN_OR_RETURN(auto taken, tx.Query("SELECT 1 FROM secrets WHERE account_id = ? AND name = ?",
                                          {account_id, name}));
    if (!taken.empty()) return AlreadyExists("a secret named '" + name + "' already exists");
    int64_t now = ToUnix(clock_.Now());
    std::string id = NewId("sec");
    Wiped plain{SealedJson(write.value)};
    ASSIGN_OR_RETURN(Bytes sealed, envelope_.Seal(tx, account_id, kSecretKind, name, plain.text));
    RETURN_IF_ERROR(
        tx.Execute("INSERT INTO secrets (id, account_id, name, type, sealed, masked,"
                   " allowed_hosts, version, created_at, updated_at)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                   {id, account_id, name, std::string(SecretTypeName(write.type)), sealed,
                    MaskedText(write.type, write.value), HostsJson(*write.allowed_hosts), now, now})
            .status());
    AuditEvent event = AuditEvent::For(ctx, account_id, "secret.create", id);
    event.details = {{"name", name}, {"type", std::string(SecretTypeName(write.type))}};
    RETURN_IF_ERROR(audit_.Append(tx, std::move(event)).status());
    ASSIGN_OR_RETURN(
        auto rows,
        tx.Query(std::string("SELECT ") + kSecretColumns + " FROM secrets WHERE id = ?", {id}));
    return SecretFromRow(rows[0]);
  });
}

Result<std::vector<SecretInfo>> CredentialService::ListSecrets(const std::string& account_id) {
  ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kSecretColumns +
                                            " FROM secrets WHERE account_id = ? ORDER BY name",
                                        {account_id}));
  std::vector<SecretInfo> out;
  for (const Row& row : rows) out.push_back(SecretFromRow(row));
  return out;
}

Result<SecretInfo> CredentialService::GetSecret(const std::string& account_id,
                                                const std::string& name) {
  ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kSecretColumns +
                                            " FROM secrets WHERE account_id = ? AND name = ?",
                                        {account_id, name}));
  if (rows.empty()) return NotFound("secret not found");
  return SecretFromRow(rows[0]);
}

Result<SecretInfo> CredentialService::ReplaceSecret(const std::string& account_id,
                                                    const std::string& name,
                                                    const SecretWrite& write,
                                                    const AuditContext& ctx) {
  if (write.allowed_hosts) RETURN_IF_ERROR(CheckHosts(*write.allowed_hosts, "allowedHosts"));
  RETURN_IF_ERROR(CheckSecretValue(write.type, write.value));
  auto replaced = TransactionValue<SecretInfo>(db_, [&](SqlExecutor& tx) -> Result<SecretInfo> {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT id, allowed_hosts FROM secrets"
                                         " WHERE account_id = ? AND name = ?",
                                         {account_id, name}));
    if (rows.empty()) return NotFound("secret not found");
    std::string id = rows[0].Text(0);
    std::string hosts = write.allowed_hosts ? HostsJson(*write.allowed_hosts) : rows[0].Text(1);
    Wiped plain{SealedJson(write.value)};
    ASSIGN_OR_RETURN(Bytes sealed, envelope_.Seal(tx, account_id, kSecretKind, name, plain.text));
    RETURN_IF_ERROR(
        tx.Execute("UPDATE secrets SET type = ?, sealed = ?, masked = ?,"
                   " allowed_hosts = ?, version = version + 1, updated_at = ?"
                   " WHERE id = ?",
                   {std::string(SecretTypeName(write.type)), sealed,
                    MaskedText(write.type, write.value), hosts, ToUnix(clock_.Now()), id})
            .status());
    ASSIGN_OR_RETURN(
        auto updated,
        tx.Query(std::string("SELECT ") + kSecretColumns + " FROM secrets WHERE id = ?", {id}));
    SecretInfo info = SecretFromRow(updated[0]);
    AuditEvent event = AuditEvent::For(ctx, account_id, "secret.update", id);
    event.details = {{"name", name},
                     {"type", std::string(SecretTypeName(write.type))},
                     {"version", std::to_string(info.version)}};
    RETURN_IF_ERROR(audit_.Append(tx, std::move(event)).status());
    return info;
  });
  ForgetAccount(account_id);  // the proxy uses the new version at once
  return replaced;
}

Status CredentialService::DeleteSecret(const std::string& account_id, const std::string& name,
                                       const AuditContext& ctx) {
  Status deleted = db_.Transaction([&](SqlExecutor& tx) -> Status {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT id FROM secrets WHERE account_id = ? AND name = ?",
                                         {account_id, name}));
    if (rows.empty()) return NotFound("secret not found");
    RETURN_IF_ERROR(tx.Execute("DELETE FROM secrets WHERE id = ?", {rows[0].Text(0)}).status());
    AuditEvent event = AuditEvent::For(ctx, account_id, "secret.delete", rows[0].Text(0));
    event.details = {{"name", name}};
    return audit_.Append(tx, std::move(event)).status();
  });
  ForgetAccount(account_id);
  return deleted;
}

void CredentialService::ForgetAccount(const std::string& account_id) {
  std::string prefix = account_id + '\n';
  cache_.Forget(
      [&](const std::string& key, const StoredCredential&) { return key.starts_with(prefix); });
}

Result<std::shared_ptr<const CredentialService::StoredCredential>> CredentialService::Read(
    const std::string& account_id, const std::string& name) {
  auto stored = std::make_shared<StoredCredential>();
  if (const ProviderInfo* p = FindProvider(name)) {
    ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT sealed, allowed_hosts FROM provider_credentials"
                                          " WHERE account_id = ? AND provider = ?",
                                          {account_id, name}));
    if (rows.empty()) return NotFound("no credential named '" + name + "'");
    stored->provider = p;
    stored->sealed = rows[0].Blob(0);
    stored->allowed_hosts = rows[0].IsNull(1) ? p->hosts : HostsFromJson(rows[0].Text(1));
    return std::shared_ptr<const StoredCredential>(std::move(stored));
  }
  ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT type, sealed, allowed_hosts FROM secrets"
                                        " WHERE account_id = ? AND name = ?",
                                        {account_id, name}));
  if (rows.empty()) return NotFound("no credential named '" + name + "'");
  auto type = ParseSecretType(rows[0].Text(0));
  if (!type) return DataLoss("stored secret has an unknown type");
  stored->type = *type;
  stored->sealed = rows[0].Blob(1);
  stored->allowed_hosts = HostsFromJson(rows[0].Text(2));
  return std::shared_ptr<const StoredCredential>(std::move(stored));
}

Result<Injection> CredentialService::Resolve(const std::string& account_id,
                                             const std::string& name) {
  ASSIGN_OR_RETURN(
      std::shared_ptr<const StoredCredential> stored,
      cache_.Get(account_id + '\n' + name, clock_.Now(), [&] { return Read(account_id, name); }));
  Injection inj;
  inj.allowed_hosts = stored->allowed_hosts;
  if (const ProviderInfo* p = stored->provider) {
    ASSIGN_OR_RETURN(SecretBytes key,
                     envelope_.Open(db_, account_id, kProviderKind, name, AsView(stored->sealed)));
    std::string value(key.view());
    inj.secrets.push_back(value);
    inj.headers.emplace_back(p->header, p->bearer ? "Bearer " + value : value);
    SecureWipe(value.data(), value.size());
    return inj;
  }
  ASSIGN_OR_RETURN(SecretBytes plain,
                   envelope_.Open(db_, account_id, kSecretKind, name, AsView(stored->sealed)));
  ASSIGN_OR_RETURN(SecretValue v, ParseSealed(plain.view()));
  switch (stored->type) {
    case SecretType::kApiKey:
      inj.secrets.push_back(v.value);
      inj.headers.emplace_back("Authorization", "Bearer " + v.value);
      break;
    case SecretType::kBasicAuth: {
      Wiped pair{v.username + ":" + v.password};
      std::string encoded = Base64Encode(pair.text);
      inj.secrets.push_back(v.password);
      if (v.username.size() >= 8) inj.secrets.push_back(v.username);
      inj.secrets.push_back(encoded);
      inj.headers.emplace_back("Authorization", "Basic " + encoded);
      SecureWipe(encoded.data(), encoded.size());
      break;
    }
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

Status CredentialService::RecordUses(SqlExecutor& tx, const std::string& account_id,
                                     const std::string& name, int64_t count, TimePoint last_used) {
  const char* sql = FindProvider(name)
                        ? "UPDATE provider_credentials SET last_used_at = ?, use_count ="
                          " use_count + ? WHERE account_id = ? AND provider = ?"
                        : "UPDATE secrets SET last_used_at = ?, use_count = use_count + ?"
                          " WHERE account_id = ? AND name = ?";
  return tx.Execute(sql, {ToUnix(last_used), count, account_id, name}).status();
}

}  // namespace latchkey
