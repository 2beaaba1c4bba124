// An App over the real services (temporary SQLite file, FakeClock), called
// directly without the transport.
#pragma once

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "api/app.h"
#include "services/oauth/oauth.h"
#include "tests/services/certificates/fixture.h"

namespace latchkey::testing {

struct AppFixture : CertificatesFixture {
  std::FILE* log_sink = std::tmpfile();
  Logger logger{log_sink};
  std::optional<std::string> admin_token;
  AdminKey admin = *AdminKey::Initialize(*db, std::nullopt, &admin_token);
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
  bool idempotency_migrated =
      ApplyMigrations(*db, "idempotency", IdempotencyKeys::Migrations()).ok();
  AppServices Services() {
    return AppServices{*db,      accounts,      api_keys,    audit,        admin,
                       logger,   certs,         tokens,      pool,         credentials,
                       proxy,    oauth.clients, oauth.flows, oauth.tokens, audit_writer,
                       webhooks, usage,         health,      nullptr};
  }
  App app{Services(), AppOptions{1 << 20, "http://lk.test"}};
  AppFixture() {
    BOOST_REQUIRE(credentials_migrated);
    BOOST_REQUIRE(oauth_migrated);
    BOOST_REQUIRE(events_migrated && usage_migrated && health_migrated);
    for (const auto& t : WebhookService::OwnedTables()) accounts.RegisterOwnedTable(t);
    for (const auto& t : OAuthService::OwnedTables()) accounts.RegisterOwnedTable(t);
    for (const auto& t : CredentialService::OwnedTables()) accounts.RegisterOwnedTable(t);
  }
  ~AppFixture() { std::fclose(log_sink); }

  // `path` may carry a query string ("a=1&b=2", no escapes).
  HttpResponse Call(const std::string& method, const std::string& path,
                    const std::string& token = "", const std::string& body = "",
                    const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return CallOn(app, method, path, token, body, headers);
  }
  HttpResponse CallOn(App& target, const std::string& method, const std::string& path,
                      const std::string& token = "", const std::string& body = "",
                      const std::vector<std::pair<std::string, std::string>>& headers = {},
                      const std::string& client = "127.0.0.1") {
    HttpRequest r;
    r.method = method;
    size_t q = path.find('?');
    r.path = path.substr(0, q);
    if (q != std::string::npos) {
      std::string query = path.substr(q + 1);
      r.raw_query = query;
      size_t start = 0;
      while (start <= query.size()) {
        size_t amp = query.find('&', start);
        std::string pair = query.substr(start, amp == std::string::npos ? amp : amp - start);
        size_t eq = pair.find('=');
        r.query.emplace_back(pair.substr(0, eq),
                             eq == std::string::npos ? "" : pair.substr(eq + 1));
        if (amp == std::string::npos) break;
        start = amp + 1;
      }
    }
    if (!token.empty()) r.headers["Authorization"] = "Bearer " + token;
    for (const auto& [k, v] : headers) r.headers[k] = v;
    r.body = body;
    r.request_id = "req_t";
    r.client_address = client;
    return target.Handle(r);
  }
  nlohmann::json Json(const HttpResponse& r) { return nlohmann::json::parse(r.body); }
  void ExpectError(const HttpResponse& r, int status, const std::string& code) {
    BOOST_TEST(r.status == status);
    auto j = Json(r);
    BOOST_TEST(j.size() == 3u);
    BOOST_TEST(j["status"] == status);
    BOOST_TEST(j["code"] == code);
    BOOST_TEST(j["error"].is_string());
  }
  std::string NewAccount(const std::string& name, std::string* id = nullptr) {
    auto r = Call("POST", "/admin/accounts", *admin_token, R"({"name":")" + name + "\"}");
    BOOST_REQUIRE(r.status == 201);
    if (id) *id = Json(r)["id"];
    return Json(r)["apiKey"];
  }
  std::optional<std::string> Header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return std::nullopt;
  }
};

}  // namespace latchkey::testing
