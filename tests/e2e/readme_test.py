"""The README's commands, run as written, with only the values a reader
copies filled in (keys the server printed, its port for 8080, where the CLI
was built):

- "Trying it offline" against `latchkeyd dev`: the three jobs, with the
  browser's part (open the link, press Allow) done here;
- the tour's first two blocks (accounts and API keys; a signing key, a
  token and the JWKS) against a fresh server. Its later blocks need OpenAI
  and Google themselves; dev_test covers the same jobs offline."""

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

from dev_test import DevServer, path_of
from server import BINARY, Server

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.path.join(os.path.dirname(BINARY), "latchkey")


def blocks(start, end):
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    section = readme[readme.index(start):readme.index(end)]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def tour_blocks():
    return blocks("## A five-minute tour", "## Other make targets")


def bash(script, env=None):
    return subprocess.run(["bash", "-c", "set -euo pipefail\n" + script], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=120)


def press_allow(dev, url):
    """The browser's part: the link, the consent page, Allow, the redirects."""
    status, location, _ = dev.request("GET", path_of(url))
    assert status == 302, status
    _, _, page = dev.request("GET", path_of(location))
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page))
    form = {k: v.replace("&amp;", "&") for k, v in form.items()}
    form["decision"] = "allow"
    _, callback, _ = dev.request("POST", "/dev/oauth/google/decide", form=form)
    status, done, _ = dev.request("GET", path_of(callback))
    assert status == 302 and "status=success" in done, done


class ReadmeTourTest(unittest.TestCase):
    def test_the_offline_block_runs_as_written(self):
        (block,) = blocks("## Trying it offline", "## A five-minute tour")
        browser = "# open that URL in a browser and press Allow; then:\n"
        self.assertIn(browser, block)
        before, after = block.split(browser)
        dev = DevServer()
        try:
            filled = [part.replace("KEY='lk_key_….…'", "KEY='%s'" % dev.key, 1)
                          .replace("AGENT_KEY='lk_key_….…'", "AGENT_KEY='%s'" % dev.agent_key, 1)
                          .replace("127.0.0.1:8080", "127.0.0.1:%d" % dev.port)
                      for part in (before, after)]
            self.assertNotIn("lk_key_….…", filled[0])
            # `python3` is the one running this test (the Debian one, with PyJWT).
            env = dict(os.environ, PATH=os.path.dirname(sys.executable) + ":" +
                       os.environ.get("PATH", ""))
            first = bash(filled[0] + "declare -p KEY AGENT_KEY ACCOUNT\n", env)
            self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
            lines = first.stdout.splitlines()
            self.assertIn("'sub': 'agent-7'", first.stdout)  # PyJWT verified it
            echoed = json.loads([l for l in lines if l.startswith('{"body"')][0])
            self.assertEqual(echoed["headers"]["Authorization"], "[REDACTED]")
            url = [l for l in lines if "/auth/google?session=" in l][0]
            press_allow(dev, url)
            carried = "\n".join(l for l in lines if l.startswith("declare "))
            second = bash(carried + "\n" + filled[1], env)
            self.assertEqual(second.returncode, 0, second.stdout + second.stderr)
            self.assertTrue(json.loads(second.stdout)["accessToken"].startswith("dev-google-at-"))
        finally:
            dev.stop()

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
                result = bash("shopt -s expand_aliases\n" + filled, env)
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
