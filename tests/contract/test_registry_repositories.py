"""The registry's register of rights, filings, the one active pledge per right and the
registration numbers: the same tests on the in-memory fakes, on PostgreSQL and on SQLite with
the real migrations, so the fakes the service tests use cannot drift (the storage under test:
registry_backends.py)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from services.registry.domain.amendments import CancellationReason, PledgeChange
from services.registry.domain.checks import CheckResult
from services.registry.domain.pledge import FilingStatus, PledgeFiling
from services.registry.service_layer.deadlines import registration_deadline
from shared.retry import is_conflict
from shared.workdays import OfficialCalendar
from tests.contract.dedup_contract import (
    DedupCase,
    test_a_request_is_remembered_with_what_it_made,
    test_a_request_remembered_concurrently_is_a_conflict,
    test_an_event_is_claimed_once,
)
from tests.contract.registry_backends import (
    PATENT,
    T0,
    WARNING,
    Backend,
    backend,
    entered,
    examined,
    gazette_lines,
    pledged,
    postgres_backend,
    postgres_database,
    received,
    registered,
    saved,
    search,
    sqlite_backend,
    sqlite_database,
)
from tests.contract.storage import conflict_of
from tests.unit.test_registry_checks import (
    INVENTION,
    MARK,
    PATENTEE,
    PLEDGEE,
    STRANGER,
    UTILITY,
)

# Fixtures and the shared deduplication tests, collected here with this module's storage.
__all__ = [
    "backend",
    "postgres_backend",
    "postgres_database",
    "sqlite_backend",
    "sqlite_database",
    "test_a_request_is_remembered_with_what_it_made",
    "test_a_request_remembered_concurrently_is_a_conflict",
    "test_an_event_is_claimed_once",
]


# The register


async def test_a_right_entered_reads_back_and_each_version_is_announced(
    backend: Backend,
) -> None:
    await entered(backend, INVENTION, MARK)
    frozen = replace(INVENTION, frozen=True)
    async with backend.unit_of_work() as uow:
        entry = await uow.register.entry(PATENT, "patent")
        assert entry.version == 1
        entry.enter(frozen)
        await uow.register.save_entry(entry)
        await uow.commit()

    async with backend.unit_of_work() as uow:
        assert await uow.register.patents((PATENT, UTILITY.number)) == {PATENT: frozen}
        assert await uow.register.trademarks((MARK.number, PATENT)) == {MARK.number: MARK}
        assert (await uow.register.entry(PATENT, "patent")).version == 2
        assert (await uow.register.entry(UTILITY.number, "patent")).version == 0

    announced = [
        (e.event_type, e.aggregate_id, e.aggregate_version) for e in await backend.events()
    ]
    assert announced == [
        ("registry.patent.recorded", PATENT, 1),
        ("registry.trademark.recorded", MARK.number, 1),
        ("registry.patent.recorded", PATENT, 2),
    ]
    assert (await backend.events())[2].payload["frozen"] is True


async def test_an_owners_marks_are_all_found(backend: Backend) -> None:
    theirs = replace(MARK, number="23456790", owner=STRANGER)
    second = replace(MARK, number="23456791", mark="LANXIN PRO")
    await entered(backend, MARK, theirs, second)

    async with backend.unit_of_work() as uow:
        mine = await uow.register.marks_of(PATENTEE.uscc)
        nobodys = await uow.register.marks_of(PLEDGEE.uscc)

    assert sorted(m.number for m in mine) == [MARK.number, second.number]
    assert nobodys == []


async def test_a_same_day_twin_is_found_from_either_entry(backend: Backend) -> None:
    invention = replace(INVENTION, filing_date=UTILITY.filing_date)
    utility = replace(UTILITY, same_day_twin=invention.number)
    unrelated = replace(INVENTION, number="201910000042.8")
    await entered(backend, invention, utility, unrelated)

    async with backend.unit_of_work() as uow:
        from_invention = await uow.register.same_day_twins({invention.number: invention})
        from_utility = await uow.register.same_day_twins({utility.number: utility})
        alone = await uow.register.same_day_twins({unrelated.number: unrelated})

    assert from_invention == {invention.number: utility}
    assert from_utility == {utility.number: invention}
    assert alone == {}


async def test_nothing_is_kept_without_a_commit(backend: Backend) -> None:
    filing = registered("Y2026000001")
    async with backend.unit_of_work() as uow:
        entry = await uow.register.entry(PATENT, "patent")
        entry.enter(INVENTION)
        await uow.register.save_entry(entry)
        await uow.filings.save(filing)
        await uow.filings.hold_rights(filing)
        await uow.gazette.add(gazette_lines(filing, T0))

    async with backend.unit_of_work() as uow:
        assert await uow.register.patents((PATENT,)) == {}
        assert await uow.filings.get(filing.filing_id) is None
        assert await uow.filings.active_pledges((PATENT,)) == {}
        assert await uow.filings.next_registration_number(date(2026, 3, 2)) == "Y2026000001"
        assert await search(uow) == (0, [])
    assert await backend.events() == []


# Filings


def through_its_life() -> PledgeFiling:
    """A filing examined, corrected, acknowledged, registered, changed and cancelled."""
    filing = examined(reference="loan-1", channel="credit")
    at = T0 + timedelta(days=3)
    assert filing.flag_sla_breach(at)
    filing.claim("exa", at)
    filing.request_correction("exa", ("scope_of_guarantee",), "State the scope.", at)
    corrected = replace(filing.data, scope_of_guarantee="principal and interest")
    later = at + timedelta(hours=2)
    deadline = registration_deadline(later, False, OfficialCalendar())
    filing.correct(corrected, CheckResult((WARNING,)), deadline, later)
    filing.acknowledge("exa", (WARNING.code,), "Both parties confirmed in writing.", later)
    filing.register("Y2026000007", later, "exa")
    filing.change(PledgeChange(secured_amount=Decimal("450000.00")), CheckResult(()), later)
    filing.cancel(CancellationReason.DEBT_REPAID, later + timedelta(days=30))
    return filing


async def test_a_filing_reads_back_as_it_was_saved(backend: Backend) -> None:
    filing = through_its_life()
    await saved(backend, filing)

    async with backend.unit_of_work() as uow:
        found = await uow.filings.get(filing.filing_id)
        assert await uow.filings.get("no-such-filing") is None

    assert found == filing
    assert (found.status, found.version) == (FilingStatus.CANCELLED, 10)
    assert found.data.secured_amount == Decimal("450000.00")


async def test_a_commit_ships_the_events_of_the_filings_seen_under_their_case(
    backend: Backend,
) -> None:
    filing = examined(reference="loan-1", channel="credit")
    await saved(backend, filing)
    async with backend.unit_of_work() as uow:
        found = await uow.filings.get(filing.filing_id)
        assert found is not None
        found.claim("exa", T0)
        await uow.filings.save(found)
        await uow.commit()

    shipped = await backend.events()
    assert [(e.event_type, e.aggregate_id, e.aggregate_version) for e in shipped] == [
        ("registry.filing.received", filing.filing_id, 1),
        ("registry.filing.queued_for_examination", filing.filing_id, 2),
        ("registry.filing.claimed", filing.filing_id, 3),
    ]
    assert {(e.correlation_id, e.producer) for e in shipped} == {("case-loan-1", "registry")}


async def test_a_filing_is_found_by_its_senders_reference_and_its_registration_number(
    backend: Backend,
) -> None:
    first = received(T0, reference="loan-1", channel="credit")
    again = received(T0 + timedelta(minutes=5), reference="loan-1", channel="credit")
    by_api = received(T0, reference="loan-2", channel="api")
    pledge = registered("Y2026000001", "201910000042.8")
    await saved(backend, again, first, by_api, pledge)

    async with backend.unit_of_work() as uow:
        by_reference = await uow.filings.by_reference("credit", "loan-1")
        elsewhere = await uow.filings.by_reference("credit", "loan-2")
        by_number = await uow.filings.by_registration_number("Y2026000001")
        unknown = await uow.filings.by_registration_number("Y2026999999")

    assert by_reference is not None and by_reference.filing_id == first.filing_id
    assert by_number is not None and by_number.filing_id == pledge.filing_id
    assert (elsewhere, unknown) == (None, None)


async def test_a_pledgees_pledges_are_listed_active_or_cancelled_a_page_at_a_time(
    backend: Backend,
) -> None:
    first = registered("Y2026000001", PATENT)
    second = registered("Y2026000002", UTILITY.number)
    third = registered("Y2026000003", "201910000042.8")
    third.cancel(CancellationReason("debt_repaid"), T0 + timedelta(days=1))
    undecided = received(rights=(INVENTION.number,))
    await saved(backend, third, first, undecided, second)
    pledgee = first.data.pledgee.uscc

    async with backend.unit_of_work() as uow:
        page = await uow.filings.pledges_to(pledgee, "", 2)
        rest = await uow.filings.pledges_to(pledgee, "Y2026000002", 2)
        another = await uow.filings.pledges_to(STRANGER.uscc, "", 10)
        active = await uow.filings.pledges_to(pledgee, "", 10, active_only=True)

    assert [f.registration_number for f in page] == ["Y2026000001", "Y2026000002"]
    assert [(f.registration_number, f.status) for f in rest] == [
        ("Y2026000003", FilingStatus.CANCELLED)
    ]
    assert another == []
    assert [f.registration_number for f in active] == ["Y2026000001", "Y2026000002"]


async def test_a_save_that_lost_a_race_is_refused(backend: Backend) -> None:
    backend.concurrently()
    filing = examined()
    await saved(backend, filing)
    async with backend.unit_of_work() as first, backend.unit_of_work() as second:
        mine = await first.filings.get(filing.filing_id)
        theirs = await second.filings.get(filing.filing_id)
        assert mine is not None and theirs is not None
        mine.claim("exa", T0)
        await first.filings.save(mine)
        await first.commit()

        async def claim_too() -> None:
            theirs.claim("exb", T0)
            await second.filings.save(theirs)
            await second.commit()

        await conflict_of(claim_too)

    async with backend.unit_of_work() as uow:
        kept = await uow.filings.get(filing.filing_id)
    assert kept is not None and kept.claimed_by == "exa"


async def test_a_filing_is_received_once(backend: Backend) -> None:
    filing = received()
    await saved(backend, filing)

    async def receive_again() -> None:
        await saved(backend, filing)

    await conflict_of(receive_again)


async def test_a_registration_number_names_one_filing(backend: Backend) -> None:
    await saved(backend, registered("Y2026000001"))

    async def number_again() -> None:
        await saved(backend, registered("Y2026000001", "201910000042.8"))

    await conflict_of(number_again)


# One active pledge per right


async def test_a_right_is_held_by_one_pledge_until_it_is_released(backend: Backend) -> None:
    first = registered("Y2026000001", PATENT, MARK.number)
    second = registered("Y2026000002", PATENT)
    await pledged(backend, first)

    async with backend.unit_of_work() as uow:
        held = await uow.filings.active_pledges((PATENT, MARK.number, UTILITY.number))
        assert not await uow.filings.try_hold_rights(second)

    async def hold_as_well() -> None:
        await pledged(backend, second)

    await conflict_of(hold_as_well)
    assert held == {PATENT: "Y2026000001", MARK.number: "Y2026000001"}

    async with backend.unit_of_work() as uow:
        await uow.filings.release_rights(first)
        await uow.commit()
    async with backend.unit_of_work() as uow:
        assert await uow.filings.active_pledges((PATENT, MARK.number)) == {}
        assert await uow.filings.try_hold_rights(second)
        await uow.commit()
    async with backend.unit_of_work() as uow:
        assert await uow.filings.active_pledges((PATENT, MARK.number)) == {PATENT: "Y2026000002"}


async def test_a_right_taken_while_a_filing_waited_is_not_held_twice(backend: Backend) -> None:
    backend.concurrently()
    first, second = registered("Y2026000001"), registered("Y2026000002")
    async with backend.unit_of_work() as mine, backend.unit_of_work() as theirs:
        assert await theirs.filings.active_pledges((PATENT,)) == {}
        assert await mine.filings.try_hold_rights(first)
        await mine.commit()
        assert not await theirs.filings.try_hold_rights(second)
        assert await theirs.filings.active_pledges((PATENT,)) == {PATENT: "Y2026000001"}


async def test_two_filings_holding_one_right_at_once_leave_one_pledge(backend: Backend) -> None:
    backend.concurrently()

    async def hold(filing: PledgeFiling) -> None:
        async with backend.unit_of_work() as uow:
            await uow.filings.hold_rights(filing)
            await asyncio.sleep(0.05)
            await uow.commit()

    outcomes = await asyncio.gather(
        hold(registered("Y2026000001")), hold(registered("Y2026000002")), return_exceptions=True
    )

    failures = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(failures) == 1 and is_conflict(failures[0]), outcomes
    async with backend.unit_of_work() as uow:
        [number] = (await uow.filings.active_pledges((PATENT,))).values()
    assert number == ["Y2026000001", "Y2026000002"][outcomes.index(None)]


# Registration numbers


async def take_numbers(backend: Backend, on: date, count: int, commit: bool = True) -> list[str]:
    async with backend.unit_of_work() as uow:
        numbers = [await uow.filings.next_registration_number(on) for _ in range(count)]
        if commit:
            await uow.commit()
    return numbers


async def test_registration_numbers_run_on_per_year_without_gaps_or_repeats(
    backend: Backend,
) -> None:
    in_2026 = await take_numbers(backend, date(2026, 3, 2), 2)
    abandoned = await take_numbers(backend, date(2026, 3, 3), 1, commit=False)
    next_year = await take_numbers(backend, date(2027, 1, 4), 1)
    after = await take_numbers(backend, date(2026, 12, 31), 1)

    assert in_2026 == ["Y2026000001", "Y2026000002"]
    assert abandoned == ["Y2026000003"]
    assert next_year == ["Y2027000001"]
    assert after == ["Y2026000003"]


async def test_numbers_taken_at_once_never_repeat(backend: Backend) -> None:
    backend.concurrently()

    async def take() -> str:
        async with backend.unit_of_work() as uow:
            number = await uow.filings.next_registration_number(date(2026, 3, 2))
            await asyncio.sleep(0.05)
            await uow.commit()
            return number

    outcomes = await asyncio.gather(take(), take(), take(), return_exceptions=True)

    numbers = sorted(o for o in outcomes if isinstance(o, str))
    assert all(is_conflict(o) for o in outcomes if isinstance(o, BaseException)), outcomes
    assert numbers == [f"Y2026{n:06d}" for n in range(1, len(numbers) + 1)]
    assert await take_numbers(backend, date(2026, 3, 2), 1) == [f"Y2026{len(numbers) + 1:06d}"]


# The desk's lists


async def test_the_examination_queue_lists_the_earliest_deadline_first_a_page_at_a_time(
    backend: Backend,
) -> None:
    late = examined(due=T0 + timedelta(days=3))
    early = examined(due=T0 + timedelta(days=1))
    middle = examined(due=T0 + timedelta(days=2))
    tied = examined(at=T0 + timedelta(minutes=1), due=T0 + timedelta(days=2))
    waiting = examined(due=T0)
    waiting.claim("exa", T0)
    waiting.request_correction("exa", ("debt_type",), "Fix it.", T0)
    await saved(backend, late, early, tied, middle, waiting, registered("Y2026000001"))

    async with backend.unit_of_work() as uow:
        total, first_page = await uow.filings.examination_queue(3, 0)
        _, rest = await uow.filings.examination_queue(3, 3)

    assert total == 4
    assert [f.filing_id for f in first_page + rest] == [
        early.filing_id,
        middle.filing_id,
        tied.filing_id,
        late.filing_id,
    ]
    assert first_page[0].findings == (WARNING,)


async def test_overdue_filings_are_those_whose_firm_deadline_passed_undecided_and_unflagged(
    backend: Backend,
) -> None:
    now = T0 + timedelta(days=5)
    overdue = examined(due=T0 + timedelta(days=2))
    earlier = received(due=T0 + timedelta(days=1))
    provisional = examined(due=T0 + timedelta(days=1), provisional=True)
    flagged = examined(due=T0 + timedelta(days=1))
    flagged.flag_sla_breach(now - timedelta(days=1))
    suspended = examined(due=T0 + timedelta(days=1))
    suspended.claim("exa", T0)
    suspended.request_correction("exa", ("debt_type",), "Fix it.", T0)
    not_yet = examined(due=now + timedelta(hours=1))
    decided = registered("Y2026000001")
    await saved(backend, overdue, earlier, provisional, flagged, suspended, not_yet, decided)

    async with backend.unit_of_work() as uow:
        found = await uow.filings.overdue_unflagged(now, 10)
        first = await uow.filings.overdue_unflagged(now, 1)

    assert found == [earlier.filing_id, overdue.filing_id]
    assert first == [earlier.filing_id]


async def test_running_deadlines_are_listed_from_a_moment(backend: Backend) -> None:
    since = T0 + timedelta(days=2)
    before = examined(due=since - timedelta(seconds=1))
    at_since = received(due=since)
    after = examined(due=since + timedelta(days=1), provisional=True)
    suspended = examined(due=since + timedelta(days=1))
    suspended.claim("exa", T0)
    suspended.request_correction("exa", ("debt_type",), "Fix it.", T0)
    await saved(backend, after, before, suspended, at_since, registered("Y2026000001"))

    async with backend.unit_of_work() as uow:
        found = await uow.filings.running_deadlines_from(since)

    assert [f.filing_id for f in found] == [at_since.filing_id, after.filing_id]


async def test_filings_received_in_a_period(backend: Backend) -> None:
    day = timedelta(days=1)
    first, second, third = (received(T0 + n * day) for n in range(3))
    await saved(backend, third, first, second)

    async with backend.unit_of_work() as uow:
        everything = await uow.filings.received_between(None, None)
        middle = await uow.filings.received_between(T0 + day, T0 + 2 * day)
        from_second = await uow.filings.received_between(T0 + day, None)
        until_second = await uow.filings.received_between(None, T0 + day)

    def ids(found: list[PledgeFiling]) -> list[str]:
        return [f.filing_id for f in found]

    assert ids(everything) == [first.filing_id, second.filing_id, third.filing_id]
    assert ids(middle) == [second.filing_id]
    assert ids(from_second) == [second.filing_id, third.filing_id]
    assert ids(until_second) == [first.filing_id]


# Deduplication records


@pytest.fixture
def dedup_case() -> DedupCase:
    return DedupCase(
        "registry.filings",
        "credit.pledge_filing.requested",
        {"secured_amount": "300000.00"},
        "filing",
    )
