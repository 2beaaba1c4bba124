"""Several latchkeyd replicas on one PostgreSQL database (run under
tests/pg/with_postgres.sh; skipped on SQLite): background work done once,
changes seen everywhere within a second, one valid audit chain."""
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

from fake_oauth import CLIENT_SECRETS, TENANT, FakeProviders, client_id
from oauth_test import APP, browse, query_of, wait_until
import server as srv
from server import PG_URL, Server

ADMIN = "replica-test-admin-key-0001"


@unittest.skipUnless(PG_URL, "needs PostgreSQL (tests/pg/with_postgres.sh)")
class ReplicasTest(unittest.TestCase):
    def setUp(self):
        self.fake = FakeProviders()
        self.tmp = tempfile.TemporaryDirectory(prefix="latchkey-replicas-")
        self.providers = os.path.join(self.tmp.name, "providers.json")
        with open(self.providers, "w") as f:
            json.dump(self.fake.providers_file(), f)
        self.data = os.path.join(self.tmp.name, "data")  # one database for every replica
        self.replicas = []

    def tearDown(self):
        for r in self.replicas:
            r.cleanup()
        self.fake.close()
        self.tmp.cleanup()

    def start_replicas(self, n, extra=()):
        for _ in range(n):
            self.replicas.append(Server(data_dir=self.data, env={"LATCHKEY_ADMIN_KEY": ADMIN}, args=[
                "--oauth-providers-file", self.providers, "--proxy-allow-http", "127.0.0.1",
                "--proxy-allow-private", "127.0.0.1/32"] + list(extra)).start())

    def start_together(self, env):
        """Three replicas started at the same moment on one empty database;
        returns them once all have started."""
        srv.postgres_for(self.data)  # the empty database they share
        replicas = [Server(data_dir=self.data, env=env, args=[
            "--oauth-providers-file", self.providers]) for _ in range(3)]
        self.replicas.extend(replicas)
        errors = []
        barrier = threading.Barrier(len(replicas))

        def start(r):
            barrier.wait()
            try:
                r.start()
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(str(e))
        threads = [threading.Thread(target=start, args=(r,)) for r in replicas]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        # Each migration step ran once.
        self.assertEqual(replicas[0].sql_value(
            "SELECT COUNT(*) - COUNT(DISTINCT component || '/' || version) FROM schema_migrations"),
            0)
        return replicas

    def test_replicas_started_together_on_an_empty_database_all_start(self):
        replicas = self.start_together({"LATCHKEY_ADMIN_KEY": ADMIN})
        for r in replicas:
            self.assertEqual(self.call(r, "GET", "/readyz", None)["status"], "ready")
        # The schema is whole: a write on one replica is read on another.
        acct = self.call(replicas[1], "POST", "/admin/accounts", ADMIN, {"name": "t"}, expect=201)
        listed = self.listed(replicas[2], "/admin/accounts", ADMIN)
        self.assertIn(acct["id"], [a["id"] for a in listed])

    def test_replicas_started_together_agree_on_one_generated_admin_key(self):
        replicas = self.start_together({})
        for r in replicas:
            r.stop()
        printed = [m.group(1) for r in replicas for m in [
            re.search(r"admin key \(shown once, store it now\): (\S+)", r.stdout)] if m]
        self.assertEqual(len(printed), 1, "exactly one replica generated and showed a key")
        # That key is the one every replica checks against.
        for r in replicas:
            r.start()
            self.assertEqual(self.call(r, "GET", "/admin/accounts", printed[0])["data"], [])

    def call(self, replica, method, path, key, body=None, expect=200):
        status, parsed, _ = replica.request(method, path, key, body)
        self.assertEqual(status, expect, (method, path, parsed))
        return parsed

    def listed(self, replica, path, key):
        """Every item of a list route, following nextCursor page by page."""
        items, cursor = [], None
        while True:
            page = self.call(replica, "GET", path + "?limit=1000" + (
                "&cursor=" + urllib.parse.quote(cursor, safe="") if cursor else ""), key)
            items += page["data"]
            cursor = page["nextCursor"]
            if not cursor:
                return items

    def account(self, provider="microsoft"):
        acct = self.call(self.replicas[0], "POST", "/admin/accounts", ADMIN, {"name": "r"},
                         expect=201)
        key = acct["apiKey"]
        reg = {"clientId": client_id(provider), "clientSecret": CLIENT_SECRETS[provider]}
        if provider == "microsoft":
            reg["tenant"] = TENANT
        self.call(self.replicas[0], "PUT", "/oauth/providers/" + provider, key, reg)
        self.call(self.replicas[0], "PUT", "/oauth/redirect-uris", key, {"redirectUris": [APP]})
        return acct["id"], key

    def connect_many(self, key, provider, count):
        """`count` users through the whole flow, spread over the replicas."""
        ids, errors = [], []
        lock = threading.Lock()

        def worker(w):
            for i in range(w, count, 8):
                replica = self.replicas[i % len(self.replicas)]
                try:
                    s = self.call(replica, "POST", "/auth/sessions", key,
                                  {"provider": provider, "identifierId": "u%d" % i,
                                   "redirectUri": APP}, expect=201)
                    _, location, _ = browse(s["url"])
                    q = query_of(location)
                    with lock:
                        ids.append(q["tokenId"])
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(e)
        threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        return ids

    def sql(self, query, *params):
        return self.replicas[0].sql_value(query, *params)

    def test_500_tokens_due_together_are_each_refreshed_exactly_once(self):
        self.start_replicas(3)
        _, key = self.account("microsoft")  # rotating refresh tokens: a second use would show
        self.fake.expires_in["microsoft"] = 24  # due 12 s (less jitter) after it is issued
        ids = self.connect_many(key, "microsoft", 500)
        self.fake.expires_in["microsoft"] = 3600  # refreshed tokens are not due again
        self.assertEqual(len(set(ids)), 500)
        wait_until(lambda: self.fake.refreshes["microsoft"] >= 500, timeout=60,
                   what="500 refreshes")
        wait_until(lambda: self.sql("SELECT COUNT(*) FROM oauth_tokens WHERE"
                                    " last_refreshed_at IS NOT NULL") == 500, timeout=30,
                   what="500 stored refreshes")
        self.assertEqual(self.fake.refreshes["microsoft"], 500)  # none twice
        self.assertEqual(self.fake.reused, [])                   # no rotated token used again
        self.assertEqual(self.sql("SELECT COUNT(*) FROM oauth_tokens WHERE status <> 'active'"
                                  " OR lease_owner IS NOT NULL"), 0)
        events = self.sql("SELECT COUNT(*) FROM audit_events WHERE action = 'oauth.token.refresh'"
                          " AND outcome = 'success'")
        self.assertEqual(events, 500)

    def rows(self, query):
        url, _ = srv.postgres_for(self.data)
        out = subprocess.run(["psql", "-At", "-F", "|", "-c", query, url], check=True,
                             capture_output=True, text=True).stdout
        return [tuple(line.split("|")) for line in out.splitlines() if line]

    def test_a_killed_replicas_leases_run_out_and_the_others_take_over(self):
        self.start_replicas(3, ["--oauth-refresh-lease", "5"])
        _, key = self.account("google")  # a non-rotating grant survives a retried refresh
        self.fake.expires_in["google"] = 24
        ids = self.connect_many(key, "google", 150)
        self.fake.expires_in["google"] = 3600
        self.fake.refresh_delay = 0.2  # every replica holds leases when one dies
        wait_until(lambda: self.fake.refreshes["google"] >= 30, timeout=60, what="refreshes")
        # Each replica logs the lease owner id it uses; kill one that holds a lease now.
        owners = {}
        for line in self.replicas[0].stderr().splitlines():
            if '"event":"started"' in line:
                event = json.loads(line)
                owners[event["replica"]] = int(event["address"].rsplit(":", 1)[1])

        def holder():
            held = self.rows("SELECT DISTINCT lease_owner FROM oauth_tokens"
                             " WHERE lease_owner IS NOT NULL")
            return held[0][0] if held else None
        owner = wait_until(holder, timeout=30, what="a replica holding a lease")
        victim = [r for r in self.replicas if r.port == owners[owner]][0]
        self.replicas.remove(victim)
        victim.stopping = True
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait()
        leased = "SELECT id, lease_owner, lease_until FROM oauth_tokens WHERE lease_owner IS NOT NULL"
        at_kill = set(self.rows(leased))
        # The survivors finish each refresh in 0.2 s; what is still held,
        # unchanged, a moment later is the dead replica's.
        later = time.time() + 1.5
        wait_until(lambda: time.time() > later, what="a moment")
        stuck = {row for row in at_kill & set(self.rows(leased)) if row[1] == owner}
        self.assertTrue(stuck, "the killed replica's leases were not left behind")
        wait_until(lambda: self.sql("SELECT COUNT(*) FROM oauth_tokens WHERE"
                                    " last_refreshed_at IS NOT NULL") == len(ids),
                   timeout=90, what="every token refreshed after the kill")
        for token_id, _, lease_until in stuck:
            refreshed = self.sql("SELECT last_refreshed_at FROM oauth_tokens WHERE id = ?",
                                 token_id)
            self.assertGreaterEqual(refreshed, int(lease_until))  # taken over after it ran out
        wait_until(lambda: self.sql("SELECT COUNT(*) FROM oauth_tokens WHERE"
                                    " lease_owner IS NOT NULL") == 0, timeout=30,
                   what="no lease left")
        self.assertEqual(self.sql("SELECT COUNT(*) FROM oauth_tokens WHERE status <> 'active'"), 0)
        victim.cleanup()

    def test_revocation_on_one_replica_is_served_by_another_within_a_second(self):
        self.start_replicas(2)
        account, key = self.account()
        a, b = self.replicas
        cert = self.call(a, "POST", "/certificates", key, {"name": "k", "custody": "managed"},
                         expect=201)
        jwks = "/accounts/%s/.well-known/jwks.json" % account

        def kids():
            return {k["kid"] for k in self.call(b, "GET", jwks, None)["keys"]}
        wait_until(lambda: cert["kid"] in kids(), timeout=5, what="the new key on B")
        self.call(a, "POST", "/certificates/%s/revoke" % cert["id"], key)
        revoked_at = time.time()
        wait_until(lambda: cert["kid"] not in kids(), timeout=5, what="the key gone on B")
        self.assertLess(time.time() - revoked_at, 1.25)
        self.call(b, "GET", "/certificates/public/" + cert["kid"], None, expect=404)

    def test_an_idempotency_key_is_shared_by_every_replica(self):
        self.start_replicas(3)
        a, b, c = self.replicas
        acct = self.call(a, "POST", "/admin/accounts", ADMIN, {"name": "idem"}, expect=201)
        key = acct["apiKey"]
        body = {"name": "idem-replicas", "scopes": ["audit:read"]}
        headers = {"Idempotency-Key": "replica-retry-1"}
        status, first, _ = a.request("POST", "/api-keys", key, body, headers)
        self.assertEqual(status, 201)
        # The client's retry lands on another replica: the first answer.
        status, again, _ = b.request("POST", "/api-keys", key, body, headers)
        self.assertEqual(status, 201)
        self.assertEqual(again["id"], first["id"])
        self.assertTrue(again["replayed"])
        self.assertNotIn("apiKey", again)
        status, err, _ = c.request("POST", "/api-keys", key, dict(body, name="other"), headers)
        self.assertEqual(status, 422)
        listed = self.call(c, "GET", "/api-keys?limit=1000", key)["data"]
        self.assertEqual(sum(1 for k in listed if k["name"] == "idem-replicas"), 1)

    def test_concurrent_audit_writes_from_three_replicas_keep_one_chain(self):
        self.start_replicas(3)
        _, key = self.account()
        errors = []

        def writer(i):
            replica = self.replicas[i % 3]
            for j in range(10):
                status, body, _ = replica.request("POST", "/api-keys", key,
                                                  {"name": "k%d-%d" % (i, j), "scopes": ["proxy"]})
                if status != 201:
                    errors.append((status, body))
        threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        for replica in self.replicas:
            verified = self.call(replica, "GET", "/audit-events/verify", key)
            self.assertTrue(verified["ok"], verified)
        self.assertGreaterEqual(verified["count"], 60)

    def test_each_scheduled_rotation_happens_once_with_three_replicas(self):
        self.start_replicas(3, ["--jwks-max-age", "1", "--max-token-lifetime", "1",
                                "--maintenance-interval", "1"])
        _, key = self.account()
        self.call(self.replicas[1], "PUT", "/certificates/rotation-policy", key,
                  {"rotationPeriod": 2, "overlap": 1})

        def managed():
            listed = self.listed(self.replicas[2], "/certificates", key)
            return sorted(c["createdAt"] for c in listed if c.get("custody") == "managed")
        wait_until(lambda: len(managed()) >= 5, timeout=30, what="four rotations")
        created = managed()
        # One key per rotation: the first successor is published one second
        # (--jwks-max-age) before the period ends, then one every period;
        # a rotation done twice would show as two keys in one second.
        times = [time.mktime(time.strptime(c, "%Y-%m-%dT%H:%M:%SZ")) for c in created]
        gaps = [b - a for a, b in zip(times, times[1:])]
        self.assertGreaterEqual(gaps[0], 1, created)
        self.assertTrue(all(g >= 2 for g in gaps[1:]), (created, gaps))

    def test_database_outage_gets_503s_loses_nothing_acknowledged_and_recovers(self):
        self.start_replicas(1)
        _, key = self.account()
        server = self.replicas[0]
        pgctl = os.environ["LATCHKEY_TEST_PG_CTL"].split()
        acknowledged, failures, stop = [], [], threading.Event()

        def writer(w):
            n = 0
            while not stop.is_set():
                n += 1
                name = "s-%d-%d" % (w, n)
                status, body, _ = server.request("POST", "/secrets", key, {
                    "name": name, "type": "API_KEY", "value": "value-%s-0123456789" % name,
                    "allowedHosts": ["api.example.com"]})
                if status == 201:
                    acknowledged.append(name)
                else:
                    failures.append((status, body))
        threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        wait_until(lambda: len(acknowledged) >= 20, what="writes before the outage")
        subprocess.run(pgctl + ["stop", "-m", "fast"], check=True)
        wait_until(lambda: len(failures) >= 8, what="failures during the outage")
        status, ready, _ = server.request("GET", "/readyz")
        self.assertEqual(status, 503)
        subprocess.run(pgctl + ["start"], check=True)
        before = len(acknowledged)
        wait_until(lambda: len(acknowledged) >= before + 20, timeout=30,
                   what="writes after the outage, without restarting latchkeyd")
        stop.set()
        for t in threads:
            t.join()
        for status, body in failures:
            self.assertEqual((status, body["code"]), (503, "UNAVAILABLE"), body)
            self.assertNotIn("postgres", json.dumps(body).lower())
        listed = {s["name"] for s in self.listed(server, "/secrets", key)}
        self.assertEqual(set(acknowledged) - listed, set())  # every acknowledged write is there
        self.assertTrue(self.call(server, "GET", "/audit-events/verify", key)["ok"])
        self.assertEqual(server.request("GET", "/readyz")[0], 200)


if __name__ == "__main__":
    unittest.main()
