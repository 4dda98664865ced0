"""`make bench --profile TARGET`: where the server's time goes while wrk drives one target.

py-spy samples the server process (every thread: the event loop, and on SQLite the
aiosqlite threads) and writes its stacks in the collapsed "raw" format; this prints the
functions that hold the most samples, on their own (self) and with what they call (total).
Idle samples (a thread waiting in epoll or on a lock) are left out by py-spy, so the shares
are of the time the server was busy.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from serve import BIN

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")
_TRIM = ("site-packages/", "/src/", "/lib/python3.11/", "/lib/python3")
PROJECT = "loop_live"


def _short(frame: str) -> str:
    """`func (path/to/file.py:12)` as `func (file path from the package on)`."""
    m = _FRAME.match(frame)
    if m is None:
        return frame
    path = m["file"]
    for marker in _TRIM:
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{m['func']} ({path})"


def _package(name: str) -> str:
    """`func (asyncpg/connection.py)` -> `asyncpg`; a native frame keeps its file's name."""
    m = _FRAME.match(name)
    path = m["file"] if m else name
    return path.split("/", 1)[0] if "/" in path else path


def _top(counts: Counter[str], samples: int, top: int) -> list[str]:
    return [f"    {100 * n / samples:5.1f}%  {name}" for name, n in counts.most_common(top)]


def summarise(stacks: Iterable[tuple[list[str], int]], top: int) -> list[str]:
    """Self time by function and by package, and the project's own functions by total time
    (self and callees: which of our calls the time is spent under)."""
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    samples = 0
    for frames, count in stacks:
        names = [_short(f) for f in frames]
        samples += count
        if names:
            own[names[-1]] += count
            packages[_package(names[-1])] += count
        for name in {n for n in names if _package(n) == PROJECT}:
            ours[name] += count
    if not samples:
        return ["  (no busy samples: is the server running Python under load?)"]
    ours = Counter({name: n for name, n in ours.items() if n < samples})  # not `serve` itself
    return [
        f"  {samples:,} busy samples (every thread); top {top} functions by self time:",
        *_top(own, samples, top),
        "  self time by package:",
        *_top(packages, samples, top),
        f"  top {top} of {PROJECT}'s functions by total time (self and callees):",
        *_top(ours, samples, top),
    ]


def _read_raw(path: Path) -> Iterable[tuple[list[str], int]]:
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            # The first frame names the process or thread, not a function.
            frames = [f for f in stack.split(";") if "(" in f and not f.startswith("process ")]
            yield frames, int(count)


def profile(
    pid: int, seconds: float, top: int, load: Callable[[], object], native: bool = False
) -> list[str]:
    """Sample `pid` with py-spy for `seconds` while `load()` runs; the summary's lines.
    `native` adds the C and Cython frames (asyncpg's protocol, uvloop, msgspec)."""
    spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    if spy is None:
        raise SystemExit("py-spy is not installed: make install (it is in the dev extra)")
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        out = Path(tmp) / "stacks.txt"
        # --subprocesses: `loop-live serve` (granian) runs the app in a child process.
        cmd = [spy, "record", "--pid", str(pid), "--subprocesses", "--rate", "200", "--duration",
               str(max(1, round(seconds))), "--format", "raw", "--output", str(out)]  # fmt: skip
        if native:
            cmd.append("--native")
        spy_proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            load()
            output, _ = spy_proc.communicate(timeout=seconds + 60)
        finally:
            if spy_proc.poll() is None:
                spy_proc.kill()
                spy_proc.wait()
        if spy_proc.returncode != 0 or not out.exists():
            raise SystemExit(f"py-spy failed ({spy_proc.returncode}): {output.decode()[-2000:]}")
        return summarise(_read_raw(out), top)
