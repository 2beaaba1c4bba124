#!/usr/bin/python3
"""Certificates benchmarks, each against a reference measured in the same run:

1. POST /certificates (RS256-2048) p50/p99 with the key pool warm and cold,
   against one `openssl genpkey` RSA-2048 key generation.
2. JWKS requests/s (wrk, 2 threads, 64 keep-alive connections) against nginx
   serving the same JSON as a static file.
3. POST /tokens tokens/s on 2 server threads against
   `openssl speed -multi 2 rsa2048` sign/s.

Usage: bench/certificates_bench.py build/latchkeyd
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

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/latchkeyd"
WRK = ["wrk", "-t2", "-c64", "-d5s"]
# The machine is shared and noisy: reference and ours are measured in
# alternating rounds and each round's ratio is reported, with the median.
ROUNDS = 3


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Daemon:
    def __init__(self, *args):
        self.dir = tempfile.mkdtemp(prefix="lk-bench-")
        env = dict(os.environ, LATCHKEY_LOG_LEVEL="warn")
        self.proc = subprocess.Popen([BIN, "--listen", "127.0.0.1:0", "--data-dir", self.dir + "/data",
                                      "--threads", os.environ.get("LK_THREADS", "2")] + list(args),
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        out = ""
        while "admin key" not in out:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("latchkeyd did not start: " + out)
            out += line
        self.port = int(re.search(r"listening on http://127.0.0.1:(\d+)", out).group(1))
        self.admin = re.search(r"admin key \(shown once, store it now\): (\S+)", out).group(1)
        self.url = "http://127.0.0.1:%d" % self.port
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        account = self.call("POST", "/admin/accounts", {"name": "bench"}, self.admin)
        self.account, self.key = account["id"], account["apiKey"]

    def call(self, method, path, body=None, token=None):
        headers = {"Authorization": "Bearer " + (token or self.key)}
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None,
                          headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status >= 300:
            raise RuntimeError("%s %s -> %d %s" % (method, path, resp.status, data))
        return json.loads(data)

    def wait_for_pool(self, timeout=120):
        """Background key generation would compete with the measurement."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            pool = self.call("GET", "/admin/key-pool", token=self.admin)
            if pool["ready"] >= pool["target"]:
                return pool
            time.sleep(0.2)
        raise RuntimeError("key pool did not fill")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def create_latencies(daemon, n):
    out = []
    for i in range(n):
        start = time.perf_counter()
        daemon.call("POST", "/certificates", {"name": "bench-%d" % i})
        out.append((time.perf_counter() - start) * 1000)
    return out


def bench_create():
    runs = []
    for _ in range(15):
        start = time.perf_counter()
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                        "-out", os.devnull], check=True, stderr=subprocess.DEVNULL)
        runs.append((time.perf_counter() - start) * 1000)
    print("openssl genpkey RSA-2048       p50 %7.1f ms  p99 %7.1f ms (reference)" %
          (pct(runs, 50), pct(runs, 99)))
    n = 20
    warm = Daemon("--key-pool-size", str(n))
    warm.wait_for_pool()
    lat = create_latencies(warm, n)
    stats = warm.call("GET", "/admin/key-pool", token=warm.admin)
    warm.stop()
    print("POST /certificates, pool warm  p50 %7.1f ms  p99 %7.1f ms  (%d of %d from the pool)  "
          "p50 ratio to genpkey %.3f" % (pct(lat, 50), pct(lat, 99), stats["hits"], n,
                                         pct(lat, 50) / pct(runs, 50)))
    cold = Daemon("--key-pool-size", "0")
    lat = create_latencies(cold, n)
    cold.stop()
    print("POST /certificates, pool cold  p50 %7.1f ms  p99 %7.1f ms  p50 ratio to genpkey %.3f" %
          (pct(lat, 50), pct(lat, 99), pct(lat, 50) / pct(runs, 50)))


def wrk_rate(args):
    out = subprocess.run(WRK + args, check=True, capture_output=True, text=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError("wrk saw errors: " + out)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def bench_jwks():
    daemon = Daemon()
    daemon.call("POST", "/certificates", {"name": "a"})
    daemon.call("POST", "/certificates", {"name": "b", "algorithm": "ES256"})
    daemon.wait_for_pool()
    path = "/accounts/%s/.well-known/jwks.json" % daemon.account
    daemon.conn.request("GET", path)
    body = daemon.conn.getresponse().read()
    root = tempfile.mkdtemp(prefix="lk-nginx-")
    with open(root + "/jwks.json", "wb") as f:
        f.write(body)
    with open(root + "/nginx.conf", "w") as f:
        f.write("""worker_processes 2; daemon off; pid %(r)s/nginx.pid; error_log %(r)s/error.log;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000;
  types { application/jwk-set+json json; }
  client_body_temp_path %(r)s; proxy_temp_path %(r)s; fastcgi_temp_path %(r)s;
  uwsgi_temp_path %(r)s; scgi_temp_path %(r)s;
  server { listen 127.0.0.1:18089; root %(r)s; } }
""" % {"r": root})
    nginx = subprocess.Popen(["nginx", "-c", root + "/nginx.conf", "-p", root],
                             stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        rounds = [(wrk_rate(["http://127.0.0.1:18089/jwks.json"]), wrk_rate([daemon.url + path]))
                  for _ in range(ROUNDS)]
    finally:
        nginx.terminate()
        nginx.wait()
        daemon.stop()
        shutil.rmtree(root, ignore_errors=True)
    report(rounds, "nginx static jwks.json", "req/s", "GET .well-known/jwks.json", "req/s")


def report(rounds, ref_name, ref_unit, our_name, our_unit):
    for i, (ref, ours) in enumerate(rounds, 1):
        print("round %d: %-30s %8.0f %-8s  %-30s %8.0f %-8s  ratio %.2f" %
              (i, ref_name, ref, ref_unit, our_name, ours, our_unit, ours / ref))
    ratios = sorted(ours / ref for ref, ours in rounds)
    print("%s vs %s: median ratio %.2f (range %.2f-%.2f)" %
          (our_name, ref_name, statistics.median(ratios), ratios[0], ratios[-1]))


def openssl_rsa2048_signs():
    out = subprocess.run(["openssl", "speed", "-multi", "2", "-seconds", "5", "rsa2048"],
                         check=True, capture_output=True, text=True).stdout
    m = re.search(r"^rsa\s+2048 bits\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)", out, re.M)
    return float(m.group(1))


def bench_tokens():
    daemon = Daemon()
    daemon.call("POST", "/certificates", {"name": "signer", "custody": "managed"})
    daemon.wait_for_pool()
    root = tempfile.mkdtemp(prefix="lk-wrk-")
    with open(root + "/post.lua", "w") as f:
        f.write('wrk.method = "POST"\nwrk.body = \'{"claims":{"role":"agent"},"audience":"api"}\'\n'
                'wrk.headers["Authorization"] = "Bearer %s"\n'
                'wrk.headers["Content-Type"] = "application/json"\n' % daemon.key)
    try:
        rounds = [(openssl_rsa2048_signs(), wrk_rate(["-s", root + "/post.lua", daemon.url + "/tokens"]))
                  for _ in range(ROUNDS)]
    finally:
        daemon.stop()
        shutil.rmtree(root, ignore_errors=True)
    report(rounds, "openssl speed -multi 2 rsa2048", "sign/s", "POST /tokens (RS256)", "tokens/s")


if __name__ == "__main__":
    only = sys.argv[2:] or ["create", "jwks", "tokens"]
    for tool, package in (("wrk", "wrk"), ("nginx", "nginx-light"), ("openssl", "openssl")):
        if not shutil.which(tool):
            print("certificates_bench: installing " + package, file=sys.stderr)
            subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True,
                           stdout=subprocess.DEVNULL, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    for name in only:
        {"create": bench_create, "jwks": bench_jwks, "tokens": bench_tokens}[name]()
