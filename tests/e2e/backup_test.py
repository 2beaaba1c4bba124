"""latchkeyd backup and restore, on the embedded SQLite database: a backup
taken under write load restores into a new data dir, where every audit chain
verifies and the sealed values still open (the proxy injects them)."""

import os
import shutil
import subprocess
import tempfile
import threading
import unittest
import urllib.parse

from proxy_test import Upstream
from server import BINARY, PG_URL, Server

SECRET_PREFIX = "backup-planted-value-"


def latchkeyd(*args, env=None):
    e = dict(os.environ)
    e.pop("LATCHKEY_MASTER_KEYS", None)
    e.update(env or {})
    return subprocess.run([BINARY] + list(args), capture_output=True, text=True, env=e,
                          timeout=60)


@unittest.skipIf(PG_URL, "backup and restore copy the SQLite database; PostgreSQL uses pg_dump")
class BackupRestoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="latchkey-backup-")
        cls.upstream = Upstream()
        args = ["--proxy-allow-http", "127.0.0.1", "--proxy-allow-private", "127.0.0.1/32"]
        cls.args = args
        cls.server = Server(os.path.join(cls.tmp.name, "live"), args=args).start()
        cls.admin = cls.server.read_admin_key()
        cls.keys = []
        for name in ("acme", "globex"):
            _, body, _ = cls.server.request("POST", "/admin/accounts", cls.admin, {"name": name})
            cls.keys.append(body["apiKey"])

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.upstream.close()
        cls.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def secret(self, key, i):
        return self.server.request("POST", "/secrets", key, {
            "name": "load-%d" % i, "type": "API_KEY", "value": SECRET_PREFIX + str(i),
            "allowedHosts": ["127.0.0.1"]})[0]

    def test_a_backup_under_write_load_restores_whole(self):
        stop = threading.Event()
        written = {0: 0, 1: 0}
        failures = []
        progress = threading.Condition()

        def load(account):
            key = self.keys[account]
            while not stop.is_set():
                try:
                    status = self.secret(key, written[account])
                except OSError as e:  # a reset connection fails the test, not the thread
                    status = repr(e)
                with progress:
                    if status != 201:
                        failures.append(status)
                        progress.notify_all()
                        return
                    written[account] += 1
                    progress.notify_all()

        threads = [threading.Thread(target=load, args=(a,)) for a in (0, 1)]
        for t in threads:
            t.start()
        try:
            with progress:
                self.assertTrue(progress.wait_for(
                    lambda: failures or min(written.values()) >= 5, timeout=30))
            backup = latchkeyd("backup", self.path("snapshot.db"), "--data-dir",
                               self.server.data_dir)
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(failures, [])
        self.assertEqual(backup.returncode, 0, backup.stderr)
        self.assertIn("master key is not in it", backup.stdout)
        self.assertEqual(os.stat(self.path("snapshot.db")).st_mode & 0o777, 0o600)

        restored_dir = self.path("restored")
        os.makedirs(restored_dir)
        shutil.copy(os.path.join(self.server.data_dir, "master.key"), restored_dir)
        restore = latchkeyd("restore", self.path("snapshot.db"), "--data-dir", restored_dir)
        self.assertEqual(restore.returncode, 0, restore.stderr)
        self.assertRegex(restore.stdout, r"2 accounts, 2 data keys open, \d+ audit events verified")

        copy = Server(restored_dir, args=self.args).start()
        try:
            self.assertIsNone(copy.read_admin_key())  # the stored one came along
            status, system, _ = copy.request("GET", "/admin/audit-events/verify", self.admin)
            self.assertEqual((status, system["ok"]), (200, True), system)
            for account, key in enumerate(self.keys):
                status, chain, _ = copy.request("GET", "/audit-events/verify", key)
                self.assertEqual((status, chain["ok"]), (200, True), chain)
                names, cursor = set(), None
                while True:  # every page
                    _, listed, _ = copy.request("GET", "/secrets?limit=1000" + (
                        "&cursor=" + urllib.parse.quote(cursor, safe="") if cursor else ""), key)
                    names |= {s["name"] for s in listed["data"]}
                    cursor = listed["nextCursor"]
                    if not cursor:
                        break
                # One snapshot: the secrets written before it, each whole.
                count = len(names)
                self.assertGreaterEqual(count, 5)
                self.assertLessEqual(count, written[account])
                self.assertEqual(names, {"load-%d" % i for i in range(count)})
                for i in (0, count - 1):
                    self.assertEqual(self.proxied(copy, key, "load-%d" % i),
                                     "Bearer " + SECRET_PREFIX + str(i))
        finally:
            copy.stop()

    def proxied(self, server, key, credential):
        before = len(self.upstream.requests)
        status, _, _ = server.request("GET", "/v1/proxy", key, headers={
            "X-Credential-Name": credential,
            "X-Target-Url": "http://127.0.0.1:%d/echo" % self.upstream.port})
        self.assertEqual(status, 200)
        self.assertEqual(len(self.upstream.requests), before + 1)
        return self.upstream.requests[-1]["headers"].get("Authorization")

    def test_refusals_leave_nothing_behind(self):
        live = self.server.data_dir
        made = latchkeyd("backup", self.path("once.db"), "--data-dir", live)
        self.assertEqual(made.returncode, 0, made.stderr)
        again = latchkeyd("backup", self.path("once.db"), "--data-dir", live)
        self.assertEqual(again.returncode, 1)
        self.assertIn("exists; choose a new file", again.stderr)
        missing = latchkeyd("backup", self.path("x.db"), "--data-dir", self.path("nothing"))
        self.assertEqual(missing.returncode, 2)
        self.assertIn("no database at", missing.stderr)
        pg = latchkeyd("backup", self.path("x.db"), "--data-dir", live,
                       "--database-url", "postgresql://127.0.0.1:1/x")
        self.assertEqual(pg.returncode, 2)
        self.assertIn("pg_dump", pg.stderr)

        # Into a data dir that has a database: refused, the database untouched.
        def head():
            with open(os.path.join(live, "latchkey.db"), "rb") as f:
                return f.read(100)
        before = head()
        busy = latchkeyd("restore", self.path("once.db"), "--data-dir", live)
        self.assertEqual(busy.returncode, 2)
        self.assertIn("exists: restore into a new --data-dir", busy.stderr)
        self.assertEqual(head(), before)

        # Without the master key, or from a file that is not a database:
        # refused, and no database is left in the new data dir.
        keyless = self.path("keyless")
        no_key = latchkeyd("restore", self.path("once.db"), "--data-dir", keyless)
        self.assertEqual(no_key.returncode, 1)
        self.assertIn("master key", no_key.stderr)
        self.assertIn("then run restore again", no_key.stderr)
        self.assertFalse(os.path.exists(os.path.join(keyless, "latchkey.db")))
        garbage = self.path("garbage.db")
        with open(garbage, "wb") as f:
            f.write(b"not a database at all" * 100)
        bad = latchkeyd("restore", garbage, "--data-dir", self.path("from-garbage"))
        self.assertEqual(bad.returncode, 1)
        self.assertIn("is not a SQLite database", bad.stderr)
        self.assertFalse(os.path.exists(self.path("from-garbage/latchkey.db")))

        # A wrong master key (right id, other bytes) is caught before serving.
        wrong = self.path("wrong-key")
        os.makedirs(wrong)
        with open(os.path.join(live, "master.key")) as f:
            key_id = f.read().split(":")[0]
        with open(os.path.join(wrong, "master.key"), "w") as f:
            f.write(key_id + ":" + "A" * 43 + "=")
        os.chmod(os.path.join(wrong, "master.key"), 0o600)
        refused = latchkeyd("restore", self.path("once.db"), "--data-dir", wrong)
        self.assertEqual(refused.returncode, 1, refused.stdout)
        self.assertFalse(os.path.exists(os.path.join(wrong, "latchkey.db")))


if __name__ == "__main__":
    unittest.main()
