// Config: latchkeyd's settings from flags and their LATCHKEY_* environment
// equivalents (a flag wins over the environment). Secrets (master keys,
// admin key) come from the environment only, never from flags, so they do
// not show up in `ps`.
//
// The member initializers below are the defaults; one table in config.cc
// maps each flag to its member, environment variable, accepted range and
// help, and drives parsing, `--help` and ConfigReference().
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/logger.h"
#include "common/status.h"

namespace latchkey {

inline constexpr char kDefaultDataDir[] = "./var";

struct Config {
  enum class Command { kServe, kRewrap, kRotateAdminKey, kBackup, kRestore, kDev };
  Command command = Command::kServe;
  std::string command_file;  // backup's destination, restore's source
  bool dev_mode = false;     // set only by `latchkeyd dev` (api/dev_mode.h)

  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::string data_dir = kDefaultDataDir;
  std::string database_url;  // postgresql://...; empty: SQLite in data_dir
  int database_pool = 8;     // PostgreSQL connections per process
  int threads = 2;
  int workers = 32;         // threads for routes that may block
  int worker_queue = 1024;  // blocking requests waiting for one; 503 past it
  std::string public_url;   // empty: derived from the bound address
  LogLevel log_level = LogLevel::kInfo;
  size_t max_body_bytes = 1 << 20;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};
  std::chrono::milliseconds keepalive_timeout{60000};
  std::chrono::milliseconds shutdown_grace{10000};
  int key_pool_size = 4;                   // pre-generated RSA-2048 keys
  std::chrono::seconds jwks_max_age{300};  // also the rotation publish lead
  std::chrono::seconds max_token_lifetime{3600};
  std::chrono::seconds maintenance_interval{10};  // expiry and rotation checks
  std::vector<std::string> proxy_allow_http;      // hosts the proxy may reach over http
  std::string proxy_allow_private;                // CIDRs the proxy may reach though private
  std::chrono::milliseconds proxy_connect_timeout{10000};
  std::chrono::milliseconds proxy_timeout{300000};  // whole upstream exchange
  int proxy_streams = 1024;                         // proxied requests at once
  std::string oauth_providers_file;                 // JSON overrides of the OAuth registry
  std::chrono::seconds oauth_refresh_margin{300};   // refresh this long before expiry (at most)
  std::chrono::seconds oauth_refresh_lease{90};     // a dead refresher's claim lasts this long

  int max_connections = 10000;            // open connections in all
  int max_connections_per_address = 256;  // from one client address
  double rate_limit_per_key = 500;        // requests/s per API key (burst twice that)
  double rate_limit_per_address = 200;    // public requests/s per client address (burst 2x)
  double auth_failure_limit = 60;         // failed authentications per minute per address
  std::string trusted_proxies;            // CIDRs whose X-Forwarded-For is believed

  std::chrono::seconds health_interval{6 * 3600};  // between tests of one credential
  std::string metrics_token;         // bearer token for GET /metrics on --listen; empty: not served
  std::string metrics_listen;        // HOST:PORT serving GET /metrics without auth; empty: none
  bool metrics_per_account = false;  // proxy metrics labelled with the account id

  std::optional<std::string> master_keys;  // LATCHKEY_MASTER_KEYS
  std::optional<std::string> admin_key;    // LATCHKEY_ADMIN_KEY
};

// Parses argv. On --help or --print-config-reference, prints usage or
// ConfigReference() to stdout and sets *exit_code = 0 with an empty error.
// On a bad value, returns InvalidArgument with a one-line reason and sets
// *exit_code = 2 (the caller prints the reason and exits with it).
Result<Config> ParseConfig(int argc, char** argv, int* exit_code);

// The flags as Markdown, one table per section (flag, env, default,
// accepted values, meaning): the generated part of docs/configuration.md,
// which a test keeps equal to this.
std::string ConfigReference();

// "HOST:PORT" or "[v6]:PORT".
Status ParseListen(const std::string& text, std::string* host, uint16_t* port);

}  // namespace latchkey
