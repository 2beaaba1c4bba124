#include "api/config_flags.h"

#include <charconv>

#include "common/hosts.h"
#include "common/strings.h"
#include "services/proxy/address_policy.h"

namespace latchkey::config_internal {

std::string FormatNumber(double v) {
  char buf[64];
  auto end = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed).ptr;
  return std::string(buf, end);
}

std::string RangeText(const Flag& flag) {
  if (!flag.range.text.empty()) return std::string(flag.range.text);
  if (flag.range.min == flag.range.max) return "";
  return FormatNumber(flag.range.min) + "-" + FormatNumber(flag.range.max);
}

Status OutOfRange(const Flag& flag) {
  return InvalidArgument(std::string(flag.name) + " must be " + RangeText(flag));
}

namespace {

Status CheckPublicUrl(const Flag&, Config* config) {
  std::string& u = config->public_url;
  if (u.empty()) return Status::Ok();
  if ((u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0) || u.size() < 9) {
    return InvalidArgument("--public-url must start with http:// or https://");
  }
  while (u.size() > 8 && u.back() == '/') u.pop_back();
  return Status::Ok();
}

Status CheckDataDir(const Flag&, Config* config) {
  if (config->data_dir.empty()) return InvalidArgument("--data-dir must not be empty");
  return Status::Ok();
}

Status CheckDatabaseUrl(const Flag&, Config* config) {
  const std::string& u = config->database_url;
  if (!u.empty() && u.rfind("postgresql://", 0) != 0 && u.rfind("postgres://", 0) != 0) {
    return InvalidArgument("--database-url must start with postgresql://");
  }
  return Status::Ok();
}

// Its range ends at --max-connections, which comes first in the table.
Status CheckConnectionsPerAddress(const Flag& flag, Config* config) {
  if (config->max_connections_per_address > config->max_connections) return OutOfRange(flag);
  return Status::Ok();
}

Status CheckTrustedProxies(const Flag&, Config* config) {
  for (std::string_view cidr : SplitList(config->trusted_proxies)) {
    if (!Cidr::Parse(cidr)) {
      return InvalidArgument("--trusted-proxies: '" + std::string(cidr) + "' is not a CIDR");
    }
  }
  return Status::Ok();
}

constexpr Flag kServerFlags[] = {
    {"--listen", "HOST:PORT", "LATCHKEY_LISTEN", ListenAddress{}, Range("HOST:PORT or [v6]:PORT"),
     "HOST:PORT to listen on (port 0 picks one)",
     "The line `listening on http://HOST:PORT` is printed once bound."},
    {"--public-url", "URL", "LATCHKEY_PUBLIC_URL", &Config::public_url,
     Range("starts with http:// or https://"), "Base URL for issuer and redirect URLs",
     "The issuer is `{public-url}/accounts/{id}`, the OAuth callback "
     "`{public-url}/auth/callback`; a trailing `/` is dropped. Set it whenever clients reach the "
     "server by another name, e.g. behind a reverse proxy; with a wildcard `--listen` "
     "(`0.0.0.0`, `[::]`) the server refuses to start without it.",
     "`http://` + the bound address", CheckPublicUrl},
    {"--threads", "N", "LATCHKEY_THREADS", &Config::threads, Range(1, 64),
     "Network threads (they never wait; see --workers)",
     "They read and parse requests, write responses, and answer the routes served from memory "
     "(health, OpenAPI, JWKS, discovery, public keys, `POST /tokens`, `POST /tokens/verify`)."},
    {"--workers", "N", "LATCHKEY_WORKERS", &Config::workers, Range(1, 1024),
     "Threads for requests that may wait (database writes, provider calls, key generation); the "
     "network threads never wait",
     "Every route not served from memory runs on them."},
    {"--worker-queue", "N", "LATCHKEY_WORKER_QUEUE", &Config::worker_queue, Range(1, 1'000'000),
     "Such requests waiting for a worker before new ones get 503",
     "The 503 carries `Retry-After`."},
    {"--log-level", "LEVEL", "LATCHKEY_LOG_LEVEL", &Config::log_level,
     Range("debug, info, warn or error"), "Least severe level logged"},
    {"--max-body-bytes", "N", "LATCHKEY_MAX_BODY_BYTES", &Config::max_body_bytes,
     Range(1024, 64 << 20), "Largest accepted request body",
     "Larger ones get 413 before they are read (chunked ones too), also through the proxy."},
    {"--header-timeout-ms", "MS", "LATCHKEY_HEADER_TIMEOUT_MS", &Config::header_timeout,
     Range(1, 3'600'000), "Time allowed to receive request headers",
     "Then a JSON 408 and the connection is closed."},
    {"--body-timeout-ms", "MS", "LATCHKEY_BODY_TIMEOUT_MS", &Config::body_timeout,
     Range(1, 3'600'000), "Time allowed to receive a request body",
     "Then 408; a client that leaves a response unread this long is cut off."},
    {"--keepalive-timeout-ms", "MS", "LATCHKEY_KEEPALIVE_TIMEOUT_MS", &Config::keepalive_timeout,
     Range(1, 3'600'000), "Idle keep-alive connection lifetime"},
    {"--shutdown-grace-ms", "MS", "LATCHKEY_SHUTDOWN_GRACE_MS", &Config::shutdown_grace,
     Range(0, 3'600'000), "Time in-flight requests get on SIGTERM or SIGINT"},
};

constexpr Flag kStorageFlags[] = {
    {"--data-dir", "DIR", "LATCHKEY_DATA_DIR", &Config::data_dir, Range("not empty"),
     "Directory for the SQLite database and master.key",
     "Created with mode 0700; holds `latchkey.db` and, without `LATCHKEY_MASTER_KEYS`, "
     "`master.key`.",
     "", CheckDataDir},
    {"--database-url", "URL", "LATCHKEY_DATABASE_URL", &Config::database_url,
     Range("starts with postgresql:// or postgres://"),
     "postgresql://... to share one PostgreSQL among replicas (default: SQLite)",
     "`postgresql://user:pass@host:port/db`; requires `LATCHKEY_MASTER_KEYS`. The password is "
     "shown as `***` in the startup line.",
     "none (SQLite)", CheckDatabaseUrl},
    {"--database-pool", "N", "LATCHKEY_DATABASE_POOL", &Config::database_pool, Range(1, 256),
     "PostgreSQL connections per process"},
};

constexpr Flag kSigningKeyFlags[] = {
    {"--key-pool-size", "N", "LATCHKEY_KEY_POOL_SIZE", &Config::key_pool_size, Range(0, 64),
     "RSA-2048 keys kept pre-generated (0 disables)", "They are generated in the background."},
    {"--jwks-max-age", "S", "LATCHKEY_JWKS_MAX_AGE", &Config::jwks_max_age, Range(1, 86400),
     "Seconds clients may cache a JWKS; rotated keys are published this far ahead",
     "A rotation period must be at least twice this."},
    {"--max-token-lifetime", "S", "LATCHKEY_MAX_TOKEN_LIFETIME", &Config::max_token_lifetime,
     Range(1, 7 * 86400), "Longest expiresIn POST /tokens accepts",
     "Rotation overlaps must be at least this."},
    {"--maintenance-interval", "S", "LATCHKEY_MAINTENANCE_INTERVAL", &Config::maintenance_interval,
     Range(1, 3600), "Seconds between key expiry and rotation checks",
     "Expiries, retirements and due rotations are processed this often."},
};

constexpr Flag kProxyFlags[] = {
    {"--proxy-allow-http", "HOST[,HOST]", "LATCHKEY_PROXY_ALLOW_HTTP", &Config::proxy_allow_http,
     Range("host names or IP addresses"),
     "Hosts the proxy may reach over plain http (local testing)", "Everything else is https only."},
    {"--proxy-allow-private", "CIDR[,CIDR]", "LATCHKEY_PROXY_ALLOW_PRIVATE",
     &Config::proxy_allow_private, Range("CIDRs"),
     "Private/loopback ranges the proxy may connect to",
     "E.g. `127.0.0.1/32` for a local upstream."},
    {"--proxy-connect-timeout-ms", "MS", "LATCHKEY_PROXY_CONNECT_TIMEOUT_MS",
     &Config::proxy_connect_timeout, Range(1, 3'600'000), "Upstream connect timeout", "Then 504."},
    {"--proxy-timeout-ms", "MS", "LATCHKEY_PROXY_TIMEOUT_MS", &Config::proxy_timeout,
     Range(1, 3'600'000), "Upstream exchange timeout, start to last byte",
     "504 before the answer starts; the stream is cut after."},
    {"--proxy-streams", "N", "LATCHKEY_PROXY_STREAMS", &Config::proxy_streams, Range(1, 65536),
     "Proxied requests served at once",
     "Each holds a socket and its buffers, not a thread. Despite the name, requests handed to the "
     "worker pool (queued or running) count too, as their answers come back the same way; more "
     "get 503."},
};

constexpr Flag kOAuthFlags[] = {
    {"--oauth-providers-file", "FILE", "LATCHKEY_OAUTH_PROVIDERS_FILE",
     &Config::oauth_providers_file, Range("a JSON file"),
     "JSON file overriding built-in OAuth providers and adding generic ones",
     "See [below](#oauth-providers-file)."},
    {"--oauth-refresh-margin", "S", "LATCHKEY_OAUTH_REFRESH_MARGIN", &Config::oauth_refresh_margin,
     Range(0, 86400),
     "Seconds before expiry OAuth tokens are refreshed (at most half their lifetime)",
     "Minus up to a fifth as jitter."},
    {"--oauth-refresh-lease", "S", "LATCHKEY_OAUTH_REFRESH_LEASE", &Config::oauth_refresh_lease,
     Range(2, 3600),
     "Seconds a claim on a token refresh lasts if its replica dies (token requests time out at "
     "two thirds of it, at most 30 s)"},
};

constexpr Flag kLimitFlags[] = {
    {"--max-connections", "N", "LATCHKEY_MAX_CONNECTIONS", &Config::max_connections,
     Range(1, 1'000'000), "Open connections at once",
     "Past it a connection gets a 503 JSON error and is closed."},
    {"--max-connections-per-address", "N", "LATCHKEY_MAX_CONNECTIONS_PER_ADDRESS",
     &Config::max_connections_per_address, Range(1, 1'000'000, "1 to --max-connections"),
     "Open connections at once from one client address",
     "IPv6 by /64. Counted by the TCP peer, so behind a reverse proxy it applies to the proxy.", "",
     CheckConnectionsPerAddress},
    {"--rate-limit-per-key", "R", "LATCHKEY_RATE_LIMIT_PER_KEY", &Config::rate_limit_per_key,
     Range(0, 1e7), "Requests per second one API key may make, bursts of twice that (0: no limit)",
     "Then 429 with `Retry-After`; fractions allowed."},
    {"--rate-limit-per-address", "R", "LATCHKEY_RATE_LIMIT_PER_ADDRESS",
     &Config::rate_limit_per_address, Range(0, 1e7),
     "Requests per second to public routes from one client address, bursts of twice that (0: "
     "no limit)",
     "Public routes: health, OpenAPI, JWKS, discovery, public keys, OAuth browser routes. IPv6 "
     "by /64."},
    {"--auth-failure-limit", "N", "LATCHKEY_AUTH_FAILURE_LIMIT", &Config::auth_failure_limit,
     Range(0, 1e7),
     "Failed authentications per minute allowed from one client address before 429s (0: no "
     "limit)",
     "A bucket of N refilled over a minute (IPv6 by /64); once it is empty, every request from "
     "that address that presents a key gets 429, right key or wrong, until it refills (a key id "
     "is never throttled: anyone may send one)."},
    {"--trusted-proxies", "CIDR[,CIDR]", "LATCHKEY_TRUSTED_PROXIES", &Config::trusted_proxies,
     Range("CIDRs"), "Reverse proxies whose X-Forwarded-For names the client",
     "The client is the rightmost address that is not itself trusted; from anyone else the "
     "header is ignored. Rate limits, logs and audit events use the client address.",
     "", CheckTrustedProxies},
};

Status CheckMetricsToken(const Flag&, Config* config) {
  const std::string& t = config->metrics_token;
  if (t.empty() || (t.size() >= 16 && IsHeaderValue(t) && t.find(' ') == std::string::npos)) {
    return Status::Ok();
  }
  return InvalidArgument("--metrics-token must be at least 16 printable characters, no spaces");
}

constexpr Flag kMonitoringFlags[] = {
    {"--health-interval", "S", "LATCHKEY_HEALTH_INTERVAL", &Config::health_interval,
     Range(60, 30 * 86400), "Seconds between health checks of one credential",
     "Each credential's first check falls at random within one interval, then every interval "
     "(±10%)."},
    {"--metrics-token", "TOKEN", "LATCHKEY_METRICS_TOKEN", &Config::metrics_token,
     Range("16+ printable characters"), "Bearer token for `GET /metrics` on the main listener",
     "Without it `/metrics` on the main listener is 404 (--metrics-listen serves it without one).",
     "none", CheckMetricsToken},
    {"--metrics-listen", "HOST:PORT", "LATCHKEY_METRICS_LISTEN", &Config::metrics_listen,
     Range("HOST:PORT or [v6]:PORT"),
     "A second listener serving only `GET /metrics`, without authentication",
     "Bind it to an address only the Prometheus server reaches; checked when it is bound.", "none"},
    {"--metrics-per-account", "", "LATCHKEY_METRICS_PER_ACCOUNT", &Config::metrics_per_account,
     Range("true, false, 1, 0, yes or no"), "Label the proxy's metrics with the account id",
     "Adds `account` to `latchkey_proxy_*`: one series per account, so leave it off with many "
     "accounts. Secret and credential names are never labels."},
};

constexpr Section kSections[] = {
    {"Server", kServerFlags},
    {"Storage", kStorageFlags},
    {"Signing keys", kSigningKeyFlags},
    {"Proxy", kProxyFlags},
    {"OAuth", kOAuthFlags},
    {"Limits", kLimitFlags},
    {"Monitoring", kMonitoringFlags},
};

}  // namespace

std::span<const Section> Sections() { return kSections; }

}  // namespace latchkey::config_internal
