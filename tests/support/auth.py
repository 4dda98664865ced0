"""Who calls: the dev-token secret and brands the suite uses, and tokens minted the way
`loop-live token` mints them."""

from __future__ import annotations

from dataclasses import dataclass

from loop_live.platform.auth.verifiers import mint_dev_token

AUTH_SECRET = "test-auth-secret-0123456789abcdef-xyz"
BRAND = "brand-a"
OTHER_BRAND = "brand-b"
ALL_SCOPES = ("read:live", "write:live", "manage:live", "admin:live")


@dataclass(frozen=True)
class Tokens:
    secret: str = AUTH_SECRET

    def __call__(
        self,
        sub: str = "member-1",
        *scopes: str,
        brand: str | None = BRAND,
        ttl: int = 3600,
    ) -> dict[str, str]:
        """Authorization headers for `sub` with `scopes` (read+write when none are named)."""
        granted = list(scopes) or ["read:live", "write:live"]
        return {"Authorization": f"Bearer {mint_dev_token(self.secret, sub, granted, brand, ttl)}"}

    def admin(self, sub: str = "admin-1", brand: str | None = BRAND) -> dict[str, str]:
        return self(sub, *ALL_SCOPES, brand=brand)


TOKENS = Tokens()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
