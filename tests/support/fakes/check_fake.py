"""Drive the real `getstream` SDK against FakeGetStream and print what happens.

Run: .venv/bin/python tests/fakes/check_fake.py   (exits non-zero on any mismatch)
"""

from __future__ import annotations

import asyncio
import json
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

import httpx
import jwt
from getstream import (
    AsyncStream,
    Stream,
    StreamApiException,
    StreamRateLimitException,
    StreamTransportException,
)
from getstream.models import CallRequest
from getstream.webhook import verify_and_parse_webhook, verify_signature

from tests.support.fakes.getstream_server import (
    FakeGetStream,
    recording_ready_event,
    session_ended_event,
    session_started_event,
    sign_webhook,
    webhook_headers,
)


def expect_raise(label: str, fn: Callable[[], object], exc_type: type[Exception]) -> Exception:
    caught: Exception | None = None
    try:
        fn()
    except Exception as exc:
        caught = exc
    if not isinstance(caught, exc_type):
        raise AssertionError(f"{label}: expected {exc_type.__name__}, got {caught!r}")
    cause = type(caught.__cause__).__name__ if caught.__cause__ else None
    extra = {
        k: getattr(caught, k)
        for k in ("status_code", "code", "error_type", "retry_after")
        if hasattr(caught, k)
    }
    print(f"{label}: {type(caught).__module__}.{type(caught).__name__} {extra} cause={cause}")
    return caught


def sync_flow(fake: FakeGetStream) -> None:
    client = Stream(
        api_key=fake.api_key, api_secret=fake.api_secret, base_url=fake.base_url, timeout=0.5
    )
    print("server token claims:", jwt.decode(client.token, fake.api_secret, algorithms=["HS256"]))
    call = client.video.call("livestream", "sess-1")
    resp = call.get_or_create(
        data=CallRequest(created_by_id="host-1", custom={"session_id": "sess-1"})
    )
    d = resp.data
    print(
        "get_or_create:",
        resp.status_code(),
        "created=",
        d.created,
        "cid=",
        d.call.cid,
        "created_by=",
        d.call.created_by.id,
        "custom=",
        d.call.custom,
        "created_at=",
        d.call.created_at.isoformat(),
    )
    assert d.created
    assert d.call.created_by.id == "host-1"
    assert call.get_or_create(data=CallRequest(created_by_id="x")).data.created is False
    got = call.get().data
    print("get:", got.call.cid, "ended_at=", got.call.ended_at)
    call.end()
    print("end then get: ended_at=", call.get().data.call.ended_at)

    token = client.create_token("alice", expiration=3600)
    print("create_token claims:", jwt.decode(token, fake.api_secret, algorithms=["HS256"]))
    ctoken = client.create_call_token(
        "alice", call_cids=["livestream:sess-1"], role="user", expiration=600
    )
    print("create_call_token claims:", jwt.decode(ctoken, fake.api_secret, algorithms=["HS256"]))

    fake.fail_next(500)
    expect_raise("HTTP 500", call.get, StreamApiException)
    fake.fail_next(502, body="<html>Bad Gateway</html>")
    expect_raise("HTTP 502 text body", call.get, StreamApiException)
    fake.fail_next(503, body={"error": "upstream unavailable"})
    expect_raise("HTTP 503 JSON body without APIError fields", call.get, KeyError)
    fake.fail_next(429, headers={"Retry-After": "7"})
    expect_raise("HTTP 429", call.get, StreamRateLimitException)
    expect_raise("unknown call", client.video.call("livestream", "nope").get, StreamApiException)
    fake.delay_next(2.0)
    expect_raise("read timeout (0.5s)", call.get, StreamTransportException)
    bad = Stream(api_key=fake.api_key, api_secret="x" * 40, base_url=fake.base_url, timeout=2)
    expect_raise("wrong secret", bad.video.call("livestream", "sess-1").get, StreamApiException)
    bad.close()

    print("recorded requests:")
    for r in fake.requests[:4]:
        hdrs = {
            k: r.headers[k]
            for k in ("authorization", "stream-auth-type", "x-stream-client", "content-type")
            if k in r.headers
        }
        hdrs["authorization"] = hdrs.get("authorization", "")[:16] + "..."
        print(f"  {r.method} {r.path} query={r.query} status={r.status} json={r.json} {hdrs}")
    client.close()


async def async_flow(fake: FakeGetStream) -> None:
    client = AsyncStream(
        api_key=fake.api_key, api_secret=fake.api_secret, base_url=fake.base_url, timeout=0.5
    )
    call = client.video.call("livestream", "sess-async")
    resp = await call.get_or_create(data=CallRequest(created_by_id="host-2", custom={"k": 1}))
    print("async get_or_create:", resp.data.created, resp.data.call.cid)
    await call.end()
    fake.delay_next(2.0)
    try:
        await call.get()
    except StreamTransportException as exc:
        print(
            f"async read timeout: {type(exc).__name__} error_type={exc.error_type} "
            f"cause={type(exc.__cause__).__name__}"
        )
    else:
        raise AssertionError("async: no timeout")
    await client.aclose()


def webhook_flow(fake: FakeGetStream) -> None:
    call = fake.calls["livestream:sess-1"]
    events = [
        session_started_event(call, "rtc-session-1"),
        session_ended_event(call, "rtc-session-1"),
        recording_ready_event(call["cid"], "rtc-session-1", url="https://cdn.invalid/r.mp4"),
    ]
    for ev in events:
        body = json.dumps(ev).encode()
        headers = webhook_headers(body, fake.api_key, fake.api_secret)
        assert verify_signature(body, headers["X-Signature"], fake.api_secret)
        parsed = verify_and_parse_webhook(
            body, sign_webhook(body, fake.api_secret), fake.api_secret
        )
        print(
            f"webhook {ev['type']}: parsed as {type(parsed).__name__}",
            {k: getattr(parsed, k) for k in ("call_cid", "session_id") if hasattr(parsed, k)},
        )
    rec = verify_and_parse_webhook(body, sign_webhook(body, fake.api_secret), fake.api_secret)
    print(
        "  call_recording:",
        rec.call_recording.filename,
        rec.call_recording.url,
        rec.call_recording.start_time.isoformat(),
        rec.call_recording.session_id,
    )
    iso = json.dumps({**events[0], "created_at": "2024-05-01T10:00:00.123Z"}).encode()
    try:
        verify_and_parse_webhook(iso, sign_webhook(iso, fake.api_secret), fake.api_secret)
    except Exception as exc:
        print(f"webhook with ISO created_at: {type(exc).__name__}: {str(exc)[:90]}")


def main() -> None:
    warnings.simplefilter("error")
    with FakeGetStream() as fake:
        sync_flow(fake)
        asyncio.run(async_flow(fake))
        webhook_flow(fake)
        url = fake.base_url
    dead = Stream(api_key="k", api_secret="s" * 32, base_url=url, timeout=0.5)
    expect_raise("server down", dead.video.call("livestream", "x").get, StreamTransportException)
    dead.close()
    print(f"httpx {httpx.__version__}, jwt {jwt.__version__}: OK")


if __name__ == "__main__":
    main()
