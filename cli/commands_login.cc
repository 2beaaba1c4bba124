// latchkey login | logout | status.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/output.h"
#include "cli/prompt.h"
#include "cli/session.h"

namespace latchkey::cli {
namespace {

using json = nlohmann::json;

// Account keys all look like lk_key_…; the operator's admin key may be
// anything (LATCHKEY_ADMIN_KEY).
bool IsAdminKey(const std::string& key) { return key.rfind("lk_key_", 0) != 0; }

bool IsLoopback(const std::string& url) {
  for (const char* host : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
    std::string h = host;
    if (url.rfind(h, 0) == 0 &&
        (url.size() == h.size() || url[h.size()] == ':' || url[h.size()] == '/')) {
      return true;
    }
  }
  return false;
}

// Who the key is: its own metadata, or for the admin key the accounts.
json WhoAmI(Session& session, const std::string& key) {
  if (IsAdminKey(key)) {
    // The first page's size: "1000+" would need every page for a number.
    json accounts = session.Call("GET", "/admin/accounts?limit=1000");
    std::string count = std::to_string(accounts["data"].size());
    if (accounts["nextCursor"].is_string()) count += "+";
    return {{"admin", true}, {"accounts", count}};
  }
  return session.Call("GET", "/api-keys/current");
}

void RunLogin(Session& session, const std::string& url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    throw CliError(kExitUsage, "--url must start with http:// or https://");
  }
  if (url.rfind("http://", 0) == 0 && !IsLoopback(url)) {
    Note("warning: " + url + " is plain http: the API key crosses the network unencrypted");
  }
  Login login{url, ReadSecret("API key")};
  while (!login.url.empty() && login.url.back() == '/') login.url.pop_back();
  session.UseLogin(login);
  json who = WhoAmI(session, login.key);
  SaveLogin(session.globals().profile, login);
  if (session.globals().json) {
    std::cout << who.dump() << "\n";
    return;
  }
  if (IsAdminKey(login.key)) {
    std::cout << "Logged in to " << login.url << " with the admin key.\n";
  } else {
    std::cout << "Logged in to " << login.url << " as key " << Cell(who["name"]) << " ("
              << Cell(who["id"]) << ") of account " << Cell(who["accountId"]) << ".\n";
  }
  Note("Saved in " + ConfigPath() + " (profile " + session.globals().profile + ").");
}

void RunStatus(Session& session) {
  auto login = LoadLogin(session.globals().profile);
  if (!login) session.client();  // throws: not logged in
  json health;
  try {
    health = session.Call("GET", "/readyz");
  } catch (const CliError& e) {
    if (e.exit_code != kExitApi) throw;
    health = {{"status", "unavailable"}, {"error", e.what()}};
  }
  json who = WhoAmI(session, login->key);
  json out = {{"url", login->url},
              {"profile", session.globals().profile},
              {"health", health},
              {"key", who}};
  if (session.globals().json) {
    std::cout << out.dump() << "\n";
    return;
  }
  Table t({"FIELD", "VALUE"});
  t.Add({"url", login->url});
  t.Add({"profile", session.globals().profile});
  t.Add({"server", Cell(health["status"])});
  if (IsAdminKey(login->key)) {
    t.Add({"key", "admin"});
    t.Add({"accounts", Cell(who["accounts"])});
  } else {
    t.Add({"account", Cell(who["accountId"])});
    t.Add({"key", Cell(who["name"]) + " (" + Cell(who["id"]) + ")"});
    t.Add({"scopes", Cell(who["scopes"])});
    t.Add({"credentials", who["credentials"].is_null() ? "any" : Cell(who["credentials"])});
    t.Add({"expires", RelativeTime(who["expiresAt"])});
  }
  t.Print();
}

}  // namespace

void AddLoginCommands(CLI::App& app, Session& session) {
  auto* login = app.add_subcommand("login", "Check an API key against a server and store it");
  login->footer(
      "Example: latchkey login --url http://127.0.0.1:8080   # asks for the key, no echo\n"
      "         echo \"$KEY\" | latchkey login --url http://127.0.0.1:8080");
  auto url = std::make_shared<std::string>();
  login->add_option("--url", *url, "The server's base URL")->required();
  login->callback([&session, url] { RunLogin(session, *url); });

  auto* logout = app.add_subcommand("logout", "Forget the stored login of this profile");
  logout->footer("Example: latchkey logout --profile staging");
  logout->callback([&session] {
    bool removed = RemoveLogin(session.globals().profile);
    Note(removed ? "Logged out (profile " + session.globals().profile + ")."
                 : "Not logged in (profile " + session.globals().profile + ").");
  });

  auto* status = app.add_subcommand("status", "Show the server, the account, the key and health");
  status->footer("Example: latchkey status --json | jq .key.scopes");
  status->callback([&session] { RunStatus(session); });
}

}  // namespace latchkey::cli
