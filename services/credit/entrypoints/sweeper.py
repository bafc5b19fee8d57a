"""The timer that fires due saga deadlines, every `sweep_interval` seconds.

Deadlines are rows, so a restart loses none: the first sweep after start fires whatever came
due while the service was down. Each loan's deadlines fire in that loan's own transaction
(the bus retries a loan changed concurrently).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from services.credit.service_layer import commands as c
from services.credit.service_layer.terms import ShareTerms
from shared.messagebus import MessageBus, WriteConflict

log = logging.getLogger(__name__)

BATCH = 100


class TimeoutSweeper:
    """Fires due deadlines; first offers this replica's lending terms (and their quota totals)
    to the others, and lends under the newest stored."""

    def __init__(self, messages: Callable[[], MessageBus[Any]]) -> None:
        self._bus = messages
        self._synced = False
        self.fired = 0

    async def sweep(self) -> None:
        """One run: share the lending terms (once), then fire everything due, a batch at a time."""
        if not self._synced:
            await self._bus().handle(ShareTerms())
            self._synced = True
        while await self.sweep_once() >= BATCH:
            pass

    async def sweep_once(self) -> int:
        """Fire every deadline due now (up to a batch); returns how many loans were looked at."""
        due: list[str] = await self._bus().query(c.DueTimeouts(BATCH))
        for loan_id in due:
            try:
                handled = await self._bus().handle(c.FireTimeouts(loan_id))
            except WriteConflict:
                log.info(
                    "loan kept changing during the sweep; next sweep", extra={"loan_id": loan_id}
                )
                continue
            fired = handled.result or []
            self.fired += len(fired)
            if fired:
                log.info(
                    "deadline fired", extra={"loan_id": loan_id, "kinds": [k.value for k in fired]}
                )
        return len(due)
