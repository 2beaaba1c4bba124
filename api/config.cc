#include "api/config.h"

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "api/params.h"
#include "common/hosts.h"
#include "common/strings.h"
#include "services/proxy/address_policy.h"

namespace latchkey {

Status ParseListen(const std::string& text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return InvalidArgument("--listen must be HOST:PORT, got '" + text + "'");
  }
  std::string h = text.substr(0, colon);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  auto p = ParseInt64(text.substr(colon + 1));
  if (!p || *p < 0 || *p > 65535) {
    return InvalidArgument("--listen port must be 0-65535, got '" + text.substr(colon + 1) + "'");
  }
  *host = h;
  *port = static_cast<uint16_t>(*p);
  return Status::Ok();
}

namespace {

std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

}  // namespace

Result<Config> ParseConfig(int argc, char** argv, int* exit_code) {
  Config config;
  CLI::App app{"latchkeyd: PKI and OAuth credential authority for AI agents and backends"};
  std::string listen = "127.0.0.1:8080";
  std::string log_level = "info";
  int64_t max_body = 1 << 20, header_ms = 10000, body_ms = 30000, keepalive_ms = 60000,
          grace_ms = 10000;
  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0 picks one)")
      ->envname("LATCHKEY_LISTEN");
  app.add_option("--data-dir", config.data_dir, "Directory for the SQLite database and master.key")
      ->envname("LATCHKEY_DATA_DIR");
  app.add_option("--threads", config.threads, "Network threads (they never wait; see --workers)")
      ->envname("LATCHKEY_THREADS");
  app.add_option("--public-url", config.public_url, "Base URL for issuer and redirect URLs")
      ->envname("LATCHKEY_PUBLIC_URL");
  app.add_option("--log-level", log_level, "debug, info, warn or error")
      ->envname("LATCHKEY_LOG_LEVEL");
  app.add_option("--max-body-bytes", max_body, "Largest accepted request body")
      ->envname("LATCHKEY_MAX_BODY_BYTES");
  app.add_option("--header-timeout-ms", header_ms, "Time allowed to receive request headers")
      ->envname("LATCHKEY_HEADER_TIMEOUT_MS");
  app.add_option("--body-timeout-ms", body_ms, "Time allowed to receive a request body")
      ->envname("LATCHKEY_BODY_TIMEOUT_MS");
  app.add_option("--keepalive-timeout-ms", keepalive_ms, "Idle keep-alive connection lifetime")
      ->envname("LATCHKEY_KEEPALIVE_TIMEOUT_MS");
  app.add_option("--shutdown-grace-ms", grace_ms, "Time in-flight requests get on SIGTERM")
      ->envname("LATCHKEY_SHUTDOWN_GRACE_MS");
  int64_t pool = 4, jwks_max_age = 300, max_lifetime = 3600, maintenance = 10;
  app.add_option("--key-pool-size", pool, "RSA-2048 keys kept pre-generated (0 disables)")
      ->envname("LATCHKEY_KEY_POOL_SIZE");
  app.add_option("--jwks-max-age", jwks_max_age,
                 "Seconds clients may cache a JWKS; rotated keys are published this far ahead")
      ->envname("LATCHKEY_JWKS_MAX_AGE");
  app.add_option("--max-token-lifetime", max_lifetime, "Longest expiresIn POST /tokens accepts")
      ->envname("LATCHKEY_MAX_TOKEN_LIFETIME");
  app.add_option("--maintenance-interval", maintenance,
                 "Seconds between key expiry and rotation checks")
      ->envname("LATCHKEY_MAINTENANCE_INTERVAL");
  std::string allow_http, allow_private;
  int64_t proxy_connect_ms = 10000, proxy_ms = 300000, proxy_streams = 1024;
  app.add_option("--proxy-allow-http", allow_http,
                 "HOST[,HOST]: hosts the proxy may reach over plain http (local testing)")
      ->envname("LATCHKEY_PROXY_ALLOW_HTTP");
  app.add_option("--proxy-allow-private", allow_private,
                 "CIDR[,CIDR]: private/loopback ranges the proxy may connect to")
      ->envname("LATCHKEY_PROXY_ALLOW_PRIVATE");
  app.add_option("--proxy-connect-timeout-ms", proxy_connect_ms, "Upstream connect timeout")
      ->envname("LATCHKEY_PROXY_CONNECT_TIMEOUT_MS");
  app.add_option("--proxy-timeout-ms", proxy_ms, "Upstream exchange timeout, start to last byte")
      ->envname("LATCHKEY_PROXY_TIMEOUT_MS");
  app.add_option("--proxy-streams", proxy_streams, "Proxied requests served at once")
      ->envname("LATCHKEY_PROXY_STREAMS");
  int64_t database_pool = 8;
  app.add_option("--database-url", config.database_url,
                 "postgresql://... to share one PostgreSQL among replicas (default: SQLite)")
      ->envname("LATCHKEY_DATABASE_URL");
  app.add_option("--database-pool", database_pool, "PostgreSQL connections per process")
      ->envname("LATCHKEY_DATABASE_POOL");
  int64_t oauth_margin = 300, oauth_lease = 90;
  app.add_option(
         "--oauth-refresh-lease", oauth_lease,
         "Seconds a claim on a token refresh lasts if its replica dies (token requests time out"
         " at two thirds of it, at most 30 s)")
      ->envname("LATCHKEY_OAUTH_REFRESH_LEASE");
  app.add_option("--oauth-providers-file", config.oauth_providers_file,
                 "JSON file overriding built-in OAuth providers and adding generic ones")
      ->envname("LATCHKEY_OAUTH_PROVIDERS_FILE");
  app.add_option("--oauth-refresh-margin", oauth_margin,
                 "Seconds before expiry OAuth tokens are refreshed (at most half their lifetime)")
      ->envname("LATCHKEY_OAUTH_REFRESH_MARGIN");
  app.add_option("--max-connections", config.max_connections, "Open connections at once")
      ->envname("LATCHKEY_MAX_CONNECTIONS");
  app.add_option("--max-connections-per-address", config.max_connections_per_address,
                 "Open connections at once from one client address")
      ->envname("LATCHKEY_MAX_CONNECTIONS_PER_ADDRESS");
  app.add_option("--rate-limit-per-key", config.rate_limit_per_key,
                 "Requests per second one API key may make, bursts of twice that (0: no limit)")
      ->envname("LATCHKEY_RATE_LIMIT_PER_KEY");
  app.add_option("--rate-limit-per-address", config.rate_limit_per_address,
                 "Requests per second to public routes from one client address, bursts of twice"
                 " that (0: no limit)")
      ->envname("LATCHKEY_RATE_LIMIT_PER_ADDRESS");
  app.add_option("--auth-failure-limit", config.auth_failure_limit,
                 "Failed authentications per minute allowed from one client address before"
                 " 429s (0: no limit)")
      ->envname("LATCHKEY_AUTH_FAILURE_LIMIT");
  app.add_option("--workers", config.workers,
                 "Threads for requests that may wait (database writes, provider calls, key"
                 " generation); the network threads never wait")
      ->envname("LATCHKEY_WORKERS");
  app.add_option("--worker-queue", config.worker_queue,
                 "Such requests waiting for a worker before new ones get 503")
      ->envname("LATCHKEY_WORKER_QUEUE");
  app.add_option("--trusted-proxies", config.trusted_proxies,
                 "CIDR[,CIDR]: reverse proxies whose X-Forwarded-For names the client")
      ->envname("LATCHKEY_TRUSTED_PROXIES");
  auto* rewrap = app.add_subcommand(
      "rewrap", "Re-wrap every account data key under the active master key, then exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    *exit_code = app.exit(e);
    return InvalidArgument("");
  } catch (const CLI::ParseError& e) {
    *exit_code = 2;
    std::string what = e.what();
    for (char& c : what) {
      if (c == '\n') c = ' ';
    }
    return InvalidArgument(what);
  }
  *exit_code = 2;
  if (rewrap->parsed()) config.command = Config::Command::kRewrap;
  RETURN_IF_ERROR(ParseListen(listen, &config.host, &config.port));
  if (config.threads < 1 || config.threads > 64) return InvalidArgument("--threads must be 1-64");
  if (!ParseLogLevel(log_level, &config.log_level)) {
    return InvalidArgument("--log-level must be debug, info, warn or error");
  }
  if (max_body < 1024 || max_body > (int64_t{64} << 20)) {
    return InvalidArgument("--max-body-bytes must be between 1024 and 67108864");
  }
  for (auto [name, ms] : {std::pair{"--header-timeout-ms", header_ms},
                          {"--body-timeout-ms", body_ms},
                          {"--keepalive-timeout-ms", keepalive_ms},
                          {"--shutdown-grace-ms", grace_ms}}) {
    if (ms < 0 || ms > 3'600'000) return InvalidArgument(std::string(name) + " must be 0-3600000");
  }
  if (header_ms == 0 || body_ms == 0 || keepalive_ms == 0) {
    return InvalidArgument("timeouts must be positive");
  }
  if (pool < 0 || pool > 64) return InvalidArgument("--key-pool-size must be 0-64");
  if (config.workers < 1 || config.workers > 1024) {
    return InvalidArgument("--workers must be 1-1024");
  }
  if (config.worker_queue < 1 || config.worker_queue > 1'000'000) {
    return InvalidArgument("--worker-queue must be 1-1000000");
  }
  if (config.max_connections < 1 || config.max_connections > 1'000'000) {
    return InvalidArgument("--max-connections must be 1-1000000");
  }
  if (config.max_connections_per_address < 1 ||
      config.max_connections_per_address > config.max_connections) {
    return InvalidArgument("--max-connections-per-address must be 1 to --max-connections");
  }
  for (auto [name, v] : {std::pair{"--rate-limit-per-key", config.rate_limit_per_key},
                         {"--rate-limit-per-address", config.rate_limit_per_address},
                         {"--auth-failure-limit", config.auth_failure_limit}}) {
    if (!(v >= 0 && v <= 1e7)) return InvalidArgument(std::string(name) + " must be 0-10000000");
  }
  for (std::string_view cidr : SplitList(config.trusted_proxies)) {
    if (!Cidr::Parse(cidr)) {
      return InvalidArgument("--trusted-proxies: '" + std::string(cidr) + "' is not a CIDR");
    }
  }
  for (auto [name, ms] : {std::pair{"--proxy-connect-timeout-ms", proxy_connect_ms},
                          {"--proxy-timeout-ms", proxy_ms}}) {
    if (ms < 1 || ms > 3'600'000) return InvalidArgument(std::string(name) + " must be 1-3600000");
  }
  if (proxy_streams < 1 || proxy_streams > 65536) {
    return InvalidArgument("--proxy-streams must be 1-65536");
  }
  config.proxy_connect_timeout = std::chrono::milliseconds(proxy_connect_ms);
  config.proxy_timeout = std::chrono::milliseconds(proxy_ms);
  config.proxy_streams = static_cast<int>(proxy_streams);
  config.proxy_allow_private = allow_private;
  for (std::string_view host : SplitList(allow_http)) {
    auto normal = NormalizeHost(host);
    if (!normal) {
      return InvalidArgument("--proxy-allow-http: '" + std::string(host) + "' is not a host");
    }
    config.proxy_allow_http.push_back(*normal);
  }
  if (jwks_max_age < 1 || jwks_max_age > 86400) {
    return InvalidArgument("--jwks-max-age must be 1-86400");
  }
  if (max_lifetime < 1 || max_lifetime > 7 * 86400) {
    return InvalidArgument("--max-token-lifetime must be 1-604800");
  }
  if (maintenance < 1 || maintenance > 3600) {
    return InvalidArgument("--maintenance-interval must be 1-3600");
  }
  if (!config.database_url.empty() && config.database_url.rfind("postgresql://", 0) != 0 &&
      config.database_url.rfind("postgres://", 0) != 0) {
    return InvalidArgument("--database-url must start with postgresql://");
  }
  if (database_pool < 1 || database_pool > 256) {
    return InvalidArgument("--database-pool must be 1-256");
  }
  config.database_pool = static_cast<int>(database_pool);
  if (oauth_margin < 0 || oauth_margin > 86400) {
    return InvalidArgument("--oauth-refresh-margin must be 0-86400");
  }
  config.oauth_refresh_margin = std::chrono::seconds(oauth_margin);
  if (oauth_lease < 2 || oauth_lease > 3600) {
    return InvalidArgument("--oauth-refresh-lease must be 2-3600");
  }
  config.oauth_refresh_lease = std::chrono::seconds(oauth_lease);
  config.key_pool_size = static_cast<int>(pool);
  config.jwks_max_age = std::chrono::seconds(jwks_max_age);
  config.max_token_lifetime = std::chrono::seconds(max_lifetime);
  config.maintenance_interval = std::chrono::seconds(maintenance);
  config.max_body_bytes = static_cast<size_t>(max_body);
  config.header_timeout = std::chrono::milliseconds(header_ms);
  config.body_timeout = std::chrono::milliseconds(body_ms);
  config.keepalive_timeout = std::chrono::milliseconds(keepalive_ms);
  config.shutdown_grace = std::chrono::milliseconds(grace_ms);
  if (!config.public_url.empty()) {
    const std::string& u = config.public_url;
    if ((u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0) || u.size() < 9) {
      return InvalidArgument("--public-url must start with http:// or https://");
    }
    while (config.public_url.size() > 8 && config.public_url.back() == '/') {
      config.public_url.pop_back();
    }
  }
  if (config.data_dir.empty()) return InvalidArgument("--data-dir must not be empty");
  config.master_keys = Env("LATCHKEY_MASTER_KEYS");
  config.admin_key = Env("LATCHKEY_ADMIN_KEY");
  *exit_code = 0;
  return config;
}

}  // namespace latchkey
