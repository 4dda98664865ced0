"""The real command, as a newcomer runs it: `loop-live serve` over HTTP on a socket."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.servers import cli, server_env, serving

pytestmark = pytest.mark.e2e


async def test_served_process_schedules_lists_and_edits_sessions(
    database_url: str, tmp_path: Path
) -> None:
    env = server_env(database_url)
    token = cli("token", "--sub", "host-9", "--brand", "brand-a", "--scope",
                "read:live write:live admin:live", env=env)  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    with serving(env, tmp_path / "serve.log") as base:
        async with httpx.AsyncClient(base_url=base, headers=headers) as http:
            created = await http.post("/v1/sessions", json={
                "host_id": "host-9", "brand_id": "brand-a", "title": "Strength basics",
                "scheduled_at": "2031-03-01T09:00:00-05:00", "max_participants": 5,
            })  # fmt: skip
            assert created.status_code == 201, created.text
            session = created.json()
            assert session["scheduled_at"] == "2031-03-01T14:00:00Z"

            listed = await http.get("/v1/live/sessions", params={"upcoming": "true"})
            assert [s["id"] for s in listed.json()["sessions"]] == [session["id"]]

            cancelled = await http.patch(
                f"/v1/admin/sessions/{session['id']}", json={"status": "cancelled"}
            )
            assert cancelled.json()["status"] == "cancelled"
            refused = await http.patch(f"/v1/admin/sessions/{session['id']}", json={"title": "x"})
            assert refused.status_code == 412
            assert refused.json()["error"] == "invalid_state"

            unauthenticated = await http.get("/v1/live/sessions", headers={"Authorization": ""})
            assert unauthenticated.status_code == 401
            docs = await http.get("/docs")
            assert docs.status_code == 200
            assert "/docs/assets/swagger-ui-bundle.js" in docs.text
            asset = await http.get("/docs/assets/swagger-ui-bundle.js")
            assert asset.status_code == 200
