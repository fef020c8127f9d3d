"""Settings from the environment (`HUB_` prefix; `DATABASE_URL` also read as is)."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    database_url: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "HUB_DATABASE_URL"),
        description="PostgreSQL DSN; without it the hub runs an embedded PostgreSQL in data_dir.",
    )
    migration_url: SecretStr | None = Field(
        default=None,
        description="The schema owner's DSN: migrations run as it, then grant the role of "
        "DATABASE_URL what the hub may do (so the hub cannot alter or empty the audit trail).",
    )
    data_dir: Path = Field(default=Path(".hub"), description="Embedded database and demo files.")
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    max_body_bytes: int = 64 * 1024
    max_batch_bytes: int = Field(
        default=20 * 1024 * 1024,
        description="The largest CSV batch taken (a monthly list of a region fits well within).",
    )
    drop_dir: Path | None = Field(
        default=None, description="Drop folders, one per partner id; default data_dir/drop."
    )
    scheduler: bool = Field(default=True, description="Run scheduled jobs in this process.")
    drop_poll_seconds: float = 30
    batch_poll_seconds: float = 10
    repeat_window_days: int = Field(default=90, ge=0)
    stacking_window_days: int = Field(default=90, ge=0)
    public_url: str | None = Field(
        default=None, description="The hub's address as people reach it, for links in mail."
    )
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "signaalhub@localhost"
    mail_poll_seconds: float = 15
    feedback_poll_seconds: float = 10
    ddas_supplier_code: str = Field(
        default="signal-hub",
        description="codeGegevensleverancier in the DDAS delivery to CBS (the software or host).",
    )
    ddas_organisation: str | None = Field(
        default=None, description="The delivering organisation's name; default 'Gemeente <name>'."
    )
    ddas_contact_name: str | None = None
    ddas_contact_email: str | None = None
    feedback_target_percent: int = Field(
        default=90,
        ge=1,
        le=100,
        description="The share of feedback deadlines a municipality aims to meet on time "
        "(the line in the managers' compliance charts).",
    )
    sweep_seconds: float = 60
    partner_rate_per_minute: float = Field(
        default=600, gt=0, description="Requests a partner may make per minute, per process."
    )
    partner_rate_burst: int = Field(default=120, ge=1)
    token_cache_seconds: float = Field(
        default=2,
        ge=0,
        description="How long a process trusts a token it has checked; a revoked token stops "
        "working within this time on every instance (0: check every request).",
    )
    inbox_refresh_seconds: float = Field(
        default=15, gt=0, description="How often an open inbox page refreshes its counts."
    )
    session_idle_minutes: float = Field(
        default=30, gt=0, description="A page session left unused this long ends."
    )
    secure_cookies: bool = Field(
        default=False, description="Mark cookies Secure; set when TLS ends at a proxy."
    )
    oidc_issuer: str | None = Field(
        default=None, description="OpenID Connect issuer for single sign-on; unset: no SSO."
    )
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scopes: str = "openid email"
    keys: SecretStr | None = Field(
        default=None, description="The keyring as JSON (what the key file holds), from a vault."
    )
    key_file: Path | None = Field(
        default=None, description="The key file; default data_dir/keys.json (mode 0600)."
    )
    retention_closed_days: int = Field(
        default=730, ge=1, description="Days after a case closes before personal data goes."
    )
    retention_by_outcome: dict[str, int] = Field(
        default_factory=lambda: {
            "no_help_needed": 365,
            "not_reached": 365,
            "declined": 365,
            "repeat_signal": 365,
        },
        description="Per case outcome, its own period (JSON); the shortest that applies wins.",
    )
    retention_by_kind: dict[str, int] = Field(
        default_factory=dict, description="Per signal kind, its own period (JSON)."
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="If set, /metrics answers only `Authorization: Bearer <it>`."
    )
    max_in_flight: int = Field(
        default=256,
        ge=1,
        description="Requests one process works on at once; beyond it 503 with Retry-After.",
    )
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto", description="auto: JSON lines for `hub serve`, text for the rest."
    )
    webhook_allow_http: bool = Field(
        default=False, description="Development only: accept http:// webhook URLs."
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="Development only: let webhooks reach loopback, private and link-local "
        "addresses (by default refused at registration and at every delivery).",
    )
    db_pool_min: int = 2
    db_pool_max: int = 10
    network_draw_limit: int = Field(
        default=150,
        ge=1,
        description="Partners and teams above which the network page lists the weak links "
        "(from the nightly report) instead of drawing the network. Drawing is laid out on the "
        "server: 0.03 s for 49 nodes, 0.14 s for 120, 1 s for 230, 7 s for 400; and more "
        "than about 150 circles are no longer readable in one drawing.",
    )


def drop_root(settings: Settings) -> Path:
    return settings.drop_dir or settings.data_dir / "drop"


def key_path(settings: Settings) -> Path:
    return settings.key_file or settings.data_dir / "keys.json"


def is_loopback(host: str) -> bool:
    """Whether `host` (a listening address) is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_url(settings: Settings) -> str:
    """The hub's address as people reach it, for links in mail."""
    return settings.public_url or f"http://{settings.host}:{settings.port}"


def redact_dsn(dsn: str) -> str:
    """The DSN with any password cut, fit for a log line."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", dsn)
