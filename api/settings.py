"""How an API worker is configured: environment variables, or a Settings object in tests."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dispatch.store.repository import check_scrypt_n


class Settings(BaseSettings):
    """Every knob has a default that runs the whole thing on one machine with zero set-up."""

    model_config = SettingsConfigDict(env_prefix="TANDEM_", extra="ignore", populate_by_name=True)

    #: SQLite file in the data directory when unset; ``postgresql+psycopg://...`` for PostgreSQL.
    database_url: str | None = Field(default=None, validation_alias=AliasChoices("DATABASE_URL", "TANDEM_DATABASE_URL"))
    #: Unset: events fan out inside this process. Set: through Redis pub/sub, across workers.
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL", "TANDEM_REDIS_URL"))
    city: str = "helsinki"
    #: The URL people reach this server at, for tracking links (default: the request's own).
    public_url: str = ""
    #: Plan automatically after a request, a decline, a shift change (a person still decides).
    auto_plan: bool = True
    planning_budget_s: float = Field(default=1.0, gt=0, le=60)
    #: A round running this long past its budget is hung: its process is killed and replaced.
    planning_timeout_s: float = Field(default=60.0, gt=0, le=3600)
    #: A planner holds a cooperative's lease this long without renewing it (it renews while its
    #: round runs): a planner killed mid-round hands its cooperatives on after this (issue 16).
    planning_lease_s: float = Field(default=10.0, ge=1, le=600)
    #: Off: this API runs no planner of its own; ``tandem planner`` processes plan (issue 16).
    planner: bool = True
    #: Wait this long after a trigger so that a burst of requests makes one planning round.
    plan_debounce_s: float = Field(default=0.3, ge=0, le=30)
    #: Webhook URLs must be https, except when this is on (local development and tests).
    webhook_allow_http: bool = False
    webhook_poll_s: float = Field(default=0.5, gt=0, le=60)
    #: A raster tile URL template ({z}/{x}/{y}) for the console's map; empty: Tandem draws the streets.
    tile_url: str = ""
    #: Shared courier positions are deleted after this many hours.
    position_retention_h: float = Field(default=24.0, gt=0, le=24 * 30)
    #: Where proof-of-delivery photos and signatures go: empty, ``<data directory>/proofs``; or any
    #: fsspec URL, e.g. ``s3://bucket/proofs`` for an S3-compatible bucket (with s3fs installed).
    proof_url: str = ""
    #: The largest photo or signature accepted, in bytes (the phone sends a resized JPEG).
    proof_max_bytes: int = Field(default=5 * 1024 * 1024, ge=10_000, le=7 * 1024 * 1024)
    #: Proof files are deleted (and recipients' names forgotten) after this many days.
    proof_retention_days: float = Field(default=90.0, gt=0, le=3660)
    token_ttl_s: int = Field(default=12 * 3600, gt=0)
    #: scrypt's cost N for new password hashes (dispatch/store/repository.py reads the same
    #: variable; checked here so that a wrong value stops the server at start).
    scrypt_n: int = 2**14
    #: Each worker re-checks the sessions behind its open sockets this often, so that a logout,
    #: a password reset or an expiry made anywhere closes them within a second.
    session_check_s: float = Field(default=0.5, gt=0, le=1)
    #: Poll the log this often even without a wake-up (a lost pub/sub message delays, never loses).
    feed_poll_s: float = Field(default=2.0, gt=0, le=60)
    #: ``json``: one JSON object per log line (for a log store); ``text``: for a terminal.
    log_format: Literal["text", "json"] = "text"
    #: Web origins (comma-separated) whose pages may call the API from a browser; none by default.
    cors_origins: str = ""
    #: Rate limits ("N/second;M/minute"; "off" for none): per client API key, per member token,
    #: login attempts per account, login attempts per address, and positions per courier.
    rate_limit_api_key: str = "100/second;3000/minute"
    rate_limit_session: str = "100/second"
    rate_limit_login: str = "10/minute"
    rate_limit_login_address: str = "100/minute"
    rate_limit_position: str = "2/second;60/minute"

    @field_validator(
        "rate_limit_api_key",
        "rate_limit_session",
        "rate_limit_login",
        "rate_limit_login_address",
        "rate_limit_position",
    )
    @classmethod
    def _readable_limits(cls, value: str) -> str:
        from api.ratelimit import parse_limits

        parse_limits(value)  # a misspelt limit stops the server at start, never silently unlimits
        return value

    @field_validator("scrypt_n")
    @classmethod
    def _scrypt_cost(cls, value: int) -> int:
        return check_scrypt_n(value)

    def origins(self) -> tuple[str, ...]:
        return tuple(o.strip() for o in self.cors_origins.split(",") if o.strip())
