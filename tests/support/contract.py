"""The published contract as a test helper: the seed schemas in the repository's `contract/`
(a copy of the published contract), and a validator that checks a response body against them
(Draft 2020-12, formats checked)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

CONTRACT_DIR = Path(__file__).resolve().parents[2] / "contract"
LIST_SESSIONS = "GET /v1/live/sessions"
ADMIN_LIST_SESSIONS = "GET /v1/admin/sessions"
ADMIN_PATCH_SESSION = "PATCH /v1/admin/sessions/{id}"

# jsonschema only checks "date-time" when an optional package is installed; without one the
# format would pass silently, so the RFC 3339 rule is spelled out here.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
# In a seed page a schema follows either "Request body" or "<status> <description>".
_SEED_HEADING = re.compile(r"^(Request body|\d{3}) ?.*\n\n(?=\{)", re.MULTILINE)


def _is_rfc3339(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    if _RFC3339.fullmatch(instance) is None:
        return False
    datetime.fromisoformat(instance.upper().replace("Z", "+00:00"))  # ranges: month 13 etc.
    return True


FORMATS = FormatChecker(formats=("uuid",))
FORMATS.checks("date-time", raises=ValueError)(_is_rfc3339)


@cache
def api() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CONTRACT_DIR / "live-api.json").read_text())
    return loaded


def response_schema(endpoint: str, status: int = 200) -> dict[str, Any]:
    schema: dict[str, Any] = api()[endpoint]["responses"][str(status)]["schema"]
    return schema


def seeded_endpoints() -> dict[str, Path]:
    """The endpoints live-api.json says were copied from a seed page, with that page's path."""
    return {
        endpoint: CONTRACT_DIR / "seeds" / entry["seed"]
        for endpoint, entry in api().items()
        if entry.get("seed")
    }


def seed_page_schemas(page: Path) -> dict[str, Any]:
    """The JSON schemas printed in a seed page: `request` and one per response status."""
    text = page.read_text()
    decoder = json.JSONDecoder()
    schemas: dict[str, Any] = {}
    for heading in _SEED_HEADING.finditer(text):
        name = "request" if heading.group(1) == "Request body" else heading.group(1)
        schemas[name], _ = decoder.raw_decode(text, heading.end())
    return schemas


def contract_schemas(endpoint: str) -> dict[str, Any]:
    """The same view of one live-api.json entry, for comparison with its seed page."""
    entry = api()[endpoint]
    schemas = {code: r["schema"] for code, r in entry["responses"].items()}
    if entry.get("request_body") is not None:
        schemas["request"] = entry["request_body"]
    return schemas


def schema_errors(body: Any, schema: dict[str, Any]) -> list[str]:
    validator = Draft202012Validator(schema, format_checker=FORMATS)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in validator.iter_errors(body)
    ]


def assert_matches(body: Any, endpoint: str, status: int = 200) -> None:
    errors = schema_errors(body, response_schema(endpoint, status))
    assert not errors, f"{endpoint} {status} body breaks the contract:\n" + "\n".join(errors)
