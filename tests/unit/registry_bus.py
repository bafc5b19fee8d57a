"""The registry's message bus on in-memory storage, as its handler tests drive it: a `Desk`
with its clock, its calendar and what it committed, and the rights and filings they file."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from services.registry.bootstrap import bootstrap
from services.registry.domain.filing import Party, PledgeFilingData
from services.registry.domain.pledge import FilingStatus, PledgeFiling
from services.registry.domain.register import Holder, Patent
from services.registry.service_layer import examination, handlers
from services.registry.service_layer.deps import RegistryDeps
from shared.calendars import CalendarBook
from shared.context import EventContext
from shared.envelope import Envelope
from shared.identifiers import make_uscc, patent_check_digit
from shared.kernel.clock import ManualClock
from shared.kernel.errors import DomainError
from shared.kernel.messages import Command
from shared.messagebus import MessageBus
from shared.workdays import BEIJING, OfficialCalendar, beijing_date
from tests.fakes.registry import FakeRegistryDatabase, FakeRegistryUnitOfWork

# Monday 2 March 2026, 10:00 in Beijing: a year the calendar knows.
START = datetime(2026, 3, 2, 10, tzinfo=BEIJING).astimezone(UTC)
PLEDGOR = Party("Hangzhou Lens Optics Co., Ltd.", make_uscc(7), "1 Wensan Road, Hangzhou")
PLEDGEE = Party("Hangzhou Science and Technology Bank", "91330100609123456B", "88 Qianjiang Road")
OTHER_BANK = "913702007180012344"
HOLDER = Holder(PLEDGOR.name, PLEDGOR.uscc)


def patent_number(serial: int) -> str:
    digits = f"20191{serial:07d}"
    return f"{digits}.{patent_check_digit(digits)}"


PATENT, SECOND = patent_number(11), patent_number(12)
WARNING = "patent.invalidation_pending"


class Desk:
    """The registry's bus on fake storage, with its clock, calendar and what it committed."""

    def __init__(self, database: FakeRegistryDatabase | None = None) -> None:
        self.database = database or FakeRegistryDatabase()
        self.clock = ManualClock(START)
        official = OfficialCalendar()
        self.deps = RegistryDeps(official, CalendarBook(official), self.clock)
        self.bus: MessageBus[FakeRegistryUnitOfWork] = bootstrap(
            self.database.unit_of_work, self.deps
        )

    async def handle(self, command: Command, case: str | None = None) -> Any:
        context = EventContext(case) if case else None
        return (await self.bus.handle(command, context=context)).result

    async def record(self, *patents: Patent) -> None:
        await self.handle(handlers.RecordRights(patents, beijing_date(self.clock.now())))

    async def file(
        self,
        data: PledgeFilingData,
        case: str = "case-1",
        channel: str = "api",
        reference: str | None = None,
    ) -> PledgeFiling:
        caller = PLEDGEE.uscc if channel == "api" else None
        command = handlers.FilePledge(data, channel, reference, self.clock.now(), caller)
        filing: PledgeFiling = await self.handle(command, case)
        return filing

    async def examined(self, **changes: Any) -> PledgeFiling:
        """A filing the checks send to an examiner: a pending invalidation, acknowledged
        unless `acknowledged` says otherwise."""
        await self.record(patent(invalidation_pending=True))
        filed = await self.file(filing_data(**({"acknowledged": frozenset({WARNING})} | changes)))
        assert filed.status is FilingStatus.IN_EXAMINATION
        return filed

    async def claimed(self, examiner: str = "exa", **changes: Any) -> PledgeFiling:
        filed = await self.examined(**changes)
        await self.handle(examination.ClaimFiling(filed.filing_id, examiner, self.clock.now()))
        return filed

    async def filing(self, filing_id: str) -> PledgeFiling:
        found: PledgeFiling = await self.bus.query(handlers.GetFiling(filing_id))
        return found

    async def held(self, *rights: str) -> dict[str, str]:
        async with self.database.unit_of_work() as uow:
            return await uow.filings.active_pledges(rights)

    def events(self, event_type: str | None = None) -> list[Envelope]:
        return self.database.events(event_type)

    def kinds(self, aggregate_id: str) -> list[str]:
        return [e.event_type for e in self.events() if e.aggregate_id == aggregate_id]

    def gazette(self) -> list[tuple[str, str, str]]:
        return [
            (e.entry_type.value, e.right_number, e.registration_number)
            for e in self.database.register_entries.values()
        ]


@pytest.fixture
def desk() -> Desk:
    return Desk()


def patent(number: str = PATENT, **changes: Any) -> Patent:
    entry = Patent(
        number=number,
        kind="invention",
        title="Lens assembly with adaptive focus",
        holders=(HOLDER,),
        filing_date=date(2019, 3, 1),
        grant_date=date(2021, 5, 10),
        legal_status="valid",
        fees_paid_through=date(2027, 3, 1),
        main_ipc="G02B 7/02",
    )
    return replace(entry, **changes)


def filing_data(*rights: str, **changes: Any) -> PledgeFilingData:
    data = PledgeFilingData(
        pledgor=PLEDGOR,
        pledgee=PLEDGEE,
        debt_type="loan",
        secured_amount=Decimal("300000.00"),
        performance_deadline=date(2027, 3, 1),
        patents=rights or (PATENT,),
        scope_of_guarantee="principal, interest and enforcement costs",
        filed_on=date(2026, 3, 2),
    )
    return replace(data, **changes)


async def refused(action: Awaitable[object]) -> DomainError:
    """The refusal a command or query met."""
    with pytest.raises(DomainError) as raised:
        await action
    return raised.value


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
