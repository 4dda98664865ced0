"""`/openapi.json` and an interactive docs page whose assets ship inside the package.

The document says what the service enforces: constraints come from the msgspec types and the
route parameters; `StrictStructs` adds what Litestar's struct plugin leaves out, and `finish`
is the one place that edits the generated document (what Litestar cannot express).
"""

from __future__ import annotations

import re
from typing import Any, cast

import msgspec
import swagger_ui_bundle
from litestar import Litestar, Request, Response, get
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    PathItem,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

import loop_live

ASSETS = "/docs/assets"
PUBLIC = {"exclude_from_auth": True}

openapi_config = OpenAPIConfig(
    title="loop-live",
    version=loop_live.__version__,
    description=(
        "Live sessions for the Loop Platform. Errors are {error, message}. Every route that"
        " reads the database may also answer 429 rate_limited and 503 unavailable."
    ),
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
        security_schemes={
            "bearer": SecurityScheme(
                type="http",
                scheme="bearer",
                bearer_format="JWT",
                description="A token without a brand claim names its brand with X-Brand-Id.",
            )
        }
    ),
    security=[{"bearer": []}],
)


class StrictStructs(StructSchemaPlugin):
    """Request bodies described by msgspec, the library that validates them.

    Litestar's struct plugin drops constraints on optional fields and on list items and says
    nothing of forbidden fields; msgspec's own JSON schema states exactly what it enforces.
    """

    def to_openapi_schema(self, field_definition: Any, schema_creator: Any) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        struct = field_definition.type_
        if struct.__struct_config__.forbid_unknown_fields:
            _describe_request(schema, struct)
        return schema


def _describe_request(schema: Schema, struct: Any) -> None:
    generated = msgspec.json.schema(struct)
    body = _storable(generated["$defs"][generated["$ref"].rsplit("/", 1)[1]])
    schema.properties = {name: _schema(node) for name, node in body["properties"].items()}
    schema.required = sorted(body.get("required", []))
    schema.additional_properties = False
    exclusive: tuple[str, ...] = getattr(struct, "exactly_one_of", ())
    if exclusive:  # null counts as absent
        schema.one_of = [
            Schema(required=[name], properties={name: Schema(type=OpenAPIType.STRING)})
            for name in exclusive
        ]


# No string may hold NUL (PostgreSQL cannot store it; `strict_body` refuses it), and free-form
# objects (`metadata`) hold JSON values under the same rule. Nesting depth (at most 32 levels)
# has no JSON Schema keyword; it is stated in the description.
NO_NUL = r"^[^\u0000]*$"
JSON_VALUE = "JsonValue"
_JSON_VALUE_REF = {"$ref": f"#/components/schemas/{JSON_VALUE}"}
_JSON_VALUE_SCHEMA = Schema(
    description="Any JSON value without NUL characters, nested at most 32 levels deep",
    any_of=[
        Schema(type=OpenAPIType.NULL),
        Schema(type=OpenAPIType.BOOLEAN),
        Schema(type=OpenAPIType.NUMBER),
        Schema(type=OpenAPIType.STRING, pattern=NO_NUL),
        Schema(type=OpenAPIType.ARRAY, items=Reference(_JSON_VALUE_REF["$ref"])),
        Schema(
            type=OpenAPIType.OBJECT,
            property_names=Schema(pattern=NO_NUL),
            additional_properties=Reference(_JSON_VALUE_REF["$ref"]),
        ),
    ],
)


def _storable(node: Any) -> Any:
    """The msgspec schema with the storage rules added to every string and free-form object."""
    if isinstance(node, list):
        return [_storable(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _storable(value) for key, value in node.items()}
    if node.get("type") == "string" and "format" not in node:
        if "pattern" in node:
            node["allOf"] = [{"pattern": NO_NUL}]
        else:
            node["pattern"] = NO_NUL
    if node.get("type") == "object" and "properties" not in node:
        node.update(propertyNames={"pattern": NO_NUL}, additionalProperties=_JSON_VALUE_REF)
    return node


def _schema(node: dict[str, Any]) -> Schema | Reference:
    """A JSON schema as Litestar's `Schema`: camelCase keys to fields."""
    if "$ref" in node:
        return Reference(node["$ref"])
    fields: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("items", "additionalProperties", "propertyNames") and isinstance(value, dict):
            value = _schema(value)
        elif key in ("anyOf", "oneOf", "allOf"):
            value = [_schema(option) for option in value]
        elif key == "properties":
            value = {name: _schema(option) for name, option in value.items()}
        fields[_CAMEL.sub(r"_\1", key).lower()] = value
    return Schema(**fields)


_CAMEL = re.compile(r"([A-Z])")
_DOCS_PAGE = PathItem(
    get=Operation(
        summary="The interactive API documentation (Swagger UI, served offline)",
        tags=["docs"],
        security=[],
        responses={
            "200": OpenAPIResponse(
                description="HTML page",
                content={"text/html": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))},
            )
        },
    )
)


def finish(app: Litestar) -> None:
    """Public routes need no token (`security: []`), which Litestar cannot say per route; the
    docs page is a route of Litestar's own docs router, so it is described here."""
    schema = app.openapi_schema
    public = {
        (re.sub(r":[^}]+}", "}", route.path), method.lower())
        for route in app.routes
        for handler in getattr(route, "route_handlers", ())
        if handler.opt.get("exclude_from_auth")
        for method in getattr(handler, "http_methods", ())
    }
    for path, item in (schema.paths or {}).items():
        for method in ("get", "post"):
            operation = getattr(item, method)
            if operation is not None and (path, method) in public:
                operation.security = []
    if schema.paths is not None:
        schema.paths["/docs"] = _DOCS_PAGE
    if schema.components.schemas is not None:
        schema.components.schemas[JSON_VALUE] = _JSON_VALUE_SCHEMA


@get(
    "/openapi.json",
    opt=PUBLIC,
    tags=["docs"],
    summary="This document",
    responses={},
)
async def openapi_json(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    # Rendering the schema takes hundreds of milliseconds and the route is public: do it once.
    state = request.app.state
    if "openapi_bytes" not in state:
        state.openapi_bytes = msgspec.json.encode(request.app.openapi_schema.to_schema())
    body: bytes = state.openapi_bytes
    return cast(Response[dict[str, Any]], Response(body, media_type="application/json"))


assets = create_static_files_router(
    path=ASSETS,
    directories=[swagger_ui_bundle.swagger_ui_path],
    opt=PUBLIC,
    include_in_schema=False,
)
handlers: list[ControllerRouterHandler] = [openapi_json, assets]
