"""Crash consistency: write load against the real latchkeyd, SIGKILL at
random moments (and on PostgreSQL the database stopped with -m immediate a
few times), restart on the same data, and check after every restart that

  - every acknowledged write is there with its acknowledged value
    (credentials: the masked last 4 of every provider key; secrets: type,
    masked parts and version; certificates: id, kid, status, a usable key
    in the JWKS and the public-key route, exported keys still verify,
    managed keys still sign; OAuth: the access token handed out is never
    older than one already handed out);
  - nothing half-written shows (a multi-key credentials PUT is all or
    nothing, no list errors, no duplicate or keyless certificate);
  - every audit chain verifies and never gets shorter;
  - no rotating refresh token was burnt: the fake provider counts a refresh
    token used after it rotated as a reuse, and every token's access-token
    call works after the restart.

A write is acknowledged when its 2xx answer arrived before the kill. A
write that got no answer (or a 503 while the database was down) may or may
not have happened: the check accepts either state, then takes what it found
as the new known state. An OAuth refresh is acknowledged when latchkeyd
hands out the access token it produced.

Burnt tokens. If latchkeyd dies after the provider rotated a refresh token
but before it committed the new one, the new token existed only in the dead
process: the next refresh uses the old one and the provider refuses it
(with real providers, reuse detection may revoke the whole grant). This
cannot be prevented on our side. Such a reuse is told apart from a bug by
the process that sent each request (the fake looks up which of our children
owns the connection): the rotation came from a process that was killed (or
the database crashed in between), nothing from that rotation was ever handed
out, and the token ends as needs_reauth (409 NEEDS_REAUTH). Those are
REPORTED at the end and the token is replaced by a new connection; any other
reuse fails the test. LATCHKEY_CRASH_FAIL_ON_BURN=1 fails on those too.

  LATCHKEY_CRASH_CYCLES    SIGKILLs of latchkeyd (default 100)
  LATCHKEY_CRASH_SEED      repeat a run's random choices (printed at the start)
  LATCHKEY_CRASH_DB_KILLS  PostgreSQL immediate stops in the run (default 5)

The binary is copied once at the start, so a rebuild during the run does not
mix binaries.
"""
import http.client
import itertools
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import warnings

from fake_oauth import CLIENT_SECRETS, TENANT, FakeProviders, client_id
from oauth_test import APP, browse, query_of
import server as srv
from server import PG_URL, Server

try:
    import jwt  # PyJWT: signs with the exported private keys
except ImportError:  # pragma: no cover - the check is skipped without it
    jwt = None

ADMIN = "crash-test-admin-key-0001"
CYCLES = int(os.environ.get("LATCHKEY_CRASH_CYCLES", "100"))
DB_KILLS = int(os.environ.get("LATCHKEY_CRASH_DB_KILLS", "5"))
FAIL_ON_BURN = os.environ.get("LATCHKEY_CRASH_FAIL_ON_BURN") == "1"
MAX_KILL_DELAY = 0.3   # the kill comes 0-300 ms after the load starts
LEASE = 2              # --oauth-refresh-lease: a dead process's claim ends quickly
ACCOUNTS = 2
OAUTH_DIALECTS = ("microsoft", "github", "notion")  # all rotate refresh tokens
TOKENS_PER_DIALECT = 2
TOKEN_LIFETIME = 2     # expires_in: each token falls due a second after its refresh
PROVIDER_FIELDS = ("openaiApiKey", "anthropicApiKey", "googleApiKey", "mistralApiKey",
                   "cohereApiKey", "groqApiKey", "togetherApiKey", "deepseekApiKey",
                   "xaiApiKey", "openrouterApiKey", "perplexityApiKey")
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


class Down(Exception):
    """latchkeyd did not answer (killed before or during the request)."""


# --- which process sent a request to the fake provider -------------------------------------

def _child_pids():
    pids = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open("/proc/self/task/%s/children" % tid) as f:
                pids += [int(p) for p in f.read().split()]
        except OSError:
            pass
    return pids


def _socket_inode(src_port, dst_port):
    """The inode of the TCP socket 127.0.0.1:src_port -> 127.0.0.1:dst_port,
    by an exact sock_diag lookup (netlink), or None when there is none."""
    ip = socket.inet_aton("127.0.0.1")
    sockid = (struct.pack("!HH", src_port, dst_port) + ip + bytes(12) + ip + bytes(12)
              + struct.pack("=III", 0, 0xFFFFFFFF, 0xFFFFFFFF))  # any interface, no cookie
    req = struct.pack("=BBBBI", socket.AF_INET, socket.IPPROTO_TCP, 0, 0, 0xFFFFFFFF) + sockid
    msg = struct.pack("=IHHII", 16 + len(req), 20, 1, 1, 0) + req  # SOCK_DIAG_BY_FAMILY, REQUEST
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 4) as nl:  # NETLINK_SOCK_DIAG
        nl.sendto(msg, (0, 0))
        data = nl.recv(65536)
    if len(data) < 16 + 72 or struct.unpack_from("=H", data, 4)[0] != 20:
        return None  # NLMSG_ERROR: no such socket
    inode = struct.unpack_from("=I", data, 16 + 68)[0]  # inet_diag_msg.idiag_inode
    return inode or None


def sender_pid(peer_port, fake_port):
    """The pid of our child process owning the connection 127.0.0.1:peer_port
    -> the fake provider, or None when none does (its process is dead)."""
    try:
        inode = _socket_inode(peer_port, fake_port)
    except OSError:
        return None
    if inode is None:
        return None
    target = "socket:[%d]" % inode
    for pid in _child_pids():
        fd_dir = "/proc/%d/fd" % pid
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd_dir + "/" + fd) == target:
                    return pid
            except OSError:
                pass
    return None


class RecordingProviders(FakeProviders):
    """The fake providers, also remembering which grant (chain) and place in
    it every token has, what replaced each rotated refresh token, and which
    process sent each rotation and each reuse. Runs under self.lock."""

    def __init__(self):
        super().__init__()
        # Headers and body go out as two writes; with Nagle on, the body
        # waits for the client's delayed ACK (~40 ms), which would stretch
        # the moment between the provider's rotation and our commit.
        self.httpd.RequestHandlerClass.disable_nagle_algorithm = True
        self.place = {}      # access or refresh token -> (chain, seq)
        self.rotations = {}  # old refresh token -> {"new_rt", "new_at", "t", "pid", "chain", "seq"}
        self.reuses = []     # {"rt", "t", "pid", "chain"}
        self.chains = 0

    def exchange(self, h, dialect, form):
        issued = len(self.issued)
        try:
            return super().exchange(h, dialect, form)
        finally:
            new = self.issued[issued:]
            if new:
                self.chains += 1
                for token in new:
                    self.place[token] = (self.chains, 0)

    def refresh(self, h, dialect, form):
        rt = form.get("refresh_token")
        entry = self.refresh_tokens.get(rt)
        was_valid = bool(entry and entry["valid"])
        pid = sender_pid(h.client_address[1], self.port)  # before answering: the sender waits
        issued, reused = len(self.issued), len(self.reused)
        try:
            return super().refresh(h, dialect, form)
        finally:  # also when the answer cannot be written: the sender is dead
            self.record_refresh(rt, was_valid, pid, issued, reused)

    def record_refresh(self, rt, was_valid, pid, issued, reused):
        chain, seq = self.place.get(rt, (None, None))
        if len(self.reused) > reused:
            self.reuses.append({"rt": rt, "t": time.time(), "pid": pid, "chain": chain})
        new = self.issued[issued:]
        if was_valid and new and chain is not None:
            for token in new:
                self.place[token] = (chain, seq + 1)
            self.rotations[rt] = {
                "new_rt": next((t for t in new if t in self.refresh_tokens), None),
                "new_at": next((t for t in new if t in self.access_tokens), None),
                "t": time.time(), "pid": pid, "chain": chain, "seq": seq + 1}


# --- the model of what is stored --------------------------------------------------------------

def last4_value(rng, prefix):
    """A value of at least 12 characters whose last 4 are random."""
    return prefix + "".join(rng.choice(ALPHABET) for _ in range(20))


def apply_credentials(state, body):
    out = dict(state)
    for field, value in body.items():
        out[field] = None if value is None else value[-4:]
    return out


class Token:
    def __init__(self, account, dialect, token_id):
        self.account, self.dialect, self.id = account, dialect, token_id
        self.chain = None   # the fake's grant it belongs to
        self.seq = -1       # newest place in the grant handed out so far
        self.needs_reauth = False
        self.burn = None    # the report, once its refresh token was burnt


class Account:
    def __init__(self, index, account_id, key):
        self.index, self.id, self.key = index, account_id, key
        self.creds = {f: None for f in PROVIDER_FIELDS}   # field -> last 4 or None
        self.secrets = {}    # name -> (type, ((part, last4), ...), version)
        self.certs = {}      # name -> {"id", "kid", "status", "custody"}
        self.private_keys = {}  # cert name -> PKCS#8 PEM of acknowledged exported keys
        self.pending = {}    # kind -> state -> state: the one write that got no answer
        self.touched = set()  # cert and secret names written since the last check
        self.tokens = []
        self.audit_count = 0
        self.names = itertools.count(1)


class CrashTest(unittest.TestCase):
    def setUp(self):
        warnings.simplefilter("ignore", ResourceWarning)  # connections cut by the kills
        seed_text = os.environ.get("LATCHKEY_CRASH_SEED")
        self.seed = int(seed_text) if seed_text else random.SystemRandom().randrange(1 << 32)
        print("\ncrash_test: seed %d (LATCHKEY_CRASH_SEED=%d repeats the random choices),"
              " %d cycles, %s" % (self.seed, self.seed, CYCLES,
                                 "PostgreSQL" if PG_URL else "SQLite"), flush=True)
        self.rng = random.Random(self.seed)
        self.fake = RecordingProviders()
        for d in OAUTH_DIALECTS:
            self.fake.expires_in[d] = TOKEN_LIFETIME
        self.tmp = tempfile.TemporaryDirectory(prefix="latchkey-crash-")
        self.providers = os.path.join(self.tmp.name, "providers.json")
        with open(self.providers, "w") as f:
            json.dump(self.fake.providers_file(), f)
        # One binary for the whole run, even if build/latchkeyd is rebuilt meanwhile.
        self.binary = os.path.join(self.tmp.name, "latchkeyd")
        shutil.copy2(srv.BINARY, self.binary)
        self.saved_binary, srv.BINARY = srv.BINARY, self.binary
        self.server = Server(data_dir=os.path.join(self.tmp.name, "data"),
                             env={"LATCHKEY_ADMIN_KEY": ADMIN}, args=[
                                 "--oauth-providers-file", self.providers,
                                 "--oauth-refresh-lease", str(LEASE),
                                 "--key-pool-size", "0", "--threads", "4"])
        self.lock = threading.Lock()
        self.log = []            # (cycle, kind, account, request, status or None, acked)
        self.handed = set()      # access tokens latchkeyd handed out
        self.violations = []     # (cycle, text)
        self.burns = []          # reports of crash-caused burnt refresh tokens
        self.burn_windows = []   # ms from the provider's rotation to the kill (negative: before)
        self.crashes = []        # (what, time, pid)
        self.seen_reuses = 0
        self.checks = 0
        self.lease_waits = 0
        self.cycle = 0
        self.keep_data = False

    def tearDown(self):
        srv.BINARY = self.saved_binary
        self.server.cleanup()
        self.fake.close()
        if self.keep_data:  # SQLite data, copied binary and latchkeyd's stderr, for a look
            print("crash_test: kept %s" % self.tmp.name)
        else:
            self.tmp.cleanup()

    # --- requests -------------------------------------------------------------------------------

    def call(self, method, path, key=None, body=None):
        try:
            status, parsed, _ = self.server.request(method, path, key, body)
        except (OSError, http.client.HTTPException) as e:
            raise Down(repr(e))
        return status, parsed

    def check_call(self, method, path, key=None, body=None, expect=200):
        """A request during a check, when latchkeyd must be up."""
        try:
            status, parsed = self.call(method, path, key, body)
        except Down as e:
            code = self.server.proc.poll()
            raise AssertionError("%s %s: no answer (%s); latchkeyd %s; stderr tail:\n%s" % (
                method, path, e, "running" if code is None else "exited with %s" % code,
                self.server.stderr()[-2000:]))
        if status != expect:
            raise AssertionError("%s %s: %s %s" % (method, path, status, parsed))
        return parsed

    def check_list(self, path, key):
        """Every item of a list route, following nextCursor page by page."""
        items, cursor = [], None
        while True:
            page = self.check_call("GET", path + "?limit=1000" + (
                "&cursor=" + urllib.parse.quote(cursor, safe="") if cursor else ""), key)
            items += page["data"]
            cursor = page["nextCursor"]
            if not cursor:
                return items

    def write(self, acct, kind, method, path, body, expect):
        """One write of the load: (acked, answer body). Records it."""
        try:
            status, parsed = self.call(method, path, acct.key, body)
        except Down:
            status, parsed = None, None
        acked = status == expect
        summary = "%s %s %s" % (method, path, json.dumps(body, sort_keys=True)[:120]
                                if body is not None else "")
        self.log.append((self.cycle, kind, acct.index, summary, status, acked))
        # 429: a key generation refused because this account (or the server)
        # already has one in progress; nothing was applied.
        refused = status == 429 and path == "/certificates"
        if status not in (None, expect, 503) and not refused:
            self.violation("account %d: %s answered %s %s" % (acct.index, summary, status, parsed))
        return acked, parsed

    def violation(self, text):
        with self.lock:
            self.violations.append((self.cycle, text))

    # --- setup ----------------------------------------------------------------------------------

    def connect(self, acct, dialect):
        s = self.check_call("POST", "/auth/sessions", acct.key,
                            {"provider": dialect, "identifierId": "u-%d" % next(acct.names),
                             "redirectUri": APP}, expect=201)
        status, location, body = browse(s["url"])
        q = query_of(location)
        self.assertEqual(q.get("status"), "success", (status, location, body))
        token = Token(acct, dialect, q["tokenId"])
        acct.tokens.append(token)
        self.log.append((self.cycle, "oauth connect", acct.index, dialect, 302, True))
        first = self.check_call("GET", "/oauth-tokens/%s/access-token" % token.id, acct.key)
        self.handed_out(token, first["accessToken"])  # learns its grant
        return token

    def setup_accounts(self):
        self.server.start()
        self.accounts = []
        for i in range(ACCOUNTS):
            created = self.check_call("POST", "/admin/accounts", ADMIN, {"name": "crash-%d" % i},
                                      expect=201)
            acct = Account(i, created["id"], created["apiKey"])
            for d in OAUTH_DIALECTS:
                reg = {"clientId": client_id(d), "clientSecret": CLIENT_SECRETS[d]}
                if d == "microsoft":
                    reg["tenant"] = TENANT
                self.check_call("PUT", "/oauth/providers/" + d, acct.key, reg)
            self.check_call("PUT", "/oauth/redirect-uris", acct.key, {"redirectUris": [APP]})
            for d in OAUTH_DIALECTS:
                for _ in range(TOKENS_PER_DIALECT):
                    self.connect(acct, d)
            self.accounts.append(acct)

    # --- the load -------------------------------------------------------------------------------

    def credentials_load(self, acct, rng, stop):
        while not stop.is_set():
            fields = rng.sample(PROVIDER_FIELDS, rng.choice((1, 1, 1, 2, 3)))
            body = {f: None if rng.random() < 0.15 else last4_value(rng, "sk-crash-")
                    for f in fields}
            acked, _ = self.write(acct, "credentials", "PUT", "/credentials", body, 200)
            if not acked:
                acct.pending["credentials"] = lambda s, body=body: apply_credentials(s, body)
                return
            acct.creds = apply_credentials(acct.creds, body)

    def secrets_load(self, acct, rng, stop):
        while not stop.is_set():
            names = sorted(acct.secrets)
            r = rng.random()
            if not names or r < 0.35:
                name = "s%d-%d" % (acct.index, next(acct.names))
                kind = rng.choice(("API_KEY", "BASIC_AUTH"))
                body, masked = self.secret_value(rng, kind)
                body.update({"name": name, "type": kind, "allowedHosts": ["api.example.com"]})
                method, path, expect = "POST", "/secrets", 201

                def after(s, name=name, kind=kind, masked=masked):
                    return dict(s, **{name: (kind, masked, 1)})
            elif r < 0.85:
                name = rng.choice(names)
                kind = acct.secrets[name][0]
                body, masked = self.secret_value(rng, kind)
                method, path, expect = "PUT", "/secrets/" + name, 200

                def after(s, name=name, kind=kind, masked=masked):
                    return dict(s, **{name: (kind, masked, s[name][2] + 1)})
            else:
                name = rng.choice(names)
                body, method, path, expect = None, "DELETE", "/secrets/" + name, 200

                def after(s, name=name):
                    return {k: v for k, v in s.items() if k != name}
            acct.touched.add(name)
            acked, _ = self.write(acct, "secrets", method, path, body, expect)
            if not acked:
                acct.pending["secrets"] = after
                return
            acct.secrets = after(acct.secrets)

    @staticmethod
    def secret_value(rng, kind):
        if kind == "API_KEY":
            value = last4_value(rng, "secret-")
            return {"value": value}, (("value", value[-4:]),)
        user, password = last4_value(rng, "user-"), last4_value(rng, "pass-")
        return ({"username": user, "password": password},
                (("password", password[-4:]), ("username", user[-4:])))

    def certificates_load(self, acct, rng, stop):
        while not stop.is_set():
            active = sorted(n for n, c in acct.certs.items() if c["status"] == "active")
            if active and rng.random() < 0.12:
                name = rng.choice(active)
                path = "/certificates/%s/revoke" % acct.certs[name]["id"]

                def after(s, name=name):
                    return dict(s, **{name: dict(s[name], status="revoked")})
                acct.touched.add(name)
                acked, _ = self.write(acct, "certificates", "POST", path, None, 200)
                if not acked:
                    acct.pending["certificates"] = after
                    return
                acct.certs = after(acct.certs)
                continue
            name = "c%d-%d" % (acct.index, next(acct.names))
            custody = "managed" if rng.random() < 0.3 else "exported"
            body = {"name": name, "custody": custody, "algorithm": "ES256"}
            if rng.random() < 0.1:
                body.update({"algorithm": "RS256", "keySize": 2048})
            acct.touched.add(name)
            acked, answer = self.write(acct, "certificates", "POST", "/certificates", body, 201)
            if not acked:
                acct.pending["certificates"] = lambda s, name=name, custody=custody: dict(
                    s, **{name: {"id": None, "kid": None, "status": "active", "custody": custody}})
                return
            acct.certs = dict(acct.certs, **{name: {"id": answer["id"], "kid": answer["kid"],
                                                    "status": "active", "custody": custody}})
            if custody == "exported":
                acct.private_keys[name] = answer["privateKey"]

    def oauth_load(self, acct, rng, stop):
        """Asks for access tokens; due ones are refreshed first (a write)."""
        live = [t for t in acct.tokens if not t.needs_reauth]
        while live and not stop.is_set():
            token = rng.choice(live)
            try:
                status, body = self.call("GET", "/oauth-tokens/%s/access-token" % token.id,
                                         acct.key)
            except Down:
                return
            if status == 200:
                self.handed_out(token, body["accessToken"])
            elif status == 409 and body and body.get("code") == "NEEDS_REAUTH":
                token.needs_reauth = True
                live.remove(token)
            elif status != 503:
                self.violation("account %d: access-token %s answered %s %s"
                               % (acct.index, token.id, status, body))
                return

    def handed_out(self, token, access_token):
        with self.fake.lock:
            place = self.fake.place.get(access_token)
        if place is None:
            self.violation("token %s: handed out an access token the provider never issued"
                           % token.id)
            return
        chain, seq = place
        with self.lock:
            self.handed.add(access_token)
            if token.chain is None:
                token.chain = chain
            elif chain != token.chain:
                self.violations.append((self.cycle, "token %s: handed out grant %d's access"
                                        " token, it is grant %d" % (token.id, chain, token.chain)))
            if seq < token.seq:
                self.violations.append((self.cycle, "LOST REFRESH: token %s handed out access"
                                        " token #%d of its grant after #%d had been handed out"
                                        % (token.id, seq, token.seq)))
            token.seq = max(token.seq, seq)

    def start_load(self, rng):
        stop = threading.Event()
        threads = []
        for acct in self.accounts:
            for load in (self.credentials_load, self.secrets_load, self.certificates_load,
                         self.oauth_load):
                t = threading.Thread(target=load, args=(acct, random.Random(rng.random()), stop))
                threads.append(t)
        for t in threads:
            t.start()
        return stop, threads

    # --- crashes --------------------------------------------------------------------------------

    def kill_latchkeyd(self):
        proc = self.server.proc
        if proc.poll() is not None:
            self.violation("latchkeyd exited on its own (code %s) before the kill"
                           % proc.returncode)
        self.crashes.append(("latchkeyd", time.time(), proc.pid))
        self.server.stopping = True
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        self.server.stderr_file.close()

    def pg_ctl(self, *args):
        subprocess.run(os.environ["LATCHKEY_TEST_PG_CTL"].split() + list(args), check=True)

    def crash_database(self):
        self.crashes.append(("postgres", time.time(), None))
        self.pg_ctl("stop", "-m", "immediate")

    def db_crash_between(self, start, end):
        return any(what == "postgres" and start <= t <= end for what, t, _ in self.crashes)

    def load_then(self, crash):
        stop, threads = self.start_load(self.rng)
        time.sleep(self.rng.uniform(0, MAX_KILL_DELAY))  # the random kill moment
        crash()
        stop.set()
        for t in threads:
            t.join()

    # --- the checks -----------------------------------------------------------------------------

    def check(self, where):
        self.checks += 1
        for acct in self.accounts:
            self.check_credentials(acct)
            self.check_secrets(acct)
            self.check_certificates(acct)
            self.check_lists(acct)
        self.check_oauth()
        for acct in self.accounts:  # after the OAuth calls, which append events too
            self.check_audit(acct)
            acct.pending, acct.touched = {}, set()
        admin = self.check_call("GET", "/admin/audit-events/verify", ADMIN)
        if not admin.get("ok"):
            self.violation("system audit chain broken %s: %s" % (where, admin))
        if self.violations:  # from this check or from the load before it
            self.fail_now(where)

    def states_match(self, expected, observed, wildcard=False):
        if expected.keys() != observed.keys():
            return False
        for k, e in expected.items():
            o = observed[k]
            if wildcard and isinstance(e, dict):
                if any(v is not None and o.get(f) != v for f, v in e.items()):
                    return False
            elif e != o:
                return False
        return True

    def compare(self, acct, kind, known, observed, wildcard=False):
        """The stored state must be the known one, or the known one with the
        write that got no answer applied. Returns the differing keys."""
        allowed = [known]
        if kind in acct.pending:
            allowed.append(acct.pending[kind](known))
        if any(self.states_match(a, observed, wildcard) for a in allowed):
            return []
        keys = sorted(set(known) | set(observed))
        diff = [k for k in keys if not any(
            self.states_match({k: a[k]} if k in a else {}, {k: observed[k]} if k in observed
                              else {}, wildcard) for a in allowed)]
        diff = diff or keys
        for k in diff:
            self.violation("LOST/CHANGED %s: account %d %s: acknowledged %s, no-answer write"
                           " would give %s, found %s" % (
                               kind, acct.index, k, known.get(k, "<absent>"),
                               allowed[1].get(k, "<absent>") if len(allowed) > 1 else "-",
                               observed.get(k, "<absent>")))
        return diff

    def check_credentials(self, acct):
        body = self.check_call("GET", "/credentials", acct.key)
        observed = {}
        for f in PROVIDER_FIELDS:
            has = body.get("has" + f[0].upper() + f[1:])
            last4 = body.get(f + "Last4")
            if has and not last4:
                self.violation("account %d credentials: %s present without its last 4"
                               % (acct.index, f))
            observed[f] = last4 if has else None
        self.compare(acct, "credentials", acct.creds, observed)
        acct.creds = observed

    def check_secrets(self, acct):
        listed = self.check_list("/secrets", acct.key)
        observed = {}
        for s in listed:
            if s["name"] in observed:
                self.violation("account %d: secret %s listed twice" % (acct.index, s["name"]))
            masked = tuple(sorted((m["part"], m["last4"]) for m in s["masked"]))
            observed[s["name"]] = (s["type"], masked, s["version"])
        self.compare(acct, "secrets", acct.secrets, observed)
        acct.secrets = observed
        for name in sorted(acct.touched & set(observed)):
            one = self.check_call("GET", "/secrets/" + name, acct.key)
            masked = tuple(sorted((m["part"], m["last4"]) for m in one["masked"]))
            if (one["type"], masked, one["version"]) != observed[name]:
                self.violation("account %d: GET /secrets/%s %s disagrees with the list %s"
                               % (acct.index, name, one, observed[name]))

    def check_certificates(self, acct):
        listed = self.check_list("/certificates", acct.key)
        observed, full = {}, {}
        for c in listed:
            if c["name"] in observed:
                self.violation("account %d: certificate %s listed twice" % (acct.index, c["name"]))
            if not (c.get("id") and c.get("kid") and c.get("publicKey")) or \
                    c.get("status") not in ("active", "revoked"):
                self.violation("account %d: half-written certificate %s" % (acct.index, c))
            observed[c["name"]] = {"id": c["id"], "kid": c["kid"], "status": c["status"],
                                   "custody": c["custody"]}
            full[c["name"]] = c
        self.compare(acct, "certificates", acct.certs, observed, wildcard=True)
        acct.certs = observed
        acct.private_keys = {n: k for n, k in acct.private_keys.items() if n in observed}

        active = {n: c for n, c in observed.items() if c["status"] == "active"}
        jwks = self.check_call("GET", "/accounts/%s/.well-known/jwks.json" % acct.id)
        kids = [k["kid"] for k in jwks["keys"]]
        if sorted(kids) != sorted(c["kid"] for c in active.values()):
            self.violation("account %d: JWKS kids %s, active certificates %s"
                           % (acct.index, sorted(kids), sorted(c["kid"] for c in active.values())))
        names = sorted(observed)
        sample = sorted((acct.touched & set(names)) | set(self.rng.sample(names, min(3, len(names)))))
        for name in sample:
            c = full[name]
            one = self.check_call("GET", "/certificates/" + c["id"], acct.key)
            if one["kid"] != c["kid"] or one["status"] != c["status"]:
                self.violation("account %d: GET /certificates/%s %s disagrees with the list"
                               % (acct.index, c["id"], one))
            status, pub = self.call("GET", "/certificates/public/" + c["kid"])
            if c["status"] == "active" and (status != 200 or pub["publicKey"] != c["publicKey"]):
                self.violation("account %d: active certificate %s has no usable public key: %s %s"
                               % (acct.index, name, status, pub))
            if c["status"] == "revoked" and status != 404:
                self.violation("account %d: revoked certificate %s still served: %s"
                               % (acct.index, name, status))
            if jwt and c["status"] == "active" and name in acct.private_keys:
                self.check_exported_key(acct, name, c)
        managed = {c["kid"] for c in active.values() if c["custody"] == "managed"}
        if managed:
            signed = self.check_call("POST", "/tokens", acct.key, {"claims": {"crash": self.cycle}})
            if signed["kid"] not in managed:
                self.violation("account %d: signed with %s, not an active managed key %s"
                               % (acct.index, signed["kid"], sorted(managed)))
            verified = self.check_call("POST", "/tokens/verify", acct.key,
                                       {"token": signed["token"]})
            if not verified.get("valid"):
                self.violation("account %d: its own managed token does not verify: %s"
                               % (acct.index, verified))

    def check_exported_key(self, acct, name, cert):
        """The acknowledged private key still matches the stored public key."""
        now = int(time.time())
        issuer = "http://127.0.0.1:%d/accounts/%s" % (self.server.port, acct.id)
        token = jwt.encode({"iss": issuer, "iat": now, "nbf": now, "exp": now + 300},
                           acct.private_keys[name], algorithm=cert["algorithm"],
                           headers={"kid": cert["kid"]})
        verified = self.check_call("POST", "/tokens/verify", acct.key, {"token": token})
        if not verified.get("valid") or verified.get("kid") != cert["kid"]:
            self.violation("account %d: a token signed with exported certificate %s's"
                           " acknowledged private key does not verify: %s"
                           % (acct.index, name, verified))

    def check_lists(self, acct):
        for path in ("/api-keys", "/oauth/providers", "/oauth/redirect-uris",
                     "/audit-events?limit=5"):
            self.check_call("GET", path, acct.key)

    def check_audit(self, acct):
        verified = self.check_call("GET", "/audit-events/verify", acct.key)
        if not verified.get("ok"):
            self.violation("BROKEN AUDIT CHAIN: account %d: %s" % (acct.index, verified))
        elif verified["count"] < acct.audit_count:
            self.violation("LOST AUDIT EVENTS: account %d had %d events, now %d"
                           % (acct.index, acct.audit_count, verified["count"]))
        acct.audit_count = max(acct.audit_count, verified.get("count", 0))

    def access_after_restart(self, token):
        """access-token until it answers 200 or 409. A 503 is what a token
        gets while a dead process's lease on its refresh has not run out."""
        deadline = time.time() + LEASE + 10
        while True:
            try:
                status, body, resp = self.server.request(
                    "GET", "/oauth-tokens/%s/access-token" % token.id, token.account.key)
            except (OSError, http.client.HTTPException) as e:
                raise Down(repr(e))
            if status == 200:
                self.handed_out(token, body["accessToken"])
                return
            if status == 409 and body and body.get("code") == "NEEDS_REAUTH":
                token.needs_reauth = True
                return
            if status != 503 or time.time() > deadline:
                self.violation("token %s: access-token after restart answered %s %s"
                               % (token.id, status, body))
                return
            with self.lock:
                self.lease_waits += 1
            # A client does what the 503 says: a refresh that failed (a slow
            # provider under this load) is retried on a backoff, and asking
            # in a tight loop meanwhile only spends the key's rate limit.
            time.sleep(min(float(resp.getheader("Retry-After") or 1),
                           max(0.0, deadline - time.time())))

    def check_oauth(self):
        live = []
        for acct in self.accounts:
            listed = {t["id"]: t for t in self.check_list("/oauth-tokens", acct.key)}
            for token in acct.tokens:
                if token.id not in listed:
                    self.violation("LOST OAUTH TOKEN: account %d %s" % (acct.index, token.id))
                elif token.burn is None:
                    live.append(token)
        errors = []

        def run(token):
            try:
                self.access_after_restart(token)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append((token.id, e))
        threads = [threading.Thread(target=run, args=(t,)) for t in live]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for token_id, e in errors:
            self.violation("token %s: access-token after restart failed: %r" % (token_id, e))
        self.classify_reuses()
        for token in live:
            if token.needs_reauth and token.burn is None:
                self.violation("BURNT TOKEN WITHOUT CAUSE: token %s (%s) needs reauth but the"
                               " provider never refused a reused refresh token of its grant"
                               % (token.id, token.dialect))
            if token.burn is None:
                continue
            # A burnt grant must show as such (the refusal and the status are
            # one transaction, possibly still committing in the background).
            deadline = time.time() + 5
            while True:
                status, body = self.call("GET", "/oauth-tokens/" + token.id, token.account.key)
                if status == 200 and body["status"] == "needs_reauth":
                    break
                if time.time() > deadline:
                    self.violation("token %s: burnt but shows %s %s" % (token.id, status, body))
                    break
                time.sleep(0.05)
            status, body = self.call("GET", "/oauth-tokens/%s/access-token" % token.id,
                                     token.account.key)
            if status != 409 or body.get("code") != "NEEDS_REAUTH":
                self.violation("token %s: burnt but access-token answers %s %s"
                               % (token.id, status, body))
            token.needs_reauth = True
            self.connect(token.account, token.dialect)  # the user connects again

    def classify_reuses(self):
        with self.fake.lock:
            reuses = self.fake.reuses[self.seen_reuses:]
            self.seen_reuses = len(self.fake.reuses)
            rotations = dict(self.fake.rotations)
        tokens = {t.chain: t for a in self.accounts for t in a.tokens if t.chain is not None}
        for reuse in reuses:
            token = tokens.get(reuse["chain"])
            label = "token %s (%s)" % (token.id, token.dialect) if token else \
                "grant %s" % reuse["chain"]
            rot = rotations.get(reuse["rt"])
            if rot is None:
                with self.fake.lock:
                    known = (self.fake.place.get(reuse["rt"]),
                             self.fake.refresh_tokens.get(reuse["rt"]))
                self.violation("REUSE: %s: a refresh token used again with no rotation on"
                               " record (grant, place; provider entry: %s)" % (label, known))
                continue
            if rot["new_at"] in self.handed:
                self.violation("LOST REFRESH: %s: latchkeyd handed out access token #%d, so it"
                               " had stored the rotated refresh token, then refreshed with the"
                               " old one again (pid %s)" % (label, rot["seq"], reuse["pid"]))
                continue
            db_crash = self.db_crash_between(rot["t"] - 1, reuse["t"])
            if rot["pid"] is not None and rot["pid"] == reuse["pid"] and not db_crash:
                self.violation("DOUBLE REFRESH: %s: latchkeyd pid %s refreshed with a refresh"
                               " token it had already rotated %.3f s earlier, with no crash in"
                               " between" % (label, rot["pid"], reuse["t"] - rot["t"]))
                continue
            if db_crash and (rot["pid"] is None or rot["pid"] == reuse["pid"]):
                cause = "PostgreSQL was stopped (-m immediate) before latchkeyd committed it"
                window = None
            elif rot["pid"] is not None:
                kill = next((t for what, t, pid in self.crashes
                             if what == "latchkeyd" and pid == rot["pid"]), None)
                if kill is None:
                    self.violation("REUSE: %s: rotated by pid %s, reused by pid %s, but pid %s"
                                   " was never killed" % (label, rot["pid"], reuse["pid"],
                                                          rot["pid"]))
                    continue
                window = (kill - rot["t"]) * 1000
                if window >= 0:
                    cause = ("the sender, pid %d, was SIGKILLed %.1f ms after that answer,"
                             " before committing the new token" % (rot["pid"], window))
                else:
                    cause = ("the sender, pid %d, was SIGKILLed while the provider was"
                             " answering" % rot["pid"])
            else:
                kill = max((t for what, t, pid in self.crashes
                            if what == "latchkeyd" and rot["t"] - 2 <= t <= rot["t"]),
                           default=None)
                if kill is None:
                    self.violation("REUSE: %s: no live process sent the rotation and none was"
                                   " killed just before it" % label)
                    continue
                window = (kill - rot["t"]) * 1000
                cause = ("the sender had been SIGKILLed %.1f ms before the provider processed"
                         " its request" % -window)
            report = ("%s: the provider rotated its refresh token (to #%d of the grant) at"
                      " %s; %s; pid %s then refreshed with the old one %.1f s later and the"
                      " provider refused it as reused -> needs_reauth" % (
                          label, rot["seq"], time.strftime("%H:%M:%S", time.localtime(rot["t"])),
                          cause, reuse["pid"], reuse["t"] - rot["t"]))
            self.burns.append((self.cycle, report))
            if window is not None:
                self.burn_windows.append(window)
            print("  BURNT REFRESH TOKEN (cycle %d): %s" % (self.cycle, report), flush=True)
            if token:
                token.burn = report

    # --- the run --------------------------------------------------------------------------------

    def fail_now(self, where):
        lines = ["cycle %d: %s" % v for v in self.violations[:40]]
        self.fail("crash consistency violated %s (seed %d, data and logs in %s):\n%s\n"
                  "latchkeyd stderr (tail):\n%s" % (
                      where, self.seed, self.tmp.name, "\n".join(lines),
                      self.server.stderr()[-3000:]))

    def test_acknowledged_writes_survive_sigkill(self):
        try:
            self.run_cycles()
        except BaseException:
            self.report()
            self.keep_data = True
            raise

    def run_cycles(self):
        started = time.time()
        self.setup_accounts()
        self.check("after setup")
        db_kills = set()
        if PG_URL:
            db_kills = set(self.rng.sample(range(1, CYCLES + 1), min(DB_KILLS, CYCLES)))
        for self.cycle in range(1, CYCLES + 1):
            if self.cycle in db_kills:
                # The database dies under load; the same latchkeyd recovers on its own.
                self.load_then(self.crash_database)
                self.pg_ctl("start")
                deadline = time.time() + 30
                while self.call("GET", "/readyz")[0] != 200:  # polling an observable condition
                    self.assertLess(time.time(), deadline, "latchkeyd not ready after PostgreSQL")
                    time.sleep(0.05)
                self.check("after PostgreSQL stop -m immediate/start in cycle %d" % self.cycle)
            self.load_then(self.kill_latchkeyd)
            self.server.start()
            self.check("after restart %d" % self.cycle)
            if self.cycle % 10 == 0:
                print("  cycle %d/%d, %.0f s, burnt tokens so far %d" % (
                    self.cycle, CYCLES, time.time() - started, len(self.burns)), flush=True)
        self.elapsed = time.time() - started
        self.assertEqual(self.violations, [])
        self.report()
        if FAIL_ON_BURN:
            self.assertEqual(self.burns, [], "burnt refresh tokens")

    def report(self):
        acked, unacked = {}, {}
        for _, kind, _, _, _, ok in self.log:
            (acked if ok else unacked)[kind] = (acked if ok else unacked).get(kind, 0) + 1
        with self.fake.lock:
            refreshes = sum(1 for at in self.handed if self.fake.place.get(at, (0, 0))[1] > 0)
            rotations = len(self.fake.rotations)
            reused = len(self.fake.reused)
        acked["oauth refreshes (access token handed out)"] = refreshes
        lost = [v for v in self.violations if v[1].startswith(("LOST", "BROKEN"))]
        kills = sum(1 for c in self.crashes if c[0] == "latchkeyd")
        pg = sum(1 for c in self.crashes if c[0] == "postgres")
        elapsed = getattr(self, "elapsed", None) or 0
        print("\ncrash_test summary (%s, seed %d)%s" % (
            "PostgreSQL" if PG_URL else "SQLite", self.seed,
            ", %.1f s" % elapsed if elapsed else ""))
        print("  cycles: %d  (SIGKILLs of latchkeyd: %d, PostgreSQL immediate stops: %d,"
              " checks: %d)" % (self.cycle, kills, pg, self.checks))
        print("  acknowledged writes: " + ", ".join("%s %d" % kv for kv in sorted(acked.items())))
        print("  unacknowledged (no answer before the crash; either outcome accepted): "
              + (", ".join("%s %d" % kv for kv in sorted(unacked.items())) or "none"))
        print("  provider rotations: %d, access-token calls that waited out a dead lease: %d"
              % (rotations, self.lease_waits))
        print("  lost or changed acknowledged writes: %d (must be 0); other violations: %d"
              % (len(lost), len(self.violations) - len(lost)))
        print("  reused refresh tokens at the provider: %d; burnt by a crash (provider rotated,"
              " latchkeyd died before committing): %d" % (reused, len(self.burns)))
        if self.burn_windows:
            w = sorted(self.burn_windows)
            print("    kill minus rotation, ms (negative: the request was already out when the"
                  " sender died): min %.1f, median %.1f, max %.1f"
                  % (w[0], w[len(w) // 2], w[-1]))
        for cycle, text in self.burns:
            print("    BURNT (cycle %d): %s" % (cycle, text))
        print("  assertion: every acknowledged write is present with its acknowledged value after"
              " every crash, nothing half-written is visible, every audit chain verifies, and no"
              " refresh token was reused except by a crash between the provider's rotation and"
              " our commit: %s" % ("HOLDS" if not self.violations else "VIOLATED"), flush=True)


if __name__ == "__main__":
    unittest.main()
