"""SQL expressions that render a row as JSON text inside the database, byte for byte as msgspec
renders the same values in Python, so that a hot read can pass the database's text through.

Each function takes a column expression and returns a text expression that is never NULL (a
NULL value renders `null`). Strings are escaped by the database (`to_json`, `json_quote`),
which escape exactly what msgspec escapes; instants are UTC with `Z` and six fractional
digits, dropped when zero; JSON columns pass through as stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from loop_live.platform.db.database import Dialect

Kind = Literal["text", "uuid", "instant", "integer", "json", "boolean"]


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: Kind
    nullable: bool = False


_UTC = "replace({c}, '.000000+00:00', '+00:00')"
_ISO = "to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
# Per dialect, per kind: the SQL that renders column {c}. SQLite stores an instant as
# fixed-width UTC text ending in .ffffff+00:00 (see sqlite.py).
_TEMPLATES: dict[Dialect, dict[Kind, str]] = {
    "postgresql": {
        "text": "to_json({c})::text",
        "uuid": "'\"' || {c}::text || '\"'",
        "instant": f"'\"' || replace({_ISO}, '.000000Z', 'Z') || '\"'",
        "integer": "{c}::text",
        "json": "{c}::text",
        "boolean": "CASE WHEN {c} THEN 'true' ELSE 'false' END",
    },
    "sqlite": {
        "text": "json_quote({c})",
        "uuid": "'\"' || {c} || '\"'",
        "instant": f"'\"' || replace({_UTC}, '+00:00', 'Z') || '\"'",
        "integer": "CAST({c} AS TEXT)",
        "json": "{c}",
        "boolean": "CASE WHEN {c} THEN 'true' ELSE 'false' END",
    },
}


def value(dialect: Dialect, field: Field, column: str) -> str:
    rendered = _TEMPLATES[dialect][field.kind].format(c=column)
    return f"coalesce({rendered}, 'null')" if field.nullable else rendered


def json_members(dialect: Dialect, fields: Sequence[tuple[Field, str]]) -> str:
    """`{"name":value,...` in field order, each field rendered from its column expression, and
    left open: the caller appends more members, or the closing brace."""
    parts = [
        f"'{'{' if i == 0 else ','}\"{field.name}\":' || {value(dialect, field, column)}"
        for i, (field, column) in enumerate(fields)
    ]
    return "(" + " || ".join(parts) + ")"
