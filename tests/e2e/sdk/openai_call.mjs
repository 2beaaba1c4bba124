// One chat completion through the official OpenAI SDK, pointed at
// latchkeyd's drop-in base URL with the caller's Latchkey key as its API key.
//   node openai_call.mjs [LATCHKEY_URL] [LATCHKEY_API_KEY] [plain|stream]
// (each argument falls back to the environment variable of that name; mode
// to SDK_MODE, then "plain"). Prints one JSON line with what the SDK parsed;
// on an error prints {"error", "status"} to stderr and exits 1.
import OpenAI from "openai";

const base = process.argv[2] || process.env.LATCHKEY_URL;
const apiKey = process.argv[3] || process.env.LATCHKEY_API_KEY;
const mode = process.argv[4] || process.env.SDK_MODE || "plain";

try {
  if (!base || !apiKey) throw new Error("usage: openai_call.mjs URL API_KEY [plain|stream]");
  const client = new OpenAI({
    baseURL: base + "/proxy/openai/v1",
    apiKey,
    organization: null,
    project: null,
    maxRetries: 0,
    timeout: 15000,
  });
  const request = {
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "Say hello." }],
  };
  let out;
  if (mode === "stream") {
    const stream = await client.chat.completions.create({ ...request, stream: true });
    let text = "";
    let chunks = 0;
    let finishReason = null;
    for await (const chunk of stream) {
      chunks += 1;
      const choice = chunk.choices[0];
      text += choice?.delta?.content ?? "";
      finishReason = choice?.finish_reason ?? finishReason;
    }
    out = { mode, text, chunks, finishReason };
  } else if (mode === "plain") {
    const completion = await client.chat.completions.create(request);
    out = {
      mode,
      id: completion.id,
      model: completion.model,
      text: completion.choices[0].message.content,
      finishReason: completion.choices[0].finish_reason,
    };
  } else {
    throw new Error("unknown mode " + mode);
  }
  console.log(JSON.stringify(out));
} catch (err) {
  console.error(JSON.stringify({ error: String(err?.message ?? err), status: err?.status ?? null }));
  process.exit(1);
}
