"""Hooks for the schemathesis run against the service's own document (named in
`schemathesis.toml`).

- A cursor is an HMAC-signed token: a string of the documented shape is valid input, but only
  the cursors the service signed lead anywhere. A generated cursor of that shape is swapped for
  a real one, so "the document says valid" and "the service accepts" mean the same thing.
- Generated ids would only ever meet 404: the test creates a session and a call and names them
  in `LIVE_ST_SESSION_ID` / `LIVE_ST_CALL_ID`; every request is sent to those.
- Two rules join two parameters, which OpenAPI cannot state (SPEC §4: `host_id` and
  `host_user_id` are one filter, `upcoming` and `upcoming_only` too; differing values are 400):
  the second of each pair is made to agree with the first.
- A webhook `url` of the documented shape is valid input, but the service also resolves its
  host and refuses private or unresolvable ones: generated URLs become one public address.
- A session created for another brand is a 403 and nothing more: valid `brand_id`s become the
  token's brand, so creates succeed and are then read, edited and joined.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import datetime
from typing import Any

import schemathesis
from hypothesis import strategies as st

from loop_live.platform.cursor import CursorCodec

_IDS = (("session_id", "LIVE_ST_SESSION_ID"), ("call_id", "LIVE_ST_CALL_ID"))
_IDS = (("session_id", "LIVE_ST_SESSION_ID"), ("call_id", "LIVE_ST_CALL_ID"))
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,512}\.[A-Za-z0-9_-]{16}$")


def _real_cursor() -> str:
    codec = CursorCodec(os.environ["LIVE_AUTH_SECRET"])
    return codec.encode(["2030-01-01T00:00:00+00:00", str(uuid.UUID(int=1))])


def _repair_query(query: dict[str, Any]) -> None:
    if isinstance(query.get("cursor"), str) and _SHAPE.search(query["cursor"]):
        query["cursor"] = _real_cursor()
    for first, second in (("host_id", "host_user_id"), ("upcoming", "upcoming_only")):
        if first in query and second in query:
            query[second] = query[first]


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    query = case.query
    if isinstance(query, dict):
        _repair_query(query)
    path = case.path_parameters
    if isinstance(path, dict):
        for name, variable in _IDS:
            if name in path and os.environ.get(variable):
                path[name] = os.environ[variable]
    body = case.body
    if isinstance(body, dict):
        _repair_body(body)


def _repair_body(body: dict[str, Any]) -> None:
    if isinstance(body.get("url"), str):  # only outbound webhook bodies have a `url`
        body["url"] = "https://93.184.215.14/hooks"
    brand = body.get("brand_id")
    if isinstance(brand, str) and 1 <= len(brand) <= 64:
        body["brand_id"] = os.environ.get("LIVE_ST_BRAND", brand)
    # An RFC 5545 rule and an IANA zone name have no JSON Schema: a string of the documented
    # length becomes a rule and a zone the service knows (their refusals: tests/series).
    if isinstance(body.get("rrule"), str) and 1 <= len(body["rrule"]) <= 500:
        body["rrule"] = "FREQ=WEEKLY;COUNT=3"
    if isinstance(body.get("timezone"), str) and 1 <= len(body["timezone"]) <= 64:
        body["timezone"] = "Europe/Berlin"


# JSON Schema has no keyword for a range of instants: the service's document states years 2000
# to 2100 as a pattern on the year. Generating from that pattern would almost never give an
# RFC 3339 string, so for that document date-times are drawn from the range directly. The
# published contract states no range: its run draws from every year.
_INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 2), max_value=datetime(2100, 12, 30), timezones=st.timezones()
)
if os.environ.get("LIVE_ST_INSTANTS") == "documented":
    schemathesis.openapi.format("date-time", _INSTANTS.map(lambda at: at.isoformat()))
