"""What the console's service layer needs from storage and from the services it acts on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, Self

from services.console.domain.staff import Person
from shared.calendar_store import ScheduleStore
from shared.kernel.errors import Conflict, DomainError, Unavailable

if TYPE_CHECKING:
    from services.console.adapters.repository import (
        ActionLog,
        CaseRecords,
        DeadLetterRecords,
        FilingRecords,
        LoanRecords,
        RightRecords,
        SessionRecords,
        ValuationRecords,
    )


class ConsoleUnitOfWork(Protocol):
    """One transaction on the console's database, with its read models and records."""

    cases: CaseRecords
    filings: FilingRecords
    rights: RightRecords
    valuations: ValuationRecords
    loans: LoanRecords
    dead_letters: DeadLetterRecords
    actions: ActionLog
    sessions: SessionRecords
    calendar: ScheduleStore

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...


class ServiceRefused(DomainError):
    """A service refused what the person asked (a 4xx answer), with its code and detail.

    The console keeps the attempt in its audit, so what was changed is committed.
    """

    keep_changes = True

    def __init__(self, status: int, code: str, title: str, detail: str = "") -> None:
        super().__init__(detail or title, code=code)
        self.status = status
        self.title = title


class RefusedAsConflict(ServiceRefused, Conflict):
    """The state of what was asked does not allow it (409 and the like)."""


class ServiceDown(Unavailable):
    """A service could not be reached or failed; nothing was done."""

    code = "console.service_unavailable"
    title = "The service cannot be reached; try again shortly"


@dataclass(frozen=True)
class Answer:
    """A service's successful answer."""

    status: int
    body: Any


class Services(Protocol):
    """The services' internal APIs, called on behalf of a signed-in person."""

    async def call(
        self,
        person: Person,
        service: str,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
    ) -> Answer:
        """The answer; `ServiceRefused` for a refusal, `ServiceDown` when unreachable."""
        ...
