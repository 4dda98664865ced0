"""Registration endpoints: register a person, register or unregister oneself, the admin list."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, delete, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from loop_live.platform import http, options, paging
from loop_live.platform.auth.principal import ADMIN, WRITE
from loop_live.platform.http import AnyRequest
from loop_live.platform.uow import mutate, read
from loop_live.registrations import listing, service
from loop_live.registrations.schemas import RegisterBody, Registration, RegistrationPage

AGAIN = ResponseSpec(
    data_container=Registration,
    description="Already registered: the existing registration, unchanged",
    generate_examples=False,
)
Status = Annotated[str | None, QueryParameter(pattern=f"^({'|'.join(listing.STATUSES)})$")]


@post(
    "/register",
    status_code=201,
    responses=http.WRITE_ERRORS,
)
async def register(
    request: AnyRequest,
    session_id: FromPath[str],
    data: JSONBody[RegisterBody],
    idempotency_key: http.IdempotencyKey = None,
) -> Response[Registration]:
    """Register a member (`patient_id`) or a guest (`guest_email`); a full session is 412."""
    return await mutate(
        request,
        lambda conn, actor: service.register_person(conn, actor, session_id, data),
        status=201,
    )


@post(
    "/registrations",
    status_code=201,
    responses={**http.WRITE_ERRORS, 200: AGAIN},
)
async def register_self(
    request: AnyRequest, session_id: FromPath[str], idempotency_key: http.IdempotencyKey = None
) -> Response[Registration]:
    """Register the caller: 201 registered or waitlisted, 200 with the existing registration."""
    return await mutate(
        request,
        lambda conn, actor: service.register_self(conn, actor, session_id),
    )


@delete(
    "/registrations",
    status_code=200,
    responses=http.WRITE_ERRORS,
)
async def unregister_self(
    request: AnyRequest, session_id: FromPath[str], idempotency_key: http.IdempotencyKey = None
) -> Response[Registration]:
    """Cancel the caller's registration; the oldest waitlisted registration takes the seat."""
    return await mutate(
        request,
        lambda conn, actor: service.cancel_self(conn, actor, session_id),
    )


@get(
    "/",
    responses=http.READ_ERRORS,
)
async def admin_list_registrations(
    request: AnyRequest,
    session_id: FromPath[str],
    status: Status = None,
    limit: paging.Limit = None,
    cursor: paging.Cursor = None,
) -> Response[RegistrationPage]:
    cursors = http.runtime(request).cursors
    return await read(request, listing.lister(session_id, status, limit, cursor, cursors))


handlers = [
    options.router(
        "/v1/sessions/{session_id:str}",
        [register, register_self, unregister_self],
        opt={"scope": WRITE},
        tags=["registrations"],
    ),
    options.router(
        "/v1/admin/sessions/{session_id:str}/registrations",
        [admin_list_registrations],
        opt={"scope": ADMIN},
        tags=["admin"],
    ),
]
