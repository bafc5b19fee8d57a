"""Typed settings shared by every service; each service subclasses with its own env prefix."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.topics import TopicSettings
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
    kafka_replication_factor: int = Field(
        default=1, ge=1, description="copies of each topic the service creates (3 in production)"
    )
    kafka_min_insync_replicas: int = Field(
        default=2,
        ge=1,
        description="copies that must acknowledge a write (topic min.insync.replicas); "
        "capped at the replication factor",
    )
    kafka_single_broker: bool = Field(
        default=False,
        description="production on one broker (the Compose stack): topics keep a single copy",
    )
    kafka_topic_retention: timedelta = Field(
        default=timedelta(days=7),
        description="how long the topics keep records (retention.ms); the register topic is "
        "compacted instead",
    )
    kafka_topic_check_interval: float = Field(
        default=5.0,
        gt=0,
        description="seconds between checks that the broker answers and the topics exist",
    )
    consumer_assignment_grace: float = Field(
        default=60.0,
        ge=0,
        description="seconds a consumer may have no partition before the service is not "
        "ready (0: never)",
    )
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
    tracing_exporter: Literal["none", "otlp", "memory"] = Field(
        default="none",
        description="where spans go: nowhere (no-op tracer), OTLP/HTTP, or this process (tests)",
    )
    tracing_otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP traces URL; unset: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or "
        "OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces, else http://localhost:4318/v1/traces",
    )
    tracing_sample_ratio: float = Field(
        default=1.0, ge=0, le=1, description="share of new traces recorded (parents decide)"
    )
    # The relay is woken by every commit (NOTIFY); the poll is the fallback and the pace at
    # which an idle holder renews the lease and a standby takes an expired one over.
    outbox_poll_interval: float = Field(default=2.0, gt=0)
    outbox_lease_seconds: float = Field(default=5.0, gt=0)
    ledger_head_interval: float = Field(
        default=60.0,
        gt=0,
        description="seconds between publications of the decision ledger's head (when it moved)",
    )
    outbox_retention: timedelta = Field(
        default=timedelta(days=7),
        description="how long published outbox rows are kept (the re-publishing window)",
    )
    inbox_retention: timedelta = Field(
        default=timedelta(days=14),
        description="how long handled event ids are kept; at least the topic retention and "
        "the outbox retention, so a redelivered event is still recognised",
    )
    idempotency_key_retention: timedelta = Field(
        default=timedelta(days=7),
        description="how long a caller's Idempotency-Key answers a retry",
    )
    purge_interval: float = Field(
        default=300.0, gt=0, description="seconds between purges of expired rows"
    )
    purge_batch_size: int = Field(
        default=500, ge=1, le=10_000, description="rows deleted per transaction"
    )
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

    @property
    def topic_settings(self) -> TopicSettings:
        """How this service creates its topics."""
        return TopicSettings(
            partitions=self.kafka_partitions,
            replication_factor=self.kafka_replication_factor,
            min_insync_replicas=min(self.kafka_min_insync_replicas, self.kafka_replication_factor),
            retention=self.kafka_topic_retention,
        )

    @model_validator(mode="after")
    def _retention_is_consistent(self) -> ServiceSettings:
        longest = max(self.kafka_topic_retention, self.outbox_retention)
        if self.inbox_retention < longest:
            raise ValueError(
                f"inbox_retention ({self.inbox_retention}) must be at least the topic retention "
                f"and the outbox retention ({longest}): a redelivered or re-published event "
                "would otherwise be handled twice"
            )
        return self

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
            if self.tracing_exporter == "memory":
                raise ValueError("production exports traces over OTLP or not at all")
            if not self.kafka_single_broker and self.kafka_replication_factor < 3:
                raise ValueError(
                    "production needs KAFKA_REPLICATION_FACTOR of at least 3 (or "
                    "KAFKA_SINGLE_BROKER=true for a one-broker stack)"
                )
            if not self.kafka_single_broker and self.kafka_min_insync_replicas < 2:
                raise ValueError("production needs KAFKA_MIN_INSYNC_REPLICAS of at least 2")
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
