"""The embedded `local` provider: GetStream's token and webhook-signature formats, signed with the
local secret, and no network at all."""

from __future__ import annotations

import hashlib
import hmac
import socket

import jwt
import pytest

from loop_live.providers import build_provider
from loop_live.providers.getstream import GetStreamProvider
from loop_live.providers.local import LocalProvider
from tests.support.app import STREAM_SECRET, make_settings
from tests.support.providers import assert_call_token

UNUSED_DATABASE = "sqlite+aiosqlite:///./never-opened.db"
CID = "livestream:0b7c3c9e-5a51-4c1f-9d55-3b8f0c0f9a11"
BODY = b'{"type":"call.session_started","call_cid":"livestream:abc"}'


def local(**overrides: str) -> LocalProvider:
    provider = build_provider(make_settings(UNUSED_DATABASE, **overrides))
    assert isinstance(provider, LocalProvider)
    return provider


def signature(body: bytes, secret: str = STREAM_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_local_is_the_default_provider_and_getstream_is_built_when_selected() -> None:
    assert local().name == "local"
    chosen = build_provider(make_settings(UNUSED_DATABASE, stream_provider="getstream"))
    assert isinstance(chosen, GetStreamProvider)


@pytest.mark.parametrize("role", ["host", "user"])
def test_user_token_has_getstream_claims_signed_with_the_local_secret(role: str) -> None:
    token = local().user_token("member-1", 600, CID, role)
    claims = assert_call_token(
        token.value, STREAM_SECRET, user_id="member-1", call_cid=CID, role=role, ttl=600
    )
    assert token.expires_at == claims["exp"]
    assert claims["iat"] <= claims["exp"] - 600


def test_user_token_does_not_verify_with_another_secret() -> None:
    token = local().user_token("member-1", 600, CID, "user")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token.value, "another-secret-another-secret-0123456789", algorithms=["HS256"])


def test_api_key_defaults_to_a_local_value_and_follows_the_setting() -> None:
    assert local().api_key == "loop-live-local"
    assert local(stream_api_key="my-app-key").api_key == "my-app-key"
    assert local().call_type == "livestream"
    assert local(stream_call_type="default").call_type == "default"


@pytest.mark.parametrize(
    "header",
    [signature(BODY), signature(BODY).upper(), f" {signature(BODY)}\n"],
    ids=["hex", "upper-case hex", "surrounding whitespace"],
)
def test_webhook_signature_over_the_raw_body_is_accepted(header: str) -> None:
    assert local().signature_valid(BODY, header)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "not-hex",
        signature(BODY, "another-secret-another-secret-0123456789"),
        signature(BODY + b" "),
        signature(BODY)[:-1],
    ],
    ids=["empty", "garbage", "other secret", "other body", "truncated"],
)
def test_webhook_signature_that_does_not_match_is_refused(header: str) -> None:
    assert not local().signature_valid(BODY, header)


async def test_call_operations_succeed_without_touching_the_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: object) -> None:
        raise AssertionError("the local provider opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    provider = local()
    await provider.ensure_call("call-1", "host-1", {"session_id": "call-1"})
    await provider.ensure_call("call-1", "host-1", {"session_id": "call-1"})
    assert await provider.call_state("call-1") is None
    await provider.end_call("call-1")
    await provider.end_call("call-1")
    await provider.close()
