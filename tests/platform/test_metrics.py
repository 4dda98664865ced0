"""GET /metrics in-process: request series keyed by route template and status, the pool gauge,
the optional scrape token. The multiprocess path is in tests/e2e/test_observability.py."""

from __future__ import annotations

import uuid

import httpx
from prometheus_client import REGISTRY

from loop_live.app import create_app
from loop_live.platform.settings import Settings
from tests.support.app import app_client
from tests.support.auth import Tokens
from tests.support.metrics import sample

SESSION_ROUTE = "/v1/sessions/{session_id}"


def requests_of(route: str, status: str) -> float:
    labels = {"method": "GET", "route": route, "status": status}
    return REGISTRY.get_sample_value("live_http_requests_total", labels) or 0.0


async def test_requests_are_counted_by_route_template_never_by_raw_path(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    before = requests_of(SESSION_ROUTE, "404")
    ids = [str(uuid.uuid4()) for _ in range(3)]
    for session_id in ids:
        response = await client.get(f"/v1/sessions/{session_id}", headers=tokens())
        assert response.status_code == 404
    scraped = await client.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    labels = {"method": "GET", "route": SESSION_ROUTE, "status": "404"}
    assert sample(scraped.text, "live_http_requests_total", **labels) == before + 3
    count = sample(scraped.text, "live_http_request_duration_seconds_count", **labels)
    assert count is not None
    assert count >= 3
    assert not any(session_id in scraped.text for session_id in ids)


async def test_unmatched_paths_share_one_series(client: httpx.AsyncClient) -> None:
    before = requests_of("unmatched", "404")
    for n in range(4):
        assert (await client.get(f"/no/such/route/{n}")).status_code == 404
    assert requests_of("unmatched", "404") == before + 4
    assert "/no/such/route" not in (await client.get("/metrics")).text


async def test_pool_gauge_reports_the_pool_size(
    client: httpx.AsyncClient, database_url: str
) -> None:
    text = (await client.get("/metrics")).text
    expected = 5 if database_url.startswith("sqlite") else 10  # 4 readers + the writer
    assert sample(text, "live_db_pool_connections", state="max") == expected
    assert sample(text, "live_db_pool_connections", state="in_use") == 0
    assert sample(text, "live_rate_limited_total") is None  # defined, no class seen yet
    assert "# TYPE live_rate_limited_total counter" in text


async def test_a_metrics_token_when_set_is_required(database_url: str) -> None:
    secret = "scrape-token-0123456789"
    async with app_client(database_url, metrics_token=secret) as client:
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {secret}"})
    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert missing.json()["error"] == "unauthenticated"
    assert "live_http_requests_total" in right.text


async def test_pool_gauge_counts_connections_in_use(settings: Settings) -> None:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://x") as c:
        # The gauge is per process, and the suite's session-wide app (in another thread) samples
        # its own pool into it once a second: a scrape may race one of those samples.
        async with app.state.runtime.db.read(), app.state.runtime.db.write():
            busy = {await _in_use(c) for _ in range(5)}
        idle = {await _in_use(c) for _ in range(5)}
    assert 2 in busy
    assert 0 in idle
    assert 2 not in idle


async def _in_use(client: httpx.AsyncClient) -> float:
    return sample((await client.get("/metrics")).text, "live_db_pool_connections", state="in_use")
