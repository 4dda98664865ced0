"""The plan of every list query the repository builds, and what a good plan reads: an index, no
sort, at most two pages' worth of sessions (READ_LIMIT). PostgreSQL: EXPLAIN (ANALYZE, BUFFERS),
custom and generic. SQLite: EXPLAIN QUERY PLAN, on a connection opened as the server opens its
own, and a count of the index entries the page walked (`sqlite_rows_read`)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from loop_live.platform.clock import utcnow
from loop_live.platform.cursor import CursorCodec
from loop_live.platform.db import DatabaseLimits, Row, Sql
from loop_live.platform.db.database import Dialect, Params
from loop_live.platform.db.postgres import PostgresDatabase
from loop_live.platform.db.sqlite import SqliteDatabase
from loop_live.sessions import listing
from loop_live.sessions import repository as repo
from loop_live.sessions.vocabulary import KINDS, STATUSES

BRAND, VIEWER, PAGE = "loop-health", "bench-member", 20
PLAN_ONLY = "(plan only) "  # a filter combination checked by its plan, not measured by wrk
READ_LIMIT = 2 * PAGE  # session rows a first page may visit (issue 11: at most 2 x limit)


@dataclass(frozen=True)
class Check:
    name: str
    problem: str | None  # None: passed
    binding: bool = True  # False: only ever a warning


# --- the list statements, exactly as the repository builds them -----------------------------


class _Capture:
    """Stands in for a connection to catch the statement `repository.page` would run."""

    row_lock = ""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.sql: tuple[Sql, dict[str, Any]] | None = None

    async def fetch(self, sql: Sql, params: Params | None = None) -> Sequence[Row]:
        self.sql = (sql, dict(params or {}))
        return []


async def captured(
    params: listing.ListParams, codec: CursorCodec, dialect: Dialect = "postgresql"
) -> tuple[Sql, dict[str, Any]] | None:
    """The statement `repository.page` runs for these parameters (None: it sends none)."""
    capture = _Capture(dialect)
    await repo.page(capture, listing.build_query(params, codec, utcnow()))
    return capture.sql


async def list_statement(
    params: listing.ListParams, codec: CursorCodec, **overrides: Any
) -> tuple[str, list[Any]]:
    """The page query's asyncpg text and arguments (`limit=None` drops the LIMIT)."""
    statement = await captured(params, codec)
    assert statement is not None, f"{params} sends no statement"
    sql, values = statement
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
    `generic` (what a prepared statement runs under plan_cache_mode=force_generic_plan);
    none when the repository answers without a statement (contradictory filters)."""
    if await captured(params, codec) is None:
        return {}
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


def filter_shapes() -> dict[str, listing.ListParams]:
    """Every filter the seed allows on its own, and each of them with `upcoming`."""
    base = listing.ListParams(brand=BRAND, viewer=VIEWER, limit=PAGE)
    alone = {
        "host": replace(base, host_id="host-007"),
        "community": replace(base, community_id="community-03"),
        **{f"status {s}": replace(base, status=s) for s in STATUSES},
        "statuses scheduled,live": replace(base, status="scheduled,live"),
        "statuses ended,cancelled": replace(base, status="ended,cancelled"),
        **{f"kind {k}": replace(base, kind=k) for k in KINDS},
        "category": replace(base, category="sleep"),
        "month": replace(base, month=utcnow().strftime("%Y-%m"), tz="Europe/Paris"),
    }
    upcoming = {f"{k}, upcoming": replace(v, upcoming="true") for k, v in alone.items()}
    return {"no filter": base, "upcoming": replace(base, upcoming="true"), **alone, **upcoming}


def _binds(name: str, mode: str) -> bool:
    """The service plans generically (plan_cache_mode=force_generic_plan): for the filter
    combinations only that plan binds. A custom plan (what EXPLAIN in psql shows) of
    `status=scheduled` is a cost tie, within 0.5%, between the status index and the smaller
    partial index of open sessions, which begins with every live session (decisions.md)."""
    return mode == "generic" or not name.startswith(PLAN_ONLY)


def plan_shapes(
    measured: Sequence[tuple[str, listing.ListParams]],
) -> list[tuple[str, listing.ListParams, bool]]:
    """Every filter alone and with upcoming (binding: issue 11's rule), and the measured list
    queries (binding when the rule covers their shape; scheduled+fitness, two filters, only
    warns: it reads the live fitness sessions at the head of the open-sessions index)."""
    return [(name, params, _covered(params)) for name, params in measured] + [
        (f"{PLAN_ONLY}list, {k}", v, True) for k, v in filter_shapes().items()
    ]


def _covered(params: listing.ListParams) -> bool:
    filters = (params.status, params.kind, params.category, params.host_id, params.community_id)
    return sum(value is not None for value in (*filters, params.month)) <= 1


def print_plans(
    url: str, shapes: Sequence[tuple[str, listing.ListParams, bool]], codec: CursorCodec, full: bool
) -> list[Check]:
    """Explain each list query on the database `url` names, and check what each plan reads."""
    if make_url(url).get_backend_name() == "sqlite":
        return asyncio.run(_sqlite_plans(url, shapes, codec, full))
    checks: list[Check] = []
    print(f"\nquery plans (EXPLAIN ANALYZE, BUFFERS; {asyncio.run(server_settings(url))}):")
    for name, params, binding in shapes:
        plans = asyncio.run(explain(url, params, codec))
        if not plans:
            print(f"  {name}: no statement (the filters contradict each other)")
            checks.append(Check(f"{name} answers without a statement", None, binding))
        for mode, plan in plans.items():
            print(f"  {name} [{mode}]: {summarize_plan(plan)}")
            if full:
                print("\n".join(render_plan(plan["Plan"])))
            title = f"{name} [{mode}] reads an index, no sort, few rows"
            checks.append(Check(title, plan_problem(plan), binding and _binds(name, mode)))
    return checks


# --- SQLite: EXPLAIN QUERY PLAN, and the index entries a page walked ----------------------

_SESSIONS_LOOP = re.compile(r"(SEARCH|SCAN) s( USING (COVERING )?INDEX (?P<index>\w+)( \(.*\))?)?$")
_COLUMN = re.compile(r"\bs\.(\w+)")


@dataclass(frozen=True)
class SqlitePlan:
    lines: list[tuple[int, int, str]]  # EXPLAIN QUERY PLAN: (id, parent, detail)
    index: str | None  # the index the sessions loop walks
    rows_read: int
    milliseconds: float

    @property
    def problem(self) -> str | None:
        inner = {i for i, _, detail in self.lines if detail in ("CO-ROUTINE s", "MATERIALIZE s")}
        for _, parent, detail in self.lines:
            # The page is cut in a subquery; re-sorting its rows outside is harmless.
            sorts = detail.startswith("USE TEMP B-TREE FOR") and "ORDER BY" in detail
            if sorts and (parent in inner or not inner):
                return "sorts the filtered sessions (USE TEMP B-TREE FOR ORDER BY)"
        if self.index is None:
            return "scans sessions without an index"
        if self.rows_read > READ_LIMIT:
            return f"reads {self.rows_read:,} sessions for one page"
        return None


def _sessions_loop(lines: list[tuple[int, int, str]]) -> re.Match[str] | None:
    """The loop over sessions that the page's LIMIT stops (inside the subquery, if any)."""
    inner = {i for i, _, detail in lines if detail in ("CO-ROUTINE s", "MATERIALIZE s")}
    for _, parent, detail in lines:
        if (match := _SESSIONS_LOOP.match(detail)) and (parent in inner or not inner):
            return match
    return None


async def sqlite_explain(
    url: str, params: listing.ListParams, codec: CursorCodec
) -> SqlitePlan | None:
    """The plan of the page query on a reader connection of the server's own kind, and how
    many sessions it read (None: the repository sends no statement)."""
    query = listing.build_query(params, codec, utcnow())
    statement = await captured(params, codec, "sqlite")
    if statement is None:
        return None
    sql, values = statement
    db = await SqliteDatabase.open(url, 1, DatabaseLimits())
    try:
        async with db.read() as conn:
            raw = conn.raw
            lines = [
                (int(r[0]), int(r[1]), str(r[3]))
                for r in await raw.execute_fetchall("EXPLAIN QUERY PLAN " + sql.text, values)
            ]
            started = time.perf_counter()
            await raw.execute_fetchall(sql.text, values)
            milliseconds = (time.perf_counter() - started) * 1000
            loop = _sessions_loop(lines)
            index = loop["index"] if loop else None
            read = await sqlite_rows_read(raw, query, index)
    finally:
        await db.close()
    return SqlitePlan(lines, index, read, milliseconds)


async def sqlite_rows_read(raw: Any, query: repo.ListQuery, index: str | None) -> int:
    """Session rows the page's loop reads: the entries of the index the plan walks that pass
    the WHERE terms on that index's own columns (SQLite checks those on the entry and defers
    the row's read until they pass) and a partial index's own condition, up to the page's last
    row, where LIMIT stops the walk. Each is one session row read and then kept or thrown away
    by the other terms: what PostgreSQL's `rows + Rows Removed by Filter` counts. SQLite has no
    per-loop counter in this build (no SQLITE_ENABLE_STMT_SCANSTATUS), so the count is taken
    with a second query on the same index; valid because the plan check already requires an
    index walk in keyset order."""
    where, values = repo._where(query)  # the terms as the repository writes them
    assert where is not None
    if index is None:  # a full scan reads every session of the table
        return int((await raw.execute_fetchall("SELECT count(*) FROM sessions"))[0][0])
    columns = {str(r[2]) for r in await raw.execute_fetchall(f"PRAGMA index_info({index})")}
    partial = repo.OPEN_SESSIONS if index.endswith("_open_time") else None  # its own WHERE
    ranged = [t for t in where if set(_COLUMN.findall(t)) <= columns or t == partial]
    keys = await raw.execute_fetchall(
        f"SELECT s.scheduled_at, s.id FROM sessions s WHERE {' AND '.join(where)}"
        " ORDER BY s.scheduled_at, s.id LIMIT :limit",
        values,
    )
    if len(keys) == query.limit:  # LIMIT stopped the walk at the page's last row
        ranged.append("(s.scheduled_at, s.id) <= (:last_at, :last_id)")
        values = {**values, "last_at": keys[-1][0], "last_id": keys[-1][1]}
    count = await raw.execute_fetchall(
        f"SELECT count(*) FROM sessions s INDEXED BY {index} WHERE {' AND '.join(ranged)}",
        values,
    )
    return int(count[0][0])


async def _sqlite_plans(
    url: str, shapes: Sequence[tuple[str, listing.ListParams, bool]], codec: CursorCodec, full: bool
) -> list[Check]:
    checks: list[Check] = []
    print("\nquery plans (SQLite EXPLAIN QUERY PLAN; sessions read = index entries walked):")
    for name, params, binding in shapes:
        plan = await sqlite_explain(url, params, codec)
        if plan is None:
            print(f"  {name}: no statement (the filters contradict each other)")
            checks.append(Check(f"{name} answers without a statement", None, binding))
            continue
        print(
            f"  {name}: {plan.index or 'no index'}; {plan.problem or 'no sort'};"
            f" {plan.rows_read:,} sessions read; {plan.milliseconds:.2f} ms"
        )
        if full:
            print(
                "\n".join(f"      {parent:>3} {i:>3} {detail}" for i, parent, detail in plan.lines)
            )
        checks.append(
            Check(f"{name} [sqlite] reads an index, no sort, few rows", plan.problem, binding)
        )
    return checks
