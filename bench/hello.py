"""The anchor of `make bench`: a bare Starlette hello world, served by uvicorn with uvloop and
httptools in one process (ENGINEERING.md's reference point for what a Python server can do)."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("Hello, world!")


app = Starlette(routes=[Route("/", hello)])
