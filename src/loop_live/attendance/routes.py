"""GET /v1/admin/sessions/{id}/attendance: JSON, or CSV on `Accept: text/csv` (SPEC §14)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from loop_live.attendance import service
from loop_live.platform import http, options
from loop_live.platform.auth.principal import READ
from loop_live.platform.clock import utcnow

AnyRequest = Request[Any, Any, Any]
COLUMNS = (
    "registration_id",
    "user_id",
    "role",
    "status",
    "first_joined_at",
    "last_left_at",
    "joins",
    "minutes",
    "token_issued_at",
    "no_show",
)


@get(
    "/v1/admin/sessions/{session_id:str}/attendance",
    opt={"scope": READ},
    responses=http.READ_ERRORS,
    tags=["admin"],
)
async def attendance(request: AnyRequest, session_id: FromPath[str]) -> Response[Any]:
    """Each registration's first join, joins, minutes and no-show; for the hosts or manage:live."""
    rt = http.runtime(request)
    async with rt.db.read() as conn:
        report = await service.report(
            conn, http.principal(request), http.brand(request), session_id, utcnow()
        )
    if "text/csv" in request.headers.get("accept", ""):
        return _csv(report)
    return http.json_response(report)


def _csv(report: dict[str, Any]) -> Response[Any]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in report["attendees"]:
        writer.writerow([_cell(row[column]) for column in COLUMNS])
    name = f"attendance-{report['session_id']}.csv"
    return Response(
        out.getvalue().encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _cell(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


handlers = [options.router("/", [attendance])]
