"""The documented shapes are the real shapes, and each vocabulary is spelled once.

The response structs only document: the JSON comes from the repositories' column lists. These
tests fail when one changes without the other, or when a migration and a vocabulary disagree.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import msgspec
import pytest

from loop_live.calls import repository as calls
from loop_live.calls import vocabulary as call_words
from loop_live.calls.schemas import Call
from loop_live.platform.db import schema
from loop_live.platform.db.sql import one_of
from loop_live.registrations import repository as registrations
from loop_live.registrations import vocabulary as registration_words
from loop_live.registrations.schemas import Registration
from loop_live.sessions import repository as sessions
from loop_live.sessions import vocabulary as session_words
from loop_live.sessions.schemas import AdminSessionPatch, Session

MIGRATIONS = Path(schema.__file__).resolve().parents[2] / "migrations" / "versions"


def _fields(struct: type[msgspec.Struct]) -> set[str]:
    return {field.name for field in msgspec.structs.fields(struct)}


def test_the_session_struct_documents_exactly_the_selected_columns() -> None:
    assert _fields(Session) == set(sessions.OUT_COLUMNS)


def test_the_call_struct_documents_exactly_the_selected_columns() -> None:
    assert _fields(Call) == set(calls.COLUMNS)


def test_the_registration_struct_documents_the_columns_plus_patient_id() -> None:
    # `patient_id` is the /register view's name for `user_id` (SPEC §2): one column, two keys.
    assert _fields(Registration) == {*registrations.COLUMNS, "patient_id"}


def test_the_registration_mapper_emits_exactly_the_documented_fields() -> None:
    row = dict.fromkeys(registrations.COLUMNS)
    assert set(registrations.registration_json(row)) == _fields(Registration)  # type: ignore[arg-type]


def _check(table: str, name: str) -> str:
    for constraint in schema.metadata.tables[table].constraints:
        if constraint.name == f"ck_{table}_{name}":
            return str(constraint.sqltext)  # type: ignore[attr-defined]
    raise AssertionError(f"{table} has no CHECK named {name}")


@pytest.mark.parametrize(
    ("table", "column", "words"),
    [
        ("sessions", "status", session_words.STATUSES),
        ("sessions", "kind", session_words.KINDS),
        ("registrations", "status", registration_words.STATUSES),
        ("registrations", "role", registration_words.ROLES),
        ("calls", "status", call_words.STATUSES),
    ],
)
def test_checks_and_migrations_allow_exactly_the_vocabulary(
    table: str, column: str, words: tuple[str, ...]
) -> None:
    expected = one_of(column, words)
    assert _check(table, column) == expected
    history = " ".join(p.read_text() for p in sorted(MIGRATIONS.glob("*.py")))
    assert expected in re.sub(r'"\s+"', "", history), f"no migration creates {expected}"


def test_the_open_statuses_are_statuses_and_admins_set_only_those_they_may() -> None:
    assert set(session_words.OPEN_STATUSES) < set(session_words.STATUSES)
    admin_status = msgspec.structs.fields(AdminSessionPatch)
    allowed = next(f for f in admin_status if f.name == "status").type
    assert set(get_args(get_args(allowed)[0])) <= set(session_words.STATUSES)
