"""The examiner desk: the queue, the filing page and the decisions on a filing."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console.domain.staff import Page
from services.console.entrypoints.web import Form, Session, go, messages, page, perform
from services.console.service_layer import commands as c
from services.console.service_layer.views import QUEUE_FILTERS

router = APIRouter(prefix="/desk")


def _filing(filing_id: str) -> str:
    return f"/desk/filings/{filing_id}"


@router.get("")
async def desk(request: Request, session: Session, show: str = "all") -> Response:
    """Filings in examination by deadline, with the working time left."""
    session.person.require(Page.DESK)
    items = await messages(request).query(c.DeskQueue(session.person, show))
    gap = await messages(request).query(c.MissingCalendar(session.person))
    context = {"items": items, "show": show, "filters": QUEUE_FILTERS, "calendar_gap": gap}
    return page(request, "desk.html", context, current=Page.DESK)


@router.get("/queue")
async def queue_rows(request: Request, session: Session, show: str = "all") -> Response:
    """The queue's rows alone, for the page to refresh them."""
    items = await messages(request).query(c.DeskQueue(session.person, show))
    return page(request, "queue_rows.html", {"items": items, "show": show})


@router.get("/filings/{filing_id}")
async def filing(request: Request, session: Session, filing_id: str) -> Response:
    """A filing: register facts, findings, warnings, decisions and the case's timeline."""
    view = await messages(request).query(c.FilingPage(session.person, filing_id))
    return page(request, "filing.html", view, current=Page.DESK)


@router.post("/filings/{filing_id}/claim")
async def claim(request: Request, session: Session, form: Form, filing_id: str) -> Response:
    command = c.ClaimFiling(session.person, filing_id)
    return await perform(request, command, "You hold the filing now.", _filing(filing_id))


@router.post("/filings/{filing_id}/release")
async def release(request: Request, session: Session, form: Form, filing_id: str) -> Response:
    command = c.ReleaseFiling(session.person, filing_id)
    return await perform(request, command, "The filing is back in the queue.", "/desk")


@router.post("/filings/{filing_id}/reassign")
async def reassign(request: Request, session: Session, form: Form, filing_id: str) -> Response:
    examiner = str(form.get("examiner") or "")
    command = c.ReassignFiling(session.person, filing_id, examiner)
    return await perform(request, command, f"Reassigned to {examiner}.", _filing(filing_id))


@router.post("/filings/{filing_id}/acknowledge")
async def acknowledge(request: Request, session: Session, form: Form, filing_id: str) -> Response:
    codes = tuple(str(code) for code in form.getlist("codes"))
    if not codes:
        return await go(
            request, _filing(filing_id), "Tick the warnings the parties confirmed.", "problem"
        )
    command = c.AcknowledgeWarnings(
        session.person, filing_id, codes, str(form.get("note") or "").strip()
    )
    return await perform(request, command, "Acknowledgement recorded.", _filing(filing_id))


@router.post("/filings/{filing_id}/register")
async def register(request: Request, session: Session, form: Form, filing_id: str) -> Response:
    command = c.RegisterFiling(session.person, filing_id)
    return await perform(request, command, "The pledge is registered.", _filing(filing_id))


@router.post("/filings/{filing_id}/refuse")
async def refuse(request: Request, session: Session, form: Form, filing_id: str) -> Response:
    grounds = [str(g) for g in form.getlist("grounds")]
    message = str(form.get("message") or "").strip()
    if not grounds:
        return await go(request, _filing(filing_id), "Choose at least one ground.", "problem")
    reasons = tuple((ground, message or "Refused on this ground.") for ground in grounds)
    command = c.RefuseFiling(session.person, filing_id, reasons)
    return await perform(request, command, "The filing is refused.", _filing(filing_id))


@router.post("/filings/{filing_id}/request-correction")
async def request_correction(
    request: Request, session: Session, form: Form, filing_id: str
) -> Response:
    fields = tuple(str(f) for f in form.getlist("fields"))
    if not fields:
        return await go(
            request, _filing(filing_id), "Tick the terms the parties must correct.", "problem"
        )
    command = c.RequestCorrection(
        session.person, filing_id, fields, str(form.get("message") or "").strip()
    )
    return await perform(request, command, "Correction requested.", _filing(filing_id))
