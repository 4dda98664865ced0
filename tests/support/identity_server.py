"""A stand-in for the platform's identity service, on a real socket on 127.0.0.1.

Serves the two documents loop-live reads in its `jwt` and `introspect` auth modes:

    GET  /jwks        the JSON Web Key Set (RFC 7517) of the signing keys it publishes (or,
                      when a test sets `jwks_document`, whatever that holds)
    POST /introspect  RFC 7662 token introspection: form body, client HTTP Basic auth

Counts every request so tests can tell a cached answer from a fresh one. Also: signing keys
(RS256, ES256) that mint tokens, and a monotonic clock tests can move forward.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import types
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from loop_live.platform.auth import verifiers
from tests.support.auth import bearer

JSON = dict[str, Any]
ISSUER = "https://identity.loop.test"
AUDIENCE = "loop-live"
CLIENT_ID = "loop-live"
CLIENT_SECRET = "introspection-client-secret-0123456789"


@dataclass
class SigningKey:
    """A private key the identity service signs access tokens with, published under `kid`."""

    alg: str
    kid: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    private: Any = None

    def __post_init__(self) -> None:
        if self.private is None:
            self.private = (
                rsa.generate_private_key(public_exponent=65537, key_size=2048)
                if self.alg == "RS256"
                else ec.generate_private_key(ec.SECP256R1())
            )

    def jwk(self) -> JSON:
        codec = RSAAlgorithm if self.alg == "RS256" else ECAlgorithm
        public: JSON = dict(codec.to_jwk(self.private.public_key(), as_dict=True))
        return {**public, "kid": self.kid, "use": "sig", "alg": self.alg}

    def token(self, ttl: int = 600, *, kid: str | None = None, **claims: Any) -> str:
        """An access token for member-1 of brand-a with read+write, unless `claims` say else;
        a claim given as None is left out."""
        now = int(time.time())
        body: JSON = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "member-1",
            "brand": "brand-a",
            "scope": "read:live write:live",
            "iat": now,
            "exp": now + ttl,
            **claims,
        }
        headers = {"kid": self.kid if kid is None else kid}
        body = {name: value for name, value in body.items() if value is not None}
        return jwt.encode(body, self.private, algorithm=self.alg, headers=headers)


@dataclass
class IdentityState:
    published: list[SigningKey] = field(default_factory=list)
    jwks_document: Any = None
    introspection: dict[str, JSON] = field(default_factory=dict)
    failing: bool = False
    requests: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        self.published.clear()
        self.jwks_document = None
        self.introspection.clear()
        self.failing = False
        self.requests.clear()


class _Handler(BaseHTTPRequestHandler):
    server: IdentityHttpServer

    def do_GET(self) -> None:
        state = self.server.state
        state.requests[self.path] += 1
        if self.path != "/jwks":
            self._reply(404, {"error": "not_found"})
        elif state.failing:
            self._reply(500, {"error": "server_error"})
        elif state.jwks_document is not None:
            self._reply(200, state.jwks_document)
        else:
            self._reply(200, {"keys": [key.jwk() for key in state.published]})

    def do_POST(self) -> None:
        state = self.server.state
        state.requests[self.path] += 1
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        if self.path != "/introspect":
            self._reply(404, {"error": "not_found"})
        elif state.failing:
            self._reply(503, {"error": "temporarily_unavailable"})
        elif self.headers.get("Authorization") != basic_auth(CLIENT_ID, CLIENT_SECRET):
            self._reply(401, {"error": "invalid_client"})
        elif self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
            self._reply(400, {"error": "invalid_request"})
        else:
            token = form.get("token", [""])[0]
            self._reply(200, state.introspection.get(token, {"active": False}))

    def _reply(self, status: int, body: Any) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


class IdentityHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = IdentityState()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


def basic_auth(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@contextmanager
def identity_server() -> Iterator[IdentityHttpServer]:
    server = IdentityHttpServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port_url() -> str:
    """An address on 127.0.0.1 that refuses connections: an identity service that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def list_status(client: httpx.AsyncClient, token: str) -> int:
    """The status GET /v1/live/sessions answers to a bearer `token`."""
    return (await client.get("/v1/live/sessions", headers=bearer(token))).status_code


class Clock:
    """Moves the verifiers' monotonic clock forward, so cache expiry needs no sleeping."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = 0.0
        shim = types.SimpleNamespace(monotonic=self._monotonic, time=time.time)
        monkeypatch.setattr(verifiers, "time", shim)

    def _monotonic(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds
