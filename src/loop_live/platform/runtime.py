"""What the app holds for its lifetime: settings and the resources built from them."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from loop_live.platform.auth.verifiers import Verifier
from loop_live.platform.cursor import CursorCodec
from loop_live.platform.db import Database
from loop_live.platform.settings import Settings
from loop_live.providers import VideoProvider


@dataclass(slots=True)
class Runtime:
    settings: Settings
    db: Database
    http: httpx.AsyncClient
    verifier: Verifier
    cursors: CursorCodec
    provider: VideoProvider
