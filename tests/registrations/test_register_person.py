"""POST /v1/sessions/{id}/register (SPEC §5): a named member (`patient_id`) or a guest."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from loop_live.platform.db import Database
from tests.support.auth import OTHER_BRAND, Tokens
from tests.support.contract import assert_matches
from tests.support.journal import journal
from tests.support.registrations import (
    REGISTER,
    close_session,
    register_person,
    register_self,
    statuses,
    unregister_self,
)
from tests.support.sessions import session_view

PATIENT = "patient-7c1f"
GUEST = "Guest.Person@example.org"


async def created(
    client: httpx.AsyncClient, headers: dict[str, str], session_id: str, **body: Any
) -> dict[str, Any]:
    response = await register_person(client, headers, session_id, **body)
    assert response.status_code == 201, response.text
    registration: dict[str, Any] = response.json()
    assert_matches(registration, REGISTER, 201)
    return registration


async def assert_refused(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    session_id: str,
    status: int,
    error: str,
    **body: Any,
) -> None:
    response = await register_person(client, headers, session_id, **body)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error


async def test_member_registers_themselves_as_a_participant_by_default(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session()
    registration = await created(client, tokens(PATIENT), session["id"], patient_id=PATIENT)
    assert registration["session_id"] == session["id"]
    assert (registration["patient_id"], registration["guest_email"]) == (PATIENT, None)
    assert (registration["role"], registration["status"]) == ("participant", "registered")
    view = await session_view(client, tokens, session["id"], viewer=PATIENT)
    assert (view["registered_count"], view["is_registered"]) == (1, True)


@pytest.mark.parametrize("role", ["host", "participant", "guest"])
async def test_host_registers_a_guest_with_any_published_role(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database, role: str
) -> None:
    session = await new_session()
    registration = await created(
        client, tokens("host-1"), session["id"], guest_email=GUEST, role=role
    )
    assert (registration["patient_id"], registration["guest_email"]) == (None, GUEST)
    assert registration["role"] == role
    assert await statuses(db, session["id"]) == {
        "registered": [GUEST], "waitlist": [], "cancelled": [],
    }  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"role": "participant"},
        {"patient_id": PATIENT, "guest_email": GUEST},
        {"guest_email": "not-an-email"},
        {"patient_id": ""},
        {"patient_id": PATIENT, "role": "moderator"},
        {"patient_id": PATIENT, "seat": 3},
    ],
    ids=["empty", "role-only", "both", "bad-email", "empty-patient", "bad-role", "unknown-field"],
)
async def test_malformed_body_is_a_validation_error_and_registers_nobody(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database, body: Any
) -> None:
    session = await new_session()
    before = await journal(db)
    await assert_refused(client, tokens.admin(), session["id"], 400, "validation_error", **body)
    assert (await session_view(client, tokens, session["id"]))["registered_count"] == 0
    assert await journal(db) == before


async def test_guest_emails_are_compared_case_insensitively(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database
) -> None:
    session = await new_session()
    await created(client, tokens("host-1"), session["id"], guest_email=GUEST)
    await assert_refused(
        client, tokens("host-1"), session["id"], 409, "already_registered",
        guest_email="guest.person@EXAMPLE.ORG",
    )  # fmt: skip
    assert (await statuses(db, session["id"]))["registered"] == [GUEST]


async def test_registering_a_patient_twice_is_a_conflict_even_while_waitlisted(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    session = await new_session(max_participants=1)
    await created(client, tokens(PATIENT), session["id"], patient_id=PATIENT)
    await assert_refused(
        client, tokens(PATIENT), session["id"], 409, "already_registered", patient_id=PATIENT
    )
    assert (await register_self(client, tokens("member-2"), session["id"])).status_code == 201
    await assert_refused(
        client, tokens.admin(), session["id"], 409, "already_registered", patient_id="member-2"
    )


async def test_a_cancelled_registration_does_not_block_registering_again(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database
) -> None:
    session = await new_session()
    first = await created(client, tokens(PATIENT), session["id"], patient_id=PATIENT)
    assert (await unregister_self(client, tokens(PATIENT), session["id"])).status_code == 200
    again = await created(client, tokens(PATIENT), session["id"], patient_id=PATIENT)
    assert again["id"] != first["id"]
    assert await statuses(db, session["id"]) == {
        "registered": [PATIENT], "waitlist": [], "cancelled": [PATIENT],
    }  # fmt: skip


async def test_full_session_refuses_with_at_capacity_and_waitlists_nobody(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database
) -> None:
    session = await new_session(max_participants=2)
    await created(client, tokens.admin(), session["id"], patient_id="member-1")
    await created(client, tokens.admin(), session["id"], guest_email=GUEST)
    await assert_refused(
        client, tokens.admin(), session["id"], 412, "at_capacity", patient_id=PATIENT
    )
    await assert_refused(
        client, tokens.admin(), session["id"], 412, "at_capacity", guest_email="late@example.org"
    )
    assert await statuses(db, session["id"]) == {
        "registered": ["member-1", GUEST], "waitlist": [], "cancelled": [],
    }  # fmt: skip
    assert (await session_view(client, tokens, session["id"]))["registered_count"] == 2


@pytest.mark.parametrize("status", ["cancelled", "ended"])
async def test_cancelled_or_ended_session_refuses_registration(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database, status: str
) -> None:
    session = await new_session()
    await close_session(client, tokens, db, session["id"], status)
    await assert_refused(
        client, tokens(PATIENT), session["id"], 412, "invalid_state", patient_id=PATIENT
    )
    assert (await statuses(db, session["id"]))["registered"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"patient_id": "member-2"},
        {"guest_email": GUEST},
        {"patient_id": "member-1", "role": "host"},
    ],
    ids=["another-member", "a-guest", "oneself-as-host"],
)
async def test_plain_member_may_register_only_themselves(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database, body: Any
) -> None:
    session = await new_session(co_host_ids=["cohost-1"])
    await assert_refused(client, tokens("member-1"), session["id"], 403, "forbidden", **body)
    assert await statuses(db, session["id"]) == {"registered": [], "waitlist": [], "cancelled": []}


@pytest.mark.parametrize(
    "caller",
    [("host-1",), ("cohost-1",), ("manager-1", "manage:live")],
    ids=["host", "co-host", "manage-live"],
)
async def test_host_co_host_or_manager_registers_someone_else(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, caller: tuple[str, ...]
) -> None:
    session = await new_session(co_host_ids=["cohost-1"])
    registration = await created(client, tokens(*caller), session["id"], patient_id="member-2")
    assert registration["patient_id"] == "member-2"
    view = await session_view(client, tokens, session["id"], viewer="member-2")
    assert (view["registered_count"], view["is_registered"]) == (1, True)


async def test_session_of_another_brand_or_unknown_is_not_found(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any
) -> None:
    other = await new_session(brand_id=OTHER_BRAND)
    for session_id in (other["id"], "3f1b0c4e-0000-4000-8000-000000000000", "not-a-uuid"):
        await assert_refused(
            client, tokens.admin(), session_id, 404, "not_found", patient_id=PATIENT
        )


async def test_registration_writes_one_audit_row_and_one_event_without_personal_data(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database
) -> None:
    session = await new_session()
    before = await journal(db)
    by_patient = await created(client, tokens(PATIENT), session["id"], patient_id=PATIENT)
    by_guest = await created(client, tokens("host-1"), session["id"], guest_email=GUEST)
    written = (await journal(db)).since(before)
    assert [(action, entity) for action, entity, _ in written.audit] == [
        ("registration.create", by_patient["id"]),
        ("registration.create", by_guest["id"]),
    ]
    assert written.events == [
        ("live.registration.created.v1", by_patient["id"]),
        ("live.registration.created.v1", by_guest["id"]),
    ]
    details = repr([details for _, _, details in written.audit]).lower()
    assert PATIENT not in details
    assert GUEST.lower() not in details


async def test_idempotency_key_replays_the_registration_without_a_second_row(
    client: httpx.AsyncClient, tokens: Tokens, new_session: Any, db: Database
) -> None:
    session = await new_session()
    keyed = {**tokens("host-1"), "Idempotency-Key": "register-guest-1"}
    first = await register_person(client, keyed, session["id"], guest_email=GUEST)
    before = await journal(db)
    retry = await register_person(client, keyed, session["id"], guest_email=GUEST)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert await journal(db) == before
    other = await register_person(client, keyed, session["id"], guest_email="other@example.org")
    assert other.status_code == 409
    assert other.json()["error"] == "idempotency_key_payload_mismatch"
    assert (await statuses(db, session["id"]))["registered"] == [GUEST]
