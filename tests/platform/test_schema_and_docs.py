"""The migrated database matches the models; the published surface is documented."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from loop_live.platform.db.migrate import downgrade, schema_drift, upgrade
from tests.support.contract import CONTRACT_DIR
from tests.support.databases import migrated_database

CONTRACT = CONTRACT_DIR / "live-api.json"


async def test_migrations_build_exactly_the_declared_schema(database_url: str) -> None:
    assert await schema_drift(database_url) == []


async def test_the_list_migrations_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    async with migrated_database(tmp_path) as url:
        await downgrade(url, "0010")
        assert _changed(await schema_drift(url)) == {
            f"ix_sessions_brand_{name}_open_time"
            for name in ("host", "community", "kind", "category")
        }
        await downgrade(url, "0009")
        assert _missing(await schema_drift(url)) == {"ix_registrations_user_registered"}
        await downgrade(url, "0008")
        assert _missing(await schema_drift(url)) == {"ix_registrations_user_registered", "document"}
        await downgrade(url, "0007")
        assert _missing(await schema_drift(url)) == {
            "ix_registrations_user_registered",
            "document",
            "ix_sessions_brand_kind_time",
            "ix_sessions_brand_category_time",
            "ix_sessions_brand_host_open_time",
            "ix_sessions_brand_community_open_time",
            "ix_sessions_brand_kind_open_time",
            "ix_sessions_brand_category_open_time",
        }
        await upgrade(url)
        assert await schema_drift(url) == []


def _changed(diffs: list[Any]) -> set[str]:
    """Names of the indexes the database holds with other columns than the declared schema."""
    return {diff[1].name for diff in diffs if diff[0] == "remove_index"}


def _missing(diffs: list[Any]) -> set[str]:
    """Names of what a downgrade removed: ('add_index', Index) or ('add_column', _, _, Column),
    not counting an index that is there with other columns."""
    added = {(diff[3] if diff[0] == "add_column" else diff[1]).name for diff in diffs
             if diff[0] in ("add_index", "add_column")}  # fmt: skip
    return added - _changed(diffs)


async def test_openapi_documents_every_published_route_with_its_errors(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for route in json.loads(CONTRACT.read_text()):
        method, path = route.split(" ", 1)
        documented = paths[path.replace("{id}", "{session_id}").replace(
            "/calls/{session_id}", "/calls/{call_id}")][method.lower()]  # fmt: skip
        codes = set(documented["responses"])
        assert "200" in codes or "201" in codes, route
        assert codes & {"400", "401"}, f"{route} documents no error responses"


async def test_docs_page_loads_its_assets_from_this_service(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    assert (await client.get("/docs/assets/swagger-ui.css")).status_code == 200


async def test_health_probes_need_no_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}
