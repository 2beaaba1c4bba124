#include "api/mcp_tools.h"

#include <strings.h>

#include <cstring>
#include <map>
#include <memory>

#include "api/json_body.h"
#include "api/json_views.h"
#include "common/names.h"
#include "common/strings.h"
#include "services/accounts/scopes.h"

namespace latchkey {
namespace {

using json = nlohmann::json;

// Collects a proxied answer into a tool result: status, headers and up to
// kMaxToolBodyBytes of the body (past it the transfer stops, and the
// result says "truncated"). An answer that broke off otherwise is an error.
class CollectSink final : public ProxySink {
 public:
  explicit CollectSink(ToolDone done) : done_(std::move(done)) {}
  bool Start(int status, const HeaderList& headers) override {
    status_ = status;
    for (const auto& [name, value] : headers) {
      std::string& joined = headers_[name];
      joined += joined.empty() ? value : ", " + value;
    }
    return true;
  }
  bool Write(std::string_view chunk, bool last) override {
    (void)last;
    size_t room = kMaxToolBodyBytes - body_.size();
    body_.append(chunk.substr(0, room));
    truncated_ = chunk.size() > room;
    return !truncated_;
  }
  void Fail(const Status& error) override { error_ = error; }
  void Interrupted(const Status& why) override {
    if (truncated_) return;  // our own doing
    error_ = UpstreamError("the upstream's answer broke off after " + std::to_string(body_.size()) +
                           " bytes: " + why.message());
  }
  bool Congested() const override { return false; }
  int fd() const override { return -1; }
  bool Flush() override { return true; }
  void End() override {
    if (!error_.ok()) return done_(error_);
    done_(json{{"status", status_},
               {"headers", headers_},
               {"body", std::move(body_)},
               {"truncated", truncated_}});
  }

 private:
  ToolDone done_;
  Status error_;
  int status_ = 0;
  std::map<std::string, std::string> headers_;
  std::string body_;
  bool truncated_ = false;
};

// The request headers and body a tool's arguments name. A JSON body (an
// object or array) is sent as application/json unless the headers say
// otherwise; a string goes as it is.
Status ReadRequestParts(const JsonBody& args, ProxyCall& call) {
  ASSIGN_OR_RETURN(auto headers, args.OptionalStringMap("headers"));
  bool has_type = false;
  for (const auto& [name, value] : headers) {
    if (!IsHeaderName(name) || !IsHeaderValue(value)) {
      return InvalidArgument("headers: '" + name.substr(0, 64) +
                             "' must be a header name with a one-line value");
    }
    has_type |= strcasecmp(name.c_str(), "Content-Type") == 0;
    call.headers.emplace_back(name, value);
  }
  ASSIGN_OR_RETURN(auto method, args.OptionalString("method"));
  call.method = method.value_or("GET");
  if (!args.Has("body") || args.json()["body"].is_null()) return Status::Ok();
  const json& body = args.json()["body"];
  if (body.is_string()) {
    call.body = body.get<std::string>();
  } else if (body.is_object() || body.is_array()) {
    call.body = body.dump();
    if (!has_type) call.headers.emplace_back("Content-Type", "application/json");
  } else {
    return InvalidArgument("body must be a string, an object or an array");
  }
  return Status::Ok();
}

// A proxy call on behalf of the tool's caller.
ProxyCall CallFor(const McpToolCall& tool) {
  ProxyCall call;
  call.account_id = tool.caller.account_id;
  call.allowed_credentials = tool.caller.credentials;
  call.audit = tool.audit;
  call.cancel = tool.cancel;
  return call;
}

// Forwards `call` through the proxy; its answer (or refusal) ends up in `done`.
void Forward(ProxyService& proxy, Result<ProxyCall> call, ToolDone done) {
  if (!call.ok()) return done(call.status());
  proxy.Forward(std::move(*call), std::make_shared<CollectSink>(std::move(done)));
}

Result<ProxyCall> ProxyRequestCall(const McpToolCall& tool, const json& arguments) {
  ASSIGN_OR_RETURN(JsonBody args, JsonBody::Parse(arguments.dump(), {"credential", "url", "method",
                                                                     "headers", "body"}));
  ProxyCall call = CallFor(tool);
  ASSIGN_OR_RETURN(call.credential, args.RequiredString("credential"));
  // Into the audit record it goes: a provider id, a secret name, or
  // "oauth:" and a token id, nothing else.
  std::string_view name = call.credential;
  if (name.starts_with(kOAuthCredentialPrefix)) name.remove_prefix(strlen(kOAuthCredentialPrefix));
  if (!IsCredentialName(name)) {
    return InvalidArgument(
        "credential must be a provider id or a secret name as list_credentials shows, or"
        " oauth:<tokenId>");
  }
  ASSIGN_OR_RETURN(call.target_url, args.RequiredString("url"));
  RETURN_IF_ERROR(ReadRequestParts(args, call));
  return call;
}

Result<ProxyCall> CallOAuthApiCall(const McpToolCall& tool, const json& arguments) {
  ASSIGN_OR_RETURN(JsonBody args, JsonBody::Parse(arguments.dump(), {"tokenId", "path", "method",
                                                                     "headers", "body"}));
  ASSIGN_OR_RETURN(std::string token_id, args.RequiredString("tokenId"));
  if (!IsCredentialName(token_id)) return InvalidArgument("tokenId is not a token id");
  ASSIGN_OR_RETURN(std::string path, args.RequiredString("path"));
  size_t start = path.find_first_not_of('/');
  path = start == std::string::npos ? "" : path.substr(start);
  size_t query = path.find('?');
  Status inside = CheckBasePath(path.substr(0, query));
  if (!inside.ok()) return InvalidArgument("path: " + inside.message());
  ProxyCall call = CallFor(tool);
  RETURN_IF_ERROR(ReadRequestParts(args, call));
  call.credential = kOAuthCredentialPrefix + token_id;
  call.base_path = path;
  return call;
}

Result<json> RunListCredentials(const McpToolDeps& d, const Principal& caller,
                                const json& arguments) {
  RETURN_IF_ERROR(JsonBody::Parse(arguments.dump(), {}).status());
  ASSIGN_OR_RETURN(CredentialsSummary summary, d.credentials.Summary(caller.account_id));
  ASSIGN_OR_RETURN(auto secrets, d.credentials.ListSecrets(caller.account_id));
  json list = json::array();
  for (const auto& info : secrets) list.push_back(ToJson(info));
  return json{{"providerKeys", ToJson(summary)}, {"secrets", list}};
}

Result<json> RunListOAuthConnections(const McpToolDeps& d, const Principal& caller,
                                     const json& arguments) {
  ASSIGN_OR_RETURN(JsonBody args, JsonBody::Parse(arguments.dump(), {"identifierId", "provider"}));
  ASSIGN_OR_RETURN(auto identifier, args.OptionalString("identifierId"));
  ASSIGN_OR_RETURN(auto provider, args.OptionalString("provider"));
  ASSIGN_OR_RETURN(auto list,
                   d.oauth_tokens.List(caller.account_id, TokenFilter{identifier, provider, 1000}));
  json out = json::array();
  for (const auto& t : list) out.push_back(ToJson(t));
  return json{{"connections", out}};
}

Result<json> RunSignToken(const McpToolDeps& d, const Principal& caller, const json& arguments) {
  int64_t max_lifetime = d.certificates.options().max_token_lifetime.count();
  ASSIGN_OR_RETURN(TokenRequest request, ParseTokenRequest(arguments.dump(), max_lifetime));
  ASSIGN_OR_RETURN(
      SignedToken token,
      d.tokens.Sign(caller.account_id, AccountIssuer(d.options, caller.account_id), request));
  return json{{"token", token.token},
              {"kid", token.kid},
              {"jti", token.jti},
              {"expiresAt", FormatIso8601(token.expires_at)}};
}

Result<json> RunGetJwksUrl(const McpToolDeps& d, const Principal& caller, const json& arguments) {
  RETURN_IF_ERROR(JsonBody::Parse(arguments.dump(), {}).status());
  std::string issuer = AccountIssuer(d.options, caller.account_id);
  return json{{"issuer", issuer},
              {"jwksUrl", issuer + "/.well-known/jwks.json"},
              {"openidConfigurationUrl", issuer + "/.well-known/openid-configuration"}};
}

// A tool that answers at once from `fn`.
template <typename Fn>
auto AnswersAtOnce(const McpToolDeps& d, Fn fn) {
  return [d, fn](const McpToolCall& call, const json& arguments, ToolDone done) {
    done(fn(d, call.caller, arguments));
  };
}

const json kNoArguments = {
    {"type", "object"}, {"properties", json::object()}, {"additionalProperties", false}};

json ObjectSchema(json properties, std::vector<std::string> required) {
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"required", std::move(required)},
          {"additionalProperties", false}};
}

const json kMethod = {{"type", "string"},
                      {"enum", {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}},
                      {"description", "HTTP method; GET when left out"}};
const json kHeaders = {{"type", "object"},
                       {"additionalProperties", {{"type", "string"}}},
                       {"description",
                        "extra request headers (never credentials: those are"
                        " added for you)"}};
const json kBody = {{"type", {"string", "object", "array"}},
                    {"description",
                     "request body: a string as it is, or JSON (sent as"
                     " application/json)"}};

// A tool that forwards through the proxy the call `make_call` reads from
// its arguments; its schema is `target` (what to call, all required) plus
// method, headers and body.
McpTool ProxyingTool(const McpToolDeps& d, std::string name, std::string title,
                     std::string description, json target,
                     Result<ProxyCall> (*make_call)(const McpToolCall&, const json&)) {
  McpTool t;
  t.name = std::move(name);
  t.title = std::move(title);
  t.description = std::move(description);
  std::vector<std::string> required;
  for (const auto& [field, schema] : target.items()) required.push_back(field);
  target["method"] = kMethod;
  target["headers"] = kHeaders;
  target["body"] = kBody;
  t.input_schema = ObjectSchema(std::move(target), std::move(required));
  t.scope = scopes::kProxy;
  t.read_only = false;
  t.run = [&proxy = d.proxy, make_call](const McpToolCall& call, const json& arguments,
                                        ToolDone done) {
    Forward(proxy, make_call(call, arguments), std::move(done));
  };
  return t;
}

McpTool ProxyRequestTool(const McpToolDeps& d) {
  return ProxyingTool(
      d, "proxy_request", "Call an API with a stored credential",
      "Send an HTTP request to a provider API (OpenAI, Anthropic, ...) with one of this"
      " account's stored credentials added. You name the credential; you never see it. The"
      " URL must be https and on the credential's allowed hosts. Returns the status, headers"
      " and up to 64 KiB of the body.",
      {{"credential",
        {{"type", "string"},
         {"description",
          "a provider id (openai, anthropic, ...) or a secret's name, as"
          " list_credentials shows them"}}},
       {"url", {{"type", "string"}, {"description", "absolute https URL"}}}},
      ProxyRequestCall);
}

McpTool CallOAuthApiTool(const McpToolDeps& d) {
  return ProxyingTool(
      d, "call_oauth_api", "Call a connected user's API",
      "Call the API of an OAuth connection's provider (Google, Microsoft Graph, Slack, GitHub,"
      " Notion) as the user who connected it. The path is relative to the provider's API"
      " (\"gmail/v1/users/me/profile\", \"v1.0/me\", \"conversations.list\", \"user\","
      " \"v1/search\"); the token is added and refreshed for you. Returns the status, headers"
      " and up to 64 KiB of the body.",
      {{"tokenId",
        {{"type", "string"}, {"description", "a connection id from list_oauth_connections"}}},
       {"path", {{"type", "string"}, {"description", "path under the API, with any query"}}}},
      CallOAuthApiCall);
}

McpTool ListCredentialsTool(const McpToolDeps& d) {
  McpTool t;
  t.name = "list_credentials";
  t.title = "List stored credentials";
  t.description =
      "List this account's provider keys and secrets: which exist, their last 4 characters,"
      " allowed hosts and base URLs. Never the values. Use the names with proxy_request.";
  t.input_schema = kNoArguments;
  t.scope = scopes::kCredentialsRead;
  t.run = AnswersAtOnce(d, RunListCredentials);
  return t;
}

McpTool ListConnectionsTool(const McpToolDeps& d) {
  McpTool t;
  t.name = "list_oauth_connections";
  t.title = "List OAuth connections";
  t.description =
      "List the users' OAuth connections (id, provider, the user's identifier, status, scopes,"
      " expiry), optionally for one user or one provider. Never a token. Use the id with"
      " call_oauth_api.";
  t.input_schema = ObjectSchema(
      {{"identifierId", {{"type", "string"}, {"description", "only this user's connections"}}},
       {"provider",
        {{"type", "string"},
         {"description", "only this provider's (google, microsoft, slack, github, notion)"}}}},
      {});
  t.scope = scopes::kOauthRead;
  t.run = AnswersAtOnce(d, RunListOAuthConnections);
  return t;
}

McpTool SignTokenTool(const McpToolDeps& d) {
  McpTool t;
  t.name = "sign_token";
  t.title = "Sign a JWT";
  t.description =
      "Sign a JWT with this account's current managed key. Third parties verify it with the"
      " keys at get_jwks_url. Returns the token, its kid, jti and expiry.";
  t.input_schema = ObjectSchema(
      {{"claims", {{"type", "object"}, {"description", "custom claims"}}},
       {"audience", {{"type", {"string", "array"}}, {"description", "aud: a string or strings"}}},
       {"subject", {{"type", "string"}, {"description", "sub"}}},
       {"expiresIn", {{"type", "integer"}, {"minimum", 1}, {"description", "lifetime, seconds"}}}},
      {});
  t.scope = scopes::kTokensSign;
  t.read_only = false;
  t.run = AnswersAtOnce(d, RunSignToken);
  return t;
}

McpTool JwksUrlTool(const McpToolDeps& d) {
  McpTool t;
  t.name = "get_jwks_url";
  t.title = "Where this account's public keys are";
  t.description =
      "The account's JWKS URL, OpenID discovery URL and token issuer: what a service needs"
      " to verify tokens from sign_token.";
  t.input_schema = kNoArguments;
  t.run = AnswersAtOnce(d, RunGetJwksUrl);
  return t;
}

}  // namespace

std::vector<McpTool> LatchkeyMcpTools(const McpToolDeps& deps) {
  return {ListCredentialsTool(deps), ProxyRequestTool(deps), ListConnectionsTool(deps),
          CallOAuthApiTool(deps),    SignTokenTool(deps),    JwksUrlTool(deps)};
}

}  // namespace latchkey
