"""GET /board and its two static files. The page holds no data and needs no token to load:
the script asks for a token once, keeps it in sessionStorage and sends it in an
Authorization header on fetch() calls, the event streams included (never in a URL)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from litestar import Response, get
from litestar.params import FromPath

from loop_live.platform import options

FILES = {"board.js": "text/javascript", "board.css": "text/css"}
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
        " img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


@cache
def _static(name: str) -> bytes:
    return files("loop_live.board").joinpath("static", name).read_bytes()


@get("/board", opt={"exclude_from_auth": True}, include_in_schema=False)
async def board() -> Response[bytes]:
    return Response(_static("board.html"), media_type="text/html", headers=HEADERS)


@get("/board/{name:str}", opt={"exclude_from_auth": True}, include_in_schema=False)
async def asset(name: FromPath[str]) -> Response[bytes]:
    media_type = FILES.get(name)
    if media_type is None:
        return Response(
            b'{"error":"not_found","message":"no such file"}',
            status_code=404,
            media_type="application/json",
        )
    return Response(_static(name), media_type=media_type, headers=HEADERS)


handlers = [options.router("/", [board, asset])]
