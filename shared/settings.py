"""Typed settings shared by every service; each service subclasses with its own env prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_KEY = "development-only-signing-key-change-me-0123456789"


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
    kafka_fetch_max_wait_ms: int = 500
    http_host: str = "127.0.0.1"
    http_port: int
    http_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    http_max_bulk_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    log_level: str = "INFO"
    outbox_poll_interval: float = 0.5
    auth_signing_key: SecretStr = SecretStr(DEVELOPMENT_KEY)
    auth_token_ttl_hours: float = 8.0

    @model_validator(mode="after")
    def _production_is_safe(self) -> ServiceSettings:
        if self.environment == "production":
            if self.database_url.startswith("sqlite"):
                raise ValueError("production needs PostgreSQL, not SQLite")
            if not self.kafka_enable_idempotence:
                raise ValueError("production needs the idempotent Kafka producer")
            if self.kafka_bootstrap_servers.startswith("memory://"):
                raise ValueError("production needs a Kafka broker")
            if self.auth_signing_key.get_secret_value() == DEVELOPMENT_KEY:
                raise ValueError("production needs its own auth signing key")
        return self
