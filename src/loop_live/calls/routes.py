"""`/v1/live/calls`: create, read, mint tokens for and end ad-hoc provider calls."""

from __future__ import annotations

from litestar import Response, get, post
from litestar.params import FromPath, JSONBody

from loop_live.calls import service
from loop_live.calls.schemas import Call, CallCreate, CallToken, CallTokenRequest, CallWithLive
from loop_live.platform import http, options
from loop_live.platform.auth.principal import READ, WRITE
from loop_live.platform.http import AnyRequest
from loop_live.platform.uow import mutate, read

PROVIDER_ERRORS = http.PROVIDER_ERRORS


@post(
    "/",
    status_code=201,
    responses=PROVIDER_ERRORS,
)
async def create_call(
    request: AnyRequest, data: JSONBody[CallCreate], idempotency_key: http.IdempotencyKey = None
) -> Response[Call]:
    provider = http.runtime(request).provider
    return await mutate(
        request,
        lambda conn, actor, call_id: service.create(conn, actor, provider, call_id, data),
        status=201,
        before=lambda db, actor: service.open_call(provider, actor.principal, data),
    )


@get("/{call_id:str}", opt={"scope": READ}, responses=http.READ_ERRORS)
async def get_call(request: AnyRequest, call_id: FromPath[str]) -> Response[CallWithLive]:
    """The stored call, with the provider's live status when it answers (else `live: null`)."""
    provider = http.runtime(request).provider
    return await read(
        request,
        lambda conn, actor: service.visible(conn, actor, call_id),
        then=lambda row: service.with_live(provider, row),
    )


@post(
    "/{call_id:str}/token",
    status_code=200,
    responses=PROVIDER_ERRORS,
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
    "/{call_id:str}/end",
    status_code=200,
    responses=PROVIDER_ERRORS,
)
async def end_call(
    request: AnyRequest, call_id: FromPath[str], idempotency_key: http.IdempotencyKey = None
) -> Response[Call]:
    """End the provider call, then mark the row ended (ending twice is harmless)."""
    provider = http.runtime(request).provider
    return await mutate(
        request,
        lambda conn, actor, _: service.finish(conn, actor, call_id),
        before=lambda db, actor: service.end_at_provider(provider, db, actor, call_id),
    )


# Writes by default: a read declares its narrower scope.
router = options.router(
    "/v1/live/calls",
    [create_call, get_call, call_token, end_call],
    opt={"scope": WRITE},
    tags=["calls"],
)
handlers = [router]
