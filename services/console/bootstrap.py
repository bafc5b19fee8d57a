"""The console's message bus: every command and query with its handler, dependencies bound once."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from services.console.service_layer import actions, projections, sessions, views
from services.console.service_layer import commands as c
from services.console.service_layer.deps import ConsoleDeps
from services.console.service_layer.ports import ConsoleUnitOfWork
from shared.messagebus import MessageBus, On

SERVICE_ACTIONS = (
    c.ClaimFiling,
    c.ReleaseFiling,
    c.ReassignFiling,
    c.AcknowledgeWarnings,
    c.RegisterFiling,
    c.RefuseFiling,
    c.RequestCorrection,
    c.ApproveValuation,
    c.AdjustValuation,
    c.DecideReferral,
    c.RunReconciliation,
)


def bootstrap(unit_of_work: Callable[[], ConsoleUnitOfWork], deps: ConsoleDeps) -> MessageBus[Any]:
    """The bus that runs the console's commands and queries."""

    def bound(handler: Any) -> Any:
        return partial(handler, deps=deps)

    commands: dict[type[Any], On[Any]] = {
        c.RecordEvent: On(bound(projections.record_event)),
        c.RecordDeadLetter: On(bound(projections.record_dead_letter)),
        c.ReceiveSchedule: On(bound(projections.receive_schedule)),
        c.MarkRedrivesPublished: On(bound(projections.mark_redrives_published)),
        c.SignIn: On(bound(sessions.sign_in)),
        c.SignOut: On(bound(sessions.sign_out)),
        c.ResumeSession: On(bound(sessions.resume_session)),
        c.Flash: On(bound(sessions.flash)),
        c.RedriveDeadLetters: On(bound(actions.redrive_dead_letters)),
        **{action: On(bound(actions.act)) for action in SERVICE_ACTIONS},
    }
    queries = {
        c.UnpublishedRedrives: bound(projections.unpublished_redrives),
        c.SchedulesInForce: bound(projections.schedules_in_force),
        c.DeskQueue: bound(views.desk_queue),
        c.MissingCalendar: bound(views.missing_calendar),
        c.FilingPage: bound(views.filing_page),
        c.ReconciliationPage: bound(views.reconciliation_page),
        c.CaseTimeline: bound(views.case_timeline),
        c.FindCases: bound(views.find_cases),
        c.PendingValuations: bound(views.pending_valuations),
        c.ValuationPage: bound(views.valuation_page),
        c.Referrals: bound(views.referrals),
        c.ReferralPage: bound(views.referral_page),
        c.DeadLetters: bound(views.dead_letters),
        c.SlaBoard: bound(views.sla_board),
        c.Statistics: bound(views.statistics),
        c.AuditTrail: bound(views.audit_trail),
    }
    return MessageBus(unit_of_work, commands, queries)
