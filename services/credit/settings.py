"""Credit service settings (`PLEDGEFLOW_CREDIT_*`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import WorkingDaySettings

DEFAULT_BANKS = Path(__file__).parent / "config" / "banks.yaml"


class CreditSettings(WorkingDaySettings):
    model_config = SettingsConfigDict(env_prefix="PLEDGEFLOW_CREDIT_", extra="ignore", frozen=True)

    database_url: str = "sqlite+aiosqlite:///.data/credit.db"
    http_port: int = 8003
    banks_file: Path = DEFAULT_BANKS
    terms_refresh_interval: float = Field(
        default=60.0,
        gt=0,
        description="seconds between looks for lending terms stored by another replica "
        "(besides the notification each stored revision sends)",
    )
    sweep_interval: float = Field(
        default=5.0, gt=0, description="seconds between sweeps for due saga deadlines"
    )
