"""The words a registration's fields hold, defined once (schema types, filters, CHECKs)."""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["host", "participant", "guest"]
RegistrationStatus = Literal["registered", "waitlist", "cancelled"]
ROLES: tuple[str, ...] = get_args(Role)
STATUSES: tuple[str, ...] = get_args(RegistrationStatus)

CREATED = "live.registration.created.v1"
CANCELLED = "live.registration.cancelled.v1"
PROMOTED = "live.registration.promoted.v1"
