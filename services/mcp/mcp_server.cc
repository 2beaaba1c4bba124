#include "services/mcp/mcp_server.h"

#include <algorithm>
#include <atomic>
#include <memory>

#include "common/ids.h"
#include "common/json_text.h"

namespace latchkey {
namespace {

using json = nlohmann::json;

// JSON-RPC 2.0 error codes.
constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;
constexpr int kInternalError = -32603;
constexpr int kTransportError = -32000;  // implementation-defined: session, headers
constexpr int kNoSession = -32001;

constexpr const char* kRevisions[] = {McpServer::kCurrentRevision, "2025-06-18", "2025-03-26"};

bool IsRevision(std::string_view v) {
  return std::find(std::begin(kRevisions), std::end(kRevisions), v) != std::end(kRevisions);
}

McpHttpResponse Answer(int status, const json& message) {
  McpHttpResponse r;
  r.status = status;
  // Replaces invalid UTF-8 (an upstream's body) rather than throwing.
  r.body = message.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

json RpcResult(const json& id, json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json RpcError(const json& id, int code, const std::string& message) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

McpHttpResponse ErrorAnswer(int status, int code, const std::string& message) {
  return Answer(status, RpcError(nullptr, code, message));
}

json ToolJson(const McpTool& tool) {
  return {{"name", tool.name},
          {"title", tool.title},
          {"description", tool.description},
          {"inputSchema", tool.input_schema},
          {"annotations", {{"title", tool.title}, {"readOnlyHint", tool.read_only}}}};
}

void AuditToolCall(AuditWriter& writer, const Clock& clock, const Principal& caller,
                   const AuditContext& audit, const std::string& tool, const char* outcome,
                   const std::string& error) {
  AuditEvent event = AuditEvent::For(audit, caller.account_id, "mcp.tool_call", tool, outcome);
  event.details = {{"tool", tool}};
  if (!error.empty()) event.details.emplace_back("error", error.substr(0, 500));
  writer.Queue(std::move(event), 0, clock.Now());
}

// A tool's outcome as the answer to tools/call `id`: bad arguments are a
// JSON-RPC error; any other failure a result with isError, for the model.
json ToolAnswer(const json& id, const Result<json>& outcome) {
  if (!outcome.ok() && outcome.status().code() == StatusCode::kInvalidArgument) {
    return RpcError(id, kInvalidParams, outcome.status().message());
  }
  if (!outcome.ok()) {
    return RpcResult(id, {{"content", {{{"type", "text"}, {"text", outcome.status().message()}}}},
                          {"isError", true}});
  }
  std::string text = outcome->dump(-1, ' ', false, json::error_handler_t::replace);
  return RpcResult(id, {{"content", {{{"type", "text"}, {"text", text}}}},
                        {"structuredContent", *outcome},
                        {"isError", false}});
}

bool Allowed(const McpTool& tool, const Principal& caller) {
  return tool.scope.empty() || caller.HasScope(tool.scope);
}

}  // namespace

McpServer::McpServer(std::vector<McpTool> tools, AuditWriter& audit, const Clock& clock,
                     McpOptions options)
    : tools_(std::move(tools)), audit_(audit), clock_(clock), options_(std::move(options)) {}

std::vector<const McpTool*> McpServer::ToolsFor(const Principal& caller) const {
  std::vector<const McpTool*> out;
  for (const McpTool& tool : tools_) {
    if (Allowed(tool, caller)) out.push_back(&tool);
  }
  return out;
}

size_t McpServer::session_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

std::optional<McpHttpResponse> McpServer::CheckTransport(const McpHttpRequest& request) const {
  if (request.origin && std::find(options_.allowed_origins.begin(), options_.allowed_origins.end(),
                                  *request.origin) == options_.allowed_origins.end()) {
    return ErrorAnswer(403, kTransportError,
                       "requests from origin '" + request.origin->substr(0, 200) +
                           "' are not allowed; call from a server or from this server's origin");
  }
  if (request.method == "GET") {
    McpHttpResponse r = ErrorAnswer(
        405, kTransportError, "this server sends no messages of its own: POST requests to it");
    r.headers.emplace_back("Allow", "POST, DELETE");
    return r;
  }
  if (request.protocol_version && !IsRevision(*request.protocol_version)) {
    return ErrorAnswer(400, kTransportError,
                       "unsupported MCP-Protocol-Version; this server speaks " +
                           std::string(kCurrentRevision) + ", 2025-06-18 and 2025-03-26");
  }
  if (request.method == "POST" && request.accept &&
      request.accept->find("application/json") == std::string::npos &&
      request.accept->find("*/*") == std::string::npos) {
    return ErrorAnswer(406, kTransportError, "answers are application/json: accept it");
  }
  return std::nullopt;
}

std::optional<McpHttpResponse> McpServer::CheckSession(const Principal& caller,
                                                       const McpHttpRequest& request) {
  if (!request.session_id) {
    return ErrorAnswer(400, kTransportError,
                       "Mcp-Session-Id header is required: send initialize first");
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(*request.session_id);
  TimePoint now = clock_.Now();
  if (it != sessions_.end() && now - it->second.last_used > options_.idle) {
    sessions_.erase(it);
    it = sessions_.end();
  }
  // Another key's session is as unknown as one that never was.
  if (it == sessions_.end() || it->second.key_id != caller.key_id) {
    return ErrorAnswer(404, kNoSession, "session not found or ended: send initialize again");
  }
  it->second.last_used = now;
  return std::nullopt;
}

McpHttpResponse McpServer::EndSession(const Principal& caller, const McpHttpRequest& request) {
  if (auto refused = CheckSession(caller, request)) return *refused;
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(*request.session_id);
  McpHttpResponse r;
  r.status = 204;
  return r;
}

void McpServer::MakeRoomLocked(const std::string& account_id) {
  auto oldest = sessions_.end();
  auto oldest_of_account = sessions_.end();
  size_t of_account = 0;
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    if (oldest == sessions_.end() || it->second.last_used < oldest->second.last_used) oldest = it;
    if (it->second.account_id != account_id) continue;
    ++of_account;
    if (oldest_of_account == sessions_.end() ||
        it->second.last_used < oldest_of_account->second.last_used) {
      oldest_of_account = it;
    }
  }
  if (of_account > 0 && of_account >= options_.max_sessions_per_account) {
    sessions_.erase(oldest_of_account);
  } else if (oldest != sessions_.end() && sessions_.size() >= options_.max_sessions) {
    sessions_.erase(oldest);
  }
}

McpHttpResponse McpServer::Initialize(const Principal& caller, const json& id, const json& params) {
  const json* asked = params.contains("protocolVersion") ? &params["protocolVersion"] : nullptr;
  if (!asked || !asked->is_string()) {
    return Answer(200, RpcError(id, kInvalidParams, "params.protocolVersion must be a string"));
  }
  std::string revision =
      IsRevision(asked->get<std::string>()) ? asked->get<std::string>() : kCurrentRevision;
  std::string session_id = NewId("mcps");
  {
    std::lock_guard<std::mutex> lock(mu_);
    MakeRoomLocked(caller.account_id);
    sessions_[session_id] = Session{caller.account_id, caller.key_id, clock_.Now()};
  }
  json result = {
      {"protocolVersion", revision},
      {"capabilities", {{"tools", {{"listChanged", false}}}}},
      {"serverInfo",
       {{"name", "latchkey"}, {"title", "Latchkey"}, {"version", options_.server_version}}},
      {"instructions",
       "Latchkey holds this account's provider keys, OAuth connections and signing keys. Call"
       " APIs through proxy_request and call_oauth_api: the stored credential is added for you,"
       " and you never see it."}};
  McpHttpResponse r = Answer(200, RpcResult(id, std::move(result)));
  r.headers.emplace_back("Mcp-Session-Id", session_id);
  return r;
}

void McpServer::Handle(const Principal& caller, const AuditContext& audit,
                       const McpHttpRequest& request,
                       std::function<void(McpHttpResponse)> respond) {
  if (auto refused = CheckTransport(request)) return respond(std::move(*refused));
  if (request.method == "DELETE") return respond(EndSession(caller, request));
  if (HasNulByte(request.body)) {
    return respond(ErrorAnswer(400, kParseError, "the body holds a NUL byte"));
  }
  if (!JsonNestingWithin(request.body)) {
    return respond(ErrorAnswer(400, kParseError, JsonTooDeepMessage("the message")));
  }
  json message = json::parse(request.body, nullptr, false);
  if (message.is_discarded()) {
    return respond(ErrorAnswer(400, kParseError, "the body is not JSON"));
  }
  if (message.is_array()) {
    return respond(ErrorAnswer(400, kInvalidRequest, "send one message per request: no batches"));
  }
  if (!message.is_object() || message.value("jsonrpc", json()) != "2.0") {
    return respond(ErrorAnswer(400, kInvalidRequest, "not a JSON-RPC 2.0 message"));
  }
  const json method = message.value("method", json());
  bool has_id = message.contains("id");
  if (!method.is_string()) {
    // A client's response to a request of ours: there are none to answer.
    if (has_id && (message.contains("result") || message.contains("error"))) {
      return respond(McpHttpResponse{202, "", {}});
    }
    return respond(ErrorAnswer(400, kInvalidRequest, "the message has no method"));
  }
  const json id = message.value("id", json());
  if (has_id && !id.is_string() && !id.is_number_integer()) {
    return respond(ErrorAnswer(400, kInvalidRequest, "id must be a string or an integer"));
  }
  const json params = message.value("params", json::object());
  if (!params.is_object()) {
    return respond(Answer(200, RpcError(id, kInvalidParams, "params must be an object")));
  }
  const std::string name = method.get<std::string>();
  if (name == "initialize" && has_id) return respond(Initialize(caller, id, params));
  if (auto refused = CheckSession(caller, request)) return respond(std::move(*refused));
  if (!has_id) return respond(McpHttpResponse{202, "", {}});  // notifications need nothing
  if (name == "ping") return respond(Answer(200, RpcResult(id, json::object())));
  if (name == "tools/list") {
    json list = json::array();
    for (const McpTool* tool : ToolsFor(caller)) list.push_back(ToolJson(*tool));
    return respond(Answer(200, RpcResult(id, {{"tools", list}})));
  }
  if (name == "tools/call") {
    return CallTool(caller, audit, id, params, request.cancel, std::move(respond));
  }
  respond(Answer(
      200, RpcError(id, kMethodNotFound, "method '" + name.substr(0, 100) + "' is not supported")));
}

std::variant<const McpTool*, McpHttpResponse> McpServer::FindTool(const Principal& caller,
                                                                  const AuditContext& audit,
                                                                  const json& id,
                                                                  const json& params) {
  const json name = params.value("name", json());
  if (!name.is_string()) {
    return Answer(200, RpcError(id, kInvalidParams, "params.name must name a tool"));
  }
  if (!params.value("arguments", json::object()).is_object()) {
    return Answer(200, RpcError(id, kInvalidParams, "params.arguments must be an object"));
  }
  const std::string tool_name = name.get<std::string>();
  auto it = std::find_if(tools_.begin(), tools_.end(),
                         [&](const McpTool& t) { return t.name == tool_name; });
  if (it == tools_.end()) {
    return Answer(200,
                  RpcError(id, kInvalidParams, "unknown tool '" + tool_name.substr(0, 100) + "'"));
  }
  if (!Allowed(*it, caller)) {
    AuditToolCall(audit_, clock_, caller, audit, it->name, "denied", "lacks scope " + it->scope);
    return Answer(200, RpcError(id, kInvalidParams,
                                "tool '" + it->name + "' needs the '" + it->scope +
                                    "' scope, which this API key lacks"));
  }
  return &*it;
}

void McpServer::CallTool(const Principal& caller, const AuditContext& audit, const json& id,
                         const json& params, const std::atomic<bool>* cancel,
                         std::function<void(McpHttpResponse)> respond) {
  auto found = FindTool(caller, audit, id, params);
  if (auto* refused = std::get_if<McpHttpResponse>(&found)) return respond(std::move(*refused));
  const McpTool& tool = *std::get<const McpTool*>(found);
  // Answered once: by the tool, or here if it throws before it can.
  auto reply = std::make_shared<std::function<void(McpHttpResponse)>>(std::move(respond));
  auto answered = std::make_shared<std::atomic<bool>>(false);
  auto respond_once = [reply, answered](McpHttpResponse r) {
    if (!answered->exchange(true)) (*reply)(std::move(r));
  };
  // May run after this server is gone (the proxy ends its calls when it
  // stops): it holds only what outlives the proxy.
  ToolDone done = [&writer = audit_, &clock = clock_, caller, audit, id, tool = tool.name,
                   respond = respond_once](Result<json> outcome) {
    const char* result = !outcome.ok() && outcome.status().code() == StatusCode::kInvalidArgument
                             ? "invalid"
                             : (outcome.ok() ? "success" : "failure");
    AuditToolCall(writer, clock, caller, audit, tool, result,
                  outcome.ok() ? "" : outcome.status().message());
    respond(Answer(200, ToolAnswer(id, outcome)));
  };
  try {
    tool.run(McpToolCall{caller, audit, cancel}, params.value("arguments", json::object()),
             std::move(done));
  } catch (const std::exception&) {
    if (answered->load()) return;
    AuditToolCall(audit_, clock_, caller, audit, tool.name, "failure", "internal error");
    respond_once(Answer(200, RpcError(id, kInternalError, "the tool failed")));
  }
}

}  // namespace latchkey
