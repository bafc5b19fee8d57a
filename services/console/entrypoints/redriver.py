"""Puts redriven dead letters back on their source topics, as they first arrived there.

The record's key, value and original headers are published again (the `dlq.*` headers left
off); the consumer groups that handled the event already skip it, the one that failed tries
it again. A redrive is published at least once: the redrive is marked once the broker has
acknowledged it.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable
from typing import Any

from services.console.service_layer import commands as c
from shared.bus.base import EventBus, Record
from shared.kernel.clock import Clock
from shared.messagebus import MessageBus

log = logging.getLogger(__name__)


def redriven_record(letter: dict[str, Any]) -> Record:
    """The dead letter's record, addressed to the topic it came from."""
    headers = tuple(
        (name, base64.b64decode(value))
        for name, value in letter["record_headers"]
        if not name.startswith("dlq.")
    )
    return Record(
        topic=letter["source_topic"],
        key=letter["record_key"] or "",
        value=base64.b64decode(letter["record_value"]),
        headers=headers,
    )


class Redriver:
    """Publishes the redrives people asked for."""

    def __init__(
        self,
        messages: Callable[[], MessageBus[Any]],
        bus: Callable[[], EventBus],
        clock: Clock,
        interval: float = 0.5,
    ) -> None:
        self._messages = messages
        self._bus = bus
        self._clock = clock
        self._interval = interval
        self.published = 0

    async def run(self) -> None:
        """Publish pending redrives until cancelled."""
        while True:
            try:
                await self.publish_pending()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("redrives not published; trying again")
            await asyncio.sleep(self._interval)

    async def publish_pending(self) -> int:
        """Publish every pending redrive; returns how many."""
        pending = await self._messages().query(c.UnpublishedRedrives())
        if not pending:
            return 0
        await self._bus().publish([redriven_record(letter) for letter in pending])
        ids = tuple(str(letter["redrive_id"]) for letter in pending)
        await self._messages().handle(c.MarkRedrivesPublished(ids, self._clock.now()))
        self.published += len(ids)
        log.info("dead letters redriven", extra={"count": len(ids)})
        return len(ids)
