"""A local issuer for tests: generated RSA and EC keys, a JWKS served over HTTP, and signed tokens."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://issuer.test/"


class Issuer:
    """Keys by kid, the published subset, and a JWKS endpoint."""

    def __init__(self) -> None:
        self.keys: dict[str, tuple[str, Any]] = {}
        self.published: list[str] = []
        self.fetches = 0
        self.url = ""

    def add_key(self, kid: str, alg: str = "RS256", publish: bool = True) -> None:
        key: Any = (rsa.generate_private_key(public_exponent=65537, key_size=2048) if alg == "RS256"
                    else ec.generate_private_key(ec.SECP256R1()))
        self.keys[kid] = (alg, key)
        if publish:
            self.published.append(kid)

    def jwks(self) -> dict[str, Any]:
        out = []
        for kid in self.published:
            alg, key = self.keys[kid]
            algorithm = RSAAlgorithm if alg == "RS256" else ECAlgorithm
            jwk = json.loads(algorithm.to_jwk(key.public_key()))
            jwk.update({"kid": kid, "alg": alg, "use": "sig"})
            out.append(jwk)
        return {"keys": out}

    def token(self, audience: str, *, kid: str = "k1", scope: str = "orchestra:write", tenant: str = "acme",
              workspace: str = "web", issuer: str = ISSUER, lifetime: float = 300, sub: str = "user-1",
              **extra: Any) -> str:
        alg, key = self.keys[kid]
        now = time.time()
        claims: dict[str, Any] = {"iss": issuer, "aud": audience, "sub": sub, "iat": int(now),
                                  "exp": int(now + lifetime), "scope": scope, "tenant": tenant,
                                  "workspace": workspace, "jti": f"j-{now}"}
        claims.update(extra)
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


@contextmanager
def serve_issuer(issuer: Issuer) -> Iterator[Issuer]:
    """Serve ``issuer``'s JWKS at ``issuer.url`` for the block."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            issuer.fetches += 1
            body = json.dumps(issuer.jwks()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    issuer.url = f"http://127.0.0.1:{httpd.server_address[1]}/jwks.json"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield issuer
    finally:
        httpd.shutdown()
        httpd.server_close()
