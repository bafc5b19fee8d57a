"""Valuation service settings (`PLEDGEFLOW_VALUATION_*`)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ValuationSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLEDGEFLOW_VALUATION_", extra="ignore", frozen=True
    )

    database_url: str = "sqlite+aiosqlite:///.data/valuation.db"
    http_port: int = 8002
    parameter_version: str = "2026.1"
    signoff_threshold: Decimal = Field(
        default=Decimal("5000000.00"),
        ge=0,
        decimal_places=2,
        description="a valuation whose central value exceeds this (yuan) needs an appraiser",
    )
    impairment_min_remaining_years: int = Field(
        default=2,
        ge=0,
        description="a pledged right with fewer whole years left impairs its loan",
    )
