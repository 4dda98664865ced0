"""Series endpoints (SPEC §13): thin handlers over the service."""

from __future__ import annotations

from litestar import Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody

from loop_live.platform import http, options
from loop_live.platform.auth.principal import READ, WRITE
from loop_live.platform.http import AnyRequest
from loop_live.platform.uow import mutate, read
from loop_live.series import service
from loop_live.series.schemas import Series, SeriesCreate, SeriesPage, SeriesPatch
from loop_live.sessions.schemas import Session

ONE = "/{series_id:str}"


def _days(request: AnyRequest) -> int:
    return http.runtime(request).settings.series_horizon_days


@post("/", responses=http.WRITE_ERRORS, status_code=201)
async def create_series(
    request: AnyRequest, data: JSONBody[SeriesCreate], idempotency_key: http.IdempotencyKey = None
) -> Response[Series]:
    """A recurring series; its occurrences inside the horizon are sessions at once."""
    brand = http.brand(request, data.brand_id)
    days = _days(request)
    return await mutate(
        request,
        lambda conn, actor: service.create(conn, actor, data, days),
        status=201,
        brand=brand,
    )


@get("/", opt={"scope": READ}, responses=http.LIST_ERRORS)
async def list_series(request: AnyRequest) -> Response[SeriesPage]:
    """The brand's series, oldest first (at most 500)."""
    return await read(request, service.list_all)


@get(ONE, opt={"scope": READ}, responses=http.READ_ERRORS)
async def get_series(request: AnyRequest, series_id: FromPath[str]) -> Response[Series]:
    return await read(request, lambda conn, actor: service.read(conn, actor, series_id))


@patch(ONE, responses=http.WRITE_ERRORS)
async def update_series(
    request: AnyRequest,
    series_id: FromPath[str],
    data: JSONBody[SeriesPatch],
    idempotency_key: http.IdempotencyKey = None,
) -> Response[Series]:
    """Edit all upcoming occurrences, or (`from_session_id`) that one and the following."""
    days = _days(request)
    return await mutate(
        request, lambda conn, actor: service.update(conn, actor, series_id, data, days)
    )


@delete(ONE, responses=http.WRITE_ERRORS, status_code=200)
async def cancel_series(
    request: AnyRequest, series_id: FromPath[str], idempotency_key: http.IdempotencyKey = None
) -> Response[Series]:
    """Cancel the series and its upcoming occurrences; past occurrences stay."""
    return await mutate(request, lambda conn, actor: service.cancel(conn, actor, series_id))


@delete(ONE + "/occurrences/{session_id:str}", responses=http.WRITE_ERRORS, status_code=200)
async def cancel_occurrence(
    request: AnyRequest,
    series_id: FromPath[str],
    session_id: FromPath[str],
    idempotency_key: http.IdempotencyKey = None,
) -> Response[Session]:
    """Cancel one occurrence (and its registrations); a later series edit leaves it cancelled."""
    return await mutate(
        request, lambda conn, actor: service.cancel_one(conn, actor, series_id, session_id)
    )


router = options.router(
    "/v1/series",
    [create_series, list_series, get_series, update_series, cancel_series, cancel_occurrence],
    opt={"scope": WRITE},
    tags=["series"],
)
handlers = [router]
