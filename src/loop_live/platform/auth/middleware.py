"""Reads the bearer token on every protected route; the scope guard checks `opt["scope"]`."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from loop_live.platform.auth.principal import Principal
from loop_live.platform.errors import Unauthenticated


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization")
        if not header:
            raise Unauthenticated("missing Authorization: Bearer token")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("Authorization header must be 'Bearer <token>'")
        principal = await connection.app.state.runtime.verifier.verify(token)
        return AuthenticationResult(user=principal, auth=token)


# async on purpose: Litestar runs a sync guard in a worker thread, a hop on every request.
async def scope_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    scope = handler.opt.get("scope")
    if scope is not None:
        principal: Principal = connection.user
        principal.require(scope)
