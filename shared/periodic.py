"""Background work that runs at a fixed interval beside a service's consumers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def every(
    interval: float,
    action: Callable[[], Awaitable[object]],
    *,
    first_delay: float = 0.0,
    max_backoff: float = 30.0,
) -> None:
    """Run `action` every `interval` seconds until cancelled.

    A failed run is logged and tried again after a growing pause (up to `max_backoff`); the
    first success returns to the regular interval.
    """
    await asyncio.sleep(first_delay)
    pause = interval
    while True:
        try:
            await action()
            pause = interval
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("periodic job failed; trying again", extra={"pause": pause})
            pause = min(max(pause, interval) * 2, max(max_backoff, interval))
        await asyncio.sleep(pause)
