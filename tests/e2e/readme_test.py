"""The README's tour, run as written: its first two blocks (accounts and API
keys; a signing key, a token and the JWKS) go to bash in order, against a
fresh server, with only three things filled in: the admin key that server
printed, its port for 8080, and where the CLI was built. The later blocks
need OpenAI and Google themselves."""

import json
import os
import re
import subprocess
import tempfile
import unittest

from server import BINARY, Server

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.path.join(os.path.dirname(BINARY), "latchkey")


def tour_blocks():
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    tour = readme[readme.index("## A five-minute tour"):readme.index("## Other make targets")]
    return re.findall(r"```sh\n(.*?)```", tour, re.S)


class ReadmeTourTest(unittest.TestCase):
    def test_the_first_blocks_run_as_written(self):
        blocks = tour_blocks()
        self.assertGreaterEqual(len(blocks), 4)
        script = blocks[0] + blocks[1]
        self.assertIn("ADMIN_KEY='lk_admin.…'", script)
        with tempfile.TemporaryDirectory() as home:
            server = Server(os.path.join(home, "data")).start()
            try:
                admin = server.read_admin_key()
                filled = (script.replace("ADMIN_KEY='lk_admin.…'", "ADMIN_KEY='%s'" % admin)
                          .replace("127.0.0.1:8080", "127.0.0.1:%d" % server.port)
                          .replace("$PWD/build/latchkey", CLI))
                env = dict(os.environ, HOME=home)
                env.pop("LATCHKEY_PROFILE", None)
                result = subprocess.run(
                    ["bash", "-c", "shopt -s expand_aliases\nset -euo pipefail\n" + filled],
                    cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
            finally:
                server.stop()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        out = result.stdout
        self.assertRegex(out, r"ok: \d+ events verify")
        self.assertIn('"role": "agent"', out)  # the verified token's claims
        self.assertIn('"aud": "api"', out)
        jwks = json.loads(out[out.rindex('{"keys"'):].strip().splitlines()[0])
        self.assertTrue(jwks["keys"])
        self.assertNotIn(admin, out + result.stderr)  # keys go in on stdin, never echoed


if __name__ == "__main__":
    unittest.main()
