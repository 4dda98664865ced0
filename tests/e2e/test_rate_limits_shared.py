"""Two real `loop-live serve` processes share one budget through the real Redis; with Redis
unreachable each process limits on its own, without errors or stalls."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.auth import bearer
from tests.support.databases import unreachable
from tests.support.servers import cli, free_port, server_env, serving

pytestmark = pytest.mark.e2e

LIST = "/v1/live/sessions"
REDIS_HINT = (
    "Redis is not reachable at {url}: start it (or set LIVE_TEST_REDIS_URL) to run the shared "
    "rate-limit tests (CI sets CI=true and fails instead of skipping)"
)


@pytest.fixture(scope="module")
def redis_url() -> str:
    url = os.environ.get("LIVE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    host_port = url.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    host, _, port = host_port.partition(":")
    try:
        socket.create_connection((host, int(port or 6379)), timeout=1).close()
    except OSError as exc:
        unreachable(REDIS_HINT.format(url=url) + f" ({exc})")
    return url


@contextmanager
def servers(n: int, env: dict[str, str], tmp_path: Path) -> Iterator[list[str]]:
    with ExitStack() as stack:
        yield [stack.enter_context(serving(env, tmp_path / f"serve-{i}.log")) for i in range(n)]


def limited_env(database_url: str, redis_url: str, **limits: str) -> dict[str, str]:
    settings = {f"LIVE_RATE_LIMIT_{name.upper()}": value for name, value in limits.items()}
    prefix = f"loop-live-test-{uuid.uuid4().hex[:12]}"  # a fresh budget per test run
    return server_env(
        database_url, LIVE_REDIS_URL=redis_url, LIVE_RATE_LIMIT_KEY_PREFIX=prefix, **settings
    )


def cli_token(env: dict[str, str], sub: str) -> dict[str, str]:
    """Headers with a token minted by `loop-live token`, as an operator would."""
    return bearer(cli("token", "--sub", sub, "--brand", "b", env=env))


def spread(bases: list[str], rounds: int, headers: dict[str, str]) -> list[int]:
    """`rounds` requests to each server, alternating; the statuses in the order sent."""
    codes = []
    for _ in range(rounds):
        for base in bases:
            codes.append(httpx.get(base + LIST, headers=headers, timeout=5).status_code)
    return codes


def logs(tmp_path: Path) -> str:
    return "\n".join(log.read_text() for log in sorted(tmp_path.glob("serve-*.log")))


def test_two_processes_share_one_budget_through_redis(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    env = limited_env(database_url, redis_url, reads="20")
    with servers(2, env, tmp_path) as bases:
        codes = spread(bases, 12, cli_token(env, "member-1"))
        assert codes == [200] * 20 + [429] * 4, logs(tmp_path)
        assert spread(bases, 1, cli_token(env, "member-2")) == [200, 200]


def test_failed_authentication_is_counted_across_processes(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    env = limited_env(database_url, redis_url, auth_failures="5")
    with servers(2, env, tmp_path) as bases:
        forged = {"Authorization": "Bearer forged"}
        assert spread(bases, 3, forged) == [401] * 5 + [429], logs(tmp_path)
        assert spread(bases, 1, cli_token(env, "member-1")) == [429, 429]
        # The address comes from X-Forwarded-For only from a trusted (local) proxy.
        other = {**cli_token(env, "member-1"), "X-Forwarded-For": "203.0.113.7"}
        assert spread(bases, 1, other) == [200, 200]


def test_with_redis_down_each_process_limits_alone_without_errors_or_stalls(
    database_url: str, tmp_path: Path
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    env = limited_env(database_url, closed, reads="5")
    token = cli_token(env, "member-1")  # a CLI process: not part of what is timed
    with servers(2, env, tmp_path) as bases:
        started = time.monotonic()
        codes = spread(bases, 7, token)
        elapsed = time.monotonic() - started
        assert codes == [200] * 10 + [429] * 4
        assert elapsed < 5, f"14 requests took {elapsed:.1f} s with Redis down"
    log = (tmp_path / "serve-0.log").read_text()
    assert "rate-limit storage (Redis) failed" in log
    assert "Traceback" not in log
