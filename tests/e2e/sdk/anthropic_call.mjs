// One message through the official Anthropic SDK, pointed at latchkeyd's
// drop-in base URL with the caller's Latchkey key as its API key.
//   node anthropic_call.mjs [LATCHKEY_URL] [LATCHKEY_API_KEY] [plain|stream]
// (each argument falls back to the environment variable of that name; mode
// to SDK_MODE, then "plain"). Prints one JSON line with what the SDK parsed;
// on an error prints {"error", "status"} to stderr and exits 1.
// Current SDKs send the key as Authorization: Bearer; SDK_AUTH=x-api-key
// sends it as x-api-key instead, as earlier SDKs and other clients do.
import Anthropic from "@anthropic-ai/sdk";

const base = process.argv[2] || process.env.LATCHKEY_URL;
const apiKey = process.argv[3] || process.env.LATCHKEY_API_KEY;
const mode = process.argv[4] || process.env.SDK_MODE || "plain";
const auth = process.env.SDK_AUTH || "bearer";

const textOf = (message) =>
  message.content.filter((block) => block.type === "text").map((block) => block.text).join("");

try {
  if (!base || !apiKey) throw new Error("usage: anthropic_call.mjs URL API_KEY [plain|stream]");
  const client = new Anthropic({
    baseURL: base + "/proxy/anthropic",
    apiKey,
    maxRetries: 0,
    timeout: 15000,
    ...(auth === "x-api-key" ? { defaultHeaders: { "x-api-key": apiKey, Authorization: null } } : {}),
  });
  const request = {
    model: "claude-haiku-4-5",
    max_tokens: 64,
    messages: [{ role: "user", content: "Say hello." }],
  };
  let out;
  if (mode === "stream") {
    const stream = client.messages.stream(request);
    let text = "";
    let deltas = 0;
    stream.on("text", (piece) => {
      deltas += 1;
      text += piece;
    });
    const message = await stream.finalMessage();
    out = { mode, text, deltas, finalText: textOf(message), id: message.id,
            stopReason: message.stop_reason };
  } else if (mode === "plain") {
    const message = await client.messages.create(request);
    out = { mode, id: message.id, model: message.model, text: textOf(message),
            stopReason: message.stop_reason };
  } else {
    throw new Error("unknown mode " + mode);
  }
  console.log(JSON.stringify(out));
} catch (err) {
  console.error(JSON.stringify({ error: String(err?.message ?? err), status: err?.status ?? null }));
  process.exit(1);
}
