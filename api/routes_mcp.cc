// POST, GET and DELETE /mcp: the MCP server (services/mcp) for agent hosts,
// authenticated by an API key as Authorization: Bearer.
#include <memory>
#include <mutex>

#include "api/app.h"
#include "api/responses.h"

namespace latchkey {
namespace {

HttpResponse ToHttp(McpHttpResponse r) {
  HttpResponse out;
  out.status = r.status;
  out.body = std::move(r.body);
  out.headers = std::move(r.headers);
  if (out.body.empty()) out.content_type.clear();
  return out;
}

// An answer that may come after the handler returns (a tool that proxies):
// whichever of the answer and the transport's stream arrives second sends it.
struct PendingAnswer {
  std::mutex mu;
  std::optional<HttpResponse> ready;    // guarded by mu
  std::shared_ptr<ResponseStream> out;  // guarded by mu
};

void Deliver(const std::shared_ptr<ResponseStream>& out, const HttpResponse& answer) {
  out->Respond(answer);
  out->End();
}

Result<HttpResponse> HandleMcp(const McpRouteDeps& d, RequestContext& ctx) {
  const HttpRequest& req = ctx.request;
  McpHttpRequest mcp{
      req.method,           req.Header("Mcp-Session-Id"), req.Header("MCP-Protocol-Version"),
      req.Header("Accept"), req.Header("Origin"),         req.body};
  if (mcp.origin && *mcp.origin == PublicOrigin(d.options)) mcp.origin.reset();
  auto pending = std::make_shared<PendingAnswer>();
  d.server.Handle(*ctx.principal, ctx.audit, mcp, [pending](McpHttpResponse r) {
    HttpResponse answer = ToHttp(std::move(r));
    std::shared_ptr<ResponseStream> out;
    {
      std::lock_guard<std::mutex> lock(pending->mu);
      if (!pending->out) {
        pending->ready = std::move(answer);
        return;
      }
      out = pending->out;
    }
    Deliver(out, answer);
  });
  {
    std::lock_guard<std::mutex> lock(pending->mu);
    if (pending->ready) return std::move(*pending->ready);
  }
  HttpResponse later;
  later.stream = [pending](std::shared_ptr<ResponseStream> out) {
    std::optional<HttpResponse> answer;
    {
      std::lock_guard<std::mutex> lock(pending->mu);
      if (!pending->ready) {
        pending->out = std::move(out);
        return;
      }
      answer = std::move(pending->ready);
    }
    Deliver(out, *answer);
  };
  return later;
}

const RouteDoc kMcpDoc = {
    "Model Context Protocol (Streamable HTTP, JSON-RPC 2.0): initialize, ping, tools/list,"
    " tools/call; the tools listed are those the key's scopes allow",
    "mcp", "", ""};

const RouteRow<McpRouteDeps> kMcpRoutes[] = {
    {{"POST", "/mcp", AuthKind::kApiKey, "", kBlocking, HandleMcp}, kMcpDoc},
    {{"GET", "/mcp", AuthKind::kApiKey, "", kBlocking, HandleMcp},
     {"Not supported (405): the server sends no messages of its own", "mcp", "", ""}},
    {{"DELETE", "/mcp", AuthKind::kApiKey, "", kBlocking, HandleMcp},
     {"Ends the MCP session named by Mcp-Session-Id", "mcp", "", "", 204}},
};

}  // namespace

std::string PublicOrigin(const AppOptions& options) {
  std::string origin = options.public_url;
  size_t authority = origin.find("://");
  size_t path = origin.find('/', authority == std::string::npos ? 0 : authority + 3);
  if (path != std::string::npos) origin.resize(path);
  return origin;
}

void AddMcpRoutes(Router& router, const McpRouteDeps& deps) { AddRoutes(router, deps, kMcpRoutes); }

}  // namespace latchkey
