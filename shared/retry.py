"""Which failures are worth trying again: outages wait for the service to return, conflicts
are lost races that a fresh attempt on the new state may win."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

# Serialization failure and deadlock: PostgreSQL chose this transaction to lose a race.
_RACE_STATES = frozenset({"40001", "40P01"})


def is_outage(exc: BaseException) -> bool:
    """The database or network is unavailable: nothing can be processed until it returns."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if _sqlstate(exc) in _RACE_STATES:
        return False
    return isinstance(exc, OperationalError | InterfaceError | ConnectionError | TimeoutError)


def is_conflict(exc: BaseException) -> bool:
    """A concurrent writer won a race; a fresh attempt reads the new state."""
    return isinstance(exc, IntegrityError | StaleDataError) or _sqlstate(exc) in _RACE_STATES


def is_dropped_connection(exc: BaseException) -> bool:
    """A pooled connection the database had closed: a fresh attempt gets a live one."""
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return str(state) if state else None


@dataclass(frozen=True)
class Backoff:
    """Exponential delays for 1-based attempts, capped."""

    first: float = 0.05
    cap: float = 5.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before the attempt after `attempt`."""
        return min(self.first * 2 ** (attempt - 1), self.cap)
