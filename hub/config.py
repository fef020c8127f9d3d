"""Settings from the environment (`HUB_` prefix; `DATABASE_URL` also read as is)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    database_url: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "HUB_DATABASE_URL"),
        description="PostgreSQL DSN; without it the hub runs an embedded PostgreSQL in data_dir.",
    )
    data_dir: Path = Field(default=Path(".hub"), description="Embedded database and demo files.")
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    max_body_bytes: int = 64 * 1024
    db_pool_min: int = 2
    db_pool_max: int = 10


def redact_dsn(dsn: str) -> str:
    """The DSN with any password cut, fit for a log line."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", dsn)
