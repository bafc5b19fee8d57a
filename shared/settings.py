"""Typed settings shared by every service; each service subclasses with its own env prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.workdays import DEFAULT_WARN_FROM, parse_warn_from

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BANK_DIRECTORY = PROJECT_ROOT / "config" / "banks.yaml"


class ServiceSettings(BaseSettings):
    """Read from `PLEDGEFLOW_<SERVICE>_*` environment variables; fails fast on bad values."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    database_url: str
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_enable_idempotence: bool = True
    kafka_partitions: int = 3
    kafka_replication_factor: int = 1
    kafka_session_timeout_ms: int = 10_000
    kafka_heartbeat_interval_ms: int = 3_000
    # Longest a broker holds an idle fetch (Kafka answers at once when records arrive): 2 s
    # keeps an idle replica's fetches to one per consumer every 2 s (see bench/idle.py).
    kafka_fetch_max_wait_ms: int = Field(default=2_000, gt=0)
    http_host: str = "127.0.0.1"
    http_port: int
    http_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    http_max_bulk_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    log_level: str = "INFO"
    # The relay is woken by every commit (NOTIFY); the poll is the fallback and the pace at
    # which an idle holder renews the lease and a standby takes an expired one over.
    outbox_poll_interval: float = Field(default=2.0, gt=0)
    outbox_lease_seconds: float = Field(default=5.0, gt=0)
    # A transaction left idle this long (its process frozen or stalled) is ended by
    # PostgreSQL, so the row locks it held cannot hold the other replicas up for longer.
    database_idle_in_transaction_seconds: float = Field(default=5.0, gt=0)
    bank_directory_file: Path = Field(
        default=DEFAULT_BANK_DIRECTORY, description="the banks every service knows"
    )
    auth_issuers_file: Path | None = Field(
        default=None,
        description="trusted credential issuers; unset means the local development issuer only",
    )
    auth_max_token_lifetime_hours: float = Field(
        default=12.0, gt=0, le=24 * 7, description="longest exp - iat a credential may have"
    )
    auth_clock_skew_seconds: float = Field(
        default=60.0, ge=0, le=300, description="tolerance for clocks ahead or behind"
    )
    auth_jwks_cache_seconds: float = Field(
        default=300.0, gt=0, description="how long an issuer's keys are used before re-reading"
    )

    @model_validator(mode="after")
    def _lease_outlasts_polls(self) -> ServiceSettings:
        if self.outbox_poll_interval * 2 > self.outbox_lease_seconds:
            raise ValueError(
                "OUTBOX_POLL_INTERVAL must be at most half of OUTBOX_LEASE_SECONDS, so an idle "
                "relay renews its lease before it expires"
            )
        return self

    @model_validator(mode="after")
    def _production_is_safe(self) -> ServiceSettings:
        if self.environment == "production":
            if self.database_url.startswith("sqlite"):
                raise ValueError("production needs PostgreSQL, not SQLite")
            if not self.kafka_enable_idempotence:
                raise ValueError("production needs the idempotent Kafka producer")
            if self.kafka_bootstrap_servers.startswith("memory://"):
                raise ValueError("production needs a Kafka broker")
            if self.auth_issuers_file is None:
                raise ValueError(
                    "production needs its trusted issuers (AUTH_ISSUERS_FILE); "
                    "the development issuer is for local use only"
                )
        return self


class WorkingDaySettings(ServiceSettings):
    """Settings of a service that counts working days on the official calendar."""

    calendar_refresh_interval: float = Field(default=60.0, gt=0)
    calendar_warn_from: str = DEFAULT_WARN_FROM

    @field_validator("calendar_warn_from")
    @classmethod
    def _month_day(cls, value: str) -> str:
        parse_warn_from(value)
        return value
