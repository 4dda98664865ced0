"""EXPLAIN (ANALYZE, BUFFERS) of every list query the repository builds, and what a good plan
reads: an index, no sort, a page's worth of sessions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import asyncpg

from loop_live.platform.clock import utcnow
from loop_live.platform.cursor import CursorCodec
from loop_live.platform.db import DatabaseLimits, Row, Sql
from loop_live.platform.db.database import Dialect, Params
from loop_live.platform.db.postgres import PostgresDatabase
from loop_live.sessions import listing
from loop_live.sessions import repository as repo

BRAND, VIEWER, PAGE = "loop-health", "bench-member", 20
READ_LIMIT = 2_000  # session rows a plan may visit for one page before it counts as a scan


@dataclass(frozen=True)
class Check:
    name: str
    problem: str | None  # None: passed
    binding: bool = True  # False: only ever a warning


# --- the list statements, exactly as the repository builds them -----------------------------


class _Capture:
    """A Connection that records the statement `repository.page` would run."""

    dialect: Dialect = "postgresql"
    row_lock = " FOR UPDATE"

    def __init__(self) -> None:
        self.sql: tuple[Sql, dict[str, Any]] | None = None

    async def fetch(self, sql: Sql, params: Params | None = None) -> Sequence[Row]:
        self.sql = (sql, dict(params or {}))
        return []

    async def fetchrow(self, sql: Sql, params: Params | None = None) -> Row | None:
        raise NotImplementedError

    async def fetchval(self, sql: Sql, params: Params | None = None) -> Any:
        raise NotImplementedError

    async def execute(self, sql: Sql, params: Params | None = None) -> int:
        raise NotImplementedError

    async def copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError


async def list_statement(
    params: listing.ListParams, codec: CursorCodec, **overrides: Any
) -> tuple[str, list[Any]]:
    """The page query's asyncpg text and arguments (`limit=None` drops the LIMIT)."""
    capture = _Capture()
    await repo.page(capture, listing.build_query(params, codec, utcnow()))
    assert capture.sql is not None
    sql, values = capture.sql
    return sql.args({**values, **overrides})


@asynccontextmanager
async def server_like(url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection opened as the server opens its own (plan cache mode, JIT, time zone)."""
    db = await PostgresDatabase.open(url, 1, DatabaseLimits())
    try:
        async with db.read() as conn:
            yield conn.raw
    finally:
        await db.close()


# --- EXPLAIN ------------------------------------------------------------------------------


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text.replace("'", "''") + "'"


async def explain(url: str, params: listing.ListParams, codec: CursorCodec) -> dict[str, Any]:
    """Plans of the page query: `custom` (planned for these values, as EXPLAIN does) and
    `generic` (what a prepared statement runs under plan_cache_mode=force_generic_plan)."""
    text, args = await list_statement(params, codec)
    analyze = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "
    async with server_like(url) as conn:
        custom = await conn.fetchval(analyze + text, *args)
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        await conn.execute(f"PREPARE bench_page AS {text}")
        execute = f"EXECUTE bench_page({', '.join(_literal(a) for a in args)})"
        generic = await conn.fetchval(analyze + execute)
    return {"custom": json.loads(custom)[0], "generic": json.loads(generic)[0]}


async def server_settings(url: str) -> str:
    async with server_like(url) as conn:
        rows = await conn.fetch(
            "SELECT name, setting FROM pg_settings WHERE name = ANY($1::text[]) ORDER BY name",
            ["plan_cache_mode", "jit", "shared_buffers", "work_mem"],
        )
    return ", ".join(f"{r['name']}={r['setting']}" for r in rows)


def _kids(node: dict[str, Any]) -> list[dict[str, Any]]:
    kids: list[dict[str, Any]] = node.get("Plans", [])
    return kids


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in _kids(node):
        yield from _nodes(child)


def plan_problem(plan: dict[str, Any]) -> str | None:
    """Why a plan is not the one we want (None: every table read through an index, no sort)."""
    if "JIT" in plan:
        return f"JIT compiles {plan['JIT'].get('Functions')} functions per execution"
    for node in _nodes(plan["Plan"]):
        kind = node["Node Type"]
        sorted_rows = sum(c.get("Actual Rows", 0) * c.get("Actual Loops", 1) for c in _kids(node))
        if "Sort" in kind and sorted_rows > PAGE + 1:  # re-sorting one page is harmless
            return f"{kind} of {sorted_rows} rows on {node.get('Sort Key')}"
        if "Relation Name" in node and "Index" not in kind:
            return f"{kind} on {node['Relation Name']}"
    if (read := rows_read(plan)) > READ_LIMIT:
        return f"reads {read:,} sessions for one page"
    return None


def rows_read(plan: dict[str, Any]) -> int:
    """Session rows the scans visited: the page, and whatever their filters threw away."""
    return sum(
        (n.get("Actual Rows", 0) + n.get("Rows Removed by Filter", 0)) * n.get("Actual Loops", 1)
        for n in _nodes(plan["Plan"])
        if n.get("Relation Name") == "sessions"
    )


def render_plan(node: dict[str, Any], depth: int = 0) -> Iterator[str]:
    pad = "    " + "  " * depth
    label = node["Node Type"]
    if "Index Name" in node:
        label += f" using {node['Index Name']}"
    if "Relation Name" in node:
        label += f" on {node['Relation Name']}"
    yield (
        f"{pad}{label}  rows={node.get('Actual Rows')} loops={node.get('Actual Loops')}"
        f" time={node.get('Actual Total Time')} ms buffers hit={node.get('Shared Hit Blocks')}"
        f" read={node.get('Shared Read Blocks')}"
    )
    for key in ("Index Cond", "Filter", "Rows Removed by Filter", "Heap Fetches"):
        if key in node:
            yield f"{pad}    {key}: {node[key]}"
    for child in _kids(node):
        yield from render_plan(child, depth + 1)


def summarize_plan(plan: dict[str, Any]) -> str:
    indexes = sorted({n["Index Name"] for n in _nodes(plan["Plan"]) if "Index Name" in n})
    return (
        f"{', '.join(indexes) or 'no index'}; {plan_problem(plan) or 'no sort'};"
        f" {rows_read(plan):,} sessions read;"
        f" {plan['Planning Time']:.2f} ms planning + {plan['Execution Time']:.2f} ms execution,"
        f" {plan['Plan'].get('Shared Hit Blocks', 0)} buffers hit"
    )


def plan_shapes(
    measured: Sequence[tuple[str, listing.ListParams]],
) -> list[tuple[str, listing.ListParams, bool]]:
    """The measured list queries (binding), and other filters whose plans only warn."""
    base = listing.ListParams(brand=BRAND, viewer=VIEWER, limit=PAGE)
    others = {
        "no filter": base,
        "kind": replace(base, kind="office_hours"),
        "two statuses": replace(base, status="scheduled,live"),
        "host, upcoming": replace(base, host_id="host-007", upcoming="true"),
        "community, upcoming": replace(base, community_id="community-03", upcoming="true"),
        "month": replace(base, month=utcnow().strftime("%Y-%m"), tz="Europe/Paris"),
    }
    return [(name, params, True) for name, params in measured] + [
        (f"(plan only) list, {k}", v, False) for k, v in others.items()
    ]


def print_plans(
    url: str, shapes: Sequence[tuple[str, listing.ListParams, bool]], codec: CursorCodec, full: bool
) -> list[Check]:
    """EXPLAIN (ANALYZE, BUFFERS) each list query, and check what each plan reads."""
    checks: list[Check] = []
    print(f"\nquery plans (EXPLAIN ANALYZE, BUFFERS; {asyncio.run(server_settings(url))}):")
    for name, params, binding in shapes:
        for mode, plan in asyncio.run(explain(url, params, codec)).items():
            print(f"  {name} [{mode}]: {summarize_plan(plan)}")
            if full:
                print("\n".join(render_plan(plan["Plan"])))
            title = f"{name} [{mode}] reads an index, no sort, few rows"
            checks.append(Check(title, plan_problem(plan), binding))
    return checks
