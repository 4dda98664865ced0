"""Real `loop-live serve` processes: /metrics merged across `--workers 2` and wiped between
runs, JSON logs from every process, and SIGTERM letting an in-flight join finish."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.support.auth import Tokens
from tests.support.fakes.getstream_server import FakeGetStream
from tests.support.metrics import sample
from tests.support.servers import CLI, _wait_ready, free_port, server_env
from tests.support.sessions import create_session

pytestmark = pytest.mark.e2e
GRACE = 10  # --graceful-timeout in the shutdown test
HEALTH = {"method": "GET", "route": "/healthz", "status": "200"}


@contextmanager
def launched(
    env: Mapping[str, str], log: Path, *args: str
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`loop-live serve --port P *args`, ready; stopped (SIGTERM, then SIGKILL) at the end."""
    port = free_port()
    with log.open("w") as out:
        command = [str(CLI), "serve", "--port", str(port), *args]
        process = subprocess.Popen(command, env=dict(env), stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process, log)
        yield process, base
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=GRACE + 5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def scrape(base: str) -> str:
    # A new connection each time, so the scrapes land on different workers.
    response = httpx.get(f"{base}/metrics", headers={"Connection": "close"}, timeout=10)
    assert response.status_code == 200, response.text
    return response.text


def json_lines(log: Path) -> list[dict[str, object]]:
    """Every line the server printed, each of which must be a JSON object."""
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_metrics_are_merged_across_workers_and_start_from_zero_each_run(
    database_url: str, tmp_path: Path
) -> None:
    env = server_env(database_url, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
    with launched(env, tmp_path / "two.log", "--workers", "2", "--log-format", "json") as (_, base):
        for _ in range(30):
            assert httpx.get(f"{base}/healthz", headers={"Connection": "close"}).status_code == 200
        _until_both_workers_sampled(base)  # each samples its pool once a second
        texts = [scrape(base) for _ in range(8)]
    assert {sample(text, "live_http_requests_total", **HEALTH) for text in texts} == {30.0}
    assert len(_pids(texts[-1])) == 2, texts[-1]
    lines = json_lines(tmp_path / "two.log")
    assert sum(line["message"] == "application started" for line in lines) == 2

    with launched(env, tmp_path / "one.log", "--workers", "1") as (_, base):
        for _ in range(3):
            assert httpx.get(f"{base}/healthz").status_code == 200
        assert sample(scrape(base), "live_http_requests_total", **HEALTH) == 3.0


def _pids(text: str) -> set[str]:
    return {s.labels["pid"] for f in _families(text) for s in f.samples if "pid" in s.labels}


def _until_both_workers_sampled(base: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while len(_pids(scrape(base))) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)


def _families(text: str) -> list[object]:
    from prometheus_client.parser import text_string_to_metric_families

    return list(text_string_to_metric_families(text))


async def test_sigterm_lets_an_in_flight_join_finish_then_closes_the_pool(
    database_url: str, tmp_path: Path, tokens: Tokens
) -> None:
    with FakeGetStream() as fake:
        env = server_env(database_url) | {
            "LIVE_STREAM_PROVIDER": "getstream",
            "LIVE_STREAM_API_KEY": fake.api_key,
            "LIVE_STREAM_API_SECRET": fake.api_secret,
            "LIVE_STREAM_BASE_URL": fake.base_url,
        }
        log = tmp_path / "serve.log"
        with launched(env, log, "--graceful-timeout", str(GRACE), "--log-format", "json") as (
            process,
            base,
        ):
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                join_path = await _registered_session(http, tokens)
                fake.delay_next(3.0)
                join = asyncio.create_task(
                    http.post(join_path, json={"user_id": "member-1"}, headers=tokens())
                )
                await _until(lambda: len(fake.requests) > 0)  # the join waits on the provider
                signalled = time.monotonic()
                process.send_signal(signal.SIGTERM)
                await _until_refused(base)
                response = await join
                assert response.status_code == 200, response.text
                assert response.json()["token"]
            code = await asyncio.to_thread(process.wait, GRACE + 5)
            took = time.monotonic() - signalled
    assert code == 0
    assert took < GRACE, took
    messages = [line["message"] for line in json_lines(log)]
    assert "database pool closed" in messages
    assert messages.index("database pool closed") > messages.index("Shutting down granian")


async def _registered_session(http: httpx.AsyncClient, tokens: Tokens) -> str:
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    created = await create_session(http, tokens.admin(), scheduled_at=soon)
    assert created.status_code == 201, created.text
    path = f"/v1/sessions/{created.json()['id']}"
    registered = await http.post(f"{path}/registrations", headers=tokens())
    assert registered.status_code == 201, registered.text
    return f"{path}/join"


async def _until(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def _until_refused(base: str) -> None:
    """New connections are refused once the server has stopped listening."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            async with httpx.AsyncClient(timeout=1) as fresh:
                await fresh.get(f"{base}/healthz", headers={"Connection": "close"})
        except httpx.ConnectError:
            return
        except (httpx.RemoteProtocolError, httpx.ReadError):
            pass  # accepted just before the listener closed, then dropped: try again
        await asyncio.sleep(0.05)
    raise AssertionError("the server still accepted new connections 5 s after SIGTERM")
