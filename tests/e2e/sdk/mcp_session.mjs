// Drives one MCP session with the official TypeScript SDK
// (@modelcontextprotocol/sdk: Client and StreamableHTTPClientTransport, the
// API key sent through requestInit) for mcp_test.py. Reads one step per
// line on stdin and writes one JSON answer per line on stdout, so the test
// can act between steps (revoke the key mid-session):
//   {"op": "connect", "url": ".../mcp", "key": "lk_..."}
//   {"op": "list"} | {"op": "ping"} | {"op": "close"}
//   {"op": "call", "name": "proxy_request", "arguments": {...}}
// A step that throws answers {"ok": false, "error": message, "code": code}.
import readline from "node:readline";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

let client;
let transport;

async function run(step) {
  switch (step.op) {
    case "connect": {
      transport = new StreamableHTTPClientTransport(new URL(step.url), {
        requestInit: { headers: { Authorization: "Bearer " + step.key } },
      });
      client = new Client({ name: "latchkey-e2e", version: "1.0.0" });
      await client.connect(transport);
      return {
        sessionId: transport.sessionId,
        protocolVersion: transport.protocolVersion,
        server: client.getServerVersion(),
        capabilities: client.getServerCapabilities(),
        instructions: client.getInstructions(),
      };
    }
    case "list":
      return { tools: (await client.listTools()).tools };
    case "call":
      return { result: await client.callTool({ name: step.name, arguments: step.arguments }) };
    case "ping":
      return { pong: await client.ping() };
    case "close":
      await transport.terminateSession();
      await client.close();
      return {};
    default:
      throw new Error("unknown op " + step.op);
  }
}

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  let answer;
  try {
    answer = { ok: true, ...(await run(JSON.parse(line))) };
  } catch (e) {
    answer = { ok: false, error: String(e?.message ?? e), code: e?.code ?? null };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
