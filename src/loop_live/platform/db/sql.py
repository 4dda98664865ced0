"""SQL text written once with `:name` parameters, compiled per dialect on first use."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PARAM = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


class Sql:
    """A statement with named parameters; asyncpg wants `$1`, sqlite3 takes `:name` as is."""

    __slots__ = ("_positional", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._positional: tuple[str, tuple[str, ...]] | None = None

    def positional(self) -> tuple[str, tuple[str, ...]]:
        if self._positional is None:
            names: list[str] = []

            def number(match: re.Match[str]) -> str:
                name = match.group(1)
                if name not in names:
                    names.append(name)
                return f"${names.index(name) + 1}"

            self._positional = (_PARAM.sub(number, self.text), tuple(names))
        return self._positional

    def args(self, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
        text, names = self.positional()
        return text, [params[name] for name in names]

    def __repr__(self) -> str:
        return f"Sql({self.text!r})"


class SqlCache:
    """Dynamic statements (filter combinations) are built from a small finite set of shapes."""

    def __init__(self) -> None:
        self._cache: dict[str, Sql] = {}

    def get(self, text: str) -> Sql:
        sql = self._cache.get(text)
        if sql is None:
            sql = self._cache[text] = Sql(text)
        return sql


def one_of(column: str, values: tuple[str, ...]) -> str:
    """`column IN ('a', 'b')` with literals from a fixed vocabulary (never from a request), so a
    generic plan can still match a partial index and a CHECK reads as it was written."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"
