"""The repository carries its own copy of the published contract, so a clone stands alone; this
test keeps the copy identical to the steering folder's whenever that folder sits beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.contract import CONTRACT_DIR

PUBLISHED = CONTRACT_DIR.parents[1] / "shared" / "contract"


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_the_repository_carries_the_contract() -> None:
    files = _files(CONTRACT_DIR)
    assert "live-api.json" in files
    assert any(name.startswith("seeds/") for name in files)


def test_the_copy_matches_the_published_contract() -> None:
    if not PUBLISHED.is_dir():
        pytest.skip(
            f"no published contract beside the repository ({PUBLISHED}); nothing to compare"
        )
    assert _files(CONTRACT_DIR) == _files(PUBLISHED), (
        f"contract/ differs from the published contract: copy {PUBLISHED} over it again"
    )
