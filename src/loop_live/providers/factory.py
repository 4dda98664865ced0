"""Builds the configured provider; the providers import `base`, never this module."""

from __future__ import annotations

from loop_live.platform.settings import Settings
from loop_live.providers.base import VideoProvider
from loop_live.providers.getstream import GetStreamProvider
from loop_live.providers.local import LocalProvider


def build_provider(settings: Settings) -> VideoProvider:
    if settings.stream_provider == "getstream":
        return GetStreamProvider(settings)
    return LocalProvider(settings)
