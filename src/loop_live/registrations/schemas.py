"""Registration bodies and the one registration shape both published views share."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

import msgspec
from msgspec import Meta

from loop_live.registrations.vocabulary import RegistrationStatus, Role

# `\s` differs between Python and the ECMA regexes of JSON Schema (\x1c-\x1f, \x85, \ufeff), and
# Python's `$` also matches before a final newline: both are spelled out, so the document and
# the check agree on every string.
_PART = r"[^@\s\x1c-\x1f\x85\ufeff]+"
Email = Annotated[
    str, Meta(min_length=3, max_length=320, pattern=rf"^{_PART}@{_PART}\.{_PART}$(?!\n)")
]


class RegisterBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Exactly one of `patient_id` (a member) or `guest_email`."""

    exactly_one_of: ClassVar[tuple[str, ...]] = ("patient_id", "guest_email")
    patient_id: Annotated[str, Meta(min_length=1, max_length=128)] | None = None
    guest_email: Email | None = None
    role: Role = "participant"


class Registration(msgspec.Struct, kw_only=True):
    """`patient_id` (the /register view) and `user_id` (the /registrations view) are the same
    person; a guest registration has `user_id` "" and `patient_id` null."""

    id: str
    session_id: str
    user_id: str
    patient_id: str | None
    guest_email: str | None
    role: Role
    status: RegistrationStatus
    registered_at: datetime
    cancelled_at: datetime | None
    promoted_at: datetime | None


class RegistrationPage(msgspec.Struct, kw_only=True):
    registrations: list[Registration]
    total: int
    next_cursor: str | None
