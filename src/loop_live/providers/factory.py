"""Builds the configured provider; the providers import `base`, never this module."""

from __future__ import annotations

from loop_live.platform.settings import Settings
from loop_live.providers.base import VideoProvider


def build_provider(settings: Settings) -> VideoProvider:
    # Imported here, not at the top: the GetStream provider's breaker creates its metrics on
    # import, and `serve` must set up the metrics directory before any metric exists.
    if settings.stream_provider == "getstream":
        from loop_live.providers.getstream import GetStreamProvider

        return GetStreamProvider(settings)
    from loop_live.providers.local import LocalProvider

    return LocalProvider(settings)
