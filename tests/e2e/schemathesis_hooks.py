"""Hooks for the schemathesis runs (loaded through SCHEMATHESIS_HOOKS by the test that runs it).

A cursor is an HMAC-signed token: a string of the documented shape is valid input, but only
the cursors the service signed lead anywhere. A generated cursor of the right shape is swapped
for a real one, so "the document says valid" and "the service accepts" mean the same thing.
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

import schemathesis

from loop_live.platform.cursor import CursorCodec

_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,512}\.[A-Za-z0-9_-]{16}$")


def _real_cursor() -> str:
    codec = CursorCodec(os.environ["LIVE_AUTH_SECRET"])
    return codec.encode(["2030-01-01T00:00:00+00:00", str(uuid.UUID(int=1))])


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    query = case.query
    if isinstance(query, dict) and isinstance(query.get("cursor"), str):
        if _SHAPE.search(query["cursor"]):
            query["cursor"] = _real_cursor()
