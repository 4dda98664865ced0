"""The storage interface the repositories use."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, Protocol

from loop_live.platform.db.sql import Sql

Dialect = Literal["postgresql", "sqlite"]


class Row(Protocol):
    def __getitem__(self, key: str | int, /) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...
    def keys(self) -> Iterable[str]: ...


Params = Mapping[str, Any]


class Connection(Protocol):
    dialect: Dialect
    row_lock: str  # appended to a SELECT that must hold its rows until commit

    async def fetch(self, sql: Sql, params: Params | None = None) -> Sequence[Row]: ...
    async def fetchrow(self, sql: Sql, params: Params | None = None) -> Row | None: ...
    async def fetchval(self, sql: Sql, params: Params | None = None) -> Any: ...
    async def execute(self, sql: Sql, params: Params | None = None) -> int: ...
    async def copy(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None: ...
    async def notify(self, channel: str, payload: str) -> None:
        """Announce `payload` to the channel's listeners once (and only if) this commits."""
        ...


class Database(Protocol):
    dialect: Dialect

    def read(self) -> AbstractAsyncContextManager[Connection]:
        """A connection for reads outside any write transaction."""
        ...

    def write(self) -> AbstractAsyncContextManager[Connection]:
        """A connection inside a transaction: committed on exit, rolled back on error."""
        ...

    def usage(self) -> tuple[int, int]:
        """(connections in use, connections the pool may hold), for the metrics."""
        ...

    async def ping(self) -> None: ...
    async def close(self) -> None: ...


async def returning(conn: Connection, sql: Sql, params: Params) -> Row:
    """The one row a write names in its RETURNING clause (it wrote it, so it is there)."""
    row = await conn.fetchrow(sql, params)
    if row is None:
        raise LookupError(f"{sql!r} returned no row")
    return row
