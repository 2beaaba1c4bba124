// latchkey oauth providers|redirects|connect|tokens.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/output.h"
#include "cli/prompt.h"
#include "cli/session.h"

namespace latchkey::cli {
namespace {

using json = nlohmann::json;

struct ProviderArgs {
  std::string provider;
  std::string client_id;
  std::vector<std::string> scopes;
  std::string tenant;
};

void AddProviders(CLI::App& oauth, Session& session) {
  auto* providers = oauth.add_subcommand("providers", "Your app's registration with a provider");
  providers->require_subcommand(1);
  providers->footer("Example: latchkey oauth providers set google --client-id ID");
  auto a = std::make_shared<ProviderArgs>();
  auto* set = providers->add_subcommand(
      "set", "Register your app's client id (the client secret from a prompt or stdin)");
  set->footer(
      "Example: latchkey oauth providers set google --client-id 123.apps.googleusercontent.com");
  set->add_option("provider", a->provider, "google, microsoft, slack, github, notion, …")
      ->required();
  set->add_option("--client-id", a->client_id, "The app's client id")->required();
  set->add_option("--scope", a->scopes, "A scope to request (repeat for more)");
  set->add_option("--tenant", a->tenant, "Microsoft: the tenant (default common)");
  set->callback([&session, a] {
    json body = {{"clientId", a->client_id}, {"clientSecret", ReadSecret("client secret")}};
    if (!a->scopes.empty()) body["scopes"] = a->scopes;
    if (!a->tenant.empty()) body["tenant"] = a->tenant;
    session.Show("PUT", "/oauth/providers/" + UrlEncode(a->provider), body, [](const json& p) {
      std::cout << "Registered " << Cell(p["provider"]) << " (client " << Cell(p["clientId"])
                << ", secret …" << Cell(p["clientSecretLast4"]) << ").\n";
    });
    auto& secret = body["clientSecret"].get_ref<std::string&>();
    std::fill(secret.begin(), secret.end(), '\0');
  });
  auto* list = providers->add_subcommand("list", "Every provider and whether it is registered");
  list->footer("Example: latchkey oauth providers list");
  list->callback([&session] {
    session.ShowList("/oauth/providers", [](const json& a) {
      Table t({"PROVIDER", "CONFIGURED", "CLIENT ID", "SECRET", "SCOPES", "API"});
      for (const auto& p : a["data"]) {
        t.Add({Cell(p["provider"]), Cell(p["configured"]), Cell(p["clientId"]),
               p["clientSecretLast4"].is_null() ? "-" : "…" + Cell(p["clientSecretLast4"]),
               Cell(p["scopes"]), Cell(p["apiBaseUrl"])});
      }
      t.Print();
    });
  });
}

void AddRedirects(CLI::App& oauth, Session& session) {
  auto* redirects = oauth.add_subcommand("redirects", "Where users may be sent back after consent");
  redirects->require_subcommand(1);
  redirects->footer("Example: latchkey oauth redirects set https://app.example/connected");
  auto uris = std::make_shared<std::vector<std::string>>();
  auto print = [](const json& a) {
    for (const auto& u : a["redirectUris"]) std::cout << Cell(u) << "\n";
  };
  auto* set = redirects->add_subcommand("set", "Replace the list");
  set->footer("Example: latchkey oauth redirects set https://app.example/connected");
  set->add_option("uri", *uris, "Absolute https URIs (http only for localhost)")->required();
  set->callback([&session, uris, print] {
    session.Show("PUT", "/oauth/redirect-uris", json{{"redirectUris", *uris}}, print);
  });
  auto* list = redirects->add_subcommand("list", "Show the list");
  list->footer("Example: latchkey oauth redirects list");
  list->callback(
      [&session, print] { session.Show("GET", "/oauth/redirect-uris", std::nullopt, print); });
}

struct ConnectArgs {
  std::string provider;
  std::string user;
  std::string redirect;
  std::vector<std::string> scopes;
  bool open = false;
};

void AddConnect(CLI::App& oauth, Session& session) {
  auto a = std::make_shared<ConnectArgs>();
  auto* connect = oauth.add_subcommand("connect", "Start a connection: prints the consent link");
  connect->footer(
      "Example: latchkey oauth connect google --user user-42 --redirect "
      "https://app.example/connected --open");
  connect->add_option("provider", a->provider, "The provider")->required();
  connect->add_option("--user", a->user, "Your own id for the user")->required();
  connect->add_option("--redirect", a->redirect, "Where the user lands after (a listed URI)")
      ->required();
  connect->add_option("--scope", a->scopes, "Scopes instead of the registration's");
  connect->add_flag("--open", a->open, "Open the link with xdg-open");
  connect->callback([&session, a] {
    json body = {
        {"provider", a->provider}, {"identifierId", a->user}, {"redirectUri", a->redirect}};
    if (!a->scopes.empty()) body["scopes"] = a->scopes;
    json s = session.Show("POST", "/auth/sessions", body, [](const json& r) {
      std::cout << Cell(r["url"]) << "\n";
      Note("Open the link in the user's browser within 10 minutes; it works once.");
    });
    if (a->open) {
      std::string url = s.value("url", "");
      if (fork() == 0) {
        execlp("xdg-open", "xdg-open", url.c_str(), static_cast<char*>(nullptr));
        _exit(127);
      }
    }
  });
}

void PrintTokens(const json& list) {
  Table t({"ID", "PROVIDER", "USER", "STATUS", "SCOPES", "EXPIRES", "REFRESHED"});
  for (const auto& k : list) {
    t.Add({Cell(k["id"]), Cell(k["provider"]), Cell(k["identifierId"]), Cell(k["status"]),
           Cell(k["scopes"]), RelativeTime(k["expiresAt"]), RelativeTime(k["lastRefreshedAt"])});
  }
  t.Print();
}

void AddTokens(CLI::App& oauth, Session& session) {
  auto* tokens = oauth.add_subcommand("tokens", "Stored connections");
  tokens->require_subcommand(1);
  tokens->footer("Example: latchkey oauth tokens list --user user-42");
  auto user = std::make_shared<std::string>();
  auto provider = std::make_shared<std::string>();
  auto* list = tokens->add_subcommand("list", "List connections (never a token)");
  list->footer("Example: latchkey oauth tokens list --user user-42");
  list->add_option("--user", *user, "Only this user's");
  list->add_option("--provider", *provider, "Only this provider's");
  list->callback([&session, user, provider] {
    std::string path = "/oauth-tokens";
    std::string sep = "?";
    if (!user->empty()) path += sep + "identifierId=" + UrlEncode(*user), sep = "&";
    if (!provider->empty()) path += sep + "resource=" + UrlEncode(*provider);
    session.ShowList(path, [](const json& a) { PrintTokens(a["data"]); });
  });
  auto id = std::make_shared<std::string>();
  auto* show = tokens->add_subcommand("show", "Show one connection");
  show->footer("Example: latchkey oauth tokens show otk_…");
  show->add_option("id", *id, "Token id")->required();
  show->callback([&session, id] {
    session.Show("GET", "/oauth-tokens/" + UrlEncode(*id), std::nullopt,
                 [](const json& k) { PrintTokens(json::array({k})); });
  });
  auto* access = tokens->add_subcommand("access-token", "Print a fresh access token");
  access->footer(
      "Example: curl -H \"Authorization: Bearer $(latchkey oauth tokens access-token otk_…)\" …");
  access->add_option("id", *id, "Token id")->required();
  access->callback([&session, id] {
    session.Show("GET", "/oauth-tokens/" + UrlEncode(*id) + "/access-token", std::nullopt,
                 [](const json& t) { std::cout << Cell(t["accessToken"]) << "\n"; });
  });
  auto keep = std::make_shared<bool>(false);
  auto* revoke = tokens->add_subcommand("revoke", "Revoke at the provider and delete");
  revoke->footer("Example: latchkey oauth tokens revoke otk_… --yes");
  revoke->add_option("id", *id, "Token id")->required();
  revoke->add_flag("--keep-at-provider", *keep, "Delete here only; do not revoke at the provider");
  revoke->callback([&session, id, keep] {
    if (!Confirm("Revoke and delete " + *id + "?", session.globals().yes)) return;
    session.Show("DELETE",
                 "/oauth-tokens/" + UrlEncode(*id) + (*keep ? "?revoke=false" : "?revoke=true"),
                 std::nullopt, [&](const json& r) {
                   bool said = r.is_object() && r.contains("revocation");
                   std::cout << "Deleted " << *id
                             << " (at the provider: " << (said ? Cell(r["revocation"]) : "unknown")
                             << ").\n";
                 });
  });
}

}  // namespace

void AddOAuthCommands(CLI::App& app, Session& session) {
  auto* oauth = app.add_subcommand("oauth", "OAuth providers, connections and tokens");
  oauth->require_subcommand(1);
  oauth->footer(
      "Example: latchkey oauth connect google --user user-42 --redirect "
      "https://app.example/connected");
  AddProviders(*oauth, session);
  AddRedirects(*oauth, session);
  AddConnect(*oauth, session);
  AddTokens(*oauth, session);
}

}  // namespace latchkey::cli
