"""Registry service settings (`PLEDGEFLOW_REGISTRY_*`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import WorkingDaySettings


class RegistrySettings(WorkingDaySettings):
    model_config = SettingsConfigDict(
        env_prefix="PLEDGEFLOW_REGISTRY_", extra="ignore", frozen=True
    )

    database_url: str = "sqlite+aiosqlite:///.data/registry.db"
    http_port: int = 8001
    sla_check_interval: float = Field(default=30.0, gt=0)
