"""Credit's message bus: every command and query with its handler, dependencies bound once."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from services.credit.service_layer import (
    calendar,
    handlers,
    reconciliation,
    referrals,
    reports,
    servicing,
    terms,
    timeouts,
)
from services.credit.service_layer import commands as c
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.ports import CreditUnitOfWork
from shared.messagebus import MessageBus, On


def bootstrap(unit_of_work: Callable[[], CreditUnitOfWork], deps: CreditDeps) -> MessageBus[Any]:
    """The bus that runs credit's commands and queries."""

    def bound(handler: Any) -> Any:
        return partial(handler, deps=deps)

    def under_terms(handler: Any) -> Any:
        return partial(terms.under_current_terms, bound(handler), deps)

    async def loan_of(command: Any, loan_id: str, uow: CreditUnitOfWork) -> Any:
        return await handlers.get_loan(c.GetLoan(loan_id, command.bank_id), uow, deps)

    commands = {
        c.ApplyForLoan: On(under_terms(handlers.apply_for_loan), replay=loan_of),
        c.AcceptOffer: On(under_terms(handlers.accept_offer), replay=loan_of),
        c.RecordValuation: On(under_terms(handlers.record_valuation)),
        c.RecordPledgeOutcome: On(under_terms(handlers.record_pledge_outcome)),
        c.RecordFilingReceived: On(under_terms(handlers.record_filing_received)),
        c.RecordRepayment: On(under_terms(servicing.record_repayment), replay=loan_of),
        c.DeclareDefault: On(under_terms(servicing.declare_default), replay=loan_of),
        c.RecordPledgeCancelled: On(under_terms(servicing.record_pledge_cancelled)),
        c.RecordImpairment: On(under_terms(servicing.record_impairment)),
        c.DecideReferral: On(under_terms(referrals.decide_referral)),
        c.FireTimeouts: On(under_terms(timeouts.fire_timeouts)),
        terms.ShareTerms: On(bound(terms.share_terms)),
        terms.CatchUpTerms: On(bound(terms.catch_up_terms)),
        calendar.ReceiveSchedule: On(bound(calendar.receive_schedule)),
        calendar.RecountDeadline: On(under_terms(calendar.recount_deadline)),
        reconciliation.RecordReconciliation: On(bound(reconciliation.record_reconciliation)),
    }
    queries = {
        c.GetLoan: bound(handlers.get_loan),
        c.ListLoans: bound(handlers.list_loans),
        c.ListReferrals: bound(referrals.list_referrals),
        c.DueTimeouts: bound(timeouts.due_timeouts),
        c.LendingStatisticsOf: bound(reports.statistics),
        c.QuotaPositions: bound(reports.quotas),
        calendar.SchedulesInForce: bound(calendar.schedules_in_force),
        calendar.StaleDeadlines: bound(calendar.stale_deadlines),
        reconciliation.CreditBooks: bound(reconciliation.credit_books),
        reconciliation.LoansOf: bound(reconciliation.loans_of),
        reconciliation.LatestReconciliation: bound(reconciliation.latest_reconciliation),
    }
    return MessageBus(unit_of_work, commands, queries)
