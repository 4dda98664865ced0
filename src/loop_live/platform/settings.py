"""One typed settings object, read from `LIVE_*` environment variables when `load()` is called."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_AUTH_SECRET = "loop-live-development-auth-secret-change-me"
DEV_STREAM_SECRET = "loop-live-development-stream-secret-change-me"
DEV_CURSOR_SECRET = "loop-live-development-cursor-secret-change-me"
DEV_WEBHOOKS_KEY = "loop-live-development-webhooks-key-change-me"
MIN_SECRET_BYTES = 32
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./loop-live.db"


class InsecureSettingsError(RuntimeError):
    """A production deployment left a development default in place."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIVE_", frozen=True, extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    # Peers whose X-Forwarded-For names the client (a proxy on the same host by default);
    # uvicorn's variable name, kept when `serve` moved to granian.
    forwarded_allow_ips: str = Field("127.0.0.1,::1", validation_alias="FORWARDED_ALLOW_IPS")
    database_pool_size: int = 10
    database_acquire_timeout_seconds: float = Field(2.0, gt=0)
    database_statement_timeout_ms: int = Field(5_000, ge=0)
    database_lock_timeout_ms: int = Field(2_000, ge=0)
    database_busy_timeout_ms: int = Field(2_000, ge=0)

    auth_mode: Literal["dev", "jwt", "introspect"] = "dev"
    auth_secret: SecretStr = SecretStr(DEV_AUTH_SECRET)
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwks_cache_seconds: int = 300
    introspect_url: str | None = None
    introspect_client_id: str | None = None
    introspect_client_secret: SecretStr | None = None
    introspect_cache_seconds: int = 30
    identity_timeout_seconds: float = Field(5.0, gt=0)
    cursor_secret: SecretStr | None = None

    stream_provider: Literal["local", "getstream"] = "local"
    stream_api_key: str | None = None
    stream_api_secret: SecretStr = SecretStr(DEV_STREAM_SECRET)
    stream_base_url: str | None = None
    stream_call_type: str = "livestream"
    stream_timeout_seconds: float = 5.0
    stream_token_ttl_seconds: int = 3600

    redis_url: str | None = None
    rate_limit_reads: NonNegativeInt = 1000  # requests per minute per client; 0 turns it off
    rate_limit_writes: NonNegativeInt = 200
    rate_limit_admin: NonNegativeInt = 100
    rate_limit_auth_failures: NonNegativeInt = 60  # 401s per minute per source address
    rate_limit_key_prefix: str = "loop-live"
    nats_url: str | None = None
    nats_stream: str = Field(default="LIVE", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    nats_subject_prefix: str = Field(default="", pattern=r"^([A-Za-z0-9_-]+\.)*$")
    nats_timeout_seconds: float = Field(default=2.0, gt=0)
    outbox_poll_seconds: float = Field(default=0.2, gt=0)
    worker_in_serve: bool = False  # `serve` turns it on for SQLite unless --no-worker
    stale_session_hours: float = Field(default=6.0, gt=0)
    reconcile_after_minutes: float = Field(default=10.0, ge=0)
    join_window_minutes: int = 15
    retention_outbox_days: int = Field(default=7, ge=1)
    retention_inbox_days: int = Field(default=30, ge=1)
    series_horizon_days: int = Field(default=90, ge=1, le=366)
    reminder_offsets: tuple[int, ...] = (1440, 15)  # minutes before the start
    join_url_template: str = "http://localhost:8000/v1/sessions/{session_id}"
    worker_interval_seconds: float = Field(default=60.0, gt=0)
    max_body_bytes: int = 1_048_576
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "console"
    access_log: bool = False
    metrics_token: SecretStr | None = None
    graceful_timeout_seconds: int = 20
    webhooks_allow_private: bool = False  # development and tests only
    webhooks_secret_key: SecretStr = SecretStr(DEV_WEBHOOKS_KEY)  # encrypts signing secrets
    webhooks_disable_after_hours: float = Field(default=72.0, gt=0)
    webhooks_retry_hours: float = Field(default=24.0, ge=24)
    webhooks_timeout_seconds: float = Field(default=10.0, gt=0)
    webhooks_concurrency: int = Field(default=32, ge=1)
    webhooks_endpoint_concurrency: int = Field(default=4, ge=1)
    sse_heartbeat_seconds: float = Field(default=15.0, gt=0)
    sse_resume_window: int = Field(default=1000, ge=1)  # recent notices kept per process

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://", "postgresql://")):
            raise ValueError(
                "LIVE_DATABASE_URL must be sqlite+aiosqlite:// or postgresql+asyncpg://"
            )
        return value

    @field_validator("auth_secret", "stream_api_secret", "cursor_secret", "webhooks_secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_BYTES:
            raise ValueError(f"must be at least {MIN_SECRET_BYTES} characters (HS256 key)")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def cursor_key(self) -> str:
        """LIVE_CURSOR_SECRET; in dev auth mode the auth secret stands in for it."""
        if self.cursor_secret is not None:
            return self.cursor_secret.get_secret_value()
        if self.auth_mode == "dev":
            return self.auth_secret.get_secret_value()
        return DEV_CURSOR_SECRET

    def check_production_safety(self) -> None:
        """Refuse to run a shared database with the secrets everyone can read in the source."""
        if self.is_sqlite:
            return
        if self.auth_mode == "dev" and self.auth_secret.get_secret_value() == DEV_AUTH_SECRET:
            raise InsecureSettingsError(
                "LIVE_AUTH_SECRET is the development default while LIVE_DATABASE_URL is "
                "PostgreSQL: set LIVE_AUTH_SECRET (or LIVE_AUTH_MODE=jwt/introspect)."
            )
        if self.stream_api_secret.get_secret_value() == DEV_STREAM_SECRET:
            raise InsecureSettingsError(
                "LIVE_STREAM_API_SECRET is the development default while LIVE_DATABASE_URL is "
                "PostgreSQL: set LIVE_STREAM_API_SECRET."
            )
        if self.cursor_key() in (DEV_AUTH_SECRET, DEV_CURSOR_SECRET):
            raise InsecureSettingsError(
                "the cursor signing key is a development default while LIVE_DATABASE_URL is "
                "PostgreSQL: set LIVE_CURSOR_SECRET (in every LIVE_AUTH_MODE)."
            )
        if self.webhooks_secret_key.get_secret_value() == DEV_WEBHOOKS_KEY:
            raise InsecureSettingsError(
                "LIVE_WEBHOOKS_SECRET_KEY is the development default while LIVE_DATABASE_URL is "
                "PostgreSQL: set LIVE_WEBHOOKS_SECRET_KEY (it encrypts webhook signing secrets)."
            )


def load() -> Settings:
    """Build settings from the process environment; called once, by the entry point."""
    return Settings()
