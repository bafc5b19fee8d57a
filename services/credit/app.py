"""The credit service: bank-facing and internal APIs, consumers, outbox relay and sweeper."""

from __future__ import annotations

import asyncio
import contextlib
from typing import cast

from fastapi import FastAPI

from services.credit.adapters.orm import audit_log, metadata
from services.credit.domain.events import LOANS_TOPIC
from services.credit.entrypoints import api, internal_api
from services.credit.entrypoints.consumers import credit_consumers
from services.credit.entrypoints.sweeper import TimeoutSweeper
from services.credit.service_layer.banks import load_config
from services.credit.service_layer.clock import Clock, SystemClock
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.unit_of_work import CreditUnitOfWork
from services.credit.settings import CreditSettings
from shared.audit import install_audit
from shared.bus.base import EventBus
from shared.http import service_app
from shared.runtime import ServiceRuntime
from shared.workdays import OfficialCalendar


class CreditRuntime(ServiceRuntime):
    """The shared runtime plus the deadline sweeper."""

    def __init__(self, settings: CreditSettings, deps: CreditDeps, bus: EventBus | None) -> None:
        super().__init__(
            "credit",
            settings,
            metadata,
            CreditUnitOfWork,
            consumers=credit_consumers(deps),
            produces=(LOANS_TOPIC,),
            bus=bus,
        )
        self.sweeper = TimeoutSweeper(self.credit_unit_of_work, deps, settings.sweep_interval)
        self._sweeper_task: asyncio.Task[None] | None = None

    def credit_unit_of_work(self) -> CreditUnitOfWork:
        """A fresh unit of work on the credit database."""
        return cast(CreditUnitOfWork, self.unit_of_work())

    async def start(self) -> None:
        await super().start()
        self._sweeper_task = asyncio.create_task(self.sweeper.run(), name="credit-sweeper")

    async def stop(self) -> None:
        if self._sweeper_task is not None:
            self._sweeper_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper_task
            self._sweeper_task = None
        await super().stop()

    async def readiness(self) -> dict[str, str]:
        problems = await super().readiness()
        if self._sweeper_task is None or self._sweeper_task.done():
            problems["credit-sweeper"] = "stopped"
        return problems


def create_app(
    settings: CreditSettings | None = None,
    bus: EventBus | None = None,
    clock: Clock | None = None,
    calendar: OfficialCalendar | None = None,
) -> FastAPI:
    """Build the app; resources are opened in the lifespan."""
    settings = settings or CreditSettings()
    config = load_config(settings.banks_file)
    deps = CreditDeps(
        banks=config.banks,
        programmes=config.programmes,
        calendar=calendar or OfficialCalendar(),
        clock=clock or SystemClock(),
    )
    runtime = CreditRuntime(settings, deps, bus)
    app = service_app(
        runtime,
        "IP-pledge loans for banks: applications, decisions, offers, disbursement, repayment, "
        "default; referrals and statistics for the credit desk.",
        [api.router, internal_api.router],
        banks=config.banks,
        deps=deps,
    )
    install_audit(app, audit_log)
    return app
