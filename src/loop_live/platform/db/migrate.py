"""Apply the Alembic history to a database, and compare the result with the schema module."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from loop_live.platform.db.schema import metadata

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    await _run(url, lambda connection: command.upgrade(_config(connection), revision))


async def downgrade(url: str, revision: str) -> None:
    await _run(url, lambda connection: command.downgrade(_config(connection), revision))


async def _run(url: str, step: Callable[[Connection], None]) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(step)
    finally:
        await engine.dispose()


def _diff(connection: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(connection), metadata))


async def schema_drift(url: str) -> list[Any]:
    """What the models declare that the migrated database lacks (or has extra); empty is good."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_diff)
    finally:
        await engine.dispose()
