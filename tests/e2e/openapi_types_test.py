"""The OpenAPI document as a TypeScript client sees it: openapi-typescript
(npm, tests/e2e/openapi_types) turns the running latchkeyd's /openapi.json
into types, `tsc --strict` checks openapi_types/client.ts against them (it
calls a route of every family with typed bodies and reads typed fields of
the answers), and node runs the compiled client against the same server.
A document that loses or retypes a field the client reads fails here."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from server import Server

HERE = os.path.dirname(os.path.abspath(__file__))
TYPES_DIR = os.path.join(HERE, "openapi_types")
BIN = os.path.join(TYPES_DIR, "node_modules", ".bin")
HAVE_TOOLS = (shutil.which("node") is not None
              and os.path.exists(os.path.join(BIN, "openapi-typescript"))
              and os.path.exists(os.path.join(BIN, "tsc")))
NO_TOOLS = "needs node and tests/e2e/openapi_types/node_modules (npm ci in tests/e2e/openapi_types)"

ADMIN = "openapi-types-test-admin-key-0001"
# The client registers a webhook to http://127.0.0.1:9.
ALLOW_LOOPBACK = ["--proxy-allow-http", "127.0.0.1", "--proxy-allow-private", "127.0.0.1/32"]
TSC_FLAGS = ["--strict", "--target", "es2022", "--module", "es2022", "--moduleResolution",
             "bundler", "--lib", "es2022,dom,dom.iterable", "--skipLibCheck"]


def run(args, cwd, timeout=120):
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)


@unittest.skipUnless(HAVE_TOOLS, NO_TOOLS)
class OpenApiTypesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"LATCHKEY_ADMIN_KEY": ADMIN}, args=ALLOW_LOOPBACK).start()
        status, cls.doc, _ = cls.server.request("GET", "/openapi.json")
        assert status == 200, status
        cls.tmp = tempfile.TemporaryDirectory(prefix="latchkey-openapi-types-")
        cls.generate(cls.tmp.name, cls.doc)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.tmp.cleanup()

    @staticmethod
    def generate(directory, doc):
        """schema.d.ts from `doc`, next to a copy of client.ts."""
        with open(os.path.join(directory, "openapi.json"), "w") as f:
            json.dump(doc, f)
        out = run([os.path.join(BIN, "openapi-typescript"), "openapi.json", "-o", "schema.d.ts"],
                  directory)
        if out.returncode != 0:
            raise AssertionError("openapi-typescript failed:\n" + out.stdout + out.stderr)
        shutil.copy(os.path.join(TYPES_DIR, "client.ts"), directory)
        with open(os.path.join(directory, "package.json"), "w") as f:
            json.dump({"type": "module"}, f)

    def tsc(self, directory, *extra):
        return run([os.path.join(BIN, "tsc")] + TSC_FLAGS + list(extra) + ["client.ts"], directory)

    def test_the_client_type_checks_against_the_generated_types(self):
        out = self.tsc(self.tmp.name, "--noEmit")
        self.assertEqual(out.returncode, 0, "tsc:\n" + out.stdout + out.stderr)

    def test_the_compiled_client_runs_against_the_server(self):
        out = self.tsc(self.tmp.name, "--outDir", "out")
        self.assertEqual(out.returncode, 0, "tsc:\n" + out.stdout + out.stderr)
        with open(os.path.join(self.tmp.name, "out", "package.json"), "w") as f:
            json.dump({"type": "module"}, f)
        url = "http://127.0.0.1:%d" % self.server.port
        ran = run(["node", os.path.join("out", "client.js"), url, ADMIN], self.tmp.name)
        self.assertEqual((ran.returncode, ran.stdout.strip()), (0, "ok"),
                         "client.js:\n" + ran.stdout + ran.stderr)

    def test_a_document_that_loses_a_field_fails_type_checking(self):
        doc = json.loads(json.dumps(self.doc))
        del doc["components"]["schemas"]["CreatedApiKey"]["properties"]["apiKey"]
        with tempfile.TemporaryDirectory(prefix="latchkey-openapi-types-") as tmp:
            self.generate(tmp, doc)
            out = self.tsc(tmp, "--noEmit")
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("apiKey", out.stdout)

    def test_a_document_that_retypes_a_field_fails_type_checking(self):
        doc = json.loads(json.dumps(self.doc))
        doc["components"]["schemas"]["Certificate"]["properties"]["kid"] = {"type": "integer"}
        with tempfile.TemporaryDirectory(prefix="latchkey-openapi-types-") as tmp:
            self.generate(tmp, doc)
            out = self.tsc(tmp, "--noEmit")
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("client.ts(", out.stdout)


if __name__ == "__main__":
    unittest.main()
