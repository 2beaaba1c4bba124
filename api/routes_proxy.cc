// ANY /v1/proxy and ANY /proxy/{credential}/{path...}: a request forwarded
// with a stored credential injected, its answer streamed back as it arrives.
#include <memory>

#include "api/app.h"
#include "api/responses.h"
#include "api/schemas/proxy.h"
#include "api/sdk_key.h"
#include "common/names.h"
#include "services/accounts/scopes.h"

namespace latchkey {
namespace {

// Adapts the transport's stream to the proxy's sink.
class StreamSink final : public ProxySink {
 public:
  explicit StreamSink(std::shared_ptr<ResponseStream> out) : out_(std::move(out)) {}
  bool Start(int status, const HeaderList& headers) override {
    std::string content_type = "application/octet-stream";
    HeaderList rest;
    for (const auto& [name, value] : headers) {
      if (strcasecmp(name.c_str(), "Content-Type") == 0) {
        content_type = value;
      } else {
        rest.emplace_back(name, value);
      }
    }
    return out_->Start(status, content_type, rest);
  }
  bool Write(std::string_view chunk, bool last) override { return out_->Write(chunk, last); }
  void Fail(const Status& error) override { out_->Respond(ErrorResponse(error)); }
  bool Congested() const override { return out_->Congested(); }
  int fd() const override { return out_->fd(); }
  bool Flush() override { return out_->Flush(); }
  void End() override { out_->End(); }

 private:
  std::shared_ptr<ResponseStream> out_;
};

// The call the request describes (headers X-Target-Url, X-Credential-Name
// or X-Oauth-Token-Id, X-Target-Method).
Result<std::shared_ptr<ProxyCall>> ProxyCallOf(RequestContext& ctx) {
  auto call = std::make_shared<ProxyCall>();
  const HttpRequest& req = ctx.request;
  call->account_id = ctx.account_id();
  call->allowed_credentials = ctx.principal->credentials;
  call->credential = req.Header("X-Credential-Name").value_or("");
  if (auto token = req.Header("X-Oauth-Token-Id")) {
    if (!call->credential.empty()) {
      return InvalidArgument("send X-Credential-Name or X-Oauth-Token-Id, not both");
    }
    call->credential = kOAuthCredentialPrefix + *token;
  }
  call->target_url = req.Header("X-Target-Url").value_or("");
  call->method = req.Header("X-Target-Method").value_or(req.method);
  for (const auto& [name, value] : req.headers) call->headers.emplace_back(name, value);
  call->body = req.body;
  call->audit = ctx.audit;
  return call;
}

// The call a request by path describes: /proxy/{credential}/{path} to
// the credential's base URL, /proxy/oauth/{tokenId}/{path} to the token's
// provider API. The caller's key came the way an SDK sends its own;
// wherever it came, it does not go on.
Result<std::shared_ptr<ProxyCall>> PathCallOf(RequestContext& ctx, const std::string& credential) {
  const HttpRequest& req = ctx.request;
  const std::string& path = req.path_params.at("path");
  RETURN_IF_ERROR(CheckBasePath(path));
  std::string key = BearerToken(req).value_or(SdkKey(req).value_or(""));
  auto call = std::make_shared<ProxyCall>();
  call->account_id = ctx.account_id();
  call->allowed_credentials = ctx.principal->credentials;
  call->credential = credential;
  std::string query = QueryWithoutKey(req.raw_query, key);
  call->base_path = query.empty() ? path : path + "?" + query;
  call->method = req.method;
  for (const auto& [name, value] : req.headers) {
    if (!CarriesKey(name, value, key)) call->headers.emplace_back(name, value);
  }
  call->body = req.body;
  call->audit = ctx.audit;
  return call;
}

// Streams `call`'s answer as it arrives.
Result<HttpResponse> Stream(const ProxyRouteDeps& d, std::shared_ptr<ProxyCall> call) {
  ASSIGN_OR_RETURN(TargetUrl target, d.proxy.Precheck(*call));
  HttpResponse response;
  response.stream = [&proxy = d.proxy, call,
                     target = std::move(target)](std::shared_ptr<ResponseStream> out) mutable {
    call->cancel = &out->cancelled();
    proxy.Forward(std::move(*call), std::move(target), std::make_shared<StreamSink>(out));
  };
  return response;
}

Result<HttpResponse> ForwardRequest(const ProxyRouteDeps& d, RequestContext& ctx) {
  ASSIGN_OR_RETURN(std::shared_ptr<ProxyCall> call, ProxyCallOf(ctx));
  return Stream(d, std::move(call));
}

Result<HttpResponse> ForwardByPath(const ProxyRouteDeps& d, RequestContext& ctx) {
  // Decoded from the path, so it could hold what no header could (a line
  // break for the audit record): only a provider id or a secret name.
  const std::string& credential = ctx.request.path_params.at("credential");
  if (!IsCredentialName(credential)) {
    return InvalidArgument(
        "the path must start with a credential name (a provider id or a secret"
        " name: letters, digits, '-', '_', '.')");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<ProxyCall> call, PathCallOf(ctx, credential));
  return Stream(d, std::move(call));
}

Result<HttpResponse> ForwardOAuthByPath(const ProxyRouteDeps& d, RequestContext& ctx) {
  const std::string& token_id = ctx.request.path_params.at("tokenId");
  if (!IsCredentialName(token_id)) {
    return InvalidArgument("the path must be /proxy/oauth/{tokenId}/..., with a token id");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<ProxyCall> call,
                   PathCallOf(ctx, kOAuthCredentialPrefix + token_id));
  return Stream(d, std::move(call));
}

const RouteDoc kForwardDoc = {
    "Forward a request with a stored credential injected (headers X-Target-Url,"
    " X-Credential-Name or X-Oauth-Token-Id, optional X-Target-Method); the"
    " upstream's status, headers and body are streamed back",
    "proxy", "", schemas::kProxiedResponse};

// One route per method the proxy forwards.
const RouteRow<ProxyRouteDeps> kProxyRoutes[] = {
    {{"GET", "/v1/proxy", AuthKind::kApiKey, scopes::kProxy, kBlocking, ForwardRequest},
     kForwardDoc},
    {{"POST", "/v1/proxy", AuthKind::kApiKey, scopes::kProxy, kBlocking, ForwardRequest},
     kForwardDoc},
    {{"PUT", "/v1/proxy", AuthKind::kApiKey, scopes::kProxy, kBlocking, ForwardRequest},
     kForwardDoc},
    {{"PATCH", "/v1/proxy", AuthKind::kApiKey, scopes::kProxy, kBlocking, ForwardRequest},
     kForwardDoc},
    {{"DELETE", "/v1/proxy", AuthKind::kApiKey, scopes::kProxy, kBlocking, ForwardRequest},
     kForwardDoc},
    {{"OPTIONS", "/v1/proxy", AuthKind::kApiKey, scopes::kProxy, kBlocking, ForwardRequest},
     kForwardDoc},
};

const RouteDoc kByPathDoc = {
    "Drop-in base URL for a provider SDK: forwards to the credential's base URL plus the"
    " rest of the path and the query, with the credential injected; the caller's key may"
    " come as Authorization: Bearer, x-api-key, x-goog-api-key, api-key or ?key=",
    "proxy", "", schemas::kProxiedResponse};

constexpr char kByPath[] = "/proxy/{credential}/{path...}";

const RouteRow<ProxyRouteDeps> kByPathRoutes[] = {
    {{"GET", kByPath, AuthKind::kSdkKey, scopes::kProxy, kBlocking, ForwardByPath}, kByPathDoc},
    {{"POST", kByPath, AuthKind::kSdkKey, scopes::kProxy, kBlocking, ForwardByPath}, kByPathDoc},
    {{"PUT", kByPath, AuthKind::kSdkKey, scopes::kProxy, kBlocking, ForwardByPath}, kByPathDoc},
    {{"PATCH", kByPath, AuthKind::kSdkKey, scopes::kProxy, kBlocking, ForwardByPath}, kByPathDoc},
    {{"DELETE", kByPath, AuthKind::kSdkKey, scopes::kProxy, kBlocking, ForwardByPath}, kByPathDoc},
    {{"OPTIONS", kByPath, AuthKind::kSdkKey, scopes::kProxy, kBlocking, ForwardByPath}, kByPathDoc},
};

const RouteDoc kOAuthByPathDoc = {
    "An OAuth connection's provider API by path: forwards to the provider's API base URL"
    " (apiBaseUrl) plus the rest of the path and the query, with a fresh access token"
    " (refreshed first when due) and the provider's version headers unless the caller sent"
    " its own",
    "proxy", "", schemas::kProxiedResponse};

constexpr char kOAuthByPath[] = "/proxy/oauth/{tokenId}/{path...}";

const RouteRow<ProxyRouteDeps> kOAuthByPathRoutes[] = {
    {{"GET", kOAuthByPath, AuthKind::kSdkKey, scopes::kProxy, kBlocking, ForwardOAuthByPath},
     kOAuthByPathDoc},
    {{"POST", kOAuthByPath, AuthKind::kSdkKey, scopes::kProxy, kBlocking, ForwardOAuthByPath},
     kOAuthByPathDoc},
    {{"PUT", kOAuthByPath, AuthKind::kSdkKey, scopes::kProxy, kBlocking, ForwardOAuthByPath},
     kOAuthByPathDoc},
    {{"PATCH", kOAuthByPath, AuthKind::kSdkKey, scopes::kProxy, kBlocking, ForwardOAuthByPath},
     kOAuthByPathDoc},
    {{"DELETE", kOAuthByPath, AuthKind::kSdkKey, scopes::kProxy, kBlocking, ForwardOAuthByPath},
     kOAuthByPathDoc},
    {{"OPTIONS", kOAuthByPath, AuthKind::kSdkKey, scopes::kProxy, kBlocking, ForwardOAuthByPath},
     kOAuthByPathDoc},
};

}  // namespace

void AddProxyRoutes(Router& router, const ProxyRouteDeps& deps) {
  AddRoutes(router, deps, kProxyRoutes);
  AddRoutes(router, deps, kByPathRoutes);
  AddRoutes(router, deps, kOAuthByPathRoutes);
}

}  // namespace latchkey
