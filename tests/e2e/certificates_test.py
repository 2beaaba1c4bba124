"""Certificates end to end: our JWKS, tokens and public keys checked with
PyJWT and cryptography (Debian's python3-jwt), tools we did not write."""
import base64
import hashlib
import json
import os
import unittest

import jwt
from cryptography.hazmat.primitives import serialization

from server import Server


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def rfc7638_thumbprint(jwk):
    members = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}[jwk["kty"]]
    canonical = json.dumps({k: jwk[k] for k in members}, sort_keys=True, separators=(",", ":"))
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


class CertificatesTest(unittest.TestCase):
    def setUp(self):
        self.server = Server().start()
        self.admin = self.server.read_admin_key()
        status, body, _ = self.server.request("POST", "/admin/accounts", self.admin, {"name": "acme"})
        self.assertEqual(status, 201, body)
        self.account, self.key = body["id"], body["apiKey"]
        self.base = "http://127.0.0.1:%d" % self.server.port
        self.issuer = "%s/accounts/%s" % (self.base, self.account)
        self.jwks_path = "/accounts/%s/.well-known/jwks.json" % self.account

    def tearDown(self):
        self.server.cleanup()

    def call(self, method, path, body=None, expect=200):
        status, parsed, _ = self.server.request(method, path, self.key, body)
        self.assertEqual(status, expect, parsed)
        return parsed

    def create(self, **fields):
        return self.call("POST", "/certificates", dict({"name": "test"}, **fields), expect=201)

    def test_tokens_verify_with_pyjwkclient_through_discovery(self):
        for alg in ("RS256", "ES256"):
            self.create(algorithm=alg, custody="managed")
            signed = self.call("POST", "/tokens", {"claims": {"role": "agent"}, "audience": "billing",
                                                   "subject": "agent-7", "expiresIn": 300})
            _, discovery, _ = self.server.request(
                "GET", "/accounts/%s/.well-known/openid-configuration" % self.account)
            self.assertEqual(discovery["issuer"], self.issuer)
            client = jwt.PyJWKClient(discovery["jwks_uri"])
            signing_key = client.get_signing_key_from_jwt(signed["token"])
            self.assertEqual(signing_key.key_id, signed["kid"])
            claims = jwt.decode(signed["token"], signing_key.key, algorithms=[alg],
                                audience="billing", issuer=self.issuer)
            self.assertEqual(claims["sub"], "agent-7")
            self.assertEqual(claims["role"], "agent")
            self.assertEqual(jwt.get_unverified_header(signed["token"]),
                             {"alg": alg, "kid": signed["kid"], "typ": "JWT"})

    def test_pyjwt_token_from_an_exported_key_verifies_against_the_public_key(self):
        for alg in ("RS256", "ES256"):
            cert = self.create(algorithm=alg)
            token = jwt.encode({"iss": self.issuer, "sub": "svc", "exp": 4102444800},
                               cert["privateKey"], algorithm=alg, headers={"kid": cert["kid"]})
            status, public, _ = self.server.request("GET", "/certificates/public/" + cert["kid"])
            self.assertEqual(status, 200)
            self.assertEqual(public["algorithm"], alg)
            claims = jwt.decode(token, public["publicKey"], algorithms=[alg], issuer=self.issuer)
            self.assertEqual(claims["sub"], "svc")
            verdict = self.call("POST", "/tokens/verify", {"token": token})
            self.assertTrue(verdict["valid"], verdict)
            # A token signed by PyJWT with the public key as an HMAC secret is the
            # algorithm-confusion forgery; we refuse it.
            forged = jwt.api_jws.PyJWS(algorithms=["HS256"])
            forged_token = forged.encode(json.dumps({"iss": self.issuer, "exp": 4102444800}).encode(),
                                         b"not-the-key", algorithm="HS256",
                                         headers={"kid": cert["kid"]})
            verdict = self.call("POST", "/tokens/verify", {"token": forged_token})
            self.assertEqual(verdict, {"valid": False, "reason": "algorithm HS256 is not allowed"})

    def test_jwks_follows_rfc7517_7518_and_7638(self):
        rsa = self.create(algorithm="RS256", keySize=3072)
        ec = self.create(algorithm="ES256")
        status, jwks, resp = self.server.request("GET", self.jwks_path)
        self.assertEqual(status, 200)
        self.assertEqual(resp.getheader("Content-Type"), "application/jwk-set+json")
        self.assertEqual(resp.getheader("Cache-Control"), "public, max-age=300")
        by_kid = {k["kid"]: k for k in jwks["keys"]}
        self.assertEqual(set(by_kid), {rsa["kid"], ec["kid"]})
        for cert in (rsa, ec):
            jwk = by_kid[cert["kid"]]
            self.assertEqual(jwk["use"], "sig")
            self.assertEqual(jwk["alg"], cert["algorithm"])
            self.assertEqual(rfc7638_thumbprint(jwk), cert["kid"])
            self.assertNotIn("d", jwk)
            public = serialization.load_pem_public_key(cert["publicKey"].encode()).public_numbers()
            if jwk["kty"] == "RSA":
                n = b64url_decode(jwk["n"])
                self.assertNotEqual(n[0], 0)
                self.assertEqual(int.from_bytes(n, "big"), public.n)
                self.assertEqual(int.from_bytes(b64url_decode(jwk["e"]), "big"), public.e)
                self.assertEqual(len(n) * 8, 3072)
            else:
                self.assertEqual(jwk["crv"], "P-256")
                self.assertEqual(int.from_bytes(b64url_decode(jwk["x"]), "big"), public.x)
                self.assertEqual(len(b64url_decode(jwk["y"])), 32)
            # PyJWT reads each key as the algorithm it names.
            jwt.PyJWK(jwk)
        etag = resp.getheader("ETag")
        status, _, resp304 = self.server.request("GET", self.jwks_path, headers={"If-None-Match": etag})
        self.assertEqual(status, 304)
        self.assertEqual(resp304.getheader("ETag"), etag)

    def test_revoking_removes_the_key_from_the_next_jwks(self):
        cert = self.create(algorithm="ES256", custody="managed")
        remaining = self.create(algorithm="ES256")
        token = self.call("POST", "/tokens", {})["token"]
        client = jwt.PyJWKClient(self.base + self.jwks_path, cache_jwk_set=False)
        self.assertEqual(client.get_signing_key_from_jwt(token).key_id, cert["kid"])
        self.call("POST", "/certificates/%s/revoke" % cert["id"])
        _, jwks, _ = self.server.request("GET", self.jwks_path)
        self.assertEqual([k["kid"] for k in jwks["keys"]], [remaining["kid"]])
        with self.assertRaises(jwt.PyJWKClientError):
            client.get_signing_key_from_jwt(token)
        self.assertEqual(self.server.request("GET", "/certificates/public/" + cert["kid"])[0], 404)
        self.assertFalse(self.call("POST", "/tokens/verify", {"token": token})["valid"])
        self.assertEqual(self.server.request("POST", "/tokens", self.key, {})[0], 409)

    def test_issued_tokens_are_logged_without_their_claims(self):
        self.create(algorithm="ES256", custody="managed")
        signed = self.call("POST", "/tokens", {"claims": {"card": "planted-4111-1111"}})
        self.server.stop()
        log = self.server.stderr()
        self.assertIn('"event":"token_signed"', log)
        self.assertIn('"jti":"%s"' % signed["jti"], log)
        self.assertNotIn("planted-4111-1111", log)
        self.assertNotIn(signed["token"].split(".")[1], log)

    def test_private_keys_never_reach_logs_disk_or_later_responses(self):
        exported = self.create(algorithm="RS256")
        managed = self.create(algorithm="RS256", custody="managed")
        self.assertNotIn("privateKey", managed)
        body = "".join(exported["privateKey"].splitlines()[1:-1])
        sample = body[200:260]  # key-specific, past the PKCS#8 header
        responses = [self.call("GET", "/certificates"), self.call("GET", "/certificates/" + exported["id"])]
        for r in responses:
            self.assertNotIn("PRIVATE KEY", json.dumps(r))
        self.server.stop()
        stored = self.server.stored_bytes() + self.server.stderr().encode()
        self.assertNotIn(sample.encode(), stored)
        self.assertNotIn(b"PRIVATE KEY", stored)


if __name__ == "__main__":
    unittest.main()
