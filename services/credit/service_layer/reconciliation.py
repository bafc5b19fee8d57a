"""Reconciliation: credit's loans and quotas against the registry's register of pledges.

A run reads credit's books in one query, asks the registry for the active pledges to each bank
(and for any pledge a live loan names that is not among them: a cancelled one, or one handed
to another pledgee), compares, and records the run with one
`credit.reconciliation.mismatch_found` event per mismatch and a closing
`credit.reconciliation.completed`, in one transaction. Nothing is held open while the
registry answers.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from services.credit.domain.reconciliation import (
    Books,
    LoanOnBook,
    Mismatch,
    PledgeOnRecord,
    QuotaOnBook,
    ReconciliationRun,
    reconcile,
)
from services.credit.service_layer.deps import CreditDeps
from shared.kernel.errors import NotFound
from shared.kernel.messages import Command, Query
from shared.messagebus import MessageBus
from shared.metrics import Metrics

log = logging.getLogger(__name__)


class PledgeRegister(Protocol):
    """The registry's register of pledges, as credit may read it."""

    async def pledges_to(self, pledgee_uscc: str) -> list[PledgeOnRecord]:
        """Every active pledge registered to the pledgee."""
        ...

    async def pledges(self, numbers: Iterable[str]) -> list[PledgeOnRecord]:
        """The pledges of those registration numbers the registry knows."""
        ...


class NoReconciliationYet(NotFound):
    code = "reconciliation.none_yet"
    title = "No reconciliation has run yet"


@dataclass(frozen=True)
class CreditBooks(Query):
    """Every live loan and each bank's quota figures."""


@dataclass(frozen=True)
class LoansOf(Query):
    loan_ids: tuple[str, ...]


@dataclass(frozen=True)
class LatestReconciliation(Query):
    """The last run recorded, with its mismatches."""


@dataclass(frozen=True)
class RecordReconciliation(Command):
    run_id: str
    trigger: str
    books: Books
    mismatches: tuple[Mismatch, ...]
    started_at: datetime
    finished_at: datetime


async def credit_books(
    query: CreditBooks, uow: Any, deps: CreditDeps
) -> tuple[dict[str, LoanOnBook], list[QuotaOnBook]]:
    """Credit's side of a run."""
    return await uow.reconciliation.live_loans(), await uow.reconciliation.quotas()


async def loans_of(query: LoansOf, uow: Any, deps: CreditDeps) -> dict[str, LoanOnBook]:
    """The loans of those ids that credit holds."""
    found: dict[str, LoanOnBook] = await uow.reconciliation.loans(query.loan_ids)
    return found


async def latest_reconciliation(
    query: LatestReconciliation, uow: Any, deps: CreditDeps
) -> ReconciliationRun:
    """The last run recorded; refused when none has run."""
    run: ReconciliationRun | None = await uow.reconciliation.latest()
    if run is None:
        raise NoReconciliationYet("run a reconciliation first")
    return run


async def record_reconciliation(
    command: RecordReconciliation, uow: Any, deps: CreditDeps
) -> ReconciliationRun:
    """Keep the run and announce each mismatch it found."""
    run = ReconciliationRun.record_run(
        command.run_id,
        command.trigger,
        command.started_at,
        command.finished_at,
        command.books,
        command.mismatches,
    )
    await uow.reconciliation.add(run)
    return run


class Reconciler:
    """Runs reconciliation on a schedule or when an operator asks."""

    def __init__(
        self,
        messages: Callable[[], MessageBus[Any]],
        register: PledgeRegister,
        deps: CreditDeps,
        grace: timedelta,
        metrics: Callable[[], Metrics | None] = lambda: None,
    ) -> None:
        self._bus = messages
        self._register = register
        self._deps = deps
        self._grace = grace
        self._metrics = metrics

    async def scheduled(self) -> ReconciliationRun:
        """A run on the timer."""
        return await self.run("schedule")

    async def run(self, trigger: str) -> ReconciliationRun:
        """Compare the books now, record the run and count its mismatches."""
        try:
            run = await self._run(trigger)
        except Exception:
            self._count_run("failed")
            raise
        self._count_run("mismatches" if run.mismatches else "clean", run.mismatches)
        if run.mismatches:
            log.warning(
                "reconciliation found mismatches",
                extra={"run": run.run_id, "count": len(run.mismatches)},
            )
        return run

    async def _run(self, trigger: str) -> ReconciliationRun:
        started = self._deps.clock.now()
        books = await self._books()
        finished = self._deps.clock.now()
        mismatches = tuple(reconcile(books, finished, self._grace))
        command = RecordReconciliation(
            str(uuid.uuid4()), trigger, books, mismatches, started, finished
        )
        handled = await self._bus().handle(command)
        run: ReconciliationRun = handled.result
        return run

    async def _books(self) -> Books:
        live, quotas = await self._bus().query(CreditBooks())
        usccs = {bank_id: bank.uscc for bank_id, bank in self._deps.banks.items()}
        pledges: dict[str, PledgeOnRecord] = {}
        for uscc in sorted(set(usccs.values())):
            for pledge in await self._register.pledges_to(uscc):
                pledges[pledge.registration_number] = pledge
        elsewhere = {
            loan.registration_number
            for loan in live.values()
            if loan.registration_number and loan.registration_number not in pledges
        }
        for pledge in await self._register.pledges(elsewhere):
            pledges[pledge.registration_number] = pledge
        named = {p.loan_id for p in pledges.values() if p.active and p.loan_id} - live.keys()
        loans = dict(live)
        if named:
            loans.update(await self._bus().query(LoansOf(tuple(sorted(named)))))
        return Books(loans, pledges, usccs, tuple(quotas))

    def _count_run(self, outcome: str, mismatches: Iterable[Mismatch] = ()) -> None:
        metrics = self._metrics()
        if metrics is None:
            return
        metrics.reconciliation_runs.labels(outcome).inc()
        for mismatch in mismatches:
            metrics.reconciliation_mismatches.labels(mismatch.reason.value).inc()
