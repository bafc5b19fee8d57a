"""Registry service settings (`PLEDGEFLOW_REGISTRY_*`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLEDGEFLOW_REGISTRY_", extra="ignore", frozen=True
    )

    database_url: str = "sqlite+aiosqlite:///.data/registry.db"
    http_port: int = 8001
    calendar_refresh_interval: float = Field(default=60.0, gt=0)
    sla_check_interval: float = Field(default=30.0, gt=0)
