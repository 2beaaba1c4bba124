// Sequential chat completions through the official OpenAI SDK (from
// tests/e2e/sdk/node_modules), three ways in alternating rounds:
//   direct  baseURL on the upstream itself (the reference)
//   path    baseURL on latchkeyd's drop-in route, /proxy/openai/v1
//   header  the same SDK with a fetch that sends each call to /v1/proxy
//           with X-Target-Url and X-Credential-Name
// Prints {"direct": [ms...], "path": [...], "header": [...]} on stdout.
// Usage: node bench/openai_sdk_bench.mjs LATCHKEY_URL API_KEY UPSTREAM_URL N
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const sdkDir = path.join(here, "..", "tests", "e2e", "sdk");
const require = createRequire(path.join(sdkDir, "package.json"));
const { default: OpenAI } = await import(pathToFileURL(require.resolve("openai")).href);

const [latchkey, key, upstream, countText] = process.argv.slice(2);
const n = Number(countText);

function toProxy(input, init) {
  const url = typeof input === "string" ? input : input.url;
  const headers = new Headers(init?.headers);
  headers.set("X-Target-Url", url.replace("http://proxy.invalid", upstream));
  headers.set("X-Credential-Name", "openai");
  return fetch(latchkey + "/v1/proxy", { ...init, headers });
}

const clients = {
  direct: new OpenAI({ baseURL: upstream + "/v1", apiKey: "sk-direct", maxRetries: 0 }),
  path: new OpenAI({ baseURL: latchkey + "/proxy/openai/v1", apiKey: key, maxRetries: 0 }),
  header: new OpenAI({ baseURL: "http://proxy.invalid/v1", apiKey: key, maxRetries: 0,
                       fetch: toProxy }),
};

async function round(client, count, out) {
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await client.chat.completions.create({ model: "bench", messages: [{ role: "user", content: "hi" }] });
    out?.push(performance.now() - start);
  }
}

const results = { direct: [], path: [], header: [] };
for (const name of Object.keys(clients)) await round(clients[name], 100);  // warm up
for (let r = 0; r < 4; r++) {
  for (const name of Object.keys(clients)) await round(clients[name], n / 4, results[name]);
}
process.stdout.write(JSON.stringify(results) + "\n");
