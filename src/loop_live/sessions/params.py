"""The list endpoints' query parameters as the OpenAPI document states them.

Each constraint here is the rule `listing` applies, spelled as a pattern or a range, so that
a value the document calls valid is never refused with 400 and the reverse.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import available_timezones

from litestar.params import QueryParameter

from loop_live.platform.paging import Cursor, Limit
from loop_live.sessions.listing import KINDS, STATUSES


def _one_of(values: tuple[str, ...]) -> str:
    return f"({'|'.join(values)})"


_STATUS = _one_of(STATUSES)
# Spaces around the commas are allowed: the service strips them.
STATUS_LIST = rf"^ *{_STATUS} *(, *{_STATUS} *)*$"
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL

Text = Annotated[str | None, QueryParameter(pattern=NO_NUL)]
Statuses = Annotated[
    str | None,
    QueryParameter(pattern=STATUS_LIST, description="One status or a comma-separated list."),
]
Kind = Annotated[str | None, QueryParameter(pattern=f"^{_one_of(KINDS)}$")]
Flag = Annotated[
    str | None,
    QueryParameter(
        pattern="^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|1|0)$",
        description="A boolean: true, false, 1 or 0 (any case).",
    ),
]
Month = Annotated[
    str | None,
    QueryParameter(
        pattern=r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$",
        description="YYYY-MM, years 2000 to 2100: the calendar month in UTC, or in `tz`.",
    ),
]
Zone = Annotated[
    str | None,
    QueryParameter(
        description="An IANA time zone name that shifts the `month` boundaries.",
        schema_extra={"enum": sorted(available_timezones())},
    ),
]

__all__ = ["Cursor", "Flag", "Kind", "Limit", "Month", "Statuses", "Text", "Zone"]
