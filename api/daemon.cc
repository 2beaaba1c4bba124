#include "api/daemon.h"

#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "api/app.h"
#include "api/http_server.h"
#include "common/audit_log.h"
#include "common/audit_writer.h"
#include "common/envelope.h"
#include "common/ids.h"
#include "common/master_keys.h"
#include "common/migrations.h"
#include "common/postgres_database.h"
#include "common/scheduler.h"
#include "common/sqlite_database.h"
#include "common/strings.h"
#include "common/worker_pool.h"
#include "services/accounts/accounts.h"
#include "services/accounts/admin_key.h"
#include "services/accounts/api_keys.h"
#include "services/certificates/certificates.h"
#include "services/certificates/key_pool.h"
#include "services/certificates/tokens.h"
#include "services/credentials/credentials.h"
#include "services/oauth/oauth.h"
#include "services/oauth/refresh_scheduler.h"
#include "services/proxy/proxy.h"

namespace latchkey {
namespace {

// The built-in OAuth registry with the operator's providers file applied.
Result<OAuthProviders> LoadOAuthProviders(const std::string& path) {
  if (path.empty()) return OAuthProviders::BuiltIn();
  std::ifstream in(path);
  if (!in) return InvalidArgument("--oauth-providers-file: cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return OAuthProviders::WithOverrides(text.str());
}

// postgresql://user:secret@host/db -> postgresql://user:***@host/db
std::string RedactedUrl(const std::string& url) {
  size_t scheme = url.find("://");
  size_t at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

int ConfigError(const std::string& message) {
  std::fprintf(stderr, "latchkeyd: %s\n", message.c_str());
  return 2;
}

// Storage and keys, opened and migrated.
struct Storage {
  std::unique_ptr<Database> db;
  std::optional<MasterKeyring> keys;
  std::string db_path;
  std::string key_source;
};

Status OpenStorage(const Config& config, const Clock& clock, Storage* out, bool allow_create_key) {
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return InvalidArgument("cannot create data dir " + config.data_dir + ": " + ec.message());
  chmod(config.data_dir.c_str(), 0700);
  if (!config.database_url.empty()) {
    // Every replica must seal and open with the same keys: no local key file.
    if (!config.master_keys) {
      return InvalidArgument(
          "--database-url needs LATCHKEY_MASTER_KEYS (the same on every replica)");
    }
    out->db_path = RedactedUrl(config.database_url);
    auto pg = PostgresDatabase::Open(PostgresOptions{config.database_url, config.database_pool});
    if (!pg.ok()) return Unavailable("cannot connect to " + out->db_path);
    out->db = std::move(*pg);
  } else {
    out->db_path = config.data_dir + "/latchkey.db";
    ASSIGN_OR_RETURN(out->db, SqliteDatabase::Open(SqliteOptions{out->db_path, 4, 5000}));
  }
  Database& db = *out->db;
  RETURN_IF_ERROR(ApplyMigrations(db, "envelope", Envelope::Migrations()));
  RETURN_IF_ERROR(ApplyMigrations(db, "audit", AuditLog::Migrations()));
  RETURN_IF_ERROR(ApplyMigrations(db, "accounts", AccountService::Migrations()));
  RETURN_IF_ERROR(ApplyMigrations(db, "api_keys", ApiKeyService::Migrations()));
  RETURN_IF_ERROR(ApplyMigrations(db, "admin", AdminKey::Migrations()));
  RETURN_IF_ERROR(ApplyMigrations(db, "certificates", CertificateService::Migrations()));
  RETURN_IF_ERROR(ApplyMigrations(db, "credentials", CredentialService::Migrations()));
  RETURN_IF_ERROR(OAuthService::Migrate(db));

  std::string key_file = config.data_dir + "/master.key";
  if (config.master_keys) {
    auto ring = MasterKeyring::Parse(*config.master_keys);
    if (!ring.ok()) return InvalidArgument("LATCHKEY_MASTER_KEYS: " + ring.status().message());
    out->keys = std::move(*ring);
    out->key_source = "LATCHKEY_MASTER_KEYS";
  } else if (std::filesystem::exists(key_file)) {
    auto ring = MasterKeyring::LoadFile(key_file);
    if (!ring.ok()) return InvalidArgument(ring.status().message());
    out->keys = std::move(*ring);
    out->key_source = key_file;
  } else {
    ASSIGN_OR_RETURN(int64_t data_keys, Envelope::CountDataKeys(db));
    if (data_keys > 0) {
      return InvalidArgument(
          "the database holds sealed data but no master key is configured: set "
          "LATCHKEY_MASTER_KEYS or restore " +
          key_file);
    }
    if (!allow_create_key) return InvalidArgument("no master key configured");
    auto ring = MasterKeyring::CreateFile(key_file);
    if (!ring.ok()) return InvalidArgument(ring.status().message());
    out->keys = std::move(*ring);
    out->key_source = key_file + " (generated now)";
  }
  Envelope envelope(db, *out->keys, clock);
  ASSIGN_OR_RETURN(auto missing, envelope.MissingMasterKeys());
  if (!missing.empty()) {
    std::string ids;
    for (const auto& id : missing) ids += (ids.empty() ? "" : ", ") + id;
    return InvalidArgument("master key(s) " + ids +
                           " wrap existing data keys but are not configured");
  }
  return Status::Ok();
}

}  // namespace

int RunServer(const Config& config) {
  Logger logger(stderr, config.log_level);
  SystemClock& clock = SystemClock::Get();
  Storage storage;
  Status opened = OpenStorage(config, clock, &storage, /*allow_create_key=*/true);
  if (!opened.ok()) return ConfigError(opened.message());
  Database& db = *storage.db;

  std::optional<std::string> generated_admin;
  auto admin = AdminKey::Initialize(db, config.admin_key, &generated_admin);
  if (!admin.ok()) return ConfigError(admin.status().message());

  Envelope envelope(db, *storage.keys, clock);
  AuditLog audit(clock);
  // Before the services that queue into it, so it is destroyed after them;
  // stopped (everything committed) before the database closes.
  AuditWriter audit_writer(db, audit);
  ApiKeyOptions api_key_options;
  api_key_options.writer = &audit_writer;
  ApiKeyService api_keys(db, audit, clock, api_key_options);
  AccountService accounts(db, envelope, audit, api_keys, clock);
  for (const auto& table : CertificateService::OwnedTables()) accounts.RegisterOwnedTable(table);
  KeyPool key_pool(static_cast<size_t>(config.key_pool_size));
  CertificateOptions cert_options;
  cert_options.jwks_max_age = config.jwks_max_age;
  cert_options.max_token_lifetime = config.max_token_lifetime;
  CertificateService certificates(db, envelope, audit, clock, key_pool, cert_options);
  TokenService tokens(certificates, clock);
  for (const auto& table : CredentialService::OwnedTables()) accounts.RegisterOwnedTable(table);
  CredentialService credentials(db, envelope, audit, clock, &audit_writer);
  accounts.OnDeleted([&credentials](const std::string& id) { credentials.ForgetAccount(id); });
  auto oauth_providers = LoadOAuthProviders(config.oauth_providers_file);
  if (!oauth_providers.ok()) return ConfigError(oauth_providers.status().message());
  for (const auto& table : OAuthService::OwnedTables()) accounts.RegisterOwnedTable(table);
  OAuthTokenOptions oauth_options;
  oauth_options.refresh_margin = config.oauth_refresh_margin;
  oauth_options.lease = config.oauth_refresh_lease;
  oauth_options.owner = NewId("own");
  oauth_options.uses_writer = &audit_writer;  // this process, in the leases it takes
  // A token request must end before its lease does, or another replica
  // could refresh the same token meanwhile.
  TokenEndpointOptions endpoint_options;
  endpoint_options.total_timeout = std::min<std::chrono::milliseconds>(
      endpoint_options.total_timeout, config.oauth_refresh_lease * 2 / 3);
  endpoint_options.connect_timeout =
      std::min(endpoint_options.connect_timeout, endpoint_options.total_timeout);
  OAuthService oauth(db, envelope, audit, clock, std::move(*oauth_providers), oauth_options,
                     endpoint_options);
  CredentialRouter proxy_credentials(credentials);
  proxy_credentials.Add(kOAuthCredentialPrefix, oauth.credentials);
  ProxyOptions proxy_options;
  auto addresses = AddressPolicy::Parse(config.proxy_allow_private);
  if (!addresses.ok()) return ConfigError("--proxy-allow-private: " + addresses.status().message());
  proxy_options.addresses = *addresses;
  proxy_options.allow_http_hosts = config.proxy_allow_http;
  proxy_options.connect_timeout = config.proxy_connect_timeout;
  proxy_options.total_timeout = config.proxy_timeout;
  proxy_options.max_body_bytes = config.max_body_bytes;
  ProxyService proxy(proxy_credentials, audit_writer, clock, proxy_options);
  Scheduler scheduler(clock, [&logger](const std::string& job, const std::string& what) {
    logger.Error("job_failed", {{"job", job}, {"what", what}});
  });
  scheduler.Every("certificates.maintenance", config.maintenance_interval, [&] {
    auto report = certificates.RunMaintenance();
    if (!report.ok()) {
      logger.Error("certificate_maintenance_failed", {{"status", report.status().ToString()}});
    } else if (report->expired > 0 || report->rotated > 0) {
      logger.Info("certificate_maintenance",
                  {{"expired", report->expired}, {"rotated", report->rotated}});
    }
  });

  scheduler.Every("auth.denials.flush", ApiKeyService::kDenialWindow,
                  [&] { api_keys.FlushDenials(); });
  scheduler.Every("oauth.sessions.purge", std::chrono::seconds(3600), [&] {
    auto purged = oauth.flows.PurgeExpiredSessions();
    if (!purged.ok())
      logger.Error("oauth_session_purge_failed", {{"status", purged.status().ToString()}});
  });
  RefreshScheduler refresher(oauth.tokens, clock, [&logger](const Status& s) {
    logger.Error("oauth_refresh_pass_failed", {{"status", s.ToString()}});
  });

  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  HttpServerOptions server_options;
  server_options.host = config.host;
  server_options.port = config.port;
  server_options.threads = config.threads;
  server_options.max_body_bytes = config.max_body_bytes;
  server_options.header_timeout = config.header_timeout;
  server_options.body_timeout = config.body_timeout;
  server_options.keepalive_timeout = config.keepalive_timeout;
  server_options.max_streams = config.proxy_streams;
  server_options.longest_exchange =
      std::max<std::chrono::milliseconds>(config.proxy_timeout, std::chrono::minutes(2));
  server_options.max_connections = config.max_connections;
  server_options.max_connections_per_address = config.max_connections_per_address;

  AppOptions app_options;
  app_options.max_body_bytes = config.max_body_bytes;
  app_options.rate_limits.per_key = {config.rate_limit_per_key, 2 * config.rate_limit_per_key};
  app_options.rate_limits.per_address = {config.rate_limit_per_address,
                                         2 * config.rate_limit_per_address};
  app_options.rate_limits.auth_failures = {config.auth_failure_limit / 60,
                                           config.auth_failure_limit};
  for (std::string_view cidr : SplitList(config.trusted_proxies)) {
    app_options.trusted_proxies.push_back(*Cidr::Parse(cidr));
  }
  // The public URL is known only after binding when the port is 0; the App
  // reads it lazily through this string, filled in before serving requests.
  std::string host_for_url =
      config.host.find(':') != std::string::npos ? "[" + config.host + "]" : config.host;
  app_options.public_url = config.public_url;
  WorkerPool workers(config.workers, static_cast<size_t>(config.worker_queue));
  AppServices services{db,           accounts,     api_keys,     audit,       *admin, logger,
                       certificates, tokens,       key_pool,     credentials, proxy,  oauth.clients,
                       oauth.flows,  oauth.tokens, audit_writer, &workers};
  App app(services, app_options);
  HttpServer server(app, logger, server_options);
  std::string base;
  // With port 0 the default public URL is known only once bound; it is set
  // before the server handles any request.
  Status started = server.Start([&](uint16_t port) {
    base = "http://" + host_for_url + ":" + std::to_string(port);
    if (config.public_url.empty()) app.SetPublicUrl(base);
  });
  if (!started.ok()) return ConfigError(started.message());
  scheduler.Start();
  key_pool.Start();
  refresher.Start();

  std::printf("listening on %s\n", base.c_str());
  std::printf("data: %s (master key from %s)\n", storage.db_path.c_str(),
              storage.key_source.c_str());
  if (generated_admin) {
    std::printf("admin key (shown once, store it now): %s\n", generated_admin->c_str());
    std::printf("try: curl -s -H 'Authorization: Bearer <admin key>' %s/admin/accounts\n",
                base.c_str());
  }
  std::fflush(stdout);
  logger.Info("started",
              {{"address", base}, {"data_dir", config.data_dir}, {"replica", oauth_options.owner}});

  int sig = 0;
  sigwait(&stop_signals, &sig);
  logger.Info("stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  int left = server.Shutdown(config.shutdown_grace);
  workers.Stop();
  refresher.Stop();
  scheduler.Stop();
  key_pool.Stop();
  // The last audit records (proxy calls, denials) go in before the
  // database closes.
  api_keys.FlushDenials(/*all=*/true);
  if (!audit_writer.Sync().ok()) logger.Error("audit_records_unwritten", {});
  audit_writer.Stop();
  db.Close();
  logger.Info("stopped", {{"unfinished_requests", left}});
  return 0;
}

int RunRewrap(const Config& config) {
  SystemClock& clock = SystemClock::Get();
  Storage storage;
  Status opened = OpenStorage(config, clock, &storage, /*allow_create_key=*/false);
  if (!opened.ok()) return ConfigError(opened.message());
  Envelope envelope(*storage.db, *storage.keys, clock);
  auto count = envelope.RewrapAll();
  if (!count.ok()) {
    std::fprintf(stderr, "latchkeyd: rewrap failed, nothing changed: %s\n",
                 count.status().message().c_str());
    return 1;
  }
  std::printf("rewrapped %lld data keys under master key %s\n", static_cast<long long>(*count),
              storage.keys->active_id().c_str());
  storage.db->Close();
  return 0;
}

}  // namespace latchkey
