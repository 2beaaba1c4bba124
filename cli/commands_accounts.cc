// latchkey accounts … (admin key) and keys … (the account's API keys).
#include <CLI/CLI.hpp>
#include <ctime>
#include <iostream>

#include "cli/output.h"
#include "cli/prompt.h"
#include "cli/session.h"

namespace latchkey::cli {
namespace {

using json = nlohmann::json;

// ISO 8601 as given, or a duration from now ("30d") made into one.
std::string ExpiryTime(const std::string& text) {
  long long seconds = ParseDuration(text);
  if (seconds < 0) return text;
  return IsoTime(std::time(nullptr) + static_cast<std::time_t>(seconds));
}

void AddAccounts(CLI::App& app, Session& session) {
  auto* accounts = app.add_subcommand("accounts", "Accounts (tenants); needs the admin key");
  accounts->require_subcommand(1);
  accounts->footer("Example: latchkey accounts create acme");
  auto* create = accounts->add_subcommand("create", "Create an account and its first API key");
  create->footer("Example: latchkey accounts create acme");
  auto name = std::make_shared<std::string>();
  create->add_option("name", *name, "The account's name")->required();
  create->callback([&session, name] {
    session.Show("POST", "/admin/accounts", json{{"name", *name}}, [](const json& a) {
      std::cout << "Created account " << Cell(a["id"]) << " (" << Cell(a["name"]) << ").\n"
                << "Its first API key (every scope; shown only now, store it):\n"
                << Cell(a["apiKey"]) << "\n";
    });
  });
  auto* list = accounts->add_subcommand("list", "List accounts");
  list->footer("Example: latchkey accounts list --json | jq -r '.data[].id'");
  list->callback([&session] {
    session.ShowList("/admin/accounts", [](const json& a) {
      Table t({"ID", "NAME", "CREATED"});
      for (const auto& row : a["data"]) {
        t.Add({Cell(row["id"]), Cell(row["name"]), RelativeTime(row["createdAt"])});
      }
      t.Print();
    });
  });
  auto* del = accounts->add_subcommand("delete", "Delete an account and all of its data");
  del->footer("Example: latchkey accounts delete acct_… --yes");
  auto id = std::make_shared<std::string>();
  del->add_option("id", *id, "The account id")->required();
  del->callback([&session, id] {
    if (!Confirm("Delete account " + *id + " and everything in it?", session.globals().yes)) {
      return;
    }
    session.Show("DELETE", "/admin/accounts/" + UrlEncode(*id), std::nullopt,
                 [&](const json&) { std::cout << "Deleted account " << *id << ".\n"; });
  });
}

struct NewKey {
  std::string name;
  std::vector<std::string> scopes;
  std::vector<std::string> credentials;
  std::string expires;
  bool allow_missing = false;
};

void AddKeys(CLI::App& app, Session& session) {
  auto* keys = app.add_subcommand("keys", "The account's API keys");
  keys->require_subcommand(1);
  keys->footer("Example: latchkey keys create --name agent --scope proxy --credential openai");
  auto* create = keys->add_subcommand("create", "Create an API key (shown once)");
  create->footer(
      "Example: latchkey keys create --name agent --scope proxy --credential openai --expires 30d");
  auto k = std::make_shared<NewKey>();
  create->add_option("--name", k->name, "What the key is for")->required();
  create->add_option("--scope", k->scopes, "A scope it holds (repeat for more)")->required();
  create->add_option("--credential", k->credentials,
                     "The only credentials it may use through the proxy (repeat for more)");
  create->add_option("--expires", k->expires, "When it stops working: ISO 8601 or 30d, 12h…");
  create->add_flag("--allow-missing", k->allow_missing,
                   "Accept --credential names that do not exist yet (to pre-provision)");
  create->callback([&session, k] {
    json body = {{"name", k->name}, {"scopes", k->scopes}};
    if (!k->credentials.empty()) body["credentials"] = k->credentials;
    if (!k->expires.empty()) body["expiresAt"] = ExpiryTime(k->expires);
    if (k->allow_missing) body["allowMissing"] = true;
    session.Show("POST", "/api-keys", body, [](const json& key) {
      Note("Created key " + Cell(key["id"]) + " (" + Cell(key["name"]) +
           "); it is shown only now, store it:");
      std::cout << Cell(key["apiKey"]) << "\n";
    });
  });
  auto* list = keys->add_subcommand("list", "List active API keys (never their secrets)");
  list->footer("Example: latchkey keys list");
  list->callback([&session] {
    session.ShowList("/api-keys", [](const json& a) {
      Table t({"ID", "NAME", "SCOPES", "CREDENTIALS", "EXPIRES", "LAST USED"});
      for (const auto& key : a["data"]) {
        t.Add({Cell(key["id"]), Cell(key["name"]), Cell(key["scopes"]),
               key["credentials"].is_null() ? "any" : Cell(key["credentials"]),
               RelativeTime(key["expiresAt"]), RelativeTime(key["lastUsedAt"])});
      }
      t.Print();
    });
  });
  auto* revoke = keys->add_subcommand("revoke", "Revoke an API key; it stops working at once");
  revoke->footer("Example: latchkey keys revoke key_… --yes");
  auto id = std::make_shared<std::string>();
  revoke->add_option("id", *id, "The key id")->required();
  revoke->callback([&session, id] {
    if (!Confirm("Revoke API key " + *id + "?", session.globals().yes)) return;
    session.Show("DELETE", "/api-keys/" + UrlEncode(*id), std::nullopt,
                 [&](const json&) { std::cout << "Revoked " << *id << ".\n"; });
  });
}

}  // namespace

void AddAccountCommands(CLI::App& app, Session& session) {
  AddAccounts(app, session);
  AddKeys(app, session);
}

}  // namespace latchkey::cli
