"""Operators and the office's managers: cases, dead letters, the SLA board, statistics, audit,
reconciliation."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console.domain.staff import Page, Person
from services.console.domain.timeline import KEY_LABELS, KeyKind
from services.console.entrypoints.web import Form, Session, go, messages, page, perform
from services.console.service_layer import commands as c

router = APIRouter()


def _may_follow_cases(person: Person) -> None:
    if Page.DESK not in person.pages:
        person.require(Page.CASES)


@router.get("/cases")
async def cases(request: Request, session: Session, kind: str = "patent", q: str = "") -> Response:
    """Find a case by loan, correlation id, patent or trademark number, enterprise or bank."""
    session.person.require(Page.CASES)
    found = await messages(request).query(c.FindCases(kind, q)) if q.strip() else None
    context = {"kinds": KEY_LABELS, "kind": kind, "q": q, "found": found}
    return page(request, "cases.html", context, current=Page.CASES)


@router.get("/cases/{correlation_id}")
async def case(request: Request, session: Session, correlation_id: str) -> Response:
    """One case's timeline across the three services."""
    session.person.require(Page.CASES)
    events = await messages(request).query(c.CaseTimeline(correlation_id))
    context = {"correlation_id": correlation_id, "events": events, "kinds": KeyKind}
    return page(request, "case.html", context, current=Page.CASES)


@router.get("/cases/{correlation_id}/timeline")
async def timeline(request: Request, session: Session, correlation_id: str) -> Response:
    """A case's timeline alone, for pages to refresh it."""
    _may_follow_cases(session.person)
    events = await messages(request).query(c.CaseTimeline(correlation_id))
    return page(request, "timeline.html", {"events": events, "correlation_id": correlation_id})


@router.get("/dead-letters")
async def dead_letters(
    request: Request, session: Session, consumer: str = "", reason: str = ""
) -> Response:
    """Dead letters by consumer group and reason."""
    session.person.require(Page.DEAD_LETTERS)
    view = await messages(request).query(c.DeadLetters(consumer or None, reason or None))
    context = view | {"consumer": consumer, "reason": reason}
    return page(request, "dead_letters.html", context, current=Page.DEAD_LETTERS)


@router.post("/dead-letters/redrive")
async def redrive(request: Request, session: Session, form: Form) -> Response:
    """Put the chosen dead letters back on their source topics."""
    back = "/dead-letters"
    chosen = tuple(str(letter) for letter in form.getlist("letters"))
    if not chosen:
        return await go(request, back, "Tick the dead letters to redrive.", "problem")
    done = f"{len(chosen)} dead letter{'s' if len(chosen) > 1 else ''} queued for redrive."
    return await perform(request, c.RedriveDeadLetters(session.person, chosen), done, back)


@router.get("/sla")
async def sla(request: Request, session: Session) -> Response:
    """Filings due today, overdue, and deadline breaches by day."""
    session.person.require(Page.SLA)
    board = await messages(request).query(c.SlaBoard())
    gap = await messages(request).query(c.MissingCalendar(session.person))
    return page(request, "sla.html", {**board, "calendar_gap": gap}, current=Page.SLA)


@router.get("/statistics")
async def statistics(request: Request, session: Session) -> Response:
    """Lending and registration figures by month, with charts."""
    session.person.require(Page.STATISTICS)
    figures = await messages(request).query(c.Statistics())
    return page(request, "statistics.html", figures, current=Page.STATISTICS)


@router.get("/audit")
async def audit(request: Request, session: Session, offset: int = 0) -> Response:
    """Who did what through the console, newest first."""
    session.person.require(Page.AUDIT)
    trail = await messages(request).query(c.AuditTrail(100, max(0, offset)))
    return page(request, "audit.html", trail | {"offset": offset}, current=Page.AUDIT)


@router.get("/reconciliation")
async def reconciliation(request: Request, session: Session) -> Response:
    """Credit's last reconciliation of its loans with the registry's pledges, and its quotas."""
    view = await messages(request).query(c.ReconciliationPage(session.person))
    return page(request, "reconciliation.html", view, current=Page.RECONCILIATION)


@router.post("/reconciliation/run")
async def run_reconciliation(request: Request, session: Session, form: Form) -> Response:
    """Reconcile now."""
    back = "/reconciliation"
    done = "Reconciliation run; its mismatches are below."
    return await perform(request, c.RunReconciliation(session.person), done, back)
