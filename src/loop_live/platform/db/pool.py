"""A lean pool of asyncpg connections.

asyncpg's own `Pool` spends ~110,000 instructions on an acquire and a release (a proxy object,
a shielded task, an inactivity timer and a timeout context per release): twice what the list's
query itself costs. Here an idle connection is handed over with a deque pop and taken back with
an append. A connection that may be in an unknown state is closed, never handed on.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

import asyncpg

Connect = Callable[[], Awaitable[asyncpg.Connection]]


class Pool:
    """Up to `size` connections, opened on demand; a caller waits at most `timeout` seconds
    for one to be free (`TimeoutError`), and opening one is bounded by `connect` itself."""

    def __init__(self, connect: Connect, size: int, timeout: float) -> None:
        self._connect, self._size, self._timeout = connect, size, timeout
        self._idle: deque[asyncpg.Connection] = deque()
        # Woken with a connection handed over, or with None: a slot was freed, open one.
        self._waiters: deque[asyncio.Future[asyncpg.Connection | None]] = deque()
        self._opened = 0  # open, or being opened
        self.in_use = 0
        self._closing = False

    @property
    def size(self) -> int:
        return self._size

    async def open_one(self) -> None:
        """Open a first connection now, so that a wrong address fails at start-up."""
        self.release(await self.acquire())

    async def acquire(self) -> asyncpg.Connection:
        while True:
            conn = await self._take()
            if conn is not None:
                self.in_use += 1
                return conn

    async def _take(self) -> asyncpg.Connection | None:
        if self._closing:
            raise asyncpg.InterfaceError("the pool is closing")
        while self._idle:
            conn = self._idle.pop()  # the most recently used: its pages are warm
            if not conn.is_closed():
                return conn
            self._opened -= 1
        if self._opened < self._size:
            return await self._open()
        return await self._wait()

    async def _open(self) -> asyncpg.Connection:
        self._opened += 1
        try:
            return await self._connect()
        except BaseException:
            self._forget()
            raise

    async def _wait(self) -> asyncpg.Connection | None:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[asyncpg.Connection | None] = loop.create_future()
        self._waiters.append(waiter)
        # A timer that fails the waiter: cheaper than `asyncio.timeout`, which cancels the task.
        timer = loop.call_later(self._timeout, _expire, waiter)
        try:
            return await waiter
        except BaseException:
            self._give_up(waiter)
            raise
        finally:
            timer.cancel()

    def _give_up(self, waiter: asyncio.Future[asyncpg.Connection | None]) -> None:
        """A waiter left by timeout or cancellation stays queued, done: it is skipped."""
        if waiter.cancelled() or waiter.exception() is not None:
            return
        conn = waiter.result()
        if conn is not None:
            self._hand_back(conn)  # handed over just as the wait was given up
        else:
            self._wake_one()  # the slot freed for this waiter goes to the next

    def release(self, conn: asyncpg.Connection, *, reusable: bool = True) -> None:
        """Take a connection back; one that is not `reusable` (a query may still be running on
        it, its protocol state is unknown) or is mid-transaction is closed instead."""
        self.in_use -= 1
        if reusable and not self._closing and not conn.is_in_transaction():
            self._hand_back(conn)
            return
        conn.terminate()
        self._forget()

    def _hand_back(self, conn: asyncpg.Connection) -> None:
        if conn.is_closed():
            self._forget()
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self._idle.append(conn)

    def _forget(self) -> None:
        self._opened -= 1
        self._wake_one()

    def _wake_one(self) -> None:
        """A slot is free: the first waiter opens a connection for itself."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def close(self) -> None:
        """Close the idle connections now and every other one as it comes back."""
        self._closing = True
        idle, self._idle = list(self._idle), deque()
        self._opened -= len(idle)
        closing = (conn.close(timeout=self._timeout) for conn in idle)
        await asyncio.gather(*closing, return_exceptions=True)
        for waiter in self._waiters:
            waiter.cancel()


def _expire(waiter: asyncio.Future[asyncpg.Connection | None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError("no database connection was free in time"))
