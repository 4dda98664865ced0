"""Fixtures shared by the platform tests."""

from __future__ import annotations

import pytest

from tests.support.identity_server import Clock


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)
