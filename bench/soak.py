"""make soak: mixed load on loopback against one latchkeyd for SOAK_SECONDS
(default 600), sampling its RSS, open descriptors and threads every 10 s,
with requests/s and errors per interval. Writes build/soak/soak.csv and,
with gnuplot, build/soak/rss.png. Not part of CI.

    /usr/bin/python3 bench/soak.py build/latchkeyd
"""
import http.client
import http.server
import json
import os
import random
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/e2e"))
from server import Server  # noqa: E402

SECONDS = int(os.environ.get("SOAK_SECONDS", "600"))
INTERVAL = 10
CLIENTS = 6
OUT = os.path.join(os.path.dirname(__file__), "../build/soak")


class Upstream:
    """A local upstream for the proxy: answers every request with 200 JSON."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                body = b'{"ok":true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def proc_sample(pid):
    status = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            status[k] = v.strip()
    return (int(status["VmRSS"].split()[0]), len(os.listdir("/proc/%d/fd" % pid)),
            int(status["Threads"]))


class Client(threading.Thread):
    def __init__(self, port, key, account, target, stop, counts):
        super().__init__(daemon=True)
        self.port, self.key, self.account, self.target = port, key, account, target
        self.stop, self.counts = stop, counts
        self.conn = None

    def call(self, method, path, body=None, headers=None, token=True):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + self.key
        data = json.dumps(body) if body is not None else None
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.conn.request(method, path, body=data, headers=h)
                resp = self.conn.getresponse()
                payload = resp.read()
                return resp.status, payload
            except (OSError, http.client.HTTPException):
                self.conn = None
        return 0, b""

    def run(self):
        rng = random.Random()
        jwks = "/accounts/%s/.well-known/jwks.json" % self.account
        while not self.stop.is_set():
            r = rng.random()
            if r < 0.35:
                status, _ = self.call("GET", jwks, token=False)
            elif r < 0.55:
                status, body = self.call("POST", "/tokens", {"claims": {"n": rng.random()}})
                if status == 200:
                    token = json.loads(body)["token"]
                    status, _ = self.call("POST", "/tokens/verify", {"token": token})
            elif r < 0.65:
                status, _ = self.call("PUT", "/credentials",
                                      {"openaiApiKey": "sk-soak-%016x" % rng.getrandbits(64)})
            elif r < 0.75:
                name = "s%d" % rng.randrange(50)
                status, _ = self.call("PUT", "/secrets/" + name,
                                      {"type": "API_KEY", "value": "v-%016x" % rng.getrandbits(64),
                                       "allowedHosts": ["127.0.0.1"]})
                if status == 404:
                    status, _ = self.call("POST", "/secrets",
                                          {"name": name, "type": "API_KEY",
                                           "value": "v-%016x" % rng.getrandbits(64),
                                           "allowedHosts": ["127.0.0.1"]})
            elif r < 0.9:
                status, _ = self.call("GET", "/v1/proxy", headers={
                    "X-Credential-Name": "upstream", "X-Target-Url": self.target + "/x"})
            elif r < 0.95:
                status, _ = self.call("GET", "/audit-events?limit=20")
            else:
                status, _ = self.call("GET", "/credentials")
            with self.counts["lock"]:
                self.counts["requests"] += 1
                if status == 0 or status >= 500:
                    self.counts["errors"] += 1


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/latchkeyd"
    os.environ["LATCHKEYD"] = os.path.abspath(binary)
    os.makedirs(OUT, exist_ok=True)
    upstream = Upstream()
    server = Server(args=["--log-level", "warn", "--proxy-allow-http", "127.0.0.1",
                          "--proxy-allow-private", "127.0.0.1/32", "--rate-limit-per-key", "0",
                          "--rate-limit-per-address", "0"]).start()
    try:
        admin = server.read_admin_key()
        _, body, _ = server.request("POST", "/admin/accounts", admin, {"name": "soak"})
        account, key = body["id"], body["apiKey"]
        server.request("POST", "/certificates", key, {"name": "signer", "custody": "managed"})
        server.request("POST", "/secrets", key, {"name": "upstream", "type": "API_KEY",
                                                 "value": "soak-upstream-secret-value",
                                                 "allowedHosts": ["127.0.0.1"]})
        stop = threading.Event()
        counts = {"lock": threading.Lock(), "requests": 0, "errors": 0}
        target = "http://127.0.0.1:%d" % upstream.port
        clients = [Client(server.port, key, account, target, stop, counts) for _ in range(CLIENTS)]
        for c in clients:
            c.start()
        rows = []
        start = time.time()
        last_requests, last_errors, last_t = 0, 0, start
        print("t_s,rss_kb,fds,threads,req_per_s,errors")
        while True:
            time.sleep(max(0.0, start + (len(rows) + 1) * INTERVAL - time.time()))
            now = time.time()
            rss, fds, threads = proc_sample(server.proc.pid)
            with counts["lock"]:
                req, err = counts["requests"], counts["errors"]
            row = (round(now - start), rss, fds, threads,
                   round((req - last_requests) / (now - last_t)), err - last_errors)
            rows.append(row)
            print(",".join(str(v) for v in row), flush=True)
            last_requests, last_errors, last_t = req, err, now
            if now - start >= SECONDS:
                break
        stop.set()
        for c in clients:
            c.join(timeout=30)
        with open(os.path.join(OUT, "soak.csv"), "w") as f:
            f.write("t_s,rss_kb,fds,threads,req_per_s,errors\n")
            for row in rows:
                f.write(",".join(str(v) for v in row) + "\n")
        total_errors = sum(r[5] for r in rows)
        print("RSS start %d KiB, end %d KiB, max %d KiB; fds %d -> %d; threads %d -> %d; "
              "%d requests, %d errors" % (rows[0][1], rows[-1][1], max(r[1] for r in rows),
                                          rows[0][2], rows[-1][2], rows[0][3], rows[-1][3],
                                          counts["requests"], total_errors))
        plot(os.path.join(OUT, "soak.csv"), os.path.join(OUT, "rss.png"))
        return 0 if server.proc.poll() is None else 1
    finally:
        server.cleanup()


def plot(csv, png):
    script = """
set terminal pngcairo size 900,500
set output '%s'
set datafile separator ','
set key top left
set xlabel 'seconds'
set ylabel 'RSS (MiB)'
set y2label 'requests/s'
set y2tics
set ytics nomirror
set yrange [0:*]
set y2range [0:*]
set title 'latchkeyd soak: RSS and throughput'
plot '%s' using 1:($2/1024) every ::1 with linespoints title 'RSS', \\
     '' using 1:5 every ::1 axes x1y2 with lines title 'requests/s'
""" % (png, csv)
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
        print("plot: " + os.path.abspath(png))
    except (OSError, subprocess.CalledProcessError) as e:
        print("no plot (gnuplot: %s)" % e)


if __name__ == "__main__":
    sys.exit(main())
