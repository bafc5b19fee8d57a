"""Hearing of changes other replicas commit: PostgreSQL LISTEN on a channel a trigger notifies.

A notification is delivered when the writing transaction commits, to every replica listening
on the service's database, within milliseconds. A listener that loses its connection
reconnects and reports a change at once (it may have missed one); the caller's periodic look
covers everything else, including SQLite, where there is nothing to listen to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

RECONNECT_SECONDS = 5.0


class ChangeListener:
    """Calls `on_change` for each notification on `channel`, until cancelled."""

    def __init__(
        self,
        engine: AsyncEngine,
        channel: str,
        on_change: Callable[[], None],
        reconnect_seconds: float = RECONNECT_SECONDS,
    ) -> None:
        self._engine = engine
        self._channel = channel
        self._on_change = on_change
        self._reconnect_seconds = reconnect_seconds
        self.listening = asyncio.Event()

    async def run(self) -> None:
        """Listen, reconnecting after a lost connection (off PostgreSQL: idle until cancelled)."""
        if self._engine.dialect.name != "postgresql":
            await asyncio.Event().wait()
        first = True
        while True:
            try:
                await self._listen_until_lost(report_change=not first)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning(
                    "change notifications unavailable; relying on the periodic look",
                    extra={"channel": self._channel},
                    exc_info=True,
                )
            first = False
            self.listening.clear()
            await asyncio.sleep(self._reconnect_seconds)

    def _notified(self, *_: object) -> None:
        self._on_change()

    async def _listen_until_lost(self, report_change: bool) -> None:
        lost = asyncio.Event()
        connection = await self._engine.connect()
        try:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            driver.add_termination_listener(lambda *_: lost.set())
            await driver.add_listener(self._channel, self._notified)
            self.listening.set()
            if report_change:
                self._on_change()
            try:
                await lost.wait()
            finally:
                with contextlib.suppress(Exception):
                    await driver.remove_listener(self._channel, self._notified)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(connection.close())
        raise ConnectionError(f"listening connection on {self._channel} lost")
