// Verifies one webhook delivery with the Standard Webhooks reference
// library (standardwebhooks on npm), for webhooks_test.py. Reads one JSON
// object on stdin:
//   {"secret": "whsec_...", "headers": {"webhook-id": ..., ...}, "body": "<raw body>"}
// and writes one JSON line on stdout:
//   {"ok": true, "payload": <the verified, parsed body>} or {"ok": false, "error": message}
// The secret is passed exactly as latchkeyd returned it: the library strips
// the "whsec_" prefix itself (Webhook.prefix) before base64-decoding the key.
import { Webhook } from "standardwebhooks";

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;

let answer;
try {
  const { secret, headers, body } = JSON.parse(input);
  const payload = new Webhook(secret).verify(body, headers);
  answer = { ok: true, payload };
} catch (e) {
  answer = { ok: false, error: String(e?.message ?? e) };
}
process.stdout.write(JSON.stringify(answer) + "\n");
