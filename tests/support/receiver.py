"""A real HTTP receiver on a local socket (asyncio streams, HTTP/1.1, one request per
connection). The path picks the answer: /ok 200, /fail 500, /busy 429 with Retry-After: 120,
/gone 410, /slow never answers; /redirect 302 to /ok. Every request is recorded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

ANSWERS = {
    "/ok": (200, ""),
    "/fail": (500, ""),
    "/busy": (429, "Retry-After: 120\r\n"),
    "/gone": (410, ""),
    "/redirect": (302, "Location: /ok\r\n"),
}


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    port: int = 0
    requests: list[Received] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def to(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {
                k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Received(path, headers, body))
            if path == "/slow":
                await asyncio.sleep(3600)
            status, extra = ANSWERS.get(path, (404, ""))
            reply = f"HTTP/1.1 {status} X\r\n{extra}Content-Length: 0\r\nConnection: close\r\n"
            writer.write(reply.encode() + b"\r\n")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def receiving() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    receiver.port = server.sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        server.close()
