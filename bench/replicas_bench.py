#!/usr/bin/python3
"""Replicas on PostgreSQL against the single-node SQLite default, measured in
the same run: requests/s for credential writes (PUT /credentials) and JWKS
reads with 1, 2 and 3 latchkeyd replicas on one PostgreSQL database, the
load spread evenly (one wrk per replica, all at once), each figure next to
SQLite with one process.

Usage: bench/replicas_bench.sh build/latchkeyd  (starts a throwaway cluster)
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
os.environ["LATCHKEYD"] = os.path.abspath(sys.argv[1])
import server as srv  # noqa: E402

ADMIN = "bench-admin-key-000000001"
CONNECTIONS = 48  # in all, split over the replicas


def start(n, pg_url, data):
    srv.PG_URL = pg_url
    servers = []
    for _ in range(n):
        s = srv.Server(data_dir=data, env={"LATCHKEY_ADMIN_KEY": ADMIN},
                       args=["--log-level", "warn", "--threads", "2"])
        servers.append(s.start())
    status, acct, _ = servers[0].request("POST", "/admin/accounts", ADMIN, {"name": "bench"})
    key = acct["apiKey"]
    servers[0].request("POST", "/certificates", key, {"name": "a", "algorithm": "ES256"})
    return servers, acct["id"], key


def wrk_all(servers, path, lua):
    per = max(1, CONNECTIONS // len(servers))
    procs = [subprocess.Popen(["wrk", "-t1", "-c%d" % per, "-d5s", "-s", lua,
                               "http://127.0.0.1:%d%s" % (s.port, path)],
                              stdout=subprocess.PIPE, text=True) for s in servers]
    total = 0.0
    for p in procs:
        out = p.communicate()[0]
        if "Non-2xx" in out:
            raise RuntimeError("wrk saw errors: " + out)
        total += float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return total


def measure(n, pg_url, tmp):
    data = tempfile.mkdtemp(dir=tmp)
    servers, account, key = start(n, pg_url, data)
    try:
        write = os.path.join(data, "write.lua")
        with open(write, "w") as f:
            f.write('wrk.method = "PUT"\nwrk.body = \'{"openaiApiKey": "sk-bench-0123456789abcdef"}\'\n'
                    'wrk.headers["Authorization"] = "Bearer %s"\n'
                    'wrk.headers["Content-Type"] = "application/json"\n' % key)
        read = os.path.join(data, "read.lua")
        with open(read, "w") as f:
            f.write('wrk.method = "GET"\n')
        writes = wrk_all(servers, "/credentials", write)
        reads = wrk_all(servers, "/accounts/%s/.well-known/jwks.json" % account, read)
        return writes, reads
    finally:
        for s in servers:
            s.cleanup()


def main():
    pg_url = os.environ.get("LATCHKEY_TEST_DATABASE_URL")
    if not pg_url:
        sys.exit("run through bench/replicas_bench.sh (it starts PostgreSQL)")
    with tempfile.TemporaryDirectory(prefix="lk-replicas-bench-") as tmp:
        base_w, base_r = measure(1, None, tmp)
        print("latchkey replicas benchmark (wrk, %d connections in all, 5 s each; 2 cores shared"
              " by every process)" % CONNECTIONS)
        print("%-26s %16s %8s %16s %8s" % ("", "PUT /credentials", "ratio", "GET jwks.json",
                                           "ratio"))
        print("%-26s %14.0f/s %8s %14.0f/s %8s" % ("SQLite, 1 process", base_w, "1.00", base_r,
                                                   "1.00"))
        for n in (1, 2, 3):
            w, r = measure(n, pg_url, tmp)
            print("%-26s %14.0f/s %8.2f %14.0f/s %8.2f" % (
                "PostgreSQL, %d replica%s" % (n, "" if n == 1 else "s"), w, w / base_w, r,
                r / base_r))


if __name__ == "__main__":
    main()
