"""OPTIONS answers 204 with an `Allow` header naming every method of the path.

Litestar 2 builds its automatic OPTIONS handler from the first handler registered for a path,
so a path served by two handlers (POST and DELETE `/registrations`) answered
`Allow: OPTIONS, POST` (litestar#4169, fixed only in 3.0). One explicit OPTIONS handler per
path, registered before the others, takes its place. A Router builds its routes (and their
automatic OPTIONS handlers) when created, so each domain's Router is made by `router`, which
registers its OPTIONS handlers first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from litestar import Router, route
from litestar.datastructures import ResponseHeader
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler


def handlers_for(route_handlers: Iterable[Any]) -> list[HTTPRouteHandler]:
    methods: dict[str, set[str]] = defaultdict(lambda: {"OPTIONS"})
    for handler in route_handlers:
        if isinstance(handler, HTTPRouteHandler):
            for path in handler.paths:
                methods[path].update(handler.http_methods)
    return [_answer(path, ", ".join(sorted(allowed))) for path, allowed in methods.items()]


def router(path: str, route_handlers: list[HTTPRouteHandler], **layer: Any) -> Router:
    """A Router of `route_handlers` under `path`, with one OPTIONS handler per path."""
    return Router(path, route_handlers=[*handlers_for(route_handlers), *route_handlers], **layer)


def _answer(path: str, allow: str) -> HTTPRouteHandler:
    async def options() -> None:
        return None

    return route(
        path,
        http_method=HttpMethod.OPTIONS,
        status_code=204,
        include_in_schema=False,
        opt={"scope": None},  # the Router's scope is for its API handlers, not for OPTIONS
        response_headers=[ResponseHeader(name="Allow", value=allow)],
    )(options)
