"""Calendar endpoints (SPEC §13): a session's .ics, and feeds calendar apps subscribe to."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response, delete, get, post
from litestar.params import FromPath, JSONBody

from loop_live.calendars import service
from loop_live.calendars.ics import etag
from loop_live.calendars.service import FeedCreate
from loop_live.platform import http, options
from loop_live.platform.auth.principal import READ
from loop_live.platform.clock import utcnow
from loop_live.platform.http import AnyRequest
from loop_live.platform.uow import mutate, read

ICS = "text/calendar; charset=utf-8"
PUBLIC = {"exclude_from_auth": True}
FEED_PATH = "/calendar/feeds/{feed:str}"


class Feed(msgspec.Struct, kw_only=True):
    id: str
    kind: str
    value: str | None
    created_at: str


class NewFeed(Feed, kw_only=True):
    url: str


class FeedList(msgspec.Struct, kw_only=True):
    feeds: list[Feed]


def _calendar(request: AnyRequest, body: bytes) -> Response[bytes]:
    tag = etag(body)
    headers = {"ETag": tag, "Cache-Control": "private, max-age=300"}
    if tag in request.headers.get("if-none-match", "").replace("W/", "").split(", "):
        return Response(b"", status_code=304, headers=headers)
    return Response(body, media_type=ICS, headers=headers)


def _template(request: AnyRequest) -> str:
    return http.runtime(request).settings.join_url_template


@get(
    "/sessions/{session_id:str}/calendar.ics",
    opt={"scope": READ},
    responses=http.READ_ERRORS,
    media_type=ICS,
)
async def session_calendar(request: AnyRequest, session_id: FromPath[str]) -> Response[bytes]:
    """One session as an iCalendar file."""
    async with http.runtime(request).db.read() as conn:
        body = await service.render_session(
            conn, http.brand(request), session_id, _template(request)
        )
    return _calendar(request, body)


@post("/calendar/feeds", opt={"scope": READ}, responses=http.WRITE_ERRORS,
      status_code=201)  # fmt: skip
async def create_feed(
    request: AnyRequest, data: JSONBody[FeedCreate], idempotency_key: http.IdempotencyKey = None
) -> Response[NewFeed]:
    """A feed address for calendar apps: the brand's, a host's, a community's, or your own
    registrations. Keep the `url` private; delete the feed to revoke it."""
    rt = http.runtime(request)
    key = rt.settings.cursor_key()
    base = str(request.base_url).rstrip("/")

    def reveal(grant: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"{base}/v1/calendar/feeds/{service.token_for(key, grant['id'])}.ics"}

    kind, value = service.kind_and_value(data)
    return await mutate(
        request,
        lambda conn, actor: service.create(conn, actor, kind, value, key),
        status=201,
        reveal=reveal,
    )


@get("/calendar/feeds", opt={"scope": READ}, responses=http.LIST_ERRORS)
async def list_feeds(request: AnyRequest) -> Response[FeedList]:
    """Your feeds in this brand, without their addresses."""
    return await read(request, service.list_feeds)


@delete(FEED_PATH, opt={"scope": READ}, responses=http.WRITE_ERRORS, status_code=200)
async def revoke_feed(
    request: AnyRequest, feed: FromPath[str], idempotency_key: http.IdempotencyKey = None
) -> Response[dict[str, Any]]:
    """Revoke one of your feeds: its address answers 404 from now on."""
    return await mutate(request, lambda conn, actor: service.revoke(conn, actor, feed))


@get(FEED_PATH, opt=PUBLIC, responses=http.errors(404, 503), media_type=ICS)
async def read_feed(request: AnyRequest, feed: FromPath[str]) -> Response[bytes]:
    """A feed by its secret address (`<token>.ics`), for calendar apps: no bearer token."""
    async with http.runtime(request).db.read() as conn:
        body = await service.render_feed(conn, feed, utcnow(), _template(request))
    return _calendar(request, body)


router = options.router(
    "/v1",
    [session_calendar, create_feed, list_feeds, revoke_feed, read_feed],
    tags=["calendars"],
)
handlers = [router]
