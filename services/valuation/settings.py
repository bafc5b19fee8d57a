"""Valuation service settings (`PLEDGEFLOW_VALUATION_*`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ValuationSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLEDGEFLOW_VALUATION_", extra="ignore", frozen=True
    )

    database_url: str = "sqlite+aiosqlite:///.data/valuation.db"
    http_port: int = 8002
    parameter_version: str = "2026.1"
