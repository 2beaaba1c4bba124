"""Upgrades: latchkeyd starts on a database each earlier release left behind
(tests/e2e/fixtures/upgrade-*.sql, written by make_upgrade_fixture.py),
migrates it, and everything in it still works: its keys authenticate, its
audit chains verify, its sealed values open."""

import glob
import json
import os
import sqlite3
import tempfile
import unittest

from server import PG_URL, Server

FIXTURES = sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                         "fixtures", "upgrade-*.json")))


@unittest.skipIf(PG_URL, "the fixtures are SQLite databases")
class UpgradeTest(unittest.TestCase):
    def test_there_is_a_fixture(self):
        self.assertTrue(FIXTURES)

    def test_each_earlier_release_database_opens_and_works(self):
        for path in FIXTURES:
            with self.subTest(fixture=os.path.basename(path)):
                self.check(path)

    def check(self, path):
        with open(path) as f:
            fx = json.load(f)
        with open(path[:-len(".json")] + ".sql") as f:
            dump = f.read()
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "data")
            os.makedirs(data, mode=0o700)
            db = sqlite3.connect(os.path.join(data, "latchkey.db"))
            db.executescript(dump)
            db.close()
            key_file = os.path.join(data, "master.key")
            with open(key_file, "w") as f:
                f.write(fx["masterKeys"] + "\n")
            os.chmod(key_file, 0o600)
            server = Server(data).start()
            try:
                self.assertIsNone(server.read_admin_key())  # the stored one is kept
                self.works(server, fx)
            finally:
                server.stop()

    def works(self, server, fx):
        def call(method, path, key, body=None):
            status, out, _ = server.request(method, path, key, body)
            self.assertEqual(status, 200, (method, path, out))
            return out

        accounts = call("GET", "/admin/accounts", fx["adminKey"])["data"]
        self.assertIn(fx["accountId"], [a["id"] for a in accounts])
        key = fx["apiKey"]
        self.assertEqual(call("GET", "/api-keys/current", key)["accountId"], fx["accountId"])
        agent = call("GET", "/api-keys", key)["data"]
        self.assertIn(["openai", "crm"], [k.get("credentials") for k in agent])
        kids = [c["kid"] for c in call("GET", "/certificates", key)["data"]]
        self.assertIn(fx["certificateKid"], kids)
        self.assertEqual(call("GET", "/credentials", key)["openaiApiKeyLast4"], fx["openai"][-4:])
        self.assertIn("crm", [s["name"] for s in call("GET", "/secrets", key)["data"]])
        self.assertTrue(call("GET", "/audit-events/verify", key)["ok"])
        self.assertTrue(call("GET", "/admin/audit-events/verify", fx["adminKey"])["ok"])
        # A sealed private key still opens: a signed token verifies.
        signed = call("POST", "/tokens", key, {"subject": "upgrade"})
        self.assertIn(signed["kid"], kids)
        verified = call("POST", "/tokens/verify", key, {"token": signed["token"]})
        self.assertTrue(verified["valid"], verified)
        # The agent key still works with its restriction.
        self.assertEqual(call("GET", "/api-keys/current", fx["agentKey"])["name"], "agent")
        # Two tokens one user got before connections existed: both kept, the
        # newer found as the connection, and its sealed token opens.
        tokens = {t["id"]: t["accessToken"] for t in fx.get("notion", [])}
        if tokens:
            listed = call("GET", "/oauth-tokens?identifierId=user-1", key)["data"]
            self.assertEqual(sorted(t["id"] for t in listed), sorted(tokens))
            connection = call("GET", "/connections/notion/user-1", key)["id"]
            self.assertEqual(connection, fx["notion"][-1]["id"])  # the newest
            opened = call("GET", "/connections/notion/user-1/access-token", key)
            self.assertEqual(opened["accessToken"], tokens[connection])


if __name__ == "__main__":
    unittest.main()
