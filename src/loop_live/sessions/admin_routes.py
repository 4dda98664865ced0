"""Admin endpoints: every session of the brand, reschedule, cancel, reinstate."""

from __future__ import annotations

from litestar import Response, get, patch
from litestar.params import FromPath, JSONBody

from loop_live.platform import http, options
from loop_live.platform.auth.principal import ADMIN
from loop_live.platform.http import AnyRequest
from loop_live.platform.uow import mutate, read
from loop_live.sessions import listing, service
from loop_live.sessions import params as q
from loop_live.sessions.schemas import AdminSessionPatch, Session, SessionPage


@get("/", responses=http.LIST_ERRORS)
async def admin_list_sessions(
    request: AnyRequest,
    brand_id: q.Text = None,
    status: q.Statuses = None,
    kind: q.Kind = None,
    limit: q.Limit = None,
    cursor: q.Cursor = None,
) -> Response[SessionPage]:
    params = listing.ListParams(
        brand=http.brand(request, brand_id),
        viewer=http.principal(request).subject,
        limit=limit,
        cursor=cursor,
        status=status,
        kind=kind,
    )
    return await read(
        request, listing.lister(params, http.runtime(request).cursors), brand=params.brand
    )


@patch(
    "/{session_id:str}",
    responses=http.WRITE_ERRORS,
)
async def admin_update_session(
    request: AnyRequest,
    session_id: FromPath[str],
    data: JSONBody[AdminSessionPatch],
    idempotency_key: http.IdempotencyKey = None,
) -> Response[Session]:
    """Reschedule, edit, cancel (`status: cancelled`) or reinstate (`status: scheduled`)."""
    return await mutate(
        request,
        lambda conn, actor: service.update(conn, actor, session_id, data, admin=True),
    )


router = options.router(
    "/v1/admin/sessions",
    [admin_list_sessions, admin_update_session],
    opt={"scope": ADMIN},
    tags=["admin"],
)
handlers = [router]
