"""Where the time comes from: the machine's clock in service, a clock moved by hand in tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the current instant, timezone-aware, in UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The instant the clock was last set to."""
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta`; returns the new time."""
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> None:
        """Jump to `instant`."""
        if instant.tzinfo is None:
            raise ValueError("the clock needs a timezone-aware instant")
        self._now = instant.astimezone(UTC)
