"""Settings, declared once: name, default and meaning. Read from the environment
(``CORRIDOR_<NAME>``) and validated once at start; secrets never live here, only in key files.

docs/configuration.md documents every setting; a test checks that it does.
"""

from __future__ import annotations

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from corridor.errors import ConfigError


class Settings(BaseSettings):
    """What a corridor node can be told through its environment."""

    model_config = SettingsConfigDict(env_prefix="CORRIDOR_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description=(
            "HQ's store: a SQLAlchemy URL such as postgresql://user@host/db. Unset: the data "
            "directory's SQLite file (corridor.db)."
        ),
    )
    publish_interval: float = Field(
        default=1.0,
        gt=0,
        description="Seconds between checkpoints while the log grows (HQ).",
    )
    sync_interval: float = Field(
        default=5.0,
        gt=0,
        description="Seconds between a post's sync rounds when all is well (post nodes).",
    )
    outbox_retention_days: float | None = Field(
        default=None,
        ge=1,
        description=(
            "Days a running post node keeps a passage once HQ logged it and its receipt is "
            "stored; it purges older ones every hour. Unset: keep everything (post nodes)."
        ),
    )
    monitor: bool = Field(
        default=True,
        description=(
            "Run the monitor's alert rules on what HQ stores (true or false). Off for an HQ "
            "that only replays old traffic, such as the demo's with --posts (HQ)."
        ),
    )
    monitor_interval: float = Field(
        default=10.0,
        gt=0,
        description="Seconds between two runs of the monitor's time-driven rules (HQ).",
    )
    positions_port: int = Field(
        default=5055,
        ge=1,
        le=65535,
        description=(
            "Port of HQ's position intake (OsmAnd protocol, as Traccar Client and OsmAnd send "
            "it); 5055 is Traccar's, so trackers set up for Traccar need only HQ's address (HQ)."
        ),
    )
    position_retention_days: float = Field(
        default=30.0,
        ge=1,
        description=(
            "Days HQ keeps a tracker's position; older ones are purged every hour while HQ runs "
            "and refused on arrival (HQ)."
        ),
    )
    position_max_future_hours: float = Field(
        default=24.0,
        gt=0,
        description="Hours a position may lie ahead of HQ's clock before it is refused (HQ).",
    )


def load_settings() -> Settings:
    """The settings in force, from the environment; a value that cannot be used raises
    :class:`ConfigError` naming the variable, what it holds and what it must be."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{_variable(error['loc'])}={error.get('input')!r}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(f"bad setting in the environment: {problems}") from exc


def _variable(location: tuple[int | str, ...]) -> str:
    return "CORRIDOR_" + "_".join(str(part) for part in location).upper()
