"""The directory prometheus-client's multiprocess mode shares between `serve`'s workers.

Kept apart from `metrics`: prometheus-client picks file-backed values when it is first
imported, so the variable must be set before anything imports it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextlib.contextmanager
def multiprocess_dir() -> Iterator[Path]:
    """Around the server, before workers fork: PROMETHEUS_MULTIPROC_DIR (or a private temporary
    directory) emptied of a previous run's files, whose counters would add to this run's."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):  # only prometheus-client's files: the folder is yours
            stale.unlink()
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="loop-live-metrics-") as temporary:
        os.environ[MULTIPROC_ENV] = temporary
        yield Path(temporary)
