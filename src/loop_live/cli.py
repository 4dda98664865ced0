"""The `loop-live` command (SPEC §10)."""

from __future__ import annotations

import asyncio
import contextlib
import os

import click
import httpx

from loop_live.platform.auth.verifiers import mint_dev_token
from loop_live.platform.settings import InsecureSettingsError, Settings, load
from loop_live.webhooks.simulate import EVENT_TYPES, payload, signed

DEFAULT_SCOPES = "read:live write:live"


@click.group()
def main() -> None:
    """loop-live: live sessions for the Loop Platform."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--access-log/--no-access-log", default=None, help="A line per request [LIVE_ACCESS_LOG]."
)
@click.option("--log-format", type=click.Choice(["json", "console"]), help="[LIVE_LOG_FORMAT]")
@click.option("--graceful-timeout", type=click.IntRange(0), help="[LIVE_GRACEFUL_TIMEOUT_SECONDS]")
@click.option(
    "--worker/--no-worker",
    "in_process",
    default=None,
    help="Run the worker in-process [default: on for SQLite, off for PostgreSQL].",
)
def serve(
    host: str,
    port: int,
    workers: int,
    access_log: bool | None,
    log_format: str | None,
    graceful_timeout: int | None,
    in_process: bool | None,
) -> None:
    """Serve the API (applies pending migrations first on SQLite)."""
    # Heavy imports stay inside the commands that need them: `token` is instant.
    from granian.constants import Interfaces, Loops
    from granian.log import LogLevels
    from granian.server import Server

    from loop_live.platform import logs, multiprocess
    from loop_live.platform.db.migrate import upgrade

    # Options reach the worker processes (which read settings themselves) as LIVE_* variables.
    _export("LIVE_ACCESS_LOG", access_log)
    _export("LIVE_LOG_FORMAT", log_format)
    _export("LIVE_GRACEFUL_TIMEOUT_SECONDS", graceful_timeout)
    settings = _checked_settings()
    _export("LIVE_WORKER_IN_SERVE", settings.is_sqlite if in_process is None else in_process)
    if settings.is_sqlite:
        asyncio.run(upgrade(settings.database_url))
    if settings.log_format == "console":  # in json mode every line must parse
        click.echo(_welcome(host, port), err=True)
    # Granian parses HTTP and writes responses on its own threads, off the Python thread that
    # runs the app (issue 11: a fifth more list requests a second than uvicorn).
    with multiprocess.multiprocess_dir():
        Server(
            "loop_live.app:app_from_environment",
            factory=True,
            address=host,
            port=port,
            interface=Interfaces.ASGI,
            workers=workers,
            loop=Loops.uvloop,
            websockets=False,
            log_level=LogLevels(settings.log_level.lower()),
            log_dictconfig=logs.config(settings.log_format, settings.log_level),
            log_access=False,  # the app logs requests itself, by route template (no query strings)
            workers_kill_timeout=settings.graceful_timeout_seconds,
        ).serve()


def _export(name: str, value: object) -> None:
    if value is not None:
        os.environ[name] = str(value).lower() if isinstance(value, bool) else str(value)


@main.command()
@click.option("--once", is_flag=True, help="Run every job once, then exit.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Seconds between passes [default: LIVE_WORKER_INTERVAL_SECONDS, 60].",
)
def worker(once: bool, interval: float | None) -> None:
    """Deliver the outbox and run scheduled jobs on an interval until SIGTERM."""
    import logging.config

    from loop_live import worker as jobs
    from loop_live.platform import logs
    from loop_live.platform.db.migrate import upgrade

    settings = _checked_settings()
    logging.config.dictConfig(logs.config(settings.log_format, settings.log_level))
    if settings.is_sqlite:
        asyncio.run(upgrade(settings.database_url))
    every = interval or settings.worker_interval_seconds
    asyncio.run(jobs.run(settings, once=once, interval=every))


@main.group()
def events() -> None:
    """Events as they are published."""


@events.command("tail")
@click.option("--type", "event_type", default=None, help="Only this event type.")
def events_tail(event_type: str | None) -> None:
    """Print events as they are published (NATS when LIVE_NATS_URL is set, else the outbox)."""
    from loop_live.events import commands

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(commands.tail(load(), event_type, lambda line: click.echo(line)))


@main.group()
def outbox() -> None:
    """The outbox of events to deliver."""


@outbox.command("status")
def outbox_status() -> None:
    """Print the backlog, the oldest undelivered event's age and failing subscriptions."""
    from loop_live.events import commands

    asyncio.run(commands.status(load(), click.echo))


@main.command()
def migrate() -> None:
    """Apply pending migrations to LIVE_DATABASE_URL."""
    from loop_live.platform.db.migrate import upgrade

    settings = load()
    asyncio.run(upgrade(settings.database_url))
    click.echo("database is at the latest migration")


@main.command()
@click.option("--sub", required=True, help="The user the token speaks for.")
@click.option("--brand", default=None, help="Bind the token to one brand.")
@click.option("--scope", default=DEFAULT_SCOPES, show_default=True)
@click.option("--ttl", default=3600, show_default=True, type=click.IntRange(1, 31_536_000))
def token(sub: str, brand: str | None, scope: str, ttl: int) -> None:
    """Print a dev-mode bearer token signed with LIVE_AUTH_SECRET."""
    settings = load()
    secret = settings.auth_secret.get_secret_value()
    click.echo(mint_dev_token(secret, sub, scope.split(), brand, ttl))


@main.command("demo-data")
@click.option("--sessions", "total", default=500, show_default=True, type=click.IntRange(1))
@click.option("--if-empty", is_flag=True, help="Do nothing when sessions already exist.")
def demo_data(total: int, if_empty: bool) -> None:
    """Fill the database with brands, hosts, sessions in every status and registrations."""
    asyncio.run(_load_demo(load(), total, if_empty))


async def _load_demo(settings: Settings, total: int, if_empty: bool) -> None:
    from loop_live.demo import loader
    from loop_live.demo import series as demo_series
    from loop_live.platform.clock import utcnow
    from loop_live.platform.db import DatabaseLimits, open_database
    from loop_live.platform.db.migrate import upgrade

    if settings.is_sqlite:
        await upgrade(settings.database_url)
    bulk = DatabaseLimits(statement_timeout_ms=0)  # a large COPY is not a request
    db = await open_database(settings.database_url, 2, bulk)
    try:
        if if_empty and await loader.session_count(db) > 0:
            click.echo("demo data: sessions already exist, nothing loaded")
            return
        with click.progressbar(length=total, label="loading demo sessions") as bar:
            await loader.load(db, total, bar.update)
        made = await demo_series.load(db, utcnow(), settings.series_horizon_days)
        click.echo(f"demo data: {made} series (weekly office hours, a monthly AMA)")
    finally:
        await db.close()


@main.command()
@click.argument("event_type", type=click.Choice(EVENT_TYPES))
@click.option("--call-cid", required=True, help="The session's stream_call_id (type:id).")
@click.option("--recording-url", default=None, help="For call.recording_ready.")
@click.option("--url", default="http://127.0.0.1:8000/webhooks/stream", show_default=True)
def webhook(event_type: str, call_cid: str, recording_url: str | None, url: str) -> None:
    """Sign and send a provider webhook, as GetStream would (uses LIVE_STREAM_API_SECRET)."""
    settings = load()
    body, headers = signed(
        payload(event_type, call_cid, recording_url),
        settings.stream_api_secret.get_secret_value(),
        settings.stream_api_key or "loop-live-local",
    )
    response = httpx.post(url, content=body, headers=headers, timeout=10)
    click.echo(f"{response.status_code} {response.text}")
    if response.status_code >= 400:
        raise SystemExit(1)


def _checked_settings() -> Settings:
    """Settings for a long-running command: a development default left in production stops it
    with the reason, not a traceback."""
    settings = load()
    try:
        settings.check_production_safety()
    except InsecureSettingsError as exc:
        raise click.ClickException(str(exc)) from None
    return settings


def _welcome(host: str, port: int) -> str:
    base = f"http://{host}:{port}"
    env = "" if "LIVE_AUTH_SECRET" not in os.environ else " (with your LIVE_AUTH_SECRET)"
    return (
        f"loop-live on {base} — docs at {base}/docs\n"
        f"  mint a token{env}:  TOKEN=$(.venv/bin/loop-live token --sub host-001 "
        f"--brand loop-health --scope 'read:live write:live admin:live')\n"
        f'  first call:  curl -H "Authorization: Bearer $TOKEN" '
        f"'{base}/v1/live/sessions?upcoming=true&limit=5'"
    )
