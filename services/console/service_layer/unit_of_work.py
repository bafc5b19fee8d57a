"""The console's unit of work on its own database."""

from __future__ import annotations

from typing import Self

from services.console.adapters.orm import calendar_schedules
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
from shared.calendar_store import ScheduleStore
from shared.uow import SqlUnitOfWork


class SqlConsoleUnitOfWork(SqlUnitOfWork):
    """One transaction with every read model and record of the console."""

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        session = self.session
        self.cases = CaseRecords(session)
        self.filings = FilingRecords(session)
        self.rights = RightRecords(session)
        self.valuations = ValuationRecords(session)
        self.loans = LoanRecords(session)
        self.dead_letters = DeadLetterRecords(session)
        self.actions = ActionLog(session)
        self.sessions = SessionRecords(session)
        self.calendar = ScheduleStore(session, calendar_schedules)
        return self
