#!/usr/bin/python3
"""Proxy benchmarks, against references measured in the same run.

An nginx upstream on loopback returns a small body. Then:
1. Added latency: one keep-alive connection, requests in sequence, straight
   to the upstream and through GET /v1/proxy; median and p99 of
   each and of the difference.
2. Throughput: wrk -t2 -c64 through our proxy against nginx configured as a
   reverse proxy that injects the same Authorization header, in alternating
   rounds.
3. The same through the official OpenAI SDK: its drop-in base URL
   (/proxy/openai/v1) against the SDK sending each call to /v1/proxy,
   each as added latency over the SDK straight to the upstream.
4. The two halves of the proxy alone, in the same run, to show the ceiling
   of the stack: latchkeyd's server side (wrk on GET /healthz) and the
   libcurl client side (bench/client_loop_bench: HttpClientLoop keeping 64
   GETs in flight to the same upstream, no server side at all). A proxy made
   of the two costs at least both, so 1/(1/server + 1/client) bounds it.

Usage: bench/proxy_bench.py build/latchkeyd
"""
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import certificates_bench as cb  # noqa: E402  (Daemon, wrk_rate, report, pct)

SECRET = "sk-bench-0123456789abcdef"
UPSTREAM_PORT = 18091
NGINX_PROXY_PORT = 18092


def start_nginx(root):
    with open(root + "/nginx.conf", "w") as f:
        f.write("""worker_processes 2; daemon off; pid %(r)s/nginx.pid; error_log %(r)s/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  client_body_temp_path %(r)s; proxy_temp_path %(r)s; fastcgi_temp_path %(r)s;
  uwsgi_temp_path %(r)s; scgi_temp_path %(r)s;
  upstream origin { server 127.0.0.1:%(up)d; keepalive 64; }
  server { listen 127.0.0.1:%(up)d;
    location / { default_type application/json; return 200 '{"ok":true,"model":"bench"}'; } }
  server { listen 127.0.0.1:%(px)d;
    location / { proxy_pass http://origin; proxy_http_version 1.1;
      proxy_set_header Connection ""; proxy_set_header Authorization "Bearer %(secret)s"; } } }
""" % {"r": root, "up": UPSTREAM_PORT, "px": NGINX_PROXY_PORT, "secret": SECRET})
    proc = subprocess.Popen(["nginx", "-c", root + "/nginx.conf", "-p", root],
                            stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc


def latencies(port, path, headers, n):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    out = []
    for _ in range(n):
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise RuntimeError("GET %s -> %d" % (path, resp.status))
        out.append((time.perf_counter() - start) * 1000)
    conn.close()
    return out


def path_vs_header(daemon, proxy_headers, n):
    """The drop-in form (/proxy/openai/..., as an SDK calls it) against
    /v1/proxy: their added latencies, in alternating rounds."""
    daemon.call("PUT", "/credentials", {
        "openaiApiKey": SECRET, "baseUrls": {"openai": "http://127.0.0.1:%d" % UPSTREAM_PORT}})
    by_path = {"Authorization": "Bearer " + daemon.key}
    latencies(daemon.port, "/proxy/openai/v1/chat", by_path, 200)  # warm up
    direct, header, path = [], [], []
    for _ in range(4):
        direct += latencies(UPSTREAM_PORT, "/v1/chat", {}, n // 4)
        header += latencies(daemon.port, "/v1/proxy", proxy_headers, n // 4)
        path += latencies(daemon.port, "/proxy/openai/v1/chat", by_path, n // 4)
    base = cb.pct(direct, 50)
    added_header, added_path = cb.pct(header, 50) - base, cb.pct(path, 50) - base
    print("drop-in base URL, %d requests each, alternating rounds:" % n)
    print("  added by /v1/proxy                  p50 %6.3f ms (reference)" % added_header)
    print("  added by /proxy/openai/v1/chat      p50 %6.3f ms = %.2f of the reference" %
          (added_path, added_path / added_header if added_header > 0 else float("nan")))


def through_openai_sdk(daemon, n):
    """The official OpenAI SDK on the drop-in route against the same SDK
    sending each call to /v1/proxy, both against the SDK straight to the
    upstream (bench/openai_sdk_bench.mjs; needs make test-deps)."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "openai_sdk_bench.mjs")
    sdk = os.path.join(os.path.dirname(script), "..", "tests", "e2e", "sdk", "node_modules", "openai")
    if not shutil.which("node") or not os.path.isdir(sdk):
        print("through the OpenAI SDK: skipped (needs node and make test-deps)")
        return
    out = subprocess.run(["node", script, daemon.url, daemon.key,
                          "http://127.0.0.1:%d" % UPSTREAM_PORT, str(n)],
                         check=True, capture_output=True, text=True).stdout
    runs = json.loads(out.strip().splitlines()[-1])
    base = cb.pct(runs["direct"], 50)
    added_header, added_path = cb.pct(runs["header"], 50) - base, cb.pct(runs["path"], 50) - base
    print("through the OpenAI SDK, %d chat completions each, alternating rounds:" % n)
    print("  SDK to the upstream directly        p50 %6.3f ms (reference)" % base)
    print("  added via /v1/proxy (SDK fetch)     p50 %6.3f ms" % added_header)
    print("  added via /proxy/openai/v1          p50 %6.3f ms = %.2f of /v1/proxy's" %
          (added_path, added_path / added_header if added_header > 0 else float("nan")))


def main():
    root = tempfile.mkdtemp(prefix="lk-proxy-bench-")
    nginx = start_nginx(root)
    daemon = cb.Daemon("--proxy-allow-http", "127.0.0.1", "--proxy-allow-private", "127.0.0.1/32")
    try:
        daemon.call("POST", "/secrets", {"name": "llm", "type": "API_KEY", "value": SECRET,
                                         "allowedHosts": ["127.0.0.1"]})
        target = "http://127.0.0.1:%d/v1/chat" % UPSTREAM_PORT
        proxy_headers = {"Authorization": "Bearer " + daemon.key, "X-Target-Url": target,
                         "X-Credential-Name": "llm"}
        n = 2000
        latencies(UPSTREAM_PORT, "/v1/chat", {}, 200)  # warm up
        latencies(daemon.port, "/v1/proxy", proxy_headers, 200)
        direct = latencies(UPSTREAM_PORT, "/v1/chat", {}, n)
        ours = latencies(daemon.port, "/v1/proxy", proxy_headers, n)
        print("latency, 1 connection, %d sequential requests:" % n)
        print("  upstream directly       p50 %6.3f ms  p99 %6.3f ms (reference)" %
              (cb.pct(direct, 50), cb.pct(direct, 99)))
        print("  through /v1/proxy       p50 %6.3f ms  p99 %6.3f ms" % (cb.pct(ours, 50), cb.pct(ours, 99)))
        print("  added by the proxy      p50 %6.3f ms  p99 %6.3f ms" %
              (cb.pct(ours, 50) - cb.pct(direct, 50), cb.pct(ours, 99) - cb.pct(direct, 99)))
        path_vs_header(daemon, proxy_headers, n)
        through_openai_sdk(daemon, n)

        with open(root + "/proxy.lua", "w") as f:
            f.write('wrk.headers["Authorization"] = "Bearer %s"\n'
                    'wrk.headers["X-Target-Url"] = "%s"\n'
                    'wrk.headers["X-Credential-Name"] = "llm"\n' % (daemon.key, target))
        rounds = [(cb.wrk_rate(["http://127.0.0.1:%d/v1/chat" % NGINX_PROXY_PORT]),
                   cb.wrk_rate(["-s", root + "/proxy.lua", daemon.url + "/v1/proxy"]))
                  for _ in range(cb.ROUNDS)]
        cb.report(rounds, "nginx reverse proxy", "req/s", "GET /v1/proxy", "req/s")

        client_bench = os.path.join(os.path.dirname(os.path.abspath(cb.BIN)), "bench",
                                    "client_loop_bench")
        if os.path.exists(client_bench):
            server = cb.wrk_rate([daemon.url + "/healthz"])
            out = subprocess.run([client_bench, target, "64", "5"], check=True,
                                 capture_output=True, text=True).stdout
            client = float(re.search(r"([\d.]+) req/s", out).group(1))
            bound = 1 / (1 / server + 1 / client)
            nginx_rate = statistics.median(ref for ref, _ in rounds)
            print("the halves alone: server side (GET /healthz) %.0f req/s, libcurl client loop"
                  " %.0f req/s (%.2f of nginx's whole proxy)" % (server, client, client / nginx_rate))
            print("ceiling of a Pistache + libcurl proxy here: %.0f req/s = %.2f of nginx"
                  " (ours reaches %.2f of that ceiling)" %
                  (bound, bound / nginx_rate, statistics.median(o for _, o in rounds) / bound))
    finally:
        daemon.stop()
        nginx.terminate()
        nginx.wait()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    for tool, package in (("wrk", "wrk"), ("nginx", "nginx-light")):
        if not shutil.which(tool):
            print("proxy_bench: installing " + package, file=sys.stderr)
            subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True,
                           stdout=subprocess.DEVNULL,
                           env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    main()
