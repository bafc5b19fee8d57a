"""What each page shows, from the console's own read models (and, for the filing being decided,
the registry's current view of it, read as the examiner)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from services.console.domain import charts
from services.console.domain.answers import ServiceRefused
from services.console.domain.grounds import CORRECTABLE_TERMS, REFUSAL_GROUNDS
from services.console.domain.staff import Page
from services.console.domain.timeline import KeyKind, normalised
from services.console.domain.worktime import TimeLeft, time_left
from services.console.service_layer.commands import (
    AuditTrail,
    CaseTimeline,
    DeadLetters,
    DeskQueue,
    FilingPage,
    FindCases,
    MissingCalendar,
    PendingValuations,
    ReconciliationPage,
    ReferralPage,
    Referrals,
    SlaBoard,
    Statistics,
    ValuationPage,
)
from services.console.service_layer.deps import ConsoleDeps
from services.console.service_layer.ports import ConsoleUnitOfWork
from shared.calendars import load_command
from shared.kernel.errors import Invalid, NotFound
from shared.workdays import BEIJING, beijing_date, end_of_beijing_day

Row = dict[str, Any]
QUEUE_FILTERS = ("all", "mine", "unclaimed", "overdue", "patents", "trademarks")


class UnknownFilter(Invalid):
    code = "console.unknown_filter"
    title = "No such filter"


class UnknownSearch(Invalid):
    code = "console.unknown_search"
    title = "Cases are found by loan, correlation id, right, enterprise or bank"


class NotInReadModel(NotFound):
    code = "console.not_found"
    title = "The console knows nothing of this yet"


@dataclass(frozen=True)
class QueueItem:
    filing: Row
    left: TimeLeft

    @property
    def warnings(self) -> list[Row]:
        return [f for f in self.filing["findings"] if f.get("severity") == "warning"]


async def desk_queue(
    query: DeskQueue, uow: ConsoleUnitOfWork, deps: ConsoleDeps
) -> list[QueueItem]:
    """Filings in examination by deadline, with the working time left, filtered."""
    query.person.require(Page.DESK)
    if query.show not in QUEUE_FILTERS:
        raise UnknownFilter(query.show)
    now = deps.clock.now()
    items = [
        QueueItem(row, time_left(now, row["deadline_at"], deps.calendar))
        for row in await uow.filings.in_examination()
    ]
    me = query.person.staff_id
    keep = {
        "all": lambda i: True,
        "mine": lambda i: i.filing["claimed_by"] == me,
        "unclaimed": lambda i: i.filing["claimed_by"] is None,
        "overdue": lambda i: i.left.overdue,
        "patents": lambda i: bool(i.filing["patents"]),
        "trademarks": lambda i: bool(i.filing["trademarks"]),
    }[query.show]
    return [item for item in items if keep(item)]


async def reconciliation_page(
    query: ReconciliationPage, uow: ConsoleUnitOfWork, deps: ConsoleDeps
) -> Row:
    """Credit's last reconciliation of loans, pledges and quotas, with its mismatches."""
    person = query.person
    person.require(Page.RECONCILIATION)
    path = "/internal/v1/reconciliation/runs/latest"
    try:
        run = (await deps.services.call(person, "credit", "GET", path)).body
    except ServiceRefused as refusal:
        if refusal.status != 404:
            raise
        run = None
    return {"run": run}


@dataclass(frozen=True)
class CalendarGap:
    """Years whose official schedule the console has not received: working time counted into
    them follows the holiday regulations alone until the registry office enters the notice."""

    years: tuple[int, ...]
    # The commands that load them, for a person who may (a supervisor or an administrator).
    commands: tuple[str, ...]

    @property
    def known_until(self) -> date:
        """The last day counted on an official schedule."""
        return date(min(self.years) - 1, 12, 31)


async def missing_calendar(
    query: MissingCalendar, uow: ConsoleUnitOfWork, deps: ConsoleDeps
) -> CalendarGap | None:
    """The official schedules missing now (this year's, or next year's from the warning day)."""
    years = tuple(deps.book.missing_years(deps.clock.now()))
    if not years:
        return None
    person = query.person
    commands = (
        tuple(load_command(year, person.staff_id, person.role.value) for year in years)
        if person.loads_calendar
        else ()
    )
    return CalendarGap(years, commands)


async def filing_page(query: FilingPage, uow: ConsoleUnitOfWork, deps: ConsoleDeps) -> Row:
    """The filing as the registry has it now, the register's facts of its rights, its case."""
    person = query.person
    person.require(Page.DESK)
    path = f"/internal/v1/examination/filings/{query.filing_id}"
    filing = (await deps.services.call(person, "registry", "GET", path)).body
    numbers = [normalised(KeyKind.PATENT, n) for n in filing["patents"]] + [
        normalised(KeyKind.TRADEMARK, n) for n in filing["trademarks"]
    ]
    facts = await uow.rights.of(numbers)
    deadline = datetime.fromisoformat(filing["deadline_at"])
    correlation = filing.get("correlation_id")
    return {
        "filing": filing,
        "rights": [(number, facts.get(number)) for number in numbers],
        "left": time_left(deps.clock.now(), deadline, deps.calendar),
        "pending_warnings": [
            f for f in filing["findings"] if f["severity"] == "warning" and not f["acknowledged"]
        ],
        "timeline": await uow.cases.timeline(correlation) if correlation else [],
        "examiners": deps.staff.examiners(),
        "grounds": REFUSAL_GROUNDS,
        "correctable": {
            name: CORRECTABLE_TERMS.get(name, name) for name in filing.get("correctable", ())
        },
        "holds_it": filing.get("claimed_by") == person.staff_id,
    }


async def case_timeline(
    query: CaseTimeline, uow: ConsoleUnitOfWork, deps: ConsoleDeps
) -> list[Row]:
    return await uow.cases.timeline(query.correlation_id)


async def find_cases(query: FindCases, uow: ConsoleUnitOfWork, deps: ConsoleDeps) -> list[Row]:
    """Cases that a loan, correlation id, right, enterprise or bank names, newest first."""
    try:
        kind = KeyKind(query.kind)
    except ValueError:
        raise UnknownSearch(query.kind) from None
    value = query.value.strip()
    if not value:
        return []
    values = [normalised(kind, value)]
    if kind is KeyKind.BANK:
        wanted = value.casefold()
        for bank_id, bank in deps.banks.items():
            if wanted in (bank_id.casefold(), bank.uscc.casefold()) or (
                len(wanted) >= 3 and wanted in bank.legal_name.casefold()
            ):
                values += [bank_id, bank.uscc]
    return await uow.cases.find([kind.value], values)


async def pending_valuations(
    query: PendingValuations, uow: ConsoleUnitOfWork, deps: ConsoleDeps
) -> list[Row]:
    return await uow.valuations.provisional()


@dataclass(frozen=True)
class RightChart:
    right: Row
    range: charts.RangeChart
    score: list[charts.Bar]
    rate: list[charts.Bar]
    others: list[Row] = field(default_factory=list)


async def valuation_page(query: ValuationPage, uow: ConsoleUnitOfWork, deps: ConsoleDeps) -> Row:
    """A valuation with its range, and each right's drivers drawn."""
    valuation = await uow.valuations.get(query.valuation_id)
    if valuation is None:
        raise NotInReadModel(f"valuation {query.valuation_id}")
    drawn = []
    for right in valuation["rights"]:
        drivers = right.get("drivers") or []
        drawn.append(
            RightChart(
                right,
                charts.value_range(*(Decimal(str(right[k])) for k in ("low", "central", "high"))),
                charts.score_contributions(drivers),
                charts.rate_build_up(drivers),
                [
                    d
                    for d in drivers
                    if not str(d.get("name", "")).startswith(("score.", "premium."))
                    and d.get("name") != "risk_free_rate"
                ],
            )
        )
    total = charts.value_range(valuation["low"], valuation["central"], valuation["high"])
    return {"valuation": valuation, "total": total, "rights": drawn}


async def referrals(query: Referrals, uow: ConsoleUnitOfWork, deps: ConsoleDeps) -> list[Row]:
    return await uow.loans.referred()


async def referral_page(query: ReferralPage, uow: ConsoleUnitOfWork, deps: ConsoleDeps) -> Row:
    loan = await uow.loans.get(query.loan_id)
    if loan is None or loan["referral"] is None:
        raise NotInReadModel(f"loan {query.loan_id}")
    return loan


async def dead_letters(query: DeadLetters, uow: ConsoleUnitOfWork, deps: ConsoleDeps) -> Row:
    return {
        "counts": await uow.dead_letters.counts(),
        "letters": await uow.dead_letters.listed(query.consumer, query.reason),
    }


async def sla_board(query: SlaBoard, uow: ConsoleUnitOfWork, deps: ConsoleDeps) -> Row:
    """Open filings due today and overdue, and deadline breaches by Beijing day."""
    now = deps.clock.now()
    today = beijing_date(now)
    open_filings = await uow.filings.open_due_before(end_of_beijing_day(today) + timedelta(1))
    due_today = [
        QueueItem(f, time_left(now, f["deadline_at"], deps.calendar))
        for f in open_filings
        if f["deadline_at"] > now and beijing_date(f["deadline_at"] - timedelta(0, 1)) == today
    ]
    overdue = [
        QueueItem(f, time_left(now, f["deadline_at"], deps.calendar))
        for f in open_filings
        if f["deadline_at"] <= now
    ]
    first = today - timedelta(days=query.days - 1)
    breaches: dict[date, int] = defaultdict(int)
    for instant in await uow.filings.breached_since(_start_of(first)):
        breaches[beijing_date(instant)] += 1
    days = [first + timedelta(days=i) for i in range(query.days)]
    series = [(f"{d:%m-%d}", breaches[d]) for d in days]
    return {
        "today": today,
        "due_today": due_today,
        "overdue": overdue,
        "breaches": charts.columns(series, [str(n) for _, n in series]),
        "breach_total": sum(breaches.values()),
    }


@dataclass
class MonthFigures:
    month: str
    amount: Decimal = Decimal("0.00")
    loans: int = 0
    inclusive_amount: Decimal = Decimal("0.00")
    enterprises: set[str] = field(default_factory=set)
    decided: int = 0
    within: int = 0


async def statistics(query: Statistics, uow: ConsoleUnitOfWork, deps: ConsoleDeps) -> Row:
    """Disbursed amounts, enterprises, the inclusive-finance share and the share of filings
    decided within the deadline, by Beijing month."""
    today = beijing_date(deps.clock.now())
    months = _months(today, query.months)
    since = _start_of(date.fromisoformat(months[0] + "-01"))
    figures = {m: MonthFigures(m) for m in months}
    for loan in await uow.loans.disbursed_since(since):
        month = figures.get(f"{beijing_date(loan['disbursed_at']):%Y-%m}")
        if month is None or loan["disbursed_amount"] is None:
            continue
        month.amount += loan["disbursed_amount"]
        month.loans += 1
        month.enterprises.add(loan["enterprise_uscc"] or loan["loan_id"])
        if loan["inclusive"]:
            month.inclusive_amount += loan["disbursed_amount"]
    for decision in await uow.filings.decided_since(since):
        month = figures.get(f"{beijing_date(decision['decided_at']):%Y-%m}")
        if month is not None:
            month.decided += 1
            month.within += bool(decision["within_deadline"])
    rows = [figures[m] for m in months]
    return {
        "months": rows,
        "amounts": charts.columns(
            [(r.month[2:], r.amount) for r in rows], [f"{r.amount:,.0f}" for r in rows]
        ),
        "enterprises": charts.columns(
            [(r.month[2:], len(r.enterprises)) for r in rows],
            [str(len(r.enterprises)) for r in rows],
        ),
        "inclusive": _shares([(r.month[2:], r.inclusive_amount, r.amount) for r in rows]),
        "within": _shares([(r.month[2:], r.within, r.decided) for r in rows]),
        "totals": _totals(rows),
        "share": charts.share,
    }


def _shares(series: Sequence[tuple[str, Decimal | int, Decimal | int]]) -> list[charts.Column]:
    """Shares in percent as columns of a chart whose top is 100%."""
    return [
        charts.Column(
            label,
            charts.share(part, whole),
            round(float(Decimal(part) / Decimal(whole)) * 160, 1) if whole else 0.0,
        )
        for label, part, whole in series
    ]


def _totals(rows: Sequence[MonthFigures]) -> Row:
    amount = sum((r.amount for r in rows), Decimal("0.00"))
    inclusive = sum((r.inclusive_amount for r in rows), Decimal("0.00"))
    decided, within = sum(r.decided for r in rows), sum(r.within for r in rows)
    enterprises = set().union(*(r.enterprises for r in rows)) if rows else set()
    return {
        "amount": amount,
        "loans": sum(r.loans for r in rows),
        "enterprises": len(enterprises),
        "inclusive_share": charts.share(inclusive, amount),
        "decided": decided,
        "within_share": charts.share(within, decided),
    }


async def audit_trail(query: AuditTrail, uow: ConsoleUnitOfWork, deps: ConsoleDeps) -> Row:
    total, rows = await uow.actions.newest(query.limit, query.offset)
    return {"total": total, "actions": rows}


def _months(today: date, count: int) -> list[str]:
    year, month = today.year, today.month
    found = []
    for _ in range(count):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(found))


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BEIJING)
