"""`/openapi.json` and an interactive docs page whose assets ship inside the package."""

from __future__ import annotations

from typing import Any

import msgspec
import swagger_ui_bundle
from litestar import Request, Response, get
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

import loop_live

ASSETS = "/docs/assets"

openapi_config = OpenAPIConfig(
    title="loop-live",
    version=loop_live.__version__,
    description="Live sessions for the Loop Platform. Errors are {error, message}.",
    path="/docs",
    render_plugins=[
        SwaggerRenderPlugin(
            path="/",
            js_url=f"{ASSETS}/swagger-ui-bundle.js",
            css_url=f"{ASSETS}/swagger-ui.css",
            standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
            favicon=f'<link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png">',
        )
    ],
    components=Components(
        security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}
    ),
    security=[{"bearer": []}],
)


@get("/openapi.json", opt={"exclude_from_auth": True}, include_in_schema=False)
async def openapi_json(request: Request[Any, Any, Any]) -> Response[bytes]:
    # Rendering the schema takes hundreds of milliseconds and the route is public: do it once.
    state = request.app.state
    if "openapi_bytes" not in state:
        state.openapi_bytes = msgspec.json.encode(request.app.openapi_schema.to_schema())
    body: bytes = state.openapi_bytes
    return Response(body, media_type="application/json")


assets = create_static_files_router(
    path=ASSETS,
    directories=[swagger_ui_bundle.swagger_ui_path],
    opt={"exclude_from_auth": True},
    include_in_schema=False,
)
handlers: list[ControllerRouterHandler] = [openapi_json, assets]
