"""Keeps a service's view of the broker honest: is it reachable, and do the topics exist?

Every `interval` seconds the watch asks the broker for its topics and creates the missing ones
with their settings (`shared.topics.TopicSettings`): a broker that lost its data (an in-memory
broker restarted, a cluster rebuilt) gets the service's topics back instead of leaving its
consumers waiting on partitions that no longer exist. The outbox relay asks the watch before it
publishes after a failure, so its records go to topics made with the right settings rather
than to ones the broker makes on the fly with its defaults.

The watch's findings feed `/readyz`: the broker is a problem while it cannot be reached, and
topics whose settings could not be applied are warnings.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from shared.bus.kafka import TopicCheck

log = logging.getLogger(__name__)

Check = Callable[[Sequence[str]], Awaitable[TopicCheck]]


class BrokerWatch:
    """Checks the broker and the service's topics now and then; remembers what it found."""

    def __init__(
        self,
        check: Check,
        topics: Sequence[str],
        *,
        interval: float,
        timeout: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._check = check
        self._topics = tuple(topics)
        self._interval = interval
        self._timeout = timeout
        self._clock = clock
        self._verified = False
        self._lock = asyncio.Lock()
        self.failure: str | None = None
        self.failing_since: float | None = None
        self.differing: dict[str, str] = {}
        self.recreated = 0

    async def check(self) -> TopicCheck:
        """Ask the broker now; the topics are created if missing. Raises when it cannot."""
        async with self._lock:
            try:
                async with asyncio.timeout(self._timeout):
                    found = await self._check(self._topics)
            except Exception as exc:
                self._verified = False
                if self.failing_since is None:
                    self.failing_since = self._clock()
                self.failure = f"{type(exc).__name__}: {exc}"
                raise
            self._verified = True
            self.failure = None
            self.failing_since = None
            self.differing = found.differing
            self.recreated += len(found.created)
            return found

    def suspect(self) -> None:
        """Something failed on the broker: check the topics again before the next publish."""
        self._verified = False

    async def before_publish(self) -> None:
        """Make sure the topics exist before records go out after a failure."""
        if not self._verified:
            await self.check()

    async def run(self) -> None:
        """Check every `interval` seconds until cancelled."""
        while True:
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("the broker cannot be reached", extra={"error": repr(exc)})
            await asyncio.sleep(self._interval)

    def problems(self) -> dict[str, str]:
        """The broker as a readiness problem while it cannot be reached."""
        if self.failure is None:
            return {}
        since = self.failing_since or self._clock()
        return {"broker": f"unreachable for {self._clock() - since:.0f}s: {self.failure}"}

    def warnings(self) -> dict[str, str]:
        """Topics whose settings differ from the service's and could not be changed."""
        return {f"topic {topic}": detail for topic, detail in self.differing.items()}
