"""A database that cannot serve a request within its bounds, whatever the driver called it.

The storage layer raises `DatabaseUnavailable`; `platform/errors.py` turns it into the 503.
`UnstorableValue` (a client's value the database refuses) becomes the 400.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import asyncpg

RETRY_AFTER_SECONDS = 1


@dataclass(frozen=True, slots=True)
class DatabaseLimits:
    """How long a request may wait on the database before it is answered 503."""

    acquire_timeout_seconds: float = 2.0  # a pool slot, the SQLite writer, a new connection
    statement_timeout_ms: int = 5_000  # 0: no limit (PostgreSQL's meaning)
    lock_timeout_ms: int = 2_000
    busy_timeout_ms: int = 2_000  # SQLite: another process holding the write lock


class DatabaseUnavailable(Exception):
    """Down, restarting, out of connections, or a lock/statement bound passed: retry later."""

    retry_after = RETRY_AFTER_SECONDS

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnstorableValue(Exception):
    """The database refused a value as data (a NUL byte in text, a number out of range): it came
    from what a client sent, so `platform/errors.py` answers it 400."""


# Every way asyncpg reports that the server is gone, refusing, shutting down or over a bound:
# class 08 (connection), 53 (resources), 57 (operator intervention, incl. statement timeout),
# 55P03 (lock timeout), 40P01 (deadlock: a retry succeeds), and the client-side failures.
_POSTGRES = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.LockNotAvailableError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # "another operation is in progress" on a connection cut mid-way
    OSError,
    TimeoutError,
)
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def postgres_unavailable(exc: BaseException | None) -> DatabaseUnavailable | None:
    """What asyncpg raised, as the 503 it means; None for every other exception."""
    return DatabaseUnavailable(_describe(exc)) if isinstance(exc, _POSTGRES) else None


def reusable_after(failure: BaseException | None) -> bool:
    """Whether a connection may serve the next request after a unit of work ended with
    `failure`. After a driver failure its protocol state is unknown; after a cancellation a
    query may still be running on it."""
    return not isinstance(failure, (asyncio.CancelledError, *_POSTGRES))


@contextmanager
def postgres_faults() -> Iterator[None]:
    try:
        yield
    except _POSTGRES as exc:
        raise DatabaseUnavailable(_describe(exc)) from exc


@contextmanager
def sqlite_faults() -> Iterator[None]:
    try:
        yield
    except TimeoutError as exc:
        raise DatabaseUnavailable("TimeoutError: waiting for a SQLite connection") from exc
    except sqlite3.OperationalError as exc:
        if not str(exc).startswith(_SQLITE_BUSY):
            raise
        raise DatabaseUnavailable(_describe(exc)) from exc
