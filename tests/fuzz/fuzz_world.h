// CertificatesWorld / FuzzWorld: latchkeyd's services (and App) over a
// temporary SQLite file and a FakeClock, wired as the test fixtures wire
// them (tests/services/certificates/fixture.h, tests/api/app_fixture.h) but
// without Boost. Fuzz targets build one, once, and reuse it for every input.
//
// Rate limits are off and no key pool thread runs: an input costs what its
// own work costs.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "api/app.h"
#include "services/oauth/oauth.h"
#include "tests/common/test_util.h"

namespace latchkey::fuzz {

// Setup must not fail: a fuzz target without its world tests nothing.
inline void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz setup failed: %s\n", what);
    std::abort();
  }
}

inline AppOptions FuzzAppOptions() {
  AppOptions o;
  o.public_url = "http://lk.test";
  o.rate_limits = RateLimits{RateLimit{}, RateLimit{}, RateLimit{}};
  return o;
}

inline CertificateOptions FuzzCertificateOptions() {
  CertificateOptions o;
  o.jwks_max_age = std::chrono::seconds(300);
  o.max_token_lifetime = std::chrono::seconds(3600);
  o.version_check_interval = std::chrono::seconds(1);
  return o;
}

// The account services and the certificates service, with one account
// whose first key has every scope.
struct CertificatesWorld {
  testing::TempDir dir;
  std::unique_ptr<Database> db = testing::OpenDb(dir);
  FakeClock clock{1'700'000'000};
  MasterKeyring keys = testing::TestKeyring();
  Envelope envelope{*db, keys, clock};
  AuditLog audit{clock};
  ApiKeyService api_keys{*db, audit, clock};
  AccountService accounts{*db, envelope, audit, api_keys, clock};
  AuditContext ctx{"admin", "req_fuzz", "127.0.0.1"};
  bool migrated = Migrate({{"envelope", &Envelope::Migrations()},
                           {"audit", &AuditLog::Migrations()},
                           {"accounts", &AccountService::Migrations()},
                           {"api_keys", &ApiKeyService::Migrations()},
                           {"idempotency", &IdempotencyKeys::Migrations()},
                           {"admin", &AdminKey::Migrations()},
                           {"certificates", &CertificateService::Migrations()}});
  KeyPool pool{0};
  CertificateService certs{*db, envelope, audit, clock, pool, FuzzCertificateOptions()};
  TokenService tokens{certs, clock};

  // The account every input acts as, and its all-scopes key.
  std::string account_id;
  std::string key_id;
  std::string api_key;

  CertificatesWorld() {
    Require(migrated, "migrations");
    for (const auto& t : CertificateService::OwnedTables()) accounts.RegisterOwnedTable(t);
    auto created = accounts.Create("fuzz", ctx);
    Require(created.ok(), "account");
    account_id = created->account.id;
    key_id = created->first_key.key.id;
    api_key = created->first_key.token;
  }

 private:
  struct Step {
    const char* name;
    const std::vector<Migration>* migrations;
  };
  bool Migrate(std::initializer_list<Step> steps) {
    for (const auto& s : steps) {
      if (!ApplyMigrations(*db, s.name, *s.migrations).ok()) return false;
    }
    return true;
  }
};

// Everything latchkeyd serves, and the App over it.
struct FuzzWorld : CertificatesWorld {
  std::optional<std::string> admin_token;
  Result<AdminKey> admin_result = AdminKey::Initialize(*db, std::nullopt, &admin_token);
  AdminKey& admin = Admin();
  bool credentials_migrated =
      ApplyMigrations(*db, "credentials", CredentialService::Migrations()).ok();
  AuditWriter audit_writer{*db, audit};
  CredentialService credentials{*db, envelope, audit, clock, &audit_writer};
  bool oauth_migrated = OAuthService::Migrate(*db).ok();
  OAuthService oauth{*db, envelope, audit, clock, OAuthProviders::BuiltIn()};
  ProxyService proxy{credentials, audit_writer, clock, ProxyOptions{}};
  bool events_migrated = ApplyMigrations(*db, "events", WebhookService::Migrations()).ok();
  WebhookService webhooks{*db, envelope, audit, clock, WebhookOptions{}};
  bool usage_migrated = ApplyMigrations(*db, "usage", UsageService::Migrations()).ok();
  UsageService usage{*db, audit, clock, &audit_writer};
  bool health_migrated = ApplyMigrations(*db, "health", HealthService::Migrations()).ok();
  HealthService health{*db, audit, clock, HealthOptions{}};
  std::FILE* log_sink = std::tmpfile();
  Logger logger{log_sink};
  App app{AppServices{*db, accounts, api_keys, audit, admin, logger, certs, tokens, pool,
                      credentials, proxy, oauth.clients, oauth.flows, oauth.tokens, audit_writer,
                      webhooks, usage, health},
          FuzzAppOptions()};

  FuzzWorld() {
    Require(credentials_migrated && oauth_migrated && events_migrated && usage_migrated &&
                health_migrated,
            "migrations");
    for (const auto& t : CredentialService::OwnedTables()) accounts.RegisterOwnedTable(t);
    for (const auto& t : OAuthService::OwnedTables()) accounts.RegisterOwnedTable(t);
  }
  ~FuzzWorld() {
    if (log_sink) std::fclose(log_sink);
  }

  std::string Issuer() const { return AccountIssuer(app.options(), account_id); }

 private:
  AdminKey& Admin() {
    Require(admin_result.ok() && admin_token.has_value(), "admin key");
    return *admin_result;
  }
};

}  // namespace latchkey::fuzz
