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
#include "api/dev_mode.h"
#include "api/health_probe.h"
#include "api/http_server.h"
#include "api/metrics_listener.h"
#include "api/server_metrics.h"
#include "api/storage.h"
#include "common/audit_log.h"
#include "common/audit_writer.h"
#include "common/envelope.h"
#include "common/ids.h"
#include "common/master_keys.h"
#include "common/metrics.h"
#include "common/migrations.h"
#include "common/postgres_database.h"
#include "common/scheduler.h"
#include "common/sqlite_database.h"
#include "common/strings.h"
#include "common/worker_pool.h"
#include "services/accounts/accounts.h"
#include "services/accounts/admin_key.h"
#include "services/accounts/api_keys.h"
#include "services/accounts/idempotency.h"
#include "services/certificates/certificates.h"
#include "services/certificates/key_pool.h"
#include "services/certificates/tokens.h"
#include "services/credentials/credentials.h"
#include "services/events/health.h"
#include "services/events/usage.h"
#include "services/events/webhooks.h"
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

OAuthTokenOptions OAuthTokenOptionsFrom(const Config& config, AuditWriter& writer) {
  OAuthTokenOptions o;
  o.refresh_margin = config.oauth_refresh_margin;
  o.lease = config.oauth_refresh_lease;
  o.owner = NewId("own");  // this process, in the leases it takes
  o.uses_writer = &writer;
  return o;
}

// A token request must end before its lease does, or another replica could
// refresh the same token meanwhile.
TokenEndpointOptions TokenEndpointOptionsFrom(const Config& config) {
  TokenEndpointOptions o;
  o.total_timeout =
      std::min<std::chrono::milliseconds>(o.total_timeout, config.oauth_refresh_lease * 2 / 3);
  o.connect_timeout = std::min(o.connect_timeout, o.total_timeout);
  return o;
}

ProxyOptions ProxyOptionsFrom(const Config& config, AddressPolicy addresses, UsageService& usage) {
  ProxyOptions o;
  o.admit = [&usage](const std::string& account, const std::string& credential,
                     const std::string& key) { return usage.Admit(account, credential, key); };
  o.addresses = std::move(addresses);
  o.allow_http_hosts = config.proxy_allow_http;
  o.connect_timeout = config.proxy_connect_timeout;
  o.total_timeout = config.proxy_timeout;
  o.max_body_bytes = config.max_body_bytes;
  o.metrics_per_account = config.metrics_per_account;
  return o;
}

// Webhook deliveries follow the proxy's outbound rules.
WebhookOptions WebhookOptionsFrom(const Config& config, const AddressPolicy& addresses,
                                  std::string owner) {
  WebhookOptions o;
  o.allow_http_hosts = config.proxy_allow_http;
  o.check_address = [policy = addresses](const sockaddr* address) -> std::optional<std::string> {
    IpAddress ip = IpAddress::FromSockaddr(address);
    auto reason = policy.Check(ip);
    if (!reason) return std::nullopt;
    return "the receiver resolves to " + ip.ToString() + ", a " + *reason +
           " address webhooks are not sent to";
  };
  o.owner = std::move(owner);
  return o;
}

HttpServerOptions ServerOptionsFrom(const Config& config) {
  HttpServerOptions o;
  o.host = config.host;
  o.port = config.port;
  o.threads = config.threads;
  o.max_body_bytes = config.max_body_bytes;
  o.header_timeout = config.header_timeout;
  o.body_timeout = config.body_timeout;
  o.keepalive_timeout = config.keepalive_timeout;
  o.max_streams = config.proxy_streams;
  o.longest_exchange =
      std::max<std::chrono::milliseconds>(config.proxy_timeout, std::chrono::minutes(2));
  o.max_connections = config.max_connections;
  o.max_connections_per_address = config.max_connections_per_address;
  return o;
}

AppOptions AppOptionsFrom(const Config& config) {
  AppOptions o;
  o.max_body_bytes = config.max_body_bytes;
  o.rate_limits.per_key = {config.rate_limit_per_key, 2 * config.rate_limit_per_key};
  o.rate_limits.per_address = {config.rate_limit_per_address, 2 * config.rate_limit_per_address};
  o.rate_limits.auth_failures = {config.auth_failure_limit / 60, config.auth_failure_limit};
  for (std::string_view cidr : SplitList(config.trusted_proxies)) {
    o.trusted_proxies.push_back(*Cidr::Parse(cidr));  // checked by ParseConfig
  }
  o.public_url = config.public_url;
  o.metrics_token = config.metrics_token;
  o.dev_mode = config.dev_mode;
  return o;
}

// Every service latchkeyd runs, constructed in dependency order and
// destroyed in reverse. The audit writer comes before the services that
// queue into it, so it outlives them.
struct Services {
  Services(const Config& config, Database& db, const MasterKeyring& keys, const Clock& clock,
           OAuthProviders providers, AddressPolicy addresses)
      : envelope(db, keys, clock),
        audit(clock),
        audit_writer(db, audit),
        api_keys(db, audit, clock, ApiKeyOptions{.writer = &audit_writer}),
        accounts(db, envelope, audit, api_keys, clock),
        key_pool(static_cast<size_t>(config.key_pool_size)),
        certificates(db, envelope, audit, clock, key_pool,
                     CertificateOptions{.jwks_max_age = config.jwks_max_age,
                                        .max_token_lifetime = config.max_token_lifetime}),
        tokens(certificates, clock),
        credentials(db, envelope, audit, clock, &audit_writer),
        oauth(db, envelope, audit, clock, std::move(providers),
              OAuthTokenOptionsFrom(config, audit_writer), TokenEndpointOptionsFrom(config)),
        webhooks(db, envelope, audit, clock,
                 WebhookOptionsFrom(config, addresses, oauth.tokens.options().owner)),
        usage(db, audit, clock, &audit_writer),
        health(db, audit, clock,
               HealthOptions{.interval = config.health_interval,
                             .owner = oauth.tokens.options().owner}),
        proxy_credentials(credentials),
        proxy(proxy_credentials, audit_writer, clock,
              ProxyOptionsFrom(config, std::move(addresses), usage)),
        idempotency(db, clock) {
    for (const auto& t : CertificateService::OwnedTables()) accounts.RegisterOwnedTable(t);
    for (const auto& t : CredentialService::OwnedTables()) accounts.RegisterOwnedTable(t);
    for (const auto& t : OAuthService::OwnedTables()) accounts.RegisterOwnedTable(t);
    for (const auto& t : WebhookService::OwnedTables()) accounts.RegisterOwnedTable(t);
    for (const auto& t : UsageService::OwnedTables()) accounts.RegisterOwnedTable(t);
    for (const auto& t : HealthService::OwnedTables()) accounts.RegisterOwnedTable(t);
    for (const auto& t : IdempotencyKeys::OwnedTables()) accounts.RegisterOwnedTable(t);
    audit.AddObserver(&webhooks);
    audit.AddObserver(&usage);
    audit.AddObserver(&health);
    accounts.OnDeleted([this](const std::string& id) { credentials.ForgetAccount(id); });
    proxy_credentials.Add(kOAuthCredentialPrefix, oauth.credentials);
    health.set_prober(ProxyProber(proxy));
  }

  // The outbox goes before the services that observe the log do.
  ~Services() { audit.ClearObservers(); }

  Envelope envelope;
  AuditLog audit;
  AuditWriter audit_writer;
  ApiKeyService api_keys;
  AccountService accounts;
  KeyPool key_pool;
  CertificateService certificates;
  TokenService tokens;
  CredentialService credentials;
  OAuthService oauth;
  WebhookService webhooks;
  UsageService usage;
  HealthService health;
  CredentialRouter proxy_credentials;
  ProxyService proxy;
  IdempotencyKeys idempotency;  // for its purge (the App has its own)
};

void ScheduleJobs(Scheduler& scheduler, Services& s, Logger& logger, const Config& config) {
  scheduler.Every("certificates.maintenance", config.maintenance_interval, [&s, &logger] {
    auto report = s.certificates.RunMaintenance();
    if (!report.ok()) {
      logger.Error("certificate_maintenance_failed", {{"status", report.status().ToString()}});
    } else if (report->expired > 0 || report->rotated > 0) {
      logger.Info("certificate_maintenance",
                  {{"expired", report->expired}, {"rotated", report->rotated}});
    }
  });
  scheduler.Every("usage.purge", std::chrono::seconds(3600), [&s, &logger] {
    if (auto purged = s.usage.Purge(); !purged.ok()) {
      logger.Error("usage_purge_failed", {{"status", purged.status().ToString()}});
    }
  });
  scheduler.Every("idempotency.purge", std::chrono::seconds(3600), [&s, &logger] {
    if (auto purged = s.idempotency.Purge(); !purged.ok()) {
      logger.Error("idempotency_purge_failed", {{"status", purged.status().ToString()}});
    }
  });
  scheduler.Every("auth.denials.flush", ApiKeyService::kDenialWindow,
                  [&s] { s.api_keys.FlushDenials(); });
  scheduler.Every("oauth.sessions.purge", std::chrono::seconds(3600), [&s, &logger] {
    auto purged = s.oauth.flows.PurgeExpiredSessions();
    if (!purged.ok()) {
      logger.Error("oauth_session_purge_failed", {{"status", purged.status().ToString()}});
    }
  });
}

// "[::1]" for an IPv6 address, as a URL spells it.
std::string UrlHost(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// A rotated admin key (latchkeyd admin-key rotate) takes effect here.
void ScheduleAdminKeyReload(Scheduler& scheduler, const AdminKey& admin, Database& db,
                            Logger& logger, const Config& config) {
  scheduler.Every("admin_key.reload", config.maintenance_interval, [&admin, &db, &logger] {
    if (Status s = admin.Reload(db); !s.ok()) {
      logger.Error("admin_key_reload_failed", {{"status", s.ToString()}});
    }
  });
}

// Webhook attempts and health checks wait on other servers (up to 10 and
// 15 s each), so each runs on a scheduler of its own, never delaying the
// jobs above or each other.
void ScheduleDeliveries(Scheduler& deliveries, Scheduler& checks, Services& s, Logger& logger) {
  checks.Every("health.check", std::chrono::seconds(30), [&s, &logger] {
    if (auto made = s.health.RunDue(); !made.ok()) {
      logger.Error("health_check_pass_failed", {{"status", made.status().ToString()}});
    }
  });
  deliveries.Every("webhooks.deliver", std::chrono::seconds(1), [&s, &logger] {
    auto made = s.webhooks.DeliverDue();
    if (!made.ok()) {
      logger.Error("webhook_delivery_pass_failed", {{"status", made.status().ToString()}});
    }
  });
}

// SIGTERM and SIGINT are blocked in every thread (started after this); the
// main thread waits for them. A peer that hangs up must not kill us.
sigset_t BlockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return stop_signals;
}

std::string Joined(const std::vector<std::string>& items, const std::string& none) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? none : out;
}

// What this process runs with, one fact per line, before the data: line.
std::vector<std::string> SettingsLines(const Config& config, const OAuthProviders& providers) {
  std::vector<std::string> ids, changed;
  for (const auto& p : providers.all()) ids.push_back(p.id);
  for (const auto& id : providers.from_file()) {
    bool built_in = OAuthProviders::BuiltIn().Find(id) != nullptr;
    changed.push_back(id + (built_in ? " (overrides the built-in)" : " (added)"));
  }
  std::string file = config.oauth_providers_file.empty()
                         ? "built in"
                         : config.oauth_providers_file + ": " + Joined(changed, "no entries");
  std::string http = config.proxy_allow_http.empty()
                         ? "https only (--proxy-allow-http widens)"
                         : "plain http too to " + Joined(config.proxy_allow_http, "");
  std::string ranges = config.proxy_allow_private.empty()
                           ? "public addresses only (--proxy-allow-private widens)"
                           : "private addresses too in " + config.proxy_allow_private;
  std::string database = config.database_url.empty()
                             ? "SQLite, " + std::to_string(kSqliteConnections) + " connections"
                             : "PostgreSQL, pool " + std::to_string(config.database_pool);
  return {"oauth providers: " + Joined(ids, "none") + " (" + file + ")",
          "proxy: " + http + "; " + ranges,
          "capacity: " + std::to_string(config.workers) + " workers (queue " +
              std::to_string(config.worker_queue) + "); " + database + "; " +
              std::to_string(config.key_pool_size) + " RSA keys pre-generated"};
}

// Every line ends in [DEV MODE] under `latchkeyd dev`.
void PrintStarted(const Config& config, const std::string& base, const Storage& storage,
                  const OAuthProviders& providers,
                  const std::optional<std::string>& generated_admin) {
  const std::string& public_url = config.public_url.empty() ? base : config.public_url;
  std::vector<std::string> lines = {
      std::string("latchkeyd ") + LATCHKEY_VERSION, "listening on " + base,
      "public URL: " + public_url +
          " (OAuth redirect URI to register with providers: " + public_url + "/auth/callback)"};
  for (std::string& line : SettingsLines(config, providers)) lines.push_back(std::move(line));
  lines.push_back("data: " + storage.db_path + " (master key from " + storage.key_source + ")");
  if (generated_admin) {
    lines.push_back("admin key (shown once, store it now): " + *generated_admin);
    lines.push_back("try: curl -s -H 'Authorization: Bearer <admin key>' " + base +
                    "/admin/accounts");
  } else if (!config.admin_key) {
    std::string storage_flag = config.database_url.empty() ? "--data-dir " + config.data_dir
                                                           : "--database-url " + storage.db_path;
    lines.push_back(
        "admin: the key printed at the first start; lost it? `latchkeyd admin-key "
        "rotate " +
        storage_flag + "` prints a new one");
  }
  for (const std::string& line : lines) {
    std::printf("%s%s\n", line.c_str(), config.dev_mode ? " [DEV MODE]" : "");
  }
  std::fflush(stdout);
}

// `latchkeyd dev`: the account and keys to try it with (api/dev_mode.h).
// False (and why on stderr) when they could not be made: dev mode then
// stops at once.
bool SetUpDev(const Config& config, const std::string& base,
              const std::optional<std::string>& generated_admin, Logger& logger) {
  Status ready = generated_admin ? BootstrapDev(base, *generated_admin, config.data_dir)
                                 : FailedPrecondition("no admin key was generated");
  if (!ready.ok()) logger.Error("dev_setup_failed", {{"status", ready.ToString()}});
  return ready.ok();
}

// The last audit records (denials still counted, queued events), then the
// database.
void FinishWrites(Services& s, Database& db, Logger& logger) {
  s.api_keys.FlushDenials(/*all=*/true);
  if (Status written = s.audit_writer.Stop(); !written.ok()) {
    logger.Error("audit_records_unwritten", {{"status", written.ToString()}});
  }
  db.Close();
}

// Until SIGTERM or SIGINT; at once when startup is not `ready`.
void WaitForStop(bool ready, const sigset_t& stop_signals, Logger& logger) {
  if (!ready) {
    logger.Info("stopping", {{"reason", "dev mode setup failed"}});
    return;
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  logger.Info("stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
}

// Serves until SIGTERM or SIGINT, then stops in order: no new requests,
// in-flight ones finish (up to the grace), background work stops, the last
// audit records are written, the database closes.

int Serve(const Config& config, Storage& storage, const AdminKey& admin,
          const std::optional<std::string>& generated_admin, Services& s, Logger& logger,
          const sigset_t& stop_signals) {
  Database& db = *storage.db;
  auto job_failed = [&logger](const std::string& job, const std::string& what) {
    logger.Error("job_failed", {{"job", job}, {"what", what}});
  };
  Scheduler scheduler(SystemClock::Get(), job_failed);
  Scheduler deliveries(SystemClock::Get(), job_failed);
  Scheduler checks(SystemClock::Get(), job_failed);
  ScheduleJobs(scheduler, s, logger, config);
  ScheduleAdminKeyReload(scheduler, admin, db, logger, config);
  ScheduleDeliveries(deliveries, checks, s, logger);
  s.oauth.flows.set_logger(&logger);  // why a callback failed
  RefreshScheduler refresher(s.oauth.tokens, SystemClock::Get(), [&logger](const Status& st) {
    logger.Error("oauth_refresh_pass_failed", {{"status", st.ToString()}});
  });
  WorkerPool workers(config.workers, static_cast<size_t>(config.worker_queue));
  RegisterServerGauges(s.key_pool, s.audit_writer, db, workers);
  MetricsListener metrics;
  if (Status m = StartMetricsListener(config, metrics); !m.ok()) return ConfigError(m.message());
  App app(AppServices{db, s.accounts, s.api_keys, s.audit, admin, logger, s.certificates, s.tokens,
                      s.key_pool, s.credentials, s.proxy, s.oauth.clients, s.oauth.flows,
                      s.oauth.tokens, s.audit_writer, s.webhooks, s.usage, s.health, &workers},
          AppOptionsFrom(config));
  HttpServer server(app, logger, ServerOptionsFrom(config));
  std::string host = UrlHost(config.host), base;
  // With port 0 the public URL is known only once bound; it is set before
  // the server handles any request.
  Status started = server.Start([&](uint16_t port) {
    base = "http://" + host + ":" + std::to_string(port);
    if (config.public_url.empty()) app.SetPublicUrl(base);
  });
  if (!started.ok()) return ConfigError(started.message());
  scheduler.Start();
  deliveries.Start(std::chrono::milliseconds(250));
  checks.Start();
  s.key_pool.Start();
  refresher.Start();
  PrintStarted(config, base, storage, s.oauth.providers, generated_admin);
  bool ready = !config.dev_mode || SetUpDev(config, base, generated_admin, logger);
  if (ready)
    logger.Info("started", {{"address", base},
                            {"data_dir", config.data_dir},
                            {"replica", s.oauth.tokens.options().owner},
                            {"mode", config.dev_mode ? "dev" : "server"}});

  WaitForStop(ready, stop_signals, logger);
  int left = server.Shutdown(config.shutdown_grace);
  metrics.Stop();
  workers.Stop();
  refresher.Stop();
  scheduler.Stop();
  deliveries.Stop();
  checks.Stop();
  s.key_pool.Stop();
  FinishWrites(s, db, logger);
  logger.Info("stopped", {{"unfinished_requests", left}});
  return ready ? 0 : 1;
}

}  // namespace

int RunServer(const Config& config) {
  // Before any thread starts (the services start some), so that every
  // thread inherits the mask and only sigwait below receives them. A stop
  // asked for during startup is therefore acted on once startup is done.
  sigset_t stop_signals = BlockStopSignals();
  Logger logger(stderr, config.log_level);
  SystemClock& clock = SystemClock::Get();
  Storage storage;
  Status opened = OpenStorage(config, clock, &storage, /*allow_create_key=*/true);
  if (!opened.ok()) return ConfigError(opened.message());
  std::optional<std::string> generated_admin;
  auto admin = AdminKey::Initialize(*storage.db, config.admin_key, &generated_admin);
  if (!admin.ok()) return ConfigError(admin.status().message());
  auto providers = LoadOAuthProviders(config.oauth_providers_file);
  if (!providers.ok()) return ConfigError(providers.status().message());
  auto addresses = AddressPolicy::Parse(config.proxy_allow_private);
  if (!addresses.ok()) return ConfigError("--proxy-allow-private: " + addresses.status().message());
  Services services(config, *storage.db, *storage.keys, clock, std::move(*providers),
                    std::move(*addresses));
  return Serve(config, storage, *admin, generated_admin, services, logger, stop_signals);
}

}  // namespace latchkey
