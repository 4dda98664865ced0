"""Session endpoints for members and hosts: thin handlers over the service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, Response, get, patch, post
from litestar.params import FromPath, JSONBody

from loop_live.platform import http
from loop_live.platform.auth.principal import READ, WRITE
from loop_live.platform.clock import utcnow
from loop_live.platform.uow import json_response, mutate
from loop_live.sessions import joining, listing, service
from loop_live.sessions import params as q
from loop_live.sessions import repository as repo
from loop_live.sessions.schemas import Session, SessionCreate, SessionPage, SessionPatch

AnyRequest = Request[Any, Any, Any]


@get("/v1/live/sessions", opt={"scope": READ}, responses=http.LIST_ERRORS, tags=["sessions"])
async def list_sessions(
    request: AnyRequest,
    brand_id: q.Text = None,
    host_user_id: q.Text = None,
    host_id: q.Text = None,
    community_id: q.Text = None,
    status: q.Statuses = None,
    upcoming_only: q.Flag = None,
    upcoming: q.Flag = None,
    cursor: q.Cursor = None,
    limit: q.Limit = None,
    month: q.Month = None,
    tz: q.Zone = None,
    kind: q.Kind = None,
    category: q.Text = None,
) -> Response[SessionPage]:
    """List a brand's sessions, oldest first, in keyset pages (SPEC §4)."""
    params = listing.ListParams(
        brand=http.brand(request, brand_id),
        viewer=http.principal(request).subject,
        limit=limit,
        cursor=cursor,
        status=status,
        kind=kind,
        category=category,
        host_id=host_id,
        host_user_id=host_user_id,
        community_id=community_id,
        month=month,
        tz=tz,
        upcoming=upcoming,
        upcoming_only=upcoming_only,
    )
    return await respond_page(request, params)


async def respond_page(request: AnyRequest, params: listing.ListParams) -> Response[SessionPage]:
    rt = http.runtime(request)
    query = listing.build_query(params, rt.cursors, utcnow())
    async with rt.db.read() as conn:
        rows = list(await repo.page(conn, query))
    size = listing.page_limit(params.limit)
    body = {
        "sessions": [repo.session_json(row) for row in rows[:size]],
        "next_cursor": listing.next_cursor(rt.cursors, rows, size),
    }
    return json_response(body)


@get(
    "/v1/sessions/{session_id:str}",
    opt={"scope": READ},
    responses=http.READ_ERRORS,
    tags=["sessions"],
)
async def get_session(request: AnyRequest, session_id: FromPath[str]) -> Response[Session]:
    rt = http.runtime(request)
    async with rt.db.read() as conn:
        session = await service.get(conn, http.principal(request), http.brand(request), session_id)
    return json_response(session)


@post(
    "/v1/sessions",
    opt={"scope": WRITE},
    responses=http.WRITE_ERRORS,
    tags=["sessions"],
    status_code=201,
)
async def create_session(
    request: AnyRequest, data: JSONBody[SessionCreate], idempotency_key: http.IdempotencyKey = None
) -> Response[Session]:
    """Schedule a session; the host is the caller unless the caller holds manage:live."""
    brand = http.brand(request, data.brand_id)
    return await mutate(
        request, lambda conn, actor: service.create(conn, actor, data), status=201, brand=brand
    )


@patch(
    "/v1/sessions/{session_id:str}",
    opt={"scope": WRITE},
    responses=http.WRITE_ERRORS,
    tags=["sessions"],
)
async def update_session(
    request: AnyRequest,
    session_id: FromPath[str],
    data: JSONBody[SessionPatch],
    idempotency_key: http.IdempotencyKey = None,
) -> Response[Session]:
    """Edit a session as its host, a co-host, or with manage:live."""
    return await mutate(
        request,
        lambda conn, actor: service.update(conn, actor, session_id, data, admin=False),
    )


@post(
    "/v1/sessions/{session_id:str}/join",
    opt={"scope": WRITE},
    status_code=200,
    responses=http.PROVIDER_ERRORS,
    tags=["sessions"],
)
async def join_session(
    request: AnyRequest,
    session_id: FromPath[str],
    data: JSONBody[joining.JoinBody],
    idempotency_key: http.IdempotencyKey = None,
) -> Response[joining.JoinToken]:
    """A video token for the host, a co-host or a registered member, inside the join window."""
    rt = http.runtime(request)
    brand = http.brand(request)
    window = timedelta(minutes=rt.settings.join_window_minutes)
    async with rt.db.read() as conn:
        plan = await joining.plan(
            conn, http.principal(request), brand, session_id, data.user_id, window, utcnow()
        )
    call_cid = await joining.open_call(rt.provider, plan)
    ttl = rt.settings.stream_token_ttl_seconds
    return await mutate(
        request,
        lambda conn, actor: joining.record(conn, actor, rt.provider, plan, call_cid, ttl),
        reveal=lambda granted: joining.reveal(rt.provider, granted),
    )


handlers = [list_sessions, get_session, create_session, update_session, join_session]
