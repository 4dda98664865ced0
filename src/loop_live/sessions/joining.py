"""Joining a session (SPEC §5): who may join, when, and the provider call behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from loop_live.attendance import service as attendance
from loop_live.platform import ids, journal
from loop_live.platform.auth import Principal
from loop_live.platform.db import Connection, Database
from loop_live.platform.errors import Forbidden, NotFound, NotJoinable
from loop_live.platform.journal import Actor
from loop_live.platform.runtime import Runtime
from loop_live.platform.uow import Sealed
from loop_live.providers import VideoProvider
from loop_live.providers.base import cid, grant, mint
from loop_live.registrations import repository as registrations
from loop_live.sessions import repository as repo
from loop_live.sessions.repository import SessionState


class JoinBody(msgspec.Struct, forbid_unknown_fields=True):
    user_id: Annotated[str, Meta(min_length=1, max_length=128)]


class JoinToken(msgspec.Struct, kw_only=True):
    token: str
    call_id: str
    call_type: str
    call_cid: str
    api_key: str
    role: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class JoinPlan:
    state: SessionState
    user_id: str
    role: str
    window: timedelta


@dataclass(frozen=True, slots=True)
class Join:
    """One join as a write: `prepare` plans it and opens the provider call before the
    transaction, `record` records it inside, `reveal` mints the token for each response."""

    runtime: Runtime
    session_id: str
    user_id: str

    async def prepare(self, db: Database, actor: Actor) -> tuple[JoinPlan, str]:
        window = timedelta(minutes=self.runtime.settings.join_window_minutes)
        async with db.read() as conn:
            join = await plan(
                conn, actor.principal, actor.brand, self.session_id, self.user_id, window, actor.now
            )
        return join, await open_call(self.runtime.provider, join)

    async def record(self, conn: Connection, actor: Actor, ready: tuple[JoinPlan, str]) -> Sealed:
        ttl = self.runtime.settings.stream_token_ttl_seconds
        return await record(conn, actor, self.runtime.provider, ready[0], ready[1], ttl)

    def reveal(self, granted: dict[str, Any]) -> dict[str, Any]:
        return reveal(self.runtime.provider, granted)


async def plan(
    conn: Connection,
    principal: Principal,
    brand: str,
    raw_id: str,
    user_id: str,
    window: timedelta,
    now: datetime,
) -> JoinPlan:
    """Check everything that can refuse the join, before any call to the provider."""
    if user_id != principal.subject and not principal.manages:
        raise Forbidden("you may only join as yourself")
    state = await ids.fetch(
        raw_id, "session", lambda session_id: repo.state(conn, brand, session_id)
    )
    _check_joinable(state, window, now)
    return JoinPlan(state, user_id, await _role(conn, state, user_id), window)


async def _role(conn: Connection, state: SessionState, user_id: str) -> str:
    if state.is_host(user_id):
        return "host"
    registration = await registrations.active_for_user(conn, state.id, user_id)
    if registration is None or registration["status"] != "registered":
        raise Forbidden("only the host, co-hosts and registered members may join")
    return "user"


def _check_joinable(state: SessionState, window: timedelta, now: datetime) -> None:
    if state.status == "live":
        return
    if state.status != "scheduled":
        raise NotJoinable(f"the session is {state.status}")
    opens = state.scheduled_at - window
    if now < opens:
        raise NotJoinable(f"the session opens for joining at {opens.isoformat()}", opens_at=opens)
    if now >= state.ends_at:
        raise NotJoinable("the session's scheduled time is over")


async def open_call(provider: VideoProvider, join: JoinPlan) -> str:
    """Create the provider call on first join; its id is the session id, so racing first
    joins converge on one call. Returns the cid."""
    if join.state.stream_call_id is not None:
        return join.state.stream_call_id
    call_id = str(join.state.id)
    await provider.ensure_call(
        call_id, join.state.host_id, {"session_id": call_id, "brand_id": join.state.brand_id}
    )
    return cid(provider.call_type, call_id)


async def record(
    conn: Connection, actor: Actor, provider: VideoProvider, join: JoinPlan, call_cid: str, ttl: int
) -> Sealed:
    """Record the join, checking again under the session's lock: the registration may have been
    cancelled, or the session cancelled, while the provider call was being made."""
    state = await repo.lock(conn, actor.brand, join.state.id)
    if state is None:
        raise NotFound("session not found")
    _check_joinable(state, join.window, actor.now)
    role = await _role(conn, state, join.user_id)
    await repo.set_call(conn, state.id, call_cid, actor.now)
    await attendance.token_issued(conn, actor.brand, state.id, join.user_id, actor.now)
    await journal.record(
        conn,
        actor,
        action="session.join",
        entity=("session", str(state.id)),
        details={"role": role, "call_cid": call_cid},
    )
    call_type, _, call_id = call_cid.partition(":")
    body = {
        "call_id": call_id,
        "call_type": call_type,
        "call_cid": call_cid,
        "api_key": provider.api_key,
        "role": role,
    }
    return Sealed(body, grant(join.user_id, call_cid, role, ttl))


def reveal(provider: VideoProvider, granted: dict[str, Any]) -> dict[str, Any]:
    """The join's secret part, minted afresh for every response (never stored)."""
    token = mint(provider, granted)
    return {"token": token.value, "expires_at": datetime.fromtimestamp(token.expires_at, UTC)}
