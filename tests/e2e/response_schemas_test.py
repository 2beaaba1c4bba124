"""The response check every e2e suite runs (response_schemas.py), and the
document it checks against: the check refuses what does not fit, so that it
cannot pass silently; every example in /openapi.json fits its schema; every
operation documents its errors, its idempotency and its preconditions."""
import unittest

from response_schemas import ResponseSchemas, SchemaMismatch
from server import Server

ADMIN = "response-schemas-test-admin-key-0001"


class ResponseSchemasTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"LATCHKEY_ADMIN_KEY": ADMIN}).start()
        status, cls.doc, _ = cls.server.request("GET", "/openapi.json")
        assert status == 200, status
        cls.schemas = ResponseSchemas(cls.doc)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def operations(self):
        for path, item in self.doc["paths"].items():
            for method, op in item.items():
                yield method.upper(), path, op

    def test_a_body_that_does_not_fit_fails_with_where_and_why(self):
        with self.assertRaises(SchemaMismatch) as caught:
            self.schemas.check("GET", "/api-keys/current", 200,
                               {"id": 7, "name": "ci", "scopes": [], "accountId": "acct_x"})
        message = str(caught.exception)
        self.assertIn("GET /api-keys/current -> 200", message)
        self.assertIn("id", message)

    def test_an_error_body_that_does_not_fit_fails(self):
        with self.assertRaises(SchemaMismatch):
            self.schemas.check("DELETE", "/webhooks/whk_1", 404, {"message": "not found"})

    def test_an_undocumented_status_fails(self):
        doc = {"paths": {"/x": {"get": {"responses": {"200": {"description": "ok"}}}}}}
        with self.assertRaises(SchemaMismatch):
            ResponseSchemas(doc).check("GET", "/x", 404, {"error": "gone"})

    def test_the_server_s_own_answers_fit(self):
        status, created, _ = self.server.request("POST", "/admin/accounts", ADMIN, {"name": "a"})
        self.assertEqual(status, 201)
        self.schemas.check("POST", "/admin/accounts", 201, created)
        status, body, _ = self.server.request("GET", "/certificates/cert_nope", created["apiKey"])
        self.assertEqual(status, 404)
        self.schemas.check("GET", "/certificates/cert_nope", 404, body)

    def test_paths_match_templates_as_the_router_does(self):
        self.assertEqual(self.schemas.find("GET", "/certificates/active")[0],
                         "/certificates/active")
        self.assertEqual(self.schemas.find("GET", "/certificates/cert_1?x=1")[0],
                         "/certificates/{id}")
        self.assertEqual(self.schemas.find("GET", "/proxy/openai/v1/models")[0],
                         "/proxy/{credential}/{path...}")
        self.assertIsNone(self.schemas.find("GET", "/certificates/cert_1/nope"))
        self.assertIsNone(self.schemas.schema_of("POST", "/v1/proxy", 200))

    def test_every_example_fits_its_schema(self):
        for method, path, op in self.operations():
            media = [op["requestBody"]["content"]["application/json"]] if "requestBody" in op else []
            for status, response in op["responses"].items():
                if "$ref" not in response:
                    media += response.get("content", {}).values()
            for m in media:
                if "example" in m:
                    with self.subTest(op=method + " " + path):
                        self.schemas.validate_schema(m["schema"], m["example"])
        for name, response in self.doc["components"]["responses"].items():
            m = response["content"]["application/json"]
            self.schemas.validate_schema(m["schema"], m["example"])
        for name, schema in self.doc["components"]["schemas"].items():
            for example in schema.get("examples", []):
                with self.subTest(schema=name):
                    self.schemas.validate_schema(schema, example)

    def test_every_operation_documents_its_errors(self):
        for method, path, op in self.operations():
            if op["tags"] == ["dev"]:
                continue  # dev mode's stand-in providers answer in their dialects
            with self.subTest(op=method + " " + path):
                self.assertIn("default", op["responses"])
                self.assertIn("429", op["responses"])
                if "security" in op:
                    self.assertIn("401", op["responses"])
                if "{" in path:
                    self.assertIn("404", op["responses"])
                if "x-required-scope" in op:
                    self.assertIn("403", op["responses"])
                names = [p.get("name") or p["$ref"] for p in op.get("parameters", [])]
                self.assertIn("#/components/parameters/RequestId", names)

    def test_creates_take_an_idempotency_key(self):
        creates = [(m, p, op) for m, p, op in self.operations() if m == "POST" and "201" in op["responses"]]
        self.assertIn("/api-keys", [p for _, p, _ in creates])
        for method, path, op in creates:
            with self.subTest(op=method + " " + path):
                params = [p.get("$ref") for p in op["parameters"]]
                self.assertIn("#/components/parameters/IdempotencyKey", params)
                self.assertIn("422", op["responses"])
                self.assertIn("Idempotent-Replayed", op["responses"]["201"]["headers"])
                schema = op["responses"]["201"]["content"]["application/json"]["schema"]
                resolved = self.schemas._resolve(schema)
                self.assertIn("replayed", resolved["properties"])
                for shown_once in ("apiKey", "privateKey", "secret"):
                    self.assertNotIn(shown_once, resolved.get("required", []))

    def test_lists_take_limit_and_cursor(self):
        lists = 0
        for method, path, op in self.operations():
            ok = op["responses"].get("200", {}).get("content", {}).get("application/json")
            if not ok or "nextCursor" not in self.schemas._resolve(ok["schema"]).get("properties", {}):
                continue
            lists += 1
            with self.subTest(op=method + " " + path):
                params = [p.get("$ref") for p in op["parameters"]]
                self.assertIn("#/components/parameters/Limit", params)
                self.assertIn("#/components/parameters/Cursor", params)
        self.assertGreaterEqual(lists, 13)

    def test_conditional_writes_take_if_match(self):
        paths = self.doc["paths"]
        for path, write in [("/secrets/{name}", "put"), ("/credentials", "put"),
                            ("/certificates/rotation-policy", "put"),
                            ("/oauth/redirect-uris", "put"), ("/oauth/providers/{provider}", "put"),
                            ("/webhooks/{id}", "patch"), ("/secrets/{name}", "delete"),
                            ("/webhooks/{id}", "delete")]:
            with self.subTest(path=path):
                self.assertIn("412", paths[path][write]["responses"])
                self.assertIn("ETag", paths[path]["get"]["responses"]["200"]["headers"])
        for method, path, op in self.operations():
            if "412" not in op["responses"]:
                continue
            with self.subTest(op=method + " " + path):
                params = [p.get("$ref") for p in op["parameters"]]
                self.assertIn("#/components/parameters/IfMatch", params)
                success = [s for s in op["responses"] if s.startswith("2")][0]
                if method.lower() != "delete":  # a DELETE's answer is not the resource
                    self.assertIn("ETag", op["responses"][success]["headers"])


if __name__ == "__main__":
    unittest.main()
