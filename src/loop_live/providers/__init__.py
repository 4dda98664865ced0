"""Video providers behind one small interface: GetStream for production, `local` offline."""

from loop_live.providers.base import CallState, VideoProvider
from loop_live.providers.factory import build_provider

__all__ = ["CallState", "VideoProvider", "build_provider"]
