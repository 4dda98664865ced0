"""The words a call's fields hold, defined once (schema types, CHECKs)."""

from __future__ import annotations

from typing import Literal, get_args

CallStatus = Literal["scheduled", "live", "ended", "errored"]
STATUSES: tuple[str, ...] = get_args(CallStatus)
