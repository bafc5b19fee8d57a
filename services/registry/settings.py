"""Registry service settings (`PLEDGEFLOW_REGISTRY_*`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLEDGEFLOW_REGISTRY_", extra="ignore", frozen=True
    )

    database_url: str = "sqlite+aiosqlite:///.data/registry.db"
    http_port: int = 8001
