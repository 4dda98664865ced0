"""`/v1/live/calls`: create, read, mint tokens for and end ad-hoc provider calls."""

from __future__ import annotations

import dataclasses
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, JSONBody

from loop_live.calls import repository as repo
from loop_live.calls import service
from loop_live.calls.schemas import Call, CallCreate, CallToken, CallTokenRequest, CallWithLive
from loop_live.platform import http
from loop_live.platform.auth.principal import READ, WRITE
from loop_live.platform.uow import json_response, mutate

AnyRequest = Request[Any, Any, Any]
PROVIDER_ERRORS = http.PROVIDER_ERRORS


@post(
    "/v1/live/calls",
    opt={"scope": WRITE},
    status_code=201,
    responses=PROVIDER_ERRORS,
    tags=["calls"],
)
async def create_call(
    request: AnyRequest, data: JSONBody[CallCreate], idempotency_key: http.IdempotencyKey = None
) -> Response[Call]:
    rt = http.runtime(request)
    brand = http.brand(request)
    call_id = await service.open_call(rt.provider, http.principal(request), data)
    return await mutate(
        request,
        lambda conn, actor: service.create(conn, actor, rt.provider, call_id, data),
        status=201,
        brand=brand,
    )


@get(
    "/v1/live/calls/{call_id:str}", opt={"scope": READ}, responses=http.READ_ERRORS, tags=["calls"]
)
async def get_call(request: AnyRequest, call_id: FromPath[str]) -> Response[CallWithLive]:
    """The stored call, with the provider's live status when it answers (else `live: null`)."""
    rt = http.runtime(request)
    async with rt.db.read() as conn:
        row = await service.find(conn, http.brand(request), call_id)
    service.check_access(http.principal(request), row)
    call = repo.call_json(row)
    state = await rt.provider.call_state(call["stream_call_id"])
    if state is None and rt.provider.name == "local":
        state_json: Any = {
            "is_live": call["status"] == "live",
            "current_session_id": None,
            "ended_at": call["ended_at"],
        }
    else:
        state_json = None if state is None else dataclasses.asdict(state)
    return json_response({**call, "live": state_json})


@post(
    "/v1/live/calls/{call_id:str}/token",
    opt={"scope": WRITE},
    status_code=200,
    responses=PROVIDER_ERRORS,
    tags=["calls"],
)
async def call_token(
    request: AnyRequest,
    call_id: FromPath[str],
    data: JSONBody[CallTokenRequest],
    idempotency_key: http.IdempotencyKey = None,
) -> Response[CallToken]:
    """A provider user token scoped to this call; the host's token carries the host role."""
    provider = http.runtime(request).provider
    return await mutate(
        request,
        lambda conn, actor: service.issue_token(conn, actor, call_id, data),
        reveal=lambda granted: service.reveal(provider, granted),
    )


@post(
    "/v1/live/calls/{call_id:str}/end",
    opt={"scope": WRITE},
    status_code=200,
    responses=PROVIDER_ERRORS,
    tags=["calls"],
)
async def end_call(
    request: AnyRequest, call_id: FromPath[str], idempotency_key: http.IdempotencyKey = None
) -> Response[Call]:
    """End the provider call, then mark the row ended (ending twice is harmless)."""
    rt = http.runtime(request)
    brand = http.brand(request)
    async with rt.db.read() as conn:
        row = await service.find(conn, brand, call_id)
    service.check_host(http.principal(request), row["host_user_id"])
    if row["status"] != "ended":
        await rt.provider.end_call(row["stream_call_id"])
    return await mutate(request, lambda conn, actor: service.finish(conn, actor, call_id))


handlers = [create_call, get_call, call_token, end_call]
