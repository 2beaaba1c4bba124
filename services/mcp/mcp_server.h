// McpServer: the Model Context Protocol over its Streamable HTTP transport,
// so agent hosts (Claude Desktop, Cursor, the OpenAI Agents SDK) can use
// Latchkey's tools with an API key and nothing else.
//
// One endpoint takes JSON-RPC 2.0 messages in POST bodies and answers each
// request with one JSON object (never an event stream); GET is 405 (the
// server sends no messages of its own) and DELETE ends a session.
// Protocol revisions: 2025-11-25 (current) and 2025-06-18 (previous), plus
// 2025-03-26, the first with this transport; `initialize` settles on the
// client's revision when it is one of these, else on the current one.
//
// Sessions: `initialize` opens one and answers its id in Mcp-Session-Id;
// every other request must carry it (400 without, 404 when unknown, ended,
// idle past McpOptions::idle, evicted by the caps, or opened by another
// API key). Sessions hold
// only the key that opened them and the revision: who may do what is read
// from the key on every request, so a key revoked mid-session is refused at
// once (401, before this class is reached). They live in this process;
// behind a load balancer without affinity a client meets 404 and, as the
// specification requires, opens a new session.
//
// Tools are listed and callable only when the key has their scope. Their
// arguments are checked by the tool (InvalidArgument becomes a JSON-RPC
// -32602 error naming the argument); a tool that throws is -32603; any
// other failure is a tool result with isError, so a model reads why. Each
// call of a known tool is an audit event mcp.tool_call (tool, outcome:
// success, invalid, failure or denied, and the error's message), never
// the arguments: they may carry request bodies and headers.
//
// Thread-safety: safe for concurrent use. A tool may finish on another
// thread (the proxy's), even after this server is destroyed (the audit
// writer and clock must outlive it); `respond` is called exactly once per
// Handle.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/audit_log.h"
#include "common/audit_writer.h"
#include "common/clock.h"
#include "common/principal.h"
#include "common/status.h"

namespace latchkey {

// What a tool hands back: its structured result, or an error.
using ToolDone = std::function<void(Result<nlohmann::json>)>;

// One call of a tool: for whom, and how to give up when the server stops.
struct McpToolCall {
  const Principal& caller;
  const AuditContext& audit;
  // Set once the server is shutting down; for work that outlives the call
  // (the proxy's transfers). May be null.
  const std::atomic<bool>* cancel;
};

struct McpTool {
  std::string name;
  std::string title;
  std::string description;  // written for a model
  nlohmann::json input_schema;
  std::string scope;  // the API key scope it needs; empty for any key
  bool read_only = true;
  // Runs the tool; calls `done` once, now or later from another thread.
  // `call` lives only until run returns.
  std::function<void(const McpToolCall& call, const nlohmann::json& arguments, ToolDone done)> run;
};

struct McpOptions {
  std::string server_version = "1";
  std::chrono::seconds idle{3600};  // a session unused this long has ended
  // Past either, the least recently used session (of the account, or of
  // all) ends, so one tenant cannot end the others' sessions.
  size_t max_sessions = 10000;
  size_t max_sessions_per_account = 1000;
  // Origins (scheme://host[:port]) whose browsers may call; a request with
  // any other Origin header is 403 (DNS-rebinding defence). The HTTP route
  // drops an Origin equal to the server's own public URL before this.
  std::vector<std::string> allowed_origins;
};

struct McpHttpRequest {
  std::string method;                           // POST, GET or DELETE
  std::optional<std::string> session_id;        // Mcp-Session-Id
  std::optional<std::string> protocol_version;  // MCP-Protocol-Version
  std::optional<std::string> accept;
  std::optional<std::string> origin;
  std::string body;
  const std::atomic<bool>* cancel = nullptr;  // handed to tools (McpToolCall)
};

struct McpHttpResponse {
  int status = 200;
  std::string body;  // a JSON-RPC message, or empty
  std::vector<std::pair<std::string, std::string>> headers;
};

class McpServer {
 public:
  static constexpr char kCurrentRevision[] = "2025-11-25";

  McpServer(std::vector<McpTool> tools, AuditWriter& audit, const Clock& clock,
            McpOptions options = {});

  McpServer(const McpServer&) = delete;
  McpServer& operator=(const McpServer&) = delete;

  // One HTTP exchange from an authenticated caller.
  void Handle(const Principal& caller, const AuditContext& audit, const McpHttpRequest& request,
              std::function<void(McpHttpResponse)> respond);

  // The tools `caller` may see, in listing order.
  std::vector<const McpTool*> ToolsFor(const Principal& caller) const;

  size_t session_count() const;

 private:
  struct Session {
    std::string account_id;
    std::string key_id;
    TimePoint last_used;
  };

  // The transport's checks before any message is read; nullopt when the
  // exchange may go on.
  std::optional<McpHttpResponse> CheckTransport(const McpHttpRequest& request) const;
  McpHttpResponse EndSession(const Principal& caller, const McpHttpRequest& request);
  // Finds the request's session, or the 400/404 that answers it.
  std::optional<McpHttpResponse> CheckSession(const Principal& caller,
                                              const McpHttpRequest& request);
  McpHttpResponse Initialize(const Principal& caller, const nlohmann::json& id,
                             const nlohmann::json& params);
  // Ends the least recently used session of `account_id` when it has
  // reached its cap, and of all when they have. Requires mu_ held.
  void MakeRoomLocked(const std::string& account_id);
  // The tool `params` names, if `caller` may call it; else the error.
  std::variant<const McpTool*, McpHttpResponse> FindTool(const Principal& caller,
                                                         const AuditContext& audit,
                                                         const nlohmann::json& id,
                                                         const nlohmann::json& params);
  void CallTool(const Principal& caller, const AuditContext& audit, const nlohmann::json& id,
                const nlohmann::json& params, const std::atomic<bool>* cancel,
                std::function<void(McpHttpResponse)> respond);

  const std::vector<McpTool> tools_;
  AuditWriter& audit_;
  const Clock& clock_;
  const McpOptions options_;

  mutable std::mutex mu_;
  std::map<std::string, Session> sessions_;  // by id; guarded by mu_
};

}  // namespace latchkey
