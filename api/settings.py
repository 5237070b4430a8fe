"""How an API worker is configured: environment variables, or a Settings object in tests."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    #: Wait this long after a trigger so that a burst of requests makes one planning round.
    plan_debounce_s: float = Field(default=0.3, ge=0, le=30)
    #: Webhook URLs must be https, except when this is on (local development and tests).
    webhook_allow_http: bool = False
    webhook_poll_s: float = Field(default=0.5, gt=0, le=60)
    #: A raster tile URL template ({z}/{x}/{y}) for the console's map; empty: Tandem draws the streets.
    tile_url: str = ""
    #: Shared courier positions are deleted after this many hours.
    position_retention_h: float = Field(default=24.0, gt=0, le=24 * 30)
    token_ttl_s: int = Field(default=12 * 3600, gt=0)
    #: Poll the log this often even without a wake-up (a lost pub/sub message delays, never loses).
    feed_poll_s: float = Field(default=2.0, gt=0, le=60)
