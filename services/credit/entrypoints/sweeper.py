"""The background task that fires due saga deadlines, every `sweep_interval` seconds.

Deadlines are rows, so a restart loses none: the first sweep after start fires whatever came
due while the service was down. Each loan's deadlines fire in that loan's own transaction;
a loan changed concurrently is left for the next sweep.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from services.credit.service_layer import timeouts
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.unit_of_work import CreditUnitOfWork

log = logging.getLogger(__name__)

BATCH = 100
MAX_BACKOFF = 30.0


class TimeoutSweeper:
    """Fires due deadlines; first makes the configured quota totals the ones in force."""

    def __init__(
        self,
        unit_of_work: Callable[[], CreditUnitOfWork],
        deps: CreditDeps,
        interval: float,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._deps = deps
        self._interval = interval
        self.fired = 0

    async def run(self) -> None:
        """Sync quotas, then sweep until cancelled; failures are logged and retried."""
        backoff = self._interval
        synced = False
        while True:
            try:
                if not synced:
                    await self.sync_quotas()
                    synced = True
                while await self.sweep_once() >= BATCH:
                    pass
                backoff = self._interval
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("timeout sweep failed; retrying", extra={"backoff": backoff})
                backoff = min(backoff * 2, MAX_BACKOFF)
            await asyncio.sleep(backoff)

    async def sync_quotas(self) -> None:
        """Write each bank's configured quota total."""
        async with self._unit_of_work() as uow:
            await timeouts.sync_quotas(self._deps, uow)

    async def sweep_once(self) -> int:
        """Fire every deadline due now; returns how many loans were looked at."""
        async with self._unit_of_work() as uow:
            due = await timeouts.loans_with_due_timeouts(self._deps, uow, BATCH)
        for loan_id in due:
            try:
                async with self._unit_of_work() as uow:
                    fired = await timeouts.fire_timeouts(loan_id, self._deps, uow)
            except (StaleDataError, IntegrityError):
                log.info("loan changed during the sweep; next sweep", extra={"loan_id": loan_id})
                continue
            self.fired += len(fired)
            if fired:
                log.info(
                    "deadline fired",
                    extra={"loan_id": loan_id, "kinds": [k.value for k in fired]},
                )
        return len(due)
