// POST, GET and DELETE /mcp: the MCP server (services/mcp) for agent hosts,
// authenticated by an API key as Authorization: Bearer.
//
// Every exchange is answered through the transport's stream, so that it
// runs only once admitted under the cap on streaming requests: a tool that
// proxies keeps its answer pending until the upstream's arrives, and must
// count against that cap like any proxied call, and stop when the server
// does.
#include "api/app.h"
#include "api/responses.h"
#include "common/url.h"

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

// An Origin naming the same scheme, host and port as the public URL.
bool IsOwnOrigin(const std::string& origin, const std::string& public_url) {
  auto a = ParseHttpUrl(origin, "Origin", 2048);
  auto b = ParseHttpUrl(public_url, "public URL", 2048);
  return a.ok() && b.ok() && a->scheme == b->scheme && a->host == b->host && a->port == b->port;
}

Result<HttpResponse> HandleMcp(const McpRouteDeps& d, RequestContext& ctx) {
  const HttpRequest& req = ctx.request;
  auto mcp = std::make_shared<McpHttpRequest>(
      McpHttpRequest{req.method, req.Header("Mcp-Session-Id"), req.Header("MCP-Protocol-Version"),
                     req.Header("Accept"), req.Header("Origin"), req.body});
  if (mcp->origin && IsOwnOrigin(*mcp->origin, d.options.public_url)) mcp->origin.reset();
  HttpResponse response;
  response.stream = [&server = d.server, mcp, caller = *ctx.principal,
                     audit = ctx.audit](std::shared_ptr<ResponseStream> out) {
    mcp->cancel = &out->cancelled();
    server.Handle(caller, audit, *mcp, [out](McpHttpResponse r) {
      out->Respond(ToHttp(std::move(r)));
      out->End();
    });
  };
  return response;
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

void AddMcpRoutes(Router& router, const McpRouteDeps& deps) { AddRoutes(router, deps, kMcpRoutes); }

}  // namespace latchkey
