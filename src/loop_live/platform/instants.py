"""The one range of instants the service accepts from clients and the provider (SPEC §11).

Python's datetime spans years 1-9999, SQLite stores years below 1000 in a form that does not
read back, and a start near 9999 overflows once a duration is added. Every instant that comes
in is therefore held to [EARLIEST, LATEST), far inside what both databases and datetime hold.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2101, 1, 1, tzinfo=UTC)
FIRST_YEAR, LAST_YEAR = EARLIEST.year, LATEST.year - 1
RANGE_TEXT = "from 2000-01-01T00:00:00Z up to, not including, 2101-01-01T00:00:00Z"

Instant = Annotated[
    datetime,
    Meta(
        tz=True,
        description=f"RFC 3339 with an explicit offset, {RANGE_TEXT}",
        extra_json_schema={"pattern": "^(20[0-9]{2}|2100)-"},
    ),
]


def in_range(value: datetime) -> bool:
    return EARLIEST <= value < LATEST


def check(field: str, value: datetime) -> None:
    """ValueError naming the field; msgspec turns it into a validation error."""
    if not in_range(value):
        raise ValueError(f"{field}: must lie {RANGE_TEXT}")


class Body(msgspec.Struct):
    """Base of request bodies: every datetime field holds an instant in the accepted range."""

    def __post_init__(self) -> None:
        for field in self.__struct_fields__:
            value: Any = getattr(self, field)
            if isinstance(value, datetime):
                check(field, value)
