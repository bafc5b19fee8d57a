"""What the console's service layer needs from storage and from the services it acts on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, Self

from services.console.domain.answers import (
    Answer,
    RefusedAsConflict,
    ServiceDown,
    ServiceRefused,
)
from services.console.domain.staff import Person
from shared.calendar_store import ScheduleStore

__all__ = [
    "Answer",
    "ConsoleUnitOfWork",
    "RefusedAsConflict",
    "ServiceDown",
    "ServiceRefused",
    "Services",
]

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

    def record_decision(self, kind: str, subject: str, details: dict[str, object]) -> None:
        """Enter a staff action in the decision ledger, with this transaction."""
        ...


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
