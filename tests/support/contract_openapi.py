"""An OpenAPI 3.1 document built from the published contract (`contract/live-api.json`), for
testing the service against what was published rather than against its own description."""

from __future__ import annotations

from typing import Any

from tests.support.contract import api

PUBLIC = {"POST /webhooks/stream"}  # signed by the provider, no bearer token


def contract_openapi() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for endpoint, entry in api().items():
        method, path = endpoint.split(" ", 1)
        operation = _operation(entry)
        if endpoint in PUBLIC:
            operation["security"] = []
        paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "loop-live (published contract)", "version": "contract"},
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    }


def _operation(entry: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": entry["summary"],
        "parameters": [
            *(_parameter(p, "path") for p in entry["path_params"]),
            *(_parameter(p, "query") for p in entry["query_params"]),
        ],
        "responses": {
            status: {"description": response["description"], **_json(response["schema"])}
            for status, response in entry["responses"].items()
        },
    }
    if entry["request_body"] is not None:
        operation["requestBody"] = {"required": True, **_json(entry["request_body"])}
    return operation


def _parameter(parameter: dict[str, Any], where: str) -> dict[str, Any]:
    return {
        "name": parameter["name"],
        "in": where,
        "required": where == "path",
        "schema": {"type": parameter["type"]},
    }


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": _clean(schema)}}}


def _clean(node: Any) -> Any:
    """Drop the contract's own `incomplete` markers: the parts that were readable remain."""
    if isinstance(node, dict):
        return {key: _clean(value) for key, value in node.items() if key != "incomplete"}
    if isinstance(node, list):
        return [_clean(item) for item in node]
    return node
