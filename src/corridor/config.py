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
