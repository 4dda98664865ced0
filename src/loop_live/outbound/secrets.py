"""Signing secrets: made, shown once, and kept encrypted (AES-256-GCM) so a dump alone reveals none.

The key is derived from LIVE_WEBHOOKS_SECRET_KEY; the subscription id is the associated data,
so a ciphertext copied onto another subscription does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "whsec_"
_VERSION = "v1:"
_NONCE = 12


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes, the Standard Webhooks form."""
    return PREFIX + base64.b64encode(os.urandom(32)).decode()


def key_bytes(secret: str) -> bytes:
    """The HMAC key a secret stands for: its base64 part, decoded."""
    return base64.b64decode(secret.removeprefix(PREFIX))


class SecretBox:
    def __init__(self, setting: str) -> None:
        key = hashlib.sha256(b"loop-live webhook secrets\0" + setting.encode()).digest()
        self._aead = AESGCM(key)

    def seal(self, secret: str, subscription_id: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, secret.encode(), subscription_id.encode())
        return _VERSION + base64.b64encode(nonce + sealed).decode()

    def open(self, stored: str, subscription_id: str) -> str:
        raw = base64.b64decode(stored.removeprefix(_VERSION))
        plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], subscription_id.encode())
        return plain.decode()
