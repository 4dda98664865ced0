"""The caller, as a verified token describes it, and the scope rules of SPEC §6."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from loop_live.platform.errors import Forbidden, InsufficientScope, InvalidToken, ValidationFailed

READ, WRITE, MANAGE, ADMIN = "read:live", "write:live", "manage:live", "admin:live"
_IMPLIED_BY_MANAGE = frozenset({READ, WRITE, MANAGE})


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    scopes: frozenset[str]
    brand: str | None
    client_id: str | None = None

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Principal:
        subject = claims.get("sub")
        brand = claims.get("brand")
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("token has no subject")
        if brand is not None and (not isinstance(brand, str) or not brand):
            raise InvalidToken("token brand claim is not a string")
        client_id = claims.get("client_id")
        client = client_id if isinstance(client_id, str) and client_id else None
        return cls(subject, frozenset(_scopes(claims)), brand, client)

    def allows(self, scope: str) -> bool:
        if "admin:*" in self.scopes or scope in self.scopes:
            return True
        return scope in _IMPLIED_BY_MANAGE and MANAGE in self.scopes

    def require(self, scope: str) -> None:
        if not self.allows(scope):
            raise InsufficientScope(f"this call needs the {scope} scope", required=scope)

    @property
    def rate_limit_client(self) -> str:
        """Whose budget a request spends: the token's `client_id`, else its subject."""
        return self.client_id or self.subject

    @property
    def manages(self) -> bool:
        return self.allows(MANAGE)

    def brand_for(self, requested: str | None) -> str:
        """The brand a request acts on: the token's own, or the one a service token names."""
        if self.brand is not None:
            if requested is not None and requested != self.brand:
                raise Forbidden("this token cannot act on another brand")
            return self.brand
        if not requested:
            raise ValidationFailed(
                "brand_id is required: name it with the X-Brand-Id header or brand_id",
                parameter="brand_id",
            )
        if "\x00" in requested:  # PostgreSQL text cannot hold NUL: a 500 in the driver
            raise ValidationFailed("brand_id: must not contain NUL", parameter="brand_id")
        return requested


def _scopes(claims: Mapping[str, Any]) -> Iterable[str]:
    raw = claims.get("scope", claims.get("scp", ""))
    if isinstance(raw, str):
        return raw.split()
    if isinstance(raw, list) and all(isinstance(s, str) for s in raw):
        return raw
    raise InvalidToken("token scope claim is malformed")
