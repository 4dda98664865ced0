"""The rules of ad-hoc calls. Provider calls happen before the transaction opens, so a slow
provider never holds database locks. Never commits."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from loop_live.calls import repository as repo
from loop_live.calls.schemas import CallCreate, CallTokenRequest
from loop_live.platform import ids, journal
from loop_live.platform.auth import Principal
from loop_live.platform.db import Connection, Database, Row
from loop_live.platform.errors import Forbidden
from loop_live.platform.journal import Actor
from loop_live.platform.uow import Sealed
from loop_live.providers import VideoProvider
from loop_live.providers.base import cid, grant, mint


def check_host(principal: Principal, host_user_id: str) -> None:
    if host_user_id != principal.subject and not principal.manages:
        raise Forbidden("only the call's host or manage:live may do this")


def check_access(principal: Principal, row: Row) -> None:
    """Reading a call or joining it: its host, its named participants, or manage:live."""
    if principal.manages or principal.subject == row["host_user_id"]:
        return
    if principal.subject not in repo.participants(row):
        raise Forbidden("only the call's host, its participants or manage:live may do this")


async def find(conn: Connection, brand: str, raw_id: str) -> Row:
    return await ids.fetch(raw_id, "call", lambda call_id: repo.get(conn, brand, call_id))


async def visible(conn: Connection, actor: Actor, raw_id: str) -> Row:
    row = await find(conn, actor.brand, raw_id)
    check_access(actor.principal, row)
    return row


async def with_live(provider: VideoProvider, row: Row) -> dict[str, Any]:
    """The stored call, with the provider's live status when it answers (else `live: null`)."""
    call = repo.call_json(row)
    state = await provider.call_state(call["stream_call_id"])
    if state is None and provider.name == "local":
        live: Any = {
            "is_live": call["status"] == "live",
            "current_session_id": None,
            "ended_at": call["ended_at"],
        }
    else:
        live = None if state is None else dataclasses.asdict(state)
    return {**call, "live": live}


async def end_at_provider(provider: VideoProvider, db: Database, actor: Actor, raw_id: str) -> None:
    """Before the transaction: only the host or manage:live ends a call; twice is harmless."""
    async with db.read() as conn:
        row = await find(conn, actor.brand, raw_id)
    check_host(actor.principal, row["host_user_id"])
    if row["status"] != "ended":
        await provider.end_call(row["stream_call_id"])


async def open_call(provider: VideoProvider, principal: Principal, data: CallCreate) -> str:
    """Create the provider call first: if the provider fails, nothing is written."""
    check_host(principal, data.host_user_id)
    call_id = str(uuid.uuid4())
    await provider.ensure_call(call_id, data.host_user_id, {"title": data.title})
    return call_id


async def create(
    conn: Connection, actor: Actor, provider: VideoProvider, call_id: str, data: CallCreate
) -> dict[str, Any]:
    values = {
        "id": uuid.UUID(call_id),
        "brand_id": actor.brand,
        "host_user_id": data.host_user_id,
        "participant_ids": list(dict.fromkeys(data.participant_ids)),
        "title": data.title,
        "scheduled_at": data.scheduled_at,
        "started_at": None,
        "ended_at": None,
        "stream_call_id": call_id,
        "stream_call_type": provider.call_type,
        "recording_url": None,
        "recording_ready_at": None,
        "status": "scheduled",
        "metadata": data.metadata,
        "created_at": actor.now,
        "updated_at": actor.now,
    }
    call = repo.call_json(await repo.insert(conn, values))
    await journal.record(
        conn,
        actor,
        action="call.create",
        entity=("call", call_id),
        details={"call_cid": cid(provider.call_type, call_id)},
    )
    return call


async def finish(conn: Connection, actor: Actor, raw_id: str) -> dict[str, Any]:
    row = await find(conn, actor.brand, raw_id)
    ended = await repo.end(conn, row["id"], actor.now)
    call = repo.call_json(ended or row)
    await journal.record(
        conn,
        actor,
        action="call.end",
        entity=("call", call["id"]),
        details={},
    )
    return call


async def issue_token(
    conn: Connection, actor: Actor, raw_id: str, data: CallTokenRequest
) -> Sealed:
    row = await find(conn, actor.brand, raw_id)
    check_access(actor.principal, row)
    if data.user_id != actor.subject:
        check_host(actor.principal, row["host_user_id"])
    role = "host" if data.user_id == row["host_user_id"] else "user"
    call_cid = cid(row["stream_call_type"], row["stream_call_id"])
    await journal.record(
        conn,
        actor,
        action="call.token",
        entity=("call", str(row["id"])),
        details={"role": role, "ttl_seconds": data.ttl_seconds},
    )
    body = {
        "stream_call_id": row["stream_call_id"],
        "stream_call_type": row["stream_call_type"],
        "expires_in_seconds": data.ttl_seconds,
    }
    return Sealed(body, grant(data.user_id, call_cid, role, data.ttl_seconds))


def reveal(provider: VideoProvider, granted: dict[str, Any]) -> dict[str, Any]:
    """The token, minted afresh for every response and never stored."""
    return {"token": mint(provider, granted).value}
