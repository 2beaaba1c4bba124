// latchkey credentials … (provider keys) and secrets … (typed secrets).
// Values are read from a prompt or stdin only, never from the command line.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli/output.h"
#include "cli/prompt.h"
#include "cli/session.h"

namespace latchkey::cli {
namespace {

using json = nlohmann::json;

void Wipe(std::string& s) { std::fill(s.begin(), s.end(), '\0'); }

void PrintProviderKeys(const json& summary) {
  Table t({"PROVIDER", "KEY", "HOSTS", "BASE URL", "USES", "LAST USED"});
  for (const auto& [provider, hosts] : summary["allowedHosts"].items()) {
    std::string field = provider + "ApiKey";
    std::string has = "has" + field;
    has[3] = static_cast<char>(toupper(has[3]));
    std::string key = summary.value(has, false) ? "…" + Cell(summary[field + "Last4"]) : "-";
    const json& usage = summary["usage"].contains(provider) ? summary["usage"][provider] : json();
    t.Add({provider, key, Cell(hosts), Cell(summary["baseUrls"][provider]),
           usage.is_null() ? "-" : Cell(usage["useCount"]),
           usage.is_null() ? "-" : RelativeTime(usage["lastUsedAt"])});
  }
  t.Print();
}

void AddProviderKeys(CLI::App& app, Session& session) {
  auto* creds = app.add_subcommand("credentials", "Provider keys (OpenAI, Anthropic, …)");
  creds->require_subcommand(1);
  creds->footer("Example: latchkey credentials set openai");
  auto provider = std::make_shared<std::string>();
  auto* set = creds->add_subcommand("set", "Store a provider key (read from a prompt or stdin)");
  set->footer(
      "Example: latchkey credentials set openai            # asks for the key\n"
      "         pass show openai | latchkey credentials set openai");
  set->add_option("provider", *provider, "Provider id: openai, anthropic, google, …")->required();
  set->callback([&session, provider] {
    std::string value = ReadSecret(*provider + " API key");
    json body = {{*provider + "ApiKey", value}};
    Wipe(value);
    session.Show("PUT", "/credentials", body,
                 [&](const json&) { std::cout << "Stored the " << *provider << " key.\n"; });
    Wipe(body[*provider + "ApiKey"].get_ref<std::string&>());
  });
  auto* unset = creds->add_subcommand("unset", "Remove a provider key");
  unset->footer("Example: latchkey credentials unset openai --yes");
  unset->add_option("provider", *provider, "Provider id")->required();
  unset->callback([&session, provider] {
    if (!Confirm("Remove the " + *provider + " key?", session.globals().yes)) return;
    session.Show("PUT", "/credentials", json{{*provider + "ApiKey", nullptr}},
                 [&](const json&) { std::cout << "Removed the " << *provider << " key.\n"; });
  });
  auto* list = creds->add_subcommand("list", "Provider keys, masked, with hosts and use");
  list->footer("Example: latchkey credentials list");
  list->callback(
      [&session] { session.Show("GET", "/credentials", std::nullopt, PrintProviderKeys); });
}

struct SecretArgs {
  std::string name;
  std::string type;
  std::vector<std::string> hosts;
  std::string param;
  std::vector<std::string> headers;
  std::string base_url;
};

// The value fields `type` needs, read from a prompt or stdin.
json SecretValues(const SecretArgs& a) {
  json body = json::object();
  if (a.type == "API_KEY" || a.type == "QUERY_PARAM") {
    body["value"] = ReadSecret("value");
  } else if (a.type == "BASIC_AUTH") {
    auto v = ReadSecrets({"username", "password"});
    body["username"] = v[0];
    body["password"] = v[1];
  } else if (a.type == "COOKIE") {
    body["cookies"] = ReadSecret("cookies");
  } else if (a.type == "CUSTOM_HEADER") {
    if (a.headers.empty()) throw CliError(kExitUsage, "CUSTOM_HEADER needs --header NAME");
    std::vector<std::string> labels;
    for (const auto& h : a.headers) labels.push_back("value of header " + h);
    auto v = ReadSecrets(labels);
    body["headers"] = json::object();
    for (size_t i = 0; i < v.size(); ++i) body["headers"][a.headers[i]] = v[i];
  }
  if (!a.param.empty()) body["param"] = a.param;
  return body;
}

void PrintSecrets(const json& list) {
  Table t({"NAME", "TYPE", "MASKED", "HOSTS", "VERSION", "USES", "LAST USED"});
  for (const auto& s : list) {
    std::string masked;
    for (const auto& p : s["masked"]) {
      masked += (masked.empty() ? "" : " ") + Cell(p["part"]) + ":…" + Cell(p["last4"]);
    }
    t.Add({Cell(s["name"]), Cell(s["type"]), masked, Cell(s["allowedHosts"]), Cell(s["version"]),
           Cell(s["useCount"]), RelativeTime(s["lastUsedAt"])});
  }
  t.Print();
}

void AddSecretOptions(CLI::App* cmd, SecretArgs& a) {
  cmd->add_option("--host", a.hosts, "An allowed host (repeat for more; *.example.com allowed)");
  cmd->add_option("--param", a.param, "QUERY_PARAM: the query parameter's name");
  cmd->add_option("--header", a.headers, "CUSTOM_HEADER: a header name (repeat for more)");
  cmd->add_option("--base-url", a.base_url, "Where /proxy/NAME/… sends calls");
}

void AddSecretWrites(CLI::App& secrets, Session& session) {
  auto a = std::make_shared<SecretArgs>();
  auto* add = secrets.add_subcommand("add", "Store a secret (values from a prompt or stdin)");
  add->footer("Example: latchkey secrets add github-pat --type API_KEY --host api.github.com");
  add->add_option("name", a->name, "Its name")->required();
  add->add_option("--type", a->type, "API_KEY, BASIC_AUTH, COOKIE, CUSTOM_HEADER or QUERY_PARAM")
      ->required()
      ->check(CLI::IsMember({"API_KEY", "BASIC_AUTH", "COOKIE", "CUSTOM_HEADER", "QUERY_PARAM"}));
  AddSecretOptions(add, *a);
  add->callback([&session, a] {
    if (a->hosts.empty()) throw CliError(kExitUsage, "name at least one --host");
    json body = SecretValues(*a);
    body["name"] = a->name;
    body["type"] = a->type;
    body["allowedHosts"] = a->hosts;
    if (!a->base_url.empty()) body["baseUrl"] = a->base_url;
    session.Show("POST", "/secrets", body, [](const json& s) { PrintSecrets(json::array({s})); });
  });
  auto u = std::make_shared<SecretArgs>();
  auto* update = secrets.add_subcommand("update", "Replace a secret's value (a new version)");
  update->footer("Example: latchkey secrets update github-pat --host api.github.com");
  update->add_option("name", u->name, "Its name")->required();
  AddSecretOptions(update, *u);
  update->callback([&session, u] {
    json current = session.Call("GET", "/secrets/" + UrlEncode(u->name));
    SecretArgs args = *u;
    args.type = current.value("type", "");
    if (args.param.empty()) args.param = current.value("param", "");
    if (args.headers.empty() && args.type == "CUSTOM_HEADER") {
      for (const auto& part : current.value("masked", json::array())) {
        std::string name = part.value("part", "");  // "headers.X-Api-Key"
        if (name.rfind("headers.", 0) == 0) args.headers.push_back(name.substr(8));
      }
    }
    json body = SecretValues(args);
    if (!u->hosts.empty()) body["allowedHosts"] = u->hosts;
    if (!u->base_url.empty()) body["baseUrl"] = u->base_url;
    session.Show("PUT", "/secrets/" + UrlEncode(u->name), body,
                 [](const json& s) { PrintSecrets(json::array({s})); });
  });
}

void AddSecrets(CLI::App& app, Session& session) {
  auto* secrets = app.add_subcommand("secrets", "Typed secrets for the proxy");
  secrets->require_subcommand(1);
  secrets->footer("Example: latchkey secrets add github-pat --type API_KEY --host api.github.com");
  AddSecretWrites(*secrets, session);
  auto* list = secrets->add_subcommand("list", "List secrets, masked");
  list->footer("Example: latchkey secrets list");
  list->callback(
      [&session] { session.ShowList("/secrets", [](const json& a) { PrintSecrets(a["data"]); }); });
  auto name = std::make_shared<std::string>();
  auto* show = secrets->add_subcommand("show", "Show one secret, masked");
  show->footer("Example: latchkey secrets show github-pat");
  show->add_option("name", *name, "Its name")->required();
  show->callback([&session, name] {
    session.Show("GET", "/secrets/" + UrlEncode(*name), std::nullopt,
                 [](const json& s) { PrintSecrets(json::array({s})); });
  });
  auto* rm = secrets->add_subcommand("rm", "Delete a secret");
  rm->footer("Example: latchkey secrets rm github-pat --yes");
  rm->add_option("name", *name, "Its name")->required();
  rm->callback([&session, name] {
    if (!Confirm("Delete secret " + *name + "?", session.globals().yes)) return;
    session.Show("DELETE", "/secrets/" + UrlEncode(*name), std::nullopt,
                 [&](const json&) { std::cout << "Deleted " << *name << ".\n"; });
  });
}

}  // namespace

void AddCredentialCommands(CLI::App& app, Session& session) {
  AddProviderKeys(app, session);
  AddSecrets(app, session);
}

}  // namespace latchkey::cli
