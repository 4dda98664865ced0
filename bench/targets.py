"""What `make bench` measures: the anchors, and the session lists (a member's and the admin's),
each as a first page and a page deep in the keyset."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import httpx

from data import connection
from load import Requests
from loop_live.platform.cursor import CursorCodec
from loop_live.platform.db import Sql
from loop_live.sessions import listing
from plans import BRAND, PAGE, VIEWER, captured

LIST_PATH, ADMIN_LIST_PATH = "/v1/live/sessions", "/v1/admin/sessions"
ADMIN = "bench-admin"
DEEP_FRACTION = 0.8  # how far into the keyset the deep page starts


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    params: listing.ListParams | None = None  # the list query behind it, for EXPLAIN
    deep_of: str | None = None  # the first-page target a deep page must keep up with
    requests: Requests | None = None  # what wrk sends instead of GET path (the writes)
    server: str = "loop-live"  # or "hello": which server answers it
    kind: str = "anchor"  # anchor, list or write: which checks apply


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- the page a deep cursor points at ------------------------------------------------------


async def position(
    url: str, params: listing.ListParams, codec: CursorCodec
) -> tuple[int, int, str]:
    """The query's row count, and a cursor DEEP_FRACTION of the way through (at offset)."""
    async with connection(url) as conn:
        statement = await captured(params, codec, conn.dialect)
        assert statement is not None, f"{params} sends no statement"
        page, values = statement
        values["limit"] = 2**62  # every row of the query, not one page
        total = int(await conn.fetchval(Sql(f"SELECT count(*) FROM ({page.text}) q"), values))
        offset = min(int(total * DEEP_FRACTION), total - 2 * PAGE - 1)  # room for two pages
        row = await conn.fetchrow(
            Sql(
                f"SELECT scheduled_at, id FROM ({page.text}) q"
                " ORDER BY scheduled_at, id LIMIT 1 OFFSET :bench_offset"
            ),
            {**values, "bench_offset": max(offset, 0)},
        )
    if row is None or offset < 0:
        raise SystemExit(f"{total} rows for {params}: too few for a deep page")
    at = row["scheduled_at"]
    at = at if isinstance(at, str) else at.isoformat()  # SQLite may leave the text as stored
    return offset, total, codec.encode([at, str(row["id"])])


# --- the lists -----------------------------------------------------------------------------


def _list_target(
    name: str, path: str, headers: dict[str, str], params: listing.ListParams, deep_of: str | None
) -> Target:
    query = {k: v for k, v in asdict(params).items() if v is not None}
    del query["brand"], query["viewer"]  # the token's; the other fields are query parameters
    return Target(name, f"{path}?{urlencode(query)}", headers, params, deep_of, kind="list")


def fetch(client: httpx.Client, target: Target) -> dict[str, Any]:
    response = client.get(target.path, headers=target.headers)
    if response.status_code != 200:
        raise SystemExit(
            f"{target.name}: {target.path} answered {response.status_code}: {response.text}"
        )
    body: dict[str, Any] = response.json()
    return body


def _pair(
    url: str,
    client: httpx.Client,
    codec: CursorCodec,
    label: str,
    path: str,
    headers: dict[str, str],
    params: listing.ListParams,
) -> list[Target]:
    """A first page, and a page walked from a cursor DEEP_FRACTION of the way through."""
    first = _list_target(f"{label}, first page", path, headers, params, None)
    offset, total, seed = asyncio.run(position(url, params, codec))
    # One page walked from the computed position: the cursor measured is one the server issued.
    seeded = _list_target("seed", path, headers, replace(params, cursor=seed), None)
    cursor = fetch(client, seeded)["next_cursor"]
    deep = f"{label}, page from row {offset + PAGE + 2:,} of {total:,}"
    return [first, _list_target(deep, path, headers, replace(params, cursor=cursor), first.name)]


def list_targets(
    url: str, client: httpx.Client, codec: CursorCodec, member: str, admin: str
) -> list[Target]:
    """A member's list (`is_registered` computed for the caller) on two filters, and the
    admin list of every session of the brand; `member` and `admin` are their tokens."""
    targets: list[Target] = []
    base = listing.ListParams(brand=BRAND, viewer=VIEWER, limit=PAGE)
    for label, params in (
        ("list upcoming", replace(base, upcoming="true")),
        ("list scheduled+fitness", replace(base, status="scheduled", category="fitness")),
    ):
        targets += _pair(url, client, codec, label, LIST_PATH, bearer(member), params)
    admin_params = replace(base, viewer=ADMIN)
    targets += _pair(url, client, codec, "admin list", ADMIN_LIST_PATH, bearer(admin), admin_params)
    return targets


def check_responses(client: httpx.Client, targets: Sequence[Target]) -> None:
    """Every read answers 200 once before wrk hammers it, and lists are not empty."""
    for target in targets:
        if target.requests is not None or target.server != "loop-live":
            continue
        body = fetch(client, target)
        if target.params is not None and not body.get("sessions"):
            raise SystemExit(f"{target.name}: {target.path} returned no sessions")
