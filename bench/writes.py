"""The writes `make bench` measures, on sessions it creates for the run in a brand of its own
(so the demo data the lists read is never touched): members registering themselves, each
request a distinct member with a token of their own, and the admin editing a session."""

from __future__ import annotations

import itertools
import tempfile
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

import httpx

from data import connection
from load import Requests, lua_str
from loop_live.platform.auth.verifiers import mint_dev_token
from loop_live.platform.clock import utcnow
from loop_live.platform.db import Sql
from plans import Check
from targets import Target, bearer

BRAND = "bench-writes"  # not a demo brand: data.py does not count its sessions
SESSIONS, CAPACITY = 8, 100
# Tokens each registration run gets: more than the fastest run can spend at this rate.
MAX_RATE = 2_000  # requests per second
_seq = itertools.count()


def create_sessions(client: httpx.Client, token: str) -> list[str]:
    """SESSIONS fresh open sessions of CAPACITY seats, created through the API."""
    ids = []
    at = (utcnow() + timedelta(days=30)).isoformat()
    for n in range(SESSIONS):
        body = {
            "host_id": "bench-host",
            "brand_id": BRAND,
            "title": f"Bench session {n}",
            "scheduled_at": at,
            "max_participants": CAPACITY,
        }
        response = client.post("/v1/sessions", json=body, headers=bearer(token))
        if response.status_code != 201:
            raise SystemExit(f"creating a session answered {response.status_code}: {response.text}")
        ids.append(response.json()["id"])
    return ids


def _tokens(secret: str, count: int) -> str:
    """A file of `count` tokens of members never seen before, one a line, for one wrk run."""
    run = next(_seq)
    stamp = utcnow().strftime("%H%M%S")
    with tempfile.NamedTemporaryFile("w", prefix="bench-tokens-", delete=False) as f:
        for n in range(count):
            subject = f"bench-member-{stamp}-{run}-{n}"
            f.write(mint_dev_token(secret, subject, ["write:live"], BRAND, ttl=3600) + "\n")
    return f.name


_TOKEN_FILES: list[str] = []


def remove_token_files() -> None:
    for name in _TOKEN_FILES:
        Path(name).unlink(missing_ok=True)
    _TOKEN_FILES.clear()


def _lua_paths(paths: Sequence[str]) -> str:
    return "local paths = {" + ", ".join(lua_str(p) for p in paths) + "}\n"


def registration(secret: str, session_ids: Sequence[str]) -> Requests:
    """POST /v1/sessions/{id}/registrations by distinct members, round-robin over the
    sessions: each request is a real 201 (registered, or waitlisted once a session is full)."""

    def lua(seconds: float) -> str:
        name = _tokens(secret, int(MAX_RATE * (seconds + 1)))
        _TOKEN_FILES.append(name)
        return (
            _lua_paths([f"/v1/sessions/{s}/registrations" for s in session_ids])
            + "local tokens = {}\n"
            + "local n\n"
            + "function init(args)\n"
            + f"  for line in io.lines({lua_str(name)}) do tokens[#tokens + 1] = line end\n"
            + "  n = thread_index\n"
            + "end\n"
            + "function request()\n"
            + "  local i = n\n"
            + "  n = n + THREADS\n"
            # Past the last token the requests repeat (200s): counted as unexpected, a FAIL.
            + "  local token = tokens[i % #tokens + 1]\n"
            + "  local path = paths[i % #paths + 1]\n"
            + "  return wrk.format('POST', path, {Authorization = 'Bearer ' .. token})\n"
            + "end\n"
        )

    return Requests(lua, expect=201)


def admin_patch(token: str, session_ids: Sequence[str]) -> Requests:
    """PATCH /v1/admin/sessions/{id}, round-robin over the sessions, the title alternating
    between two values so that the requests keep changing the row."""

    def lua(seconds: float) -> str:
        return (
            _lua_paths([f"/v1/admin/sessions/{s}" for s in session_ids])
            + 'local bodies = {\'{"title":"Bench title A"}\', \'{"title":"Bench title B"}\'}\n'
            + "local n\n"
            + "function init(args) n = thread_index end\n"
            + "function request()\n"
            + "  local i = n\n"
            + "  n = n + THREADS\n"
            + "  local path = paths[i % #paths + 1]\n"
            + "  local body = bodies[math.floor(i / #paths) % 2 + 1]\n"
            + f"  local headers = {{Authorization = {lua_str('Bearer ' + token)},"
            + " ['Content-Type'] = 'application/json'}\n"
            + "  return wrk.format('PATCH', path, headers, body)\n"
            + "end\n"
        )

    return Requests(lua, expect=200)


def write_targets(
    client: httpx.Client, secret: str, mint: Callable[[str, list[str]], str]
) -> tuple[list[Target], list[str]]:
    """The two write targets, and the sessions they write to (for `capacity_checks`)."""
    session_ids = create_sessions(client, mint("bench-host", ["manage:live"]))
    admin = mint("bench-admin", ["admin:live"])
    return [
        Target(
            f"register self ({SESSIONS} sessions of {CAPACITY} seats)",
            f"/v1/sessions/{session_ids[0]}/registrations",
            requests=registration(secret, session_ids),
            kind="write",
        ),
        Target(
            f"admin PATCH title ({SESSIONS} sessions)",
            f"/v1/admin/sessions/{session_ids[0]}",
            requests=admin_patch(admin, session_ids),
            kind="write",
        ),
    ], session_ids


async def capacity_checks(url: str, session_ids: Sequence[str]) -> list[Check]:
    """Capacity held exactly: each session's counters match its registration rows, no more
    members registered than it has seats, and every seat taken before anyone waitlisted."""
    registered, waitlisted = (
        f"(SELECT count(*) FROM registrations r WHERE r.session_id = s.id AND r.status = '{w}')"
        for w in ("registered", "waitlist")
    )
    names = [f"s{n}" for n in range(len(session_ids))]
    sql = Sql(
        "SELECT s.id, s.max_participants, s.registered_count, s.waitlist_count,"
        f" {registered} AS registered, {waitlisted} AS waitlisted FROM sessions s"
        f" WHERE s.id IN ({', '.join(':' + n for n in names)}) ORDER BY s.id"
    )
    values = {name: uuid.UUID(s) for name, s in zip(names, session_ids, strict=True)}
    async with connection(url) as conn:
        rows = await conn.fetch(sql, values)
    checks = []
    for row in rows:
        problems = []
        if row["registered"] != row["registered_count"]:
            problems.append(f"registered_count {row['registered_count']} != {row['registered']}")
        if row["registered"] > row["max_participants"]:
            problems.append(f"{row['registered']} registered > {row['max_participants']} seats")
        if row["waitlisted"] != row["waitlist_count"]:
            problems.append(f"waitlist_count {row['waitlist_count']} != {row['waitlisted']} rows")
        if row["waitlisted"] and row["registered"] < row["max_participants"]:
            problems.append(f"{row['waitlisted']} waitlisted with seats free")
        name = (
            f"capacity held in session {str(row['id'])[:8]}: {row['registered']} registered"
            f" of {row['max_participants']}, {row['waitlisted']} waitlisted"
        )
        checks.append(Check(name, "; ".join(problems) or None))
    if len(rows) != len(session_ids):
        checks.append(Check("capacity: every write session found", f"{len(rows)} found"))
    return checks
