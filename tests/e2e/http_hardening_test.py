"""The HTTP layer under hostile clients: framing, slow and greedy clients,
connection caps and rate limits (regressions for the hardening findings)."""
import json
import os
import socket
import threading
import time
import unittest

from server import Server
from e2e_test import raw_exchange


def cpu_seconds(pid):
    """User + system CPU time of a process, from /proc."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def response_of(data):
    """(status, parsed JSON body or None) of the first response in `data`."""
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.1 ") else 0
    try:
        return status, json.loads(body[:body.rfind(b"}") + 1] or b"null")
    except ValueError:
        return status, None


def timed_get(port, path="/healthz"):
    start = time.time()
    data, _ = raw_exchange(port, b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                           % path.encode(), wait=10)
    return data, time.time() - start


class FramingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(args=["--threads", "1", "--header-timeout-ms", "2000",
                                  "--body-timeout-ms", "2000"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    # Regression: 1 MB of "1\r\na\r\n" in 1 KiB pieces cost ~4.6 s of server
    # CPU, because the whole request was re-parsed on every read.
    def test_a_chunked_upload_in_small_pieces_costs_linear_time(self):
        body = b"1\r\na\r\n" * (1 << 20 // 6) + b"0\r\n\r\n"
        before = cpu_seconds(self.server.proc.pid)
        s = socket.create_connection(("127.0.0.1", self.server.port))
        s.settimeout(20)
        s.sendall(b"POST /tokens HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        for i in range(0, len(body), 1024):
            s.sendall(body[i:i + 1024])
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(65536)
        s.close()
        used = cpu_seconds(self.server.proc.pid) - before
        self.assertEqual(response_of(data)[0], 401, data[:200])  # read whole, then routed
        self.assertLess(used, 1.0)

    # Regression: Pistache's chunk-size parser read stale bytes past what it
    # received, and the next request on the thread got no answer.
    def test_a_huge_chunk_size_is_refused_and_the_next_request_is_served(self):
        data, took = raw_exchange(
            self.server.port,
            b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"ffffffffffffffff\r\nabc\r\n0\r\n\r\n")
        status, body = response_of(data)
        self.assertEqual(status, 413)
        self.assertEqual(body["code"], "PAYLOAD_TOO_LARGE")
        data, took = raw_exchange(
            self.server.port,
            b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nabc\r\n0\r\n\r\n", wait=5)
        self.assertLess(took, 1.0)
        self.assertEqual(response_of(data)[0], 400)  # 5 bytes declared, "abc\r\n" is not it

    def test_chunk_data_must_end_with_crlf(self):
        data, _ = raw_exchange(
            self.server.port,
            b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabcXY0\r\n\r\n")
        status, body = response_of(data)
        self.assertEqual(status, 400)
        self.assertEqual(body["error"], "chunk data must be followed by CRLF")

    def test_chunked_requests_keep_the_connection_alive(self):
        s = socket.create_connection(("127.0.0.1", self.server.port))
        s.settimeout(5)
        s.sendall(b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"2\r\n{}\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while data.count(b"HTTP/1.1 ") < 2:
            data += s.recv(65536)
        s.close()
        self.assertIn(b"HTTP/1.1 405", data)
        self.assertIn(b"HTTP/1.1 200", data)

    # Regression: HEAD was 405 and absolute-form targets 400.
    def test_head_and_absolute_form(self):
        s = socket.create_connection(("127.0.0.1", self.server.port))
        s.settimeout(5)
        s.sendall(b"HEAD /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET http://127.0.0.1:%d/healthz HTTP/1.1\r\nHost: x\r\n\r\n" % self.server.port)
        data = b""
        while not data.endswith(b'{"status":"ok"}'):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        head, _, rest = data.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
        self.assertGreater(int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0]), 1000)
        # No body: the very next bytes are the second response.
        self.assertTrue(rest.startswith(b"HTTP/1.1 200"), rest[:100])
        self.assertTrue(rest.endswith(b'{"status":"ok"}'))

    def test_too_many_headers_and_too_long_targets(self):
        many = b"".join(b"X-H%d: v\r\n" % i for i in range(101))
        data, _ = raw_exchange(self.server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
        self.assertEqual(response_of(data)[1]["code"], "HEADERS_TOO_LARGE")
        data, _ = raw_exchange(self.server.port,
                               b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        status, body = response_of(data)
        self.assertEqual((status, body["code"]), (414, "URI_TOO_LONG"))


class SlowClientTest(unittest.TestCase):
    def setUp(self):
        self.server = Server(args=["--threads", "1", "--header-timeout-ms", "1500",
                                   "--body-timeout-ms", "1500", "--rate-limit-per-address", "0"]).start()

    def tearDown(self):
        self.server.cleanup()

    def test_a_client_sending_a_byte_at_a_time_holds_no_thread_and_is_cut_off(self):
        s = socket.create_connection(("127.0.0.1", self.server.port))
        s.settimeout(0.2)
        request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 1000
        start = time.time()
        cut = None
        got = b""
        for i in range(len(request)):
            try:
                s.sendall(request[i:i + 1])
            except OSError:
                cut = time.time() - start
                break
            # Meanwhile the single request thread answers everyone else.
            if i % 10 == 0:
                _, took = timed_get(self.server.port)
                self.assertLess(took, 0.5)
            try:
                chunk = s.recv(65536)
                if not chunk:
                    cut = time.time() - start
                    break
                got += chunk
            except socket.timeout:
                pass
            if time.time() - start > 6:
                break
        s.close()
        self.assertIsNotNone(cut, "the slow client was never cut off")
        self.assertLess(cut, 3.5)
        self.assertIn(b'"code":"REQUEST_TIMEOUT"', got)

    def test_a_body_that_never_completes_gets_a_json_408(self):
        data, took = raw_exchange(self.server.port,
                                  b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab",
                                  wait=6)
        self.assertEqual(response_of(data)[1]["code"], "REQUEST_TIMEOUT")
        self.assertIn(b"body", data)
        self.assertLess(took, 3.5)

    def test_a_client_that_never_reads_is_cut_off(self):
        s = socket.create_connection(("127.0.0.1", self.server.port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        # Far more response than the socket buffers hold (60 OpenAPI documents,
        # megabytes), never read. More only makes the one network thread
        # busier producing them before it serves the GETs below, which under
        # ThreadSanitizer can pass their 10 s wait.
        s.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n" * 60)
        start = time.time()
        closed = False
        s.settimeout(0.5)
        while time.time() - start < 30:
            # Serving others goes on (the first answers may wait for the
            # burst above to be produced; that is CPU, not waiting).
            data, _ = timed_get(self.server.port)
            self.assertIn(b"200 OK", data)
            try:
                # Peeking only tells whether the server has cut us off.
                s.send(b"")
                info = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            except OSError:
                closed = True
                break
            if info:
                closed = True
                break
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            except OSError:
                closed = True
                break
        s.close()
        self.assertTrue(closed, "a client that never read was never cut off")
        _, took = timed_get(self.server.port)
        self.assertLess(took, 1.0)


class ConnectionCapTest(unittest.TestCase):
    def test_connections_per_address_are_capped_with_a_json_503(self):
        server = Server(args=["--max-connections-per-address", "3"]).start()
        try:
            held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]
            for s in held:  # make sure each is accepted and counted
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                s.settimeout(5)
                self.assertIn(b"200 OK", s.recv(65536))
            data, _ = raw_exchange(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            status, body = response_of(data)
            self.assertEqual((status, body["code"]), (503, "UNAVAILABLE"))
            held.pop().close()
            deadline = time.time() + 5
            while True:  # the slot comes back once the server sees the close
                data, _ = raw_exchange(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                                       wait=1)
                if response_of(data)[0] == 200 or time.time() > deadline:
                    break
            self.assertEqual(response_of(data)[0], 200)
            for s in held:
                s.close()
        finally:
            server.cleanup()


class RateLimitTest(unittest.TestCase):
    def test_limits_answer_429_with_retry_after(self):
        server = Server(args=["--rate-limit-per-address", "1", "--auth-failure-limit", "3"]).start()
        try:
            statuses = [server.request("GET", "/healthz")[0] for _ in range(4)]
            self.assertEqual(statuses[:2], [200, 200])  # a burst of twice the rate
            self.assertIn(429, statuses[2:])
            status, body, resp = server.request("GET", "/healthz")
            self.assertEqual((status, body["code"]), (429, "RATE_LIMITED"))
            self.assertGreaterEqual(int(resp.getheader("Retry-After")), 1)
            for _ in range(3):
                self.assertEqual(server.request("GET", "/api-keys", "lk_key_aaaaaaaaaaaaaaaaaaaa.x")[0], 401)
            status, body, resp = server.request("GET", "/api-keys", "lk_key_bbbbbbbbbbbbbbbbbbbb.x")
            self.assertEqual(status, 429)
            self.assertGreaterEqual(int(resp.getheader("Retry-After")), 10)
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
