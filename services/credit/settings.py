"""Credit service settings (`PLEDGEFLOW_CREDIT_*`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
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
    registry_url: str = Field(
        default="http://127.0.0.1:8001", description="the registry's API, for reconciliation"
    )
    reconciliation_interval: float = Field(
        default=3600.0, gt=0, description="seconds between scheduled reconciliations"
    )
    reconciliation_grace_seconds: float = Field(
        default=600.0,
        ge=0,
        description="loans and pledges changed this recently are left for the next run",
    )
    reconciliation_issuer: str | None = Field(
        default=None,
        description="the `iss` of the operator credential credit signs to read the registry's "
        "pledges; unset means the local development issuer",
    )
    reconciliation_issuer_keys: Path | None = Field(
        default=None, description="folder of that issuer's signing keys and jwks.json"
    )

    @model_validator(mode="after")
    def _reconciles_as_its_own_issuer(self) -> CreditSettings:
        if self.environment == "production" and (
            self.reconciliation_issuer is None or self.reconciliation_issuer_keys is None
        ):
            raise ValueError(
                "production needs credit's own issuer for reconciliation (RECONCILIATION_ISSUER "
                "and RECONCILIATION_ISSUER_KEYS); the development issuer is for local use only"
            )
        return self
