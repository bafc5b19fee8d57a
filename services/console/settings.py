"""Console settings (`PLEDGEFLOW_CONSOLE_*`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import PROJECT_ROOT, WorkingDaySettings

DEFAULT_STAFF_FILE = PROJECT_ROOT / "config" / "staff.yaml"
# The consumer groups of registry, valuation, credit and the console, whose dead letters the
# console shows (`pledgeflow.dlq.<group>`).
DEAD_LETTER_GROUPS = (
    "registry.filings",
    "valuation.rights",
    "valuation.applications",
    "credit.calendar",
    "credit.valuations",
    "credit.pledges",
    "console.events",
    "console.calendar",
    "registry.ledger",
    "valuation.ledger",
    "credit.ledger",
    "console.ledger",
)


class ConsoleSettings(WorkingDaySettings):
    model_config = SettingsConfigDict(env_prefix="PLEDGEFLOW_CONSOLE_", extra="ignore", frozen=True)

    database_url: str = "sqlite+aiosqlite:///.data/console.db"
    http_port: int = 8004
    registry_url: str = Field(default="http://127.0.0.1:8001", description="the registry's API")
    valuation_url: str = Field(default="http://127.0.0.1:8002", description="valuation's API")
    credit_url: str = Field(default="http://127.0.0.1:8003", description="credit's API")
    staff_file: Path = Field(
        default=DEFAULT_STAFF_FILE, description="staff who sign in, with their password hashes"
    )
    issuer: str | None = Field(
        default=None,
        description="the `iss` of the staff credentials the console signs for the services; "
        "unset means the local development issuer",
    )
    issuer_keys: Path | None = Field(
        default=None, description="folder of that issuer's signing keys and jwks.json"
    )
    service_token_seconds: int = Field(
        default=300, ge=30, le=3600, description="lifetime of a credential the console signs"
    )
    session_hours: float = Field(default=8.0, gt=0, le=24, description="longest session")
    session_idle_minutes: float = Field(
        default=30.0, gt=0, le=24 * 60, description="a session unused this long ends"
    )
    service_timeout_seconds: float = Field(default=10.0, gt=0)
    refresh_seconds: float = Field(
        default=5.0, ge=0.5, description="how often open pages refresh their live parts"
    )
    dead_letter_groups: tuple[str, ...] = DEAD_LETTER_GROUPS

    @model_validator(mode="after")
    def _production_is_safe(self) -> ConsoleSettings:
        # Replaces the services' check: the console verifies no bearer credential (so it needs
        # no trusted issuers) but signs them, with an issuer production must not share.
        if self.environment != "production":
            return self
        if self.database_url.startswith("sqlite"):
            raise ValueError("production needs PostgreSQL, not SQLite")
        if not self.kafka_enable_idempotence:
            raise ValueError("production needs the idempotent Kafka producer")
        if self.kafka_bootstrap_servers.startswith("memory://"):
            raise ValueError("production needs a Kafka broker")
        if self.issuer is None or self.issuer_keys is None:
            raise ValueError(
                "production needs the console's own issuer (ISSUER and ISSUER_KEYS); "
                "the development issuer is for local use only"
            )
        return self
