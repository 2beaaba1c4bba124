#include "api/dev_mode.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "api/app.h"
#include "api/daemon.h"
#include "api/responses.h"
#include "api/storage.h"
#include "common/crypto.h"
#include "common/http_client.h"
#include "common/url.h"

namespace latchkey {
namespace {

using json = nlohmann::json;

struct DevRouteDeps {
  DevProviders& providers;
};

Result<HttpResponse> Authorize(const DevRouteDeps& d, RequestContext& ctx) {
  return d.providers.Authorize(ctx.request, ctx.param("provider"));
}
Result<HttpResponse> Decide(const DevRouteDeps& d, RequestContext& ctx) {
  return d.providers.Decide(ctx.request, ctx.param("provider"));
}
Result<HttpResponse> Token(const DevRouteDeps& d, RequestContext& ctx) {
  return d.providers.Token(ctx.request, ctx.param("provider"));
}
Result<HttpResponse> Revoke(const DevRouteDeps& d, RequestContext& ctx) {
  return d.providers.Revoke(ctx.request, ctx.param("provider"));
}
Result<HttpResponse> GithubGrant(const DevRouteDeps& d, RequestContext& ctx) {
  if (ctx.param("provider") != "github" ||
      ctx.param("clientId") != DevProviders::ClientId("github")) {
    return NotFound("no such application");
  }
  return d.providers.Revoke(ctx.request, "github");
}
Result<HttpResponse> Api(const DevRouteDeps& d, RequestContext& ctx) {
  return d.providers.Api(ctx.request, ctx.param("provider"));
}

// What reached the echo upstream, as the proxy delivered it.
Result<HttpResponse> Echo(const DevRouteDeps&, RequestContext& ctx) {
  const HttpRequest& r = ctx.request;
  json headers = json::object();
  for (const auto& [name, value] : r.headers) headers[name] = value;
  return JsonResponse(200, {{"method", r.method},
                            {"path", r.path},
                            {"query", r.raw_query},
                            {"headers", headers},
                            {"body", r.body}});
}

// Where the dev account's OAuth flows end: says how it went.
Result<HttpResponse> Connected(const DevRouteDeps&, RequestContext& ctx) {
  json out = json::object();
  for (const auto& [name, value] : ctx.request.query) out[name] = value;
  return JsonResponse(200, out);
}

const RouteRow<DevRouteDeps> kDevRoutes[] = {
    {{"GET", "/dev/oauth/{provider}/authorize", AuthKind::kPublic, "", kNonBlocking, Authorize},
     {"Dev mode: a provider's consent page (Allow, Deny)", "dev", "", "", 200}},
    {{"POST", "/dev/oauth/{provider}/decide", AuthKind::kPublic, "", kNonBlocking, Decide},
     {"Dev mode: the consent page's answer", "dev", "", "", 302}},
    {{"POST", "/dev/oauth/{provider}/token", AuthKind::kPublic, "", kNonBlocking, Token},
     {"Dev mode: a provider's token endpoint", "dev", "", "", 200}},
    {{"POST", "/dev/oauth/{provider}/revoke", AuthKind::kPublic, "", kNonBlocking, Revoke},
     {"Dev mode: a provider's revocation endpoint", "dev", "", "", 200}},
    {{"DELETE", "/dev/oauth/{provider}/applications/{clientId}/grant", AuthKind::kPublic, "",
      kNonBlocking, GithubGrant},
     {"Dev mode: GitHub's grant revocation", "dev", "", "", 204}},
    {{"GET", "/dev/oauth/{provider}/api/{path...}", AuthKind::kPublic, "", kNonBlocking, Api},
     {"Dev mode: a provider's API (whose token it got)", "dev", "", "", 200}},
    {{"POST", "/dev/oauth/{provider}/api/{path...}", AuthKind::kPublic, "", kNonBlocking, Api},
     {"Dev mode: a provider's API (whose token it got)", "dev", "", "", 200}},
    {{"GET", "/dev/echo/{path...}", AuthKind::kPublic, "", kNonBlocking, Echo},
     {"Dev mode: an upstream that answers with the request it got", "dev", "", "", 200}},
    {{"POST", "/dev/echo/{path...}", AuthKind::kPublic, "", kNonBlocking, Echo},
     {"Dev mode: an upstream that answers with the request it got", "dev", "", "", 200}},
    {{"GET", "/dev/connected", AuthKind::kPublic, "", kNonBlocking, Connected},
     {"Dev mode: where OAuth flows end; shows the result", "dev", "", "", 200}},
};

// IPv4 loopback (::1 is not: the server does not listen on IPv6 here).
bool IsLoopback(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

// A port nothing listens on now (for --listen with port 0: the providers
// need the address before the server binds).
Result<uint16_t> FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Unavailable("cannot open a socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (!ok) return Unavailable("cannot find a free port");
  return ntohs(addr.sin_port);
}

// One call to the dev server's own API.
Result<json> Call(const std::string& base, const std::string& key, const std::string& method,
                  const std::string& path, const json& body) {
  HttpClientRequest req;
  req.method = method;
  req.url = base + path;
  req.allow_http = true;
  // Closed after each answer: an idle keep-alive connection would sit until
  // the server's header timeout and be logged as a 408.
  req.headers = {{"Authorization", "Bearer " + key},
                 {"Content-Type", "application/json"},
                 {"Connection", "close"}};
  req.body = body.dump();
  ASSIGN_OR_RETURN(HttpClientResponse r, HttpClient::Fetch(req, 1 << 20));
  json answer = json::parse(r.body, nullptr, false);
  if (r.status >= 300 || !answer.is_object()) {
    // An error answer names what was wrong and never holds a secret.
    return Internal(method + " " + path + " answered " + std::to_string(r.status) + ": " +
                    r.body.substr(0, 300));
  }
  return answer;
}

// A string field of an answer; Internal when it is missing.
Result<std::string> StringField(const json& answer, const char* field) {
  auto it = answer.find(field);
  if (it == answer.end() || !it->is_string()) {
    return Internal(std::string("the answer has no ") + field);
  }
  return it->get<std::string>();
}

void PrintBanner(const std::string& base, const std::string& data_dir, const std::string& id,
                 const std::string& key, const std::string& agent_key) {
  const std::string auth = "curl -s -H \"Authorization: Bearer ";
  const std::vector<std::string> lines = {
      "DEV MODE: throwaway data in " + data_dir +
          " (removed when latchkeyd stops); never put real keys here [DEV MODE]",
      "account " + id + ": key (every scope) " + key + " [DEV MODE]",
      "agent key (proxy, credential echo only): " + agent_key + " [DEV MODE]",
      "try, after export KEY=… AGENT_KEY=… (the keys above): [DEV MODE]",
      "  " + auth + "$KEY\" -d '{\"subject\":\"me\"}' " + base + "/tokens   # [DEV MODE]",
      "  curl -s " + base + "/accounts/" + id + "/.well-known/jwks.json   # [DEV MODE]",
      "  " + auth + "$AGENT_KEY\" " + base +
          "/proxy/echo/hello   # the key is injected, never seen [DEV MODE]",
      "  " + auth +
          "$KEY\" -d '{\"provider\":\"google\",\"identifierId\":\"user-1\","
          "\"redirectUri\":\"" +
          base + "/dev/connected\"}' " + base +
          "/auth/sessions   # open its url once, press Allow [DEV MODE]",
      "  " + auth + "$KEY\" " + base + "/connections/google/user-1/access-token   # [DEV MODE]"};
  for (const std::string& line : lines) std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace

void AddDevRoutes(Router& router, DevProviders& providers) {
  AddRoutes(router, DevRouteDeps{providers}, kDevRoutes);
}

Status PrepareDevConfig(Config* config) {
  if (!config->database_url.empty()) {
    return InvalidArgument("dev mode keeps its data in a temporary directory; drop --database-url");
  }
  if (!IsLoopback(config->host)) {
    return InvalidArgument("dev mode listens on loopback only (127.0.0.1 or localhost), not " +
                           config->host);
  }
  // What dev mode sets itself may not be given: it would be ignored.
  for (auto [given, flag] :
       {std::pair{!config->metrics_listen.empty(), "--metrics-listen (LATCHKEY_METRICS_LISTEN)"},
        std::pair{config->data_dir != kDefaultDataDir, "--data-dir (LATCHKEY_DATA_DIR)"},
        std::pair{!config->public_url.empty(), "--public-url (LATCHKEY_PUBLIC_URL)"},
        std::pair{!config->oauth_providers_file.empty(),
                  "--oauth-providers-file (LATCHKEY_OAUTH_PROVIDERS_FILE)"}}) {
    if (given) return InvalidArgument(std::string("dev mode sets its own ") + flag + "; drop it");
  }
  // Its own keys, whatever the environment holds: a new admin key, printed
  // (the setup below needs it), and a new master key in the temp dir.
  config->admin_key.reset();
  config->master_keys.reset();
  if (config->port == 0) {
    ASSIGN_OR_RETURN(config->port, FreePort());
  }
  char dir[] = "/tmp/latchkey-dev-XXXXXX";
  if (::mkdtemp(dir) == nullptr) return Unavailable("cannot create a temporary directory");
  config->data_dir = dir;
  config->dev_mode = true;
  std::string host =
      config->host.find(':') != std::string::npos ? "[" + config->host + "]" : config->host;
  config->public_url = "http://" + host + ":" + std::to_string(config->port);
  config->oauth_providers_file = config->data_dir + "/dev-providers.json";
  std::ofstream(config->oauth_providers_file) << DevProviders::ProvidersJson(config->public_url);
  config->proxy_allow_http.push_back(config->host);
  config->proxy_allow_private = "127.0.0.0/8,::1/128";
  return Status::Ok();
}

Status BootstrapDev(const std::string& base, const std::string& admin_key,
                    const std::string& data_dir) {
  ASSIGN_OR_RETURN(json account,
                   Call(base, admin_key, "POST", "/admin/accounts", {{"name", "dev"}}));
  ASSIGN_OR_RETURN(std::string key, StringField(account, "apiKey"));
  ASSIGN_OR_RETURN(std::string id, StringField(account, "id"));
  for (const char* p : {"google", "microsoft", "slack", "github", "notion"}) {
    json registration = {{"clientId", DevProviders::ClientId(p)},
                         {"clientSecret", DevProviders::ClientSecret(p)}};
    // Slack's bot scopes have no default: without any there is no bot token.
    if (std::string(p) == "slack") registration["scopes"] = {"chat:write", "channels:read"};
    RETURN_IF_ERROR(
        Call(base, key, "PUT", std::string("/oauth/providers/") + p, registration).status());
  }
  RETURN_IF_ERROR(
      Call(base, key, "PUT", "/oauth/redirect-uris", {{"redirectUris", {base + "/dev/connected"}}})
          .status());
  RETURN_IF_ERROR(
      Call(base, key, "POST", "/certificates", {{"name", "dev-signer"}, {"custody", "managed"}})
          .status());
  std::string host = base.substr(base.find("://") + 3);
  json secret = {{"name", "echo"},
                 {"type", "API_KEY"},
                 {"value", "dev-echo-secret-" + Base64UrlEncode(AsView(RandomBytes(9)))},
                 {"allowedHosts", {host}},
                 {"baseUrl", base + "/dev/echo"}};
  RETURN_IF_ERROR(Call(base, key, "POST", "/secrets", secret).status());
  ASSIGN_OR_RETURN(json agent,
                   Call(base, key, "POST", "/api-keys",
                        {{"name", "dev-agent"}, {"scopes", {"proxy"}}, {"credentials", {"echo"}}}));
  ASSIGN_OR_RETURN(std::string agent_key, StringField(agent, "apiKey"));
  PrintBanner(base, data_dir, id, key, agent_key);
  return Status::Ok();
}

int RunDev(Config config) {
  Status prepared = PrepareDevConfig(&config);
  if (!prepared.ok()) return ConfigError(prepared.message());
  int code = RunServer(config);
  std::error_code ec;
  std::filesystem::remove_all(config.data_dir, ec);
  return code;
}

}  // namespace latchkey
