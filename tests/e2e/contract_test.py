"""The API contract end to end (issue 23): every list route's envelope and
keyset paging (limit, cursor, stable under inserts), Idempotency-Key on the
routes that create, ETag/If-Match on the resources people edit, and a
caller's X-Request-Id reaching the audit log. Real latchkeyd on loopback,
on SQLite and (e2e_postgres) on PostgreSQL."""
import json
import threading
import unittest
import uuid

from server import Server

ADMIN = "contract-test-admin-key-0001"
ALL_SCOPES = ["certificates:read", "certificates:write", "credentials:read", "credentials:write",
              "oauth:read", "oauth:write", "api-keys:read", "api-keys:write", "audit:read",
              "webhooks:read", "webhooks:write", "usage:read", "usage:write", "proxy"]

# Every list route, as the account (or the operator) sees it.
LIST_ROUTES = ["/api-keys", "/certificates", "/secrets", "/oauth/providers", "/oauth-tokens",
               "/usage", "/usage/limits", "/webhooks", "/webhooks/event-types",
               "/audit-events", "/webhooks/{id}/deliveries"]
ADMIN_LIST_ROUTES = ["/admin/accounts", "/admin/audit-events"]


class ContractTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"LATCHKEY_ADMIN_KEY": ADMIN}).start()
        cls.acct, cls.key = cls.new_account("contract-a")
        cls.acct_b, cls.key_b = cls.new_account("contract-b")
        cls.hook = cls.call("POST", "/webhooks", cls.key, {
            "url": "https://127.0.0.1:9/hook", "events": ["certificate.created"]}, 201)["id"]

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()

    @classmethod
    def call(cls, method, path, key, body=None, expect=200, headers=None):
        status, answer, resp = cls.server.request(method, path, key, body, headers)
        if status != expect:
            raise AssertionError("%s %s: %d %s (expected %d)" % (method, path, status, answer,
                                                                 expect))
        return answer

    @classmethod
    def new_account(cls, name):
        created = cls.call("POST", "/admin/accounts", ADMIN, {"name": name}, 201)
        return created["id"], created["apiKey"]

    def new_key(self, name, key=None):
        return self.call("POST", "/api-keys", key or self.key,
                         {"name": name, "scopes": ["audit:read"]}, 201)

    def key_ids(self, key=None):
        return [k["id"] for k in self.walk("/api-keys", 1000, key)]

    def walk(self, path, limit, key=None, between=None):
        """Every item of a list, page by page; `between` runs after the
        first page (to change the list meanwhile)."""
        items, cursor = [], None
        for _ in range(1000):
            sep = "&" if "?" in path else "?"
            page_path = path + sep + "limit=%d" % limit
            if cursor:
                page_path += "&cursor=" + cursor
            page = self.call("GET", page_path, key or self.key)
            self.assertEqual(set(page), {"data", "nextCursor"}, path)
            self.assertLessEqual(len(page["data"]), limit)
            items += page["data"]
            cursor = page["nextCursor"]
            if between:
                between()
                between = None
            if cursor is None:
                return items
        self.fail("no last page")

    # --- Lists ---------------------------------------------------------

    def test_every_list_route_answers_data_and_next_cursor(self):
        paths = [p.replace("{id}", self.hook) for p in LIST_ROUTES]
        for path in paths:
            page = self.call("GET", path, self.key)
            self.assertEqual(set(page), {"data", "nextCursor"}, path)
            self.assertIsInstance(page["data"], list, path)
        for path in ADMIN_LIST_ROUTES:
            page = self.call("GET", path, ADMIN)
            self.assertEqual(set(page), {"data", "nextCursor"}, path)

    def test_the_openapi_document_names_the_same_list_routes(self):
        doc = self.call("GET", "/openapi.json", None)
        shared = doc["components"].get("parameters", {})

        def name(param):
            ref = param.get("$ref", "")
            if ref.startswith("#/components/parameters/"):
                param = shared[ref.rsplit("/", 1)[1]]
            return param.get("name")

        documented = set()
        for path, ops in doc["paths"].items():
            params = [name(p) for p in ops.get("get", {}).get("parameters", [])]
            if "cursor" in params and "limit" in params:
                documented.add(path)
        self.assertEqual(documented, set(LIST_ROUTES) | set(ADMIN_LIST_ROUTES))

    def test_limit_and_cursor_are_checked_on_every_list(self):
        paths = [p.replace("{id}", self.hook) for p in LIST_ROUTES]
        for path in paths + ADMIN_LIST_ROUTES:
            key = ADMIN if path.startswith("/admin") else self.key
            for bad in ["limit=0", "limit=1001", "limit=ten"]:
                status, err, _ = self.server.request("GET", path + "?" + bad, key)
                self.assertEqual(status, 400, path + "?" + bad)
                self.assertIn("limit", err["error"])
            status, err, _ = self.server.request("GET", path + "?cursor=not-a-cursor!", key)
            self.assertEqual(status, 400, path)
            self.assertIn("cursor", err["error"])

    def test_a_cursor_is_good_only_for_the_list_it_came_from(self):
        for i in range(3):
            self.new_key("cursor-%d" % i)
        cursor = self.call("GET", "/api-keys?limit=1", self.key)["nextCursor"]
        self.assertIsNotNone(cursor)
        for path in ["/secrets", "/webhooks", "/audit-events", "/usage"]:
            status, err, _ = self.server.request("GET", path + "?cursor=" + cursor, self.key)
            self.assertEqual(status, 400, path)
            self.assertIn("a nextCursor that %s answered" % path, err["error"])

    def test_pages_cover_a_list_once_newest_first_and_default_to_fifty(self):
        _, key = self.new_account("contract-paging")
        made = [self.new_key("page-%d" % i, key)["id"] for i in range(54)]
        listed = self.call("GET", "/api-keys", key)
        self.assertEqual(len(listed["data"]), 50)
        self.assertIsNotNone(listed["nextCursor"])
        everything = [k["id"] for k in self.walk("/api-keys", 1000, key)]
        self.assertEqual(len(everything), 55)  # and the account's first key
        for limit in (1, 7, 50):
            self.assertEqual([k["id"] for k in self.walk("/api-keys", limit, key)], everything)
        # Newest first, even within one second: the keys made in a loop
        # come out in reverse, the account's first key last.
        self.assertEqual(everything[:-1], list(reversed(made)))

    def test_inserts_and_deletes_between_pages_shift_nothing(self):
        _, key = self.new_account("contract-shift")
        for i in range(6):
            self.call("POST", "/secrets", key, {"name": "s%d" % i, "type": "API_KEY",
                                                "value": "v-%d" % i, "allowedHosts": ["x.test"]},
                      201)
        before = [s["name"] for s in self.walk("/secrets", 1000, key)]
        added = []

        def meanwhile():
            added.append(self.call("POST", "/secrets", key, {
                "name": "late", "type": "API_KEY", "value": "v", "allowedHosts": ["x.test"]},
                201)["name"])
            self.call("DELETE", "/secrets/" + before[0], key)  # already on page one

        seen = [s["name"] for s in self.walk("/secrets", 2, key, between=meanwhile)]
        self.assertEqual(seen, before)  # nothing twice, nothing skipped, not the new one
        self.assertEqual(added, ["late"])

    def test_each_account_pages_only_its_own_items(self):
        mine = set(self.key_ids())
        theirs = set(self.key_ids(self.key_b))
        self.assertFalse(mine & theirs)
        # A cursor from one account's list shows the other nothing of it.
        page = self.call("GET", "/api-keys?limit=1", self.key)
        if page["nextCursor"]:
            other = self.call("GET", "/api-keys?cursor=" + page["nextCursor"], self.key_b)
            self.assertFalse({k["id"] for k in other["data"]} & mine)

    # --- Idempotency-Key -----------------------------------------------

    def test_a_retried_create_answers_the_first_response_without_the_secret(self):
        key = str(uuid.uuid4())
        body = {"name": "idem", "scopes": ["audit:read"]}
        status, first, resp = self.server.request("POST", "/api-keys", self.key, body,
                                                  {"Idempotency-Key": key})
        self.assertEqual(status, 201)
        self.assertIn("apiKey", first)
        self.assertIsNone(resp.getheader("Idempotent-Replayed"))
        # The same request (other spacing, other key order) replays.
        text = json.dumps({"scopes": ["audit:read"], "name": "idem"}, indent=2)
        status, again, resp = self.server.request(
            "POST", "/api-keys", self.key, text,
            {"Idempotency-Key": key, "Content-Type": "application/json"})
        self.assertEqual(status, 201)
        self.assertEqual(again["id"], first["id"])
        self.assertTrue(again["replayed"])
        self.assertNotIn("apiKey", again)
        self.assertEqual(resp.getheader("Idempotent-Replayed"), "true")
        self.assertEqual(self.key_ids().count(first["id"]), 1)
        self.assertEqual(sum(1 for k in self.walk("/api-keys", 1000) if k["name"] == "idem"), 1)
        # Stored hashed; the key shown once is not stored at all.
        stored = self.server.stored_bytes()
        self.assertNotIn(key.encode(), stored)
        self.assertNotIn(first["apiKey"].encode(), stored)

    def test_the_same_key_with_another_request_is_422_and_creates_nothing(self):
        key = str(uuid.uuid4())
        self.call("POST", "/api-keys", self.key, {"name": "idem-a", "scopes": ["audit:read"]},
                  201, {"Idempotency-Key": key})
        before = self.key_ids()
        status, err, _ = self.server.request("POST", "/api-keys", self.key,
                                             {"name": "idem-b", "scopes": ["audit:read"]},
                                             {"Idempotency-Key": key})
        self.assertEqual(status, 422)
        self.assertEqual(err["code"], "IDEMPOTENCY_KEY_REUSED")
        # Another route with the same key is another request too.
        status, err, _ = self.server.request("POST", "/secrets", self.key, {
            "name": "idem-s", "type": "API_KEY", "value": "v", "allowedHosts": ["x.test"]},
            {"Idempotency-Key": key})
        self.assertEqual(status, 422)
        self.assertEqual(self.key_ids(), before)
        self.assertEqual(self.server.request("GET", "/secrets/idem-s", self.key)[0], 404)

    def test_a_failed_create_is_not_remembered(self):
        key = str(uuid.uuid4())
        status, _, _ = self.server.request("POST", "/api-keys", self.key,
                                           {"name": "idem-fail", "scopes": ["no-such-scope"]},
                                           {"Idempotency-Key": key})
        self.assertEqual(status, 400)
        created = self.call("POST", "/api-keys", self.key,
                            {"name": "idem-fail", "scopes": ["audit:read"]}, 201,
                            {"Idempotency-Key": key})
        self.assertIn("apiKey", created)

    def test_a_replay_is_only_for_the_api_key_that_sent_the_first_request(self):
        # A key that may not grant "proxy" must not be answered the create
        # a stronger key made with the same Idempotency-Key.
        weak = self.call("POST", "/api-keys", self.key,
                         {"name": "weak", "scopes": ["api-keys:write"]}, 201)["apiKey"]
        ikey = str(uuid.uuid4())
        body = {"name": "idem-strong", "scopes": ["proxy"]}
        first = self.call("POST", "/api-keys", self.key, body, 201, {"Idempotency-Key": ikey})
        status, err, _ = self.server.request("POST", "/api-keys", weak, body,
                                             {"Idempotency-Key": ikey})
        self.assertEqual(status, 403, err)
        self.assertIn("proxy", err["error"])
        self.assertEqual(self.call("POST", "/api-keys", self.key, body, 201,
                                   {"Idempotency-Key": ikey})["id"], first["id"])

    def test_keys_are_per_account(self):
        key = str(uuid.uuid4())
        a = self.call("POST", "/api-keys", self.key, {"name": "idem-acct", "scopes": ["audit:read"]},
                      201, {"Idempotency-Key": key})
        b = self.call("POST", "/api-keys", self.key_b,
                      {"name": "idem-acct", "scopes": ["audit:read"]}, 201,
                      {"Idempotency-Key": key})
        self.assertNotEqual(a["id"], b["id"])
        self.assertIn("apiKey", b)

    def test_a_malformed_key_is_400_and_creates_nothing(self):
        before = self.key_ids()
        for bad in ["x" * 256, "tab\there", "", "two,keys"]:
            status, err, _ = self.server.request("POST", "/api-keys", self.key,
                                                 {"name": "idem-bad", "scopes": ["audit:read"]},
                                                 {"Idempotency-Key": bad})
            self.assertEqual(status, 400, repr(bad))
            self.assertIn("Idempotency-Key", err["error"])
        self.assertEqual(self.key_ids(), before)

    def test_concurrent_retries_create_one_resource(self):
        key = str(uuid.uuid4())
        body = {"name": "idem-race", "scopes": ["audit:read"]}
        answers = []

        def post():
            answers.append(self.server.request("POST", "/api-keys", self.key, body,
                                               {"Idempotency-Key": key})[:2])

        threads = [threading.Thread(target=post) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(s for s, _ in answers)
        self.assertTrue(set(statuses) <= {201, 409}, statuses)
        ids = {a["id"] for s, a in answers if s == 201}
        self.assertEqual(len(ids), 1, answers)
        self.assertEqual(sum(1 for s, a in answers if s == 201 and "apiKey" in a), 1)
        for s, a in answers:
            if s == 409:
                self.assertEqual(a["code"], "IDEMPOTENCY_KEY_IN_USE")
        self.assertEqual(sum(1 for k in self.walk("/api-keys", 1000) if k["name"] == "idem-race"),
                         1)

    def test_every_kind_of_shown_once_value_is_left_out_of_replays(self):
        cases = [
            ("/admin/accounts", ADMIN, {"name": "idem-account"}, "apiKey"),
            ("/certificates", self.key, {"name": "idem-cert", "algorithm": "ES256"}, "privateKey"),
            ("/webhooks", self.key, {"url": "https://127.0.0.1:9/idem",
                                     "events": ["certificate.created"]}, "secret"),
        ]
        for path, key, body, field in cases:
            ikey = str(uuid.uuid4())
            first = self.call("POST", path, key, body, 201, {"Idempotency-Key": ikey})
            again = self.call("POST", path, key, body, 201, {"Idempotency-Key": ikey})
            self.assertIn(field, first, path)
            self.assertNotIn(field, again, path)
            self.assertEqual(again["id"], first["id"], path)
            self.assertTrue(again["replayed"], path)
            self.assertNotIn(first[field].encode(), self.server.stored_bytes(), path)

    def test_creates_without_a_key_behave_as_before(self):
        a = self.new_key("no-idem")
        b = self.new_key("no-idem")
        self.assertNotEqual(a["id"], b["id"])
        self.assertNotIn("replayed", a)

    # --- ETag / If-Match -----------------------------------------------

    def conditional_cases(self):
        self.call("POST", "/secrets", self.key, {"name": "etag-secret", "type": "API_KEY",
                                                 "value": "v1", "allowedHosts": ["x.test"]}, 201)
        hook = self.call("POST", "/webhooks", self.key, {
            "url": "https://127.0.0.1:9/etag", "events": ["certificate.created"]}, 201)["id"]
        secret = {"type": "API_KEY", "value": "v%d", "allowedHosts": ["x.test"]}
        return [
            ("/secrets/etag-secret", "PUT", lambda i: dict(secret, value="v%d" % i)),
            ("/credentials", "PUT", lambda i: {"openaiApiKey": "sk-etag-%032d" % i}),
            ("/certificates/rotation-policy", "PUT",
             lambda i: {"rotationPeriod": 86400 * (30 + i), "overlap": 3600,
                        "algorithm": "ES256"}),
            ("/oauth/redirect-uris", "PUT",
             lambda i: {"redirectUris": ["https://app.example.com/cb%d" % i]}),
            ("/oauth/providers/github", "PUT",
             lambda i: {"clientId": "client-%d" % i, "clientSecret": "secret-%d" % i}),
            ("/webhooks/" + hook, "PATCH", lambda i: {"description": "edit %d" % i}),
        ]

    def etag_of(self, path):
        status, body, resp = self.server.request("GET", path, self.key)
        self.assertEqual(status, 200, path)
        etag = resp.getheader("ETag")
        self.assertTrue(etag and etag.startswith('"') and etag.endswith('"'), (path, etag))
        return etag, body

    def test_if_match_lets_only_a_writer_who_saw_the_current_version_write(self):
        for path, method, body in self.conditional_cases():
            with self.subTest(path=path):
                self.call(method, path, self.key, body(1))
                e1, _ = self.etag_of(path)
                self.assertEqual(self.etag_of(path)[0], e1)  # stable while unchanged
                status, _, resp = self.server.request(method, path, self.key, body(2),
                                                      {"If-Match": e1})
                self.assertEqual(status, 200)
                e2 = resp.getheader("ETag")
                self.assertNotEqual(e2, e1)
                self.assertEqual(self.etag_of(path)[0], e2)
                # A second writer still holding e1 loses, and changes nothing.
                _, current = self.etag_of(path)
                status, err, resp = self.server.request(method, path, self.key, body(3),
                                                        {"If-Match": e1})
                self.assertEqual(status, 412)
                self.assertEqual(err["code"], "PRECONDITION_FAILED")
                self.assertEqual(err["currentEtag"], e2)
                self.assertIn(e2, err["error"])
                self.assertEqual(self.etag_of(path), (e2, current))
                # "*" and a list that names the current one match.
                self.call(method, path, self.key, body(4), headers={"If-Match": '"x", ' + e2})
                self.call(method, path, self.key, body(5), headers={"If-Match": "*"})
                # Without If-Match the last writer wins, as before.
                self.call(method, path, self.key, body(6))

    def test_deletes_take_if_match_too(self):
        for path, create in [
                ("/secrets/etag-delete", lambda: self.call("POST", "/secrets", self.key, {
                    "name": "etag-delete", "type": "API_KEY", "value": "v",
                    "allowedHosts": ["x.test"]}, 201)),
                (None, lambda: self.call("POST", "/webhooks", self.key, {
                    "url": "https://127.0.0.1:9/etag-delete",
                    "events": ["certificate.created"]}, 201))]:
            made = create()
            path = path or "/webhooks/" + made["id"]
            with self.subTest(path=path):
                status, err, _ = self.server.request("DELETE", path, self.key,
                                                     headers={"If-Match": '"stale"'})
                self.assertEqual(status, 412)
                self.assertEqual(err["code"], "PRECONDITION_FAILED")
                etag, _ = self.etag_of(path)  # still there
                self.call("DELETE", path, self.key, headers={"If-Match": etag})
                self.assertEqual(self.server.request("GET", path, self.key)[0], 404)

    def test_a_scheduled_rotation_does_not_change_the_policys_etag(self):
        _, key = self.new_account("contract-rotation")
        self.call("PUT", "/certificates/rotation-policy", key,
                  {"rotationPeriod": 86400 * 30, "overlap": 3600, "algorithm": "ES256"})
        status, _, resp = self.server.request("GET", "/certificates/rotation-policy", key)
        before = resp.getheader("ETag")
        self.call("POST", "/certificates/rotate", key, {}, 201)
        status, policy, resp = self.server.request("GET", "/certificates/rotation-policy", key)
        self.assertEqual(resp.getheader("ETag"), before)
        self.call("PUT", "/certificates/rotation-policy", key,
                  {"rotationPeriod": 86400 * 31, "overlap": 3600, "algorithm": "ES256"},
                  headers={"If-Match": before})

    def test_a_malformed_if_match_is_400_not_412(self):
        self.call("POST", "/secrets", self.key, {"name": "etag-malformed", "type": "API_KEY",
                                                 "value": "v1", "allowedHosts": ["x.test"]}, 201)
        etag, before = self.etag_of("/secrets/etag-malformed")
        for bad in [etag.strip('"'), ",,,", "W/abc"]:
            status, err, _ = self.server.request("PUT", "/secrets/etag-malformed", self.key, {
                "type": "API_KEY", "value": "v2", "allowedHosts": ["x.test"]}, {"If-Match": bad})
            self.assertEqual(status, 400, bad)
            self.assertIn("double quotes", err["error"])
        self.assertEqual(self.etag_of("/secrets/etag-malformed"), (etag, before))

    def test_if_match_on_a_resource_that_does_not_exist_is_412(self):
        status, err, _ = self.server.request("PUT", "/secrets/never-made", self.key, {
            "type": "API_KEY", "value": "v", "allowedHosts": ["x.test"]}, {"If-Match": "*"})
        self.assertEqual(status, 412)
        self.assertEqual(err["code"], "PRECONDITION_FAILED")
        self.assertEqual(self.server.request("GET", "/secrets/never-made", self.key)[0], 404)

    def test_a_412_writes_no_audit_event(self):
        self.call("POST", "/secrets", self.key, {"name": "etag-audit", "type": "API_KEY",
                                                 "value": "v1", "allowedHosts": ["x.test"]}, 201)
        events = lambda: [e for e in self.walk("/audit-events?resource=etag-audit", 1000)]
        before = len(events())
        status, _, _ = self.server.request("PUT", "/secrets/etag-audit", self.key, {
            "type": "API_KEY", "value": "v2", "allowedHosts": ["x.test"]},
            {"If-Match": '"stale"'})
        self.assertEqual(status, 412)
        self.assertEqual(len(events()), before)

    # --- X-Request-Id ----------------------------------------------------

    def test_a_callers_request_id_reaches_the_response_and_the_audit_log(self):
        trace = "trace-" + uuid.uuid4().hex
        status, created, resp = self.server.request(
            "POST", "/api-keys", self.key, {"name": "traced", "scopes": ["audit:read"]},
            {"X-Request-Id": trace})
        self.assertEqual(status, 201)
        self.assertEqual(resp.getheader("X-Request-Id"), trace)
        events = self.walk("/audit-events?action=api_key.create&resource=" + created["id"], 1000)
        self.assertEqual([e["requestId"] for e in events], [trace])

    def test_a_malformed_request_id_is_replaced_not_trusted(self):
        for bad in ["x" * 65, "has space", "quote\"d"]:
            status, _, resp = self.server.request("GET", "/api-keys/current", self.key,
                                                  headers={"X-Request-Id": bad})
            self.assertEqual(status, 200)
            self.assertNotEqual(resp.getheader("X-Request-Id"), bad)
            self.assertTrue(resp.getheader("X-Request-Id").startswith("req_"))


if __name__ == "__main__":
    unittest.main()
