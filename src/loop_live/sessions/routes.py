"""Session endpoints for members and hosts: thin handlers over the service."""

from __future__ import annotations

from litestar import Response, get, patch, post
from litestar.params import FromPath, JSONBody

from loop_live.platform import http, options
from loop_live.platform.auth.principal import READ, WRITE
from loop_live.platform.http import AnyRequest
from loop_live.platform.uow import mutate, read
from loop_live.sessions import joining, listing, service
from loop_live.sessions import params as q
from loop_live.sessions.schemas import Session, SessionCreate, SessionPage, SessionPatch


@get("/live/sessions", opt={"scope": READ}, responses=http.LIST_ERRORS)
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
    return await read(
        request, listing.lister(params, http.runtime(request).cursors), brand=params.brand
    )


@get(
    "/sessions/{session_id:str}",
    opt={"scope": READ},
    responses=http.READ_ERRORS,
)
async def get_session(request: AnyRequest, session_id: FromPath[str]) -> Response[Session]:
    return await read(request, lambda conn, actor: service.read(conn, actor, session_id))


@post(
    "/sessions",
    responses=http.WRITE_ERRORS,
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
    "/sessions/{session_id:str}",
    responses=http.WRITE_ERRORS,
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
    "/sessions/{session_id:str}/join",
    status_code=200,
    responses=http.PROVIDER_ERRORS,
)
async def join_session(
    request: AnyRequest,
    session_id: FromPath[str],
    data: JSONBody[joining.JoinBody],
    idempotency_key: http.IdempotencyKey = None,
) -> Response[joining.JoinToken]:
    """A video token for the host, a co-host or a registered member, inside the join window."""
    join = joining.Join(http.runtime(request), session_id, data.user_id)
    return await mutate(request, join.record, before=join.prepare, reveal=join.reveal)


# Writes by default: a read declares its narrower scope.
router = options.router(
    "/v1",
    [list_sessions, get_session, create_session, update_session, join_session],
    opt={"scope": WRITE},
    tags=["sessions"],
)
handlers = [router]
