"""The error envelope `{"error": code, "message": text}` every refusal comes in."""

from __future__ import annotations

from typing import Any

import httpx


def assert_envelope(response: httpx.Response, status: int, code: str) -> str:
    """Check the error envelope, served as JSON, and return its message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    return str(body["message"])


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The contract's error envelope `{error, message}` (extra fields allowed), with this code."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == code, body
    assert isinstance(body["message"], str)
    assert body["message"]
    return body
