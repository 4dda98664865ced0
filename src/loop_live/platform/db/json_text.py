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


def _postgresql(kind: Kind, column: str) -> str:
    if kind == "text":
        return f"to_json({column})::text"
    if kind == "uuid":
        return f"'\"' || {column}::text || '\"'"
    if kind == "instant":
        iso = f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        return f"'\"' || replace({iso}, '.000000Z', 'Z') || '\"'"
    if kind == "integer":
        return f"{column}::text"
    if kind == "json":
        return f"{column}::text"
    return f"CASE WHEN {column} THEN 'true' ELSE 'false' END"


def _sqlite(kind: Kind, column: str) -> str:
    if kind == "text":
        return f"json_quote({column})"
    if kind == "uuid":
        return f"'\"' || {column} || '\"'"
    if kind == "instant":
        # Stored as fixed-width UTC text ending in .ffffff+00:00 (see sqlite.py).
        utc = f"replace({column}, '.000000+00:00', '+00:00')"
        return f"'\"' || replace({utc}, '+00:00', 'Z') || '\"'"
    if kind == "integer":
        return f"CAST({column} AS TEXT)"
    if kind == "json":
        return column
    return f"CASE WHEN {column} THEN 'true' ELSE 'false' END"


def value(dialect: Dialect, field: Field, column: str) -> str:
    rendered = (_postgresql if dialect == "postgresql" else _sqlite)(field.kind, column)
    return f"coalesce({rendered}, 'null')" if field.nullable else rendered


def json_members(dialect: Dialect, fields: Sequence[tuple[Field, str]]) -> str:
    """`{"name":value,...` in field order, each field rendered from its column expression, and
    left open: the caller appends more members, or the closing brace."""
    parts = [
        f"'{'{' if i == 0 else ','}\"{field.name}\":' || {value(dialect, field, column)}"
        for i, (field, column) in enumerate(fields)
    ]
    return "(" + " || ".join(parts) + ")"
