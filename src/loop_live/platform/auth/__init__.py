"""Bearer tokens: who is calling, with which scopes, for which brand."""

from loop_live.platform.auth.principal import Principal

__all__ = ["Principal"]
