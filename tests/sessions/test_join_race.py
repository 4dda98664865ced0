"""The join re-checks under the session's lock when it records (SPEC §11): a registration or a
session cancelled while the join was talking to the provider gets no token and leaves no
`session.join` audit row. The provider call is held open by the test until the cancel is done."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from loop_live.app import create_app
from loop_live.platform.db import Database, Sql
from loop_live.platform.settings import Settings
from loop_live.providers import VideoProvider
from tests.support.app import make_settings
from tests.support.auth import BRAND, TOKENS
from tests.support.fakes.getstream_server import FakeGetStream
from tests.support.providers import join, minutes_from_now
from tests.support.registrations import register


class GatedProvider:
    """The configured provider, except that creating a call waits until the test opens the gate."""

    def __init__(self, inner: VideoProvider) -> None:
        self._inner = inner
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def ensure_call(self, call_id: str, created_by: str, custom: dict[str, str]) -> None:
        self.entered.set()
        await self.gate.wait()
        await self._inner.ensure_call(call_id, created_by, custom)


@asynccontextmanager
async def gated_app(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, GatedProvider]]:
    """The app in the test's own event loop, so that the cancel overlaps the pending join."""
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://live") as c:
        gated = GatedProvider(app.state.runtime.provider)
        app.state.runtime.provider = gated
        yield c, gated


async def join_while(
    client: httpx.AsyncClient, gated: GatedProvider, session_id: str, cancel: Any
) -> httpx.Response:
    """Start a join, run `cancel()` while its provider call is pending, then let it finish."""
    pending = asyncio.create_task(join(client, session_id))
    await asyncio.wait_for(gated.entered.wait(), 10)
    cancelled: httpx.Response = await cancel()
    assert cancelled.status_code == 200, cancelled.text
    gated.gate.set()
    return await asyncio.wait_for(pending, 10)


async def actions(db: Database) -> list[str]:
    async with db.read() as conn:
        rows = await conn.fetch(Sql("SELECT action FROM audit_log ORDER BY created_at"))
    return [row["action"] for row in rows]


async def open_session(client: httpx.AsyncClient) -> str:
    body = {"host_id": "host-1", "brand_id": BRAND, "title": "Breathing",
            "scheduled_at": minutes_from_now(5),
            "max_participants": 5}  # fmt: skip
    created = await client.post("/v1/sessions", json=body, headers=TOKENS.admin())
    assert created.status_code == 201, created.text
    session_id: str = created.json()["id"]
    await register(client, session_id, "member-1")
    return session_id


async def test_registration_cancelled_during_the_provider_call_gets_no_token(
    settings: Settings, db: Database
) -> None:
    async with gated_app(settings) as (client, gated):
        session_id = await open_session(client)

        response = await join_while(
            client,
            gated,
            session_id,
            lambda: client.delete(
                f"/v1/sessions/{session_id}/registrations", headers=TOKENS("member-1")
            ),
        )

    assert (response.status_code, response.json()["error"]) == (403, "forbidden")
    assert "token" not in response.json()
    assert "registration.cancel" in await actions(db)
    assert "session.join" not in await actions(db)


async def test_session_cancelled_during_the_provider_call_gets_no_token(
    settings: Settings, db: Database
) -> None:
    async with gated_app(settings) as (client, gated):
        session_id = await open_session(client)

        response = await join_while(
            client,
            gated,
            session_id,
            lambda: client.patch(
                f"/v1/admin/sessions/{session_id}",
                json={"status": "cancelled"},
                headers=TOKENS.admin(),
            ),
        )

    assert (response.status_code, response.json()["error"]) == (412, "not_joinable")
    assert "session.join" not in await actions(db)


async def test_join_whose_registration_holds_during_the_provider_call_gets_its_token(
    settings: Settings, db: Database
) -> None:
    async with gated_app(settings) as (client, gated):
        session_id = await open_session(client)
        pending = asyncio.create_task(join(client, session_id))
        await asyncio.wait_for(gated.entered.wait(), 10)
        gated.gate.set()
        response = await asyncio.wait_for(pending, 10)

    assert response.status_code == 200, response.text
    assert response.json()["token"]
    assert (await actions(db))[-1] == "session.join"


async def test_registration_cancelled_while_getstream_is_slow_gets_no_token(
    database_url: str, db: Database
) -> None:
    """The same race against GetStream's REST API (a local fake on a real socket), slowed down."""
    with FakeGetStream() as fake:
        settings = make_settings(
            database_url,
            stream_provider="getstream",
            stream_api_key=fake.api_key,
            stream_api_secret=fake.api_secret,
            stream_base_url=fake.base_url,
            stream_timeout_seconds=10.0,
        )
        async with gated_app(settings) as (client, gated):
            gated.gate.set()
            session_id = await open_session(client)
            fake.delay_next(1.5)
            pending = asyncio.create_task(join(client, session_id))
            while not fake.requests:
                await asyncio.sleep(0.01)
            cancel = await client.delete(
                f"/v1/sessions/{session_id}/registrations", headers=TOKENS("member-1")
            )
            response = await asyncio.wait_for(pending, 10)

    assert cancel.status_code == 200, cancel.text
    assert (response.status_code, response.json()["error"]) == (403, "forbidden")
    assert "session.join" not in await actions(db)
