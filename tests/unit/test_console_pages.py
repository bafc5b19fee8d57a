"""The console in process: sign-in, sessions and CSRF, what each role may see, and each page's
read model fed from the topics; the services it acts on are stood in for by a recorder."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy import select

from services.console.adapters.orm import metadata
from services.console.app import create_app
from services.console.domain.staff import hash_password
from services.console.settings import ConsoleSettings
from shared.bus.base import Record
from shared.issuer import development_issuer
from shared.ledger import verify_chain
from shared.topics import REGISTRY_PLEDGES, REGISTRY_RIGHTS, VALUATIONS, dead_letter_topic
from tests.dates import beijing
from tests.unit.console_harness import Console, console, envelope

ledger_entries = metadata.tables["ledger_entries"]

__all__ = ["console"]

FILING = "f-0001"


def received(
    filing_id: str = FILING,
    *,
    patents: tuple[str, ...] = ("202210601862.4",),
    trademarks: tuple[str, ...] = (),
    **extra: Any,
) -> dict:
    return {
        "filing_id": filing_id,
        "filing_reference": "loan-1",
        "channel": "credit",
        "pledgor": {"name": "Shanghai Lens Optics Co., Ltd.", "uscc": "91310115MA1K3YJ675"},
        "pledgee": {"name": "Hangzhou Bank", "uscc": "91330100609123456B"},
        "patents": list(patents),
        "trademarks": list(trademarks),
        "received_at": "2025-09-22T02:00:00+00:00",
        "deadline_at": "2025-09-23T16:00:00+00:00",
    } | extra


def queued(filing_id: str = FILING, deadline_at: str = "2025-09-23T16:00:00+00:00") -> dict:
    return {
        "filing_id": filing_id,
        "filing_reference": "loan-1",
        "findings": [{"code": "patent.invalidation_pending", "severity": "warning"}],
        "deadline_at": deadline_at,
        "queued_at": "2025-09-22T02:00:00+00:00",
    }


async def queue_filing(console: Console, filing_id: str = FILING, **extra: Any) -> None:
    await console.publish(
        REGISTRY_PLEDGES,
        envelope("registry.filing.received", filing_id, received(filing_id, **extra)),
        envelope(
            "registry.filing.queued_for_examination",
            filing_id,
            queued(filing_id, extra.get("deadline_at", "2025-09-23T16:00:00+00:00")),
            version=2,
        ),
    )


async def rows_of(console: Console, show: str = "all") -> str:
    return (await console.client.get(f"/desk/queue?show={show}")).text


async def test_every_page_but_the_sign_in_needs_a_session(console: Console) -> None:
    for path in ("/", "/desk", "/cases", "/dead-letters", "/audit", "/cases/x/timeline"):
        response = await console.client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/sign-in?next=")
    assert (await console.client.get("/sign-in")).status_code == 200


async def test_the_session_cookie_is_secure_http_only_same_site_and_expires(
    console: Console,
) -> None:
    signed_in = await console.sign_in("examiner-li")
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/")
    cookie = next(
        c
        for c in signed_in.headers.get_list("set-cookie")
        if c.startswith("__Host-pledgeflow-console=")
    )
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "samesite", "max-age", "path"} <= attributes
    assert "samesite=strict" in cookie.lower() and "max-age=28800" in cookie.lower()
    assert (await console.client.get("/desk")).status_code == 200

    console.clock.advance(timedelta(minutes=31))
    idle = await console.client.get("/desk")
    assert idle.status_code == 303 and idle.headers["location"].startswith("/sign-in")


async def test_a_wrong_password_or_a_forged_sign_in_form_opens_no_session(console: Console) -> None:
    wrong = await console.sign_in("examiner-li", "not-the-password")
    assert wrong.status_code == 401 and "Unknown staff id or wrong password" in wrong.text
    forged = await console.client.post(
        "/sign-in", data={"csrf": "guess", "staff_id": "examiner-li", "password": "pledgeflow-dev"}
    )
    assert forged.status_code == 403
    assert (await console.client.get("/desk")).status_code == 303


async def test_a_form_without_the_sessions_token_is_refused_and_nothing_is_asked(
    console: Console,
) -> None:
    await console.sign_in("examiner-li")
    refused = await console.client.post(f"/desk/filings/{FILING}/claim", data={"csrf": "x"})
    assert refused.status_code == 403 and "Form refused" in refused.text
    assert console.services.calls == []


async def test_each_role_is_kept_to_its_own_pages(console: Console) -> None:
    await console.sign_in("examiner-li")
    assert (await console.client.get("/dead-letters")).status_code == 403
    assert (await console.client.get("/appraisals")).status_code == 403
    home = await console.client.get("/")
    assert home.headers["location"] == "/desk"
    await console.sign_in("operator-liu")
    assert (await console.client.get("/desk")).status_code == 403
    page = await console.client.get("/dead-letters")
    assert page.status_code == 200
    assert [
        link
        for link in ("Cases", "Dead letters", "SLA board", "Statistics", "Audit")
        if f">{link}</a>" in page.text
    ] == ["Cases", "Dead letters", "SLA board", "Statistics", "Audit"]
    assert ">Examiner desk</a>" not in page.text


async def test_the_queue_shows_filings_by_deadline_with_working_time_left_and_filters(
    console: Console,
) -> None:
    console.clock.set(beijing(2025, 9, 22, 14))
    await console.sign_in("examiner-li")
    await queue_filing(console, "f-patent")
    await queue_filing(
        console,
        "f-mark",
        patents=(),
        trademarks=("12345678",),
        deadline_at="2025-09-25T16:00:00+00:00",
    )
    text = await console.until(lambda: _both(console))
    assert text.index("f-patent") < text.index("f-mark")
    assert "1 working day and 10 h left" in text
    await console.publish(
        REGISTRY_PLEDGES,
        envelope(
            "registry.filing.claimed",
            "f-patent",
            {"filing_id": "f-patent", "claimed_by": "examiner-li"},
            version=3,
        ),
    )
    await console.until(lambda: _contains(console, "mine", "f-patent"))
    assert "f-mark" not in await rows_of(console, "mine")
    assert "f-patent" not in await rows_of(console, "unclaimed")
    assert "f-mark" not in await rows_of(console, "patents")
    assert "f-patent" not in await rows_of(console, "trademarks")
    console.clock.set(beijing(2025, 9, 24, 10))
    await console.sign_in("examiner-li")
    overdue = await rows_of(console, "overdue")
    assert (
        "f-patent" in overdue and "overdue by 1 working day" in overdue and "f-mark" not in overdue
    )


async def _both(console: Console) -> str | None:
    text = await rows_of(console)
    return text if "f-patent" in text and "f-mark" in text else None


async def _contains(console: Console, show: str, filing_id: str) -> bool:
    return filing_id in await rows_of(console, show)


async def test_a_claim_is_asked_of_the_registry_as_the_examiner_and_audited(
    console: Console,
) -> None:
    await console.sign_in("examiner-li")
    claimed = await console.post(f"/desk/filings/{FILING}/claim")
    assert (claimed.status_code, claimed.headers["location"]) == (303, f"/desk/filings/{FILING}")
    [call] = console.services.calls
    assert (call.person.staff_id, call.person.role.value) == ("examiner-li", "examiner")
    assert (call.service, call.method, call.path) == (
        "registry",
        "POST",
        f"/internal/v1/examination/filings/{FILING}/claim",
    )
    await console.sign_in("operator-liu")
    audit = (await console.client.get("/audit")).text
    assert "examiner-li" in audit and f"filing {FILING}" in audit and ">done<" in audit


async def test_a_refusal_from_the_registry_is_shown_with_its_code_and_audited(
    console: Console,
) -> None:
    path = f"/internal/v1/examination/filings/{FILING}/register"
    console.services.refusals[("POST", path)] = (
        409,
        "filing.acknowledgement_missing",
        "Warnings not acknowledged",
    )
    await console.sign_in("examiner-li")
    await console.post(f"/desk/filings/{FILING}/register")
    console.services.answers[("GET", f"/internal/v1/examination/filings/{FILING}")] = _filing_view()
    shown = await console.client.get(f"/desk/filings/{FILING}")
    assert "Refused: Warnings not acknowledged" in shown.text
    assert "[filing.acknowledgement_missing]" in shown.text
    await console.sign_in("supervisor-wang")
    assert "refused: filing.acknowledgement_missing" in (await console.client.get("/audit")).text


def _filing_view(**changes: Any) -> dict[str, Any]:
    return {
        "filing_id": FILING,
        "status": "in_examination",
        "claimed_by": "examiner-li",
        "received_at": "2025-09-22T02:00:00+00:00",
        "deadline_at": "2025-09-23T16:00:00+00:00",
        "deadline_provisional": False,
        "correlation_id": "case-1",
        "pledgor": {"name": "Lens", "uscc": "91310115MA1K3YJ675", "address": "Shanghai"},
        "pledgee": {"name": "Bank", "uscc": "91330100609123456B", "address": "Hangzhou"},
        "debt_type": "loan",
        "secured_amount": "1000000.00",
        "performance_deadline": "2027-01-01",
        "scope_of_guarantee": "principal",
        "patents": ["202210601862.4"],
        "trademarks": [],
        "co_owner_consents": [],
        "findings": [
            {
                "code": "patent.invalidation_pending",
                "right": "202210601862.4",
                "message": "Invalidation requested",
                "severity": "warning",
                "acknowledged": False,
                "related": [],
            }
        ],
        "decisions": [],
        "correctable": ["debt_type", "scope_of_guarantee"],
    } | changes


async def test_the_filing_page_shows_register_facts_findings_grounds_and_the_timeline(
    console: Console,
) -> None:
    patent = {
        "number": "202210601862.4",
        "kind": "invention",
        "title": "Aspheric lens grinding apparatus",
        "holders": [{"name": "Lens", "uscc": "91310115MA1K3YJ675"}],
        "filing_date": "2022-07-21",
        "grant_date": "2024-11-05",
        "term_end": "2042-07-20",
        "legal_status": "valid",
        "fees_paid_through": "2027-01-01",
        "frozen": False,
        "invalidation_pending": True,
        "main_ipc": "B24B13/00",
    }
    await console.publish(
        REGISTRY_RIGHTS, envelope("registry.patent.recorded", "202210601862.4", patent)
    )
    await queue_filing(console)
    console.services.answers[("GET", f"/internal/v1/examination/filings/{FILING}")] = _filing_view()
    await console.sign_in("examiner-li")

    async def page() -> str | None:
        text = (await console.client.get(f"/desk/filings/{FILING}")).text
        return (
            text
            if "Aspheric lens grinding apparatus" in text and "Queued for an examiner" in text
            else None
        )

    text = await console.until(page)
    assert "Invalidation proceedings pending, not confirmed" in text
    assert 'name="codes" value="patent.invalidation_pending"' in text
    assert 'name="grounds" value="right.frozen"' in text and 'name="grounds" value="other"' in text
    assert 'name="fields" value="scope_of_guarantee"' in text
    assert 'name="fields" value="secured_amount"' not in text


async def test_a_supervisor_reassigns_to_an_examiner_from_the_staff_list(console: Console) -> None:
    console.services.answers[("GET", f"/internal/v1/examination/filings/{FILING}")] = _filing_view()
    await console.sign_in("supervisor-wang")
    shown = (await console.client.get(f"/desk/filings/{FILING}")).text
    assert '<option value="examiner-zhao">' in shown and "Reassign" in shown
    await console.post(f"/desk/filings/{FILING}/reassign", {"examiner": "examiner-zhao"})
    call = console.services.calls[-1]
    assert (call.path.rsplit("/", 1)[-1], call.body) == ("reassign", {"examiner": "examiner-zhao"})
    await console.sign_in("examiner-li")
    as_examiner = (await console.client.get(f"/desk/filings/{FILING}")).text
    assert "Reassign" not in as_examiner


async def test_provisional_valuations_wait_for_an_appraiser_until_signed_off(
    console: Console,
) -> None:
    right = {
        "number": "202210601862.4",
        "right_type": "patent",
        "kind": "invention",
        "low": "6000000.00",
        "central": "8000000.00",
        "high": "10000000.00",
        "method": "income_royalty_share",
        "zero_reason": None,
        "quality_score": "60",
        "recommended_ltv": "0.3",
        "drivers": [{"name": "score.claims", "value": "10", "effect": "+8 of 10 points"}],
    }
    completed = {
        "valuation_id": "v-1",
        "reference": "loan-9",
        "requested_by": "credit",
        "parameter_version": "2026.1",
        "as_of": "2026-01-01",
        "low": "6000000.00",
        "central": "8000000.00",
        "high": "10000000.00",
        "recommended_max_loan": "2400000.00",
        "largest_share": "1",
        "concentration_note": None,
        "rights": [right],
        "completed_at": "2026-01-01T00:00:00+00:00",
        "status": "provisional",
    }
    await console.publish(VALUATIONS, envelope("valuation.completed", "v-1", completed))
    await console.sign_in("appraiser-sun")
    await console.until(lambda: _page_has(console, "/appraisals/rows", "Valuation v-1"))
    detail = (await console.client.get("/appraisals/v-1")).text
    assert (
        "Quality score: points each indicator contributes" in detail and "8 of 10 points" in detail
    )

    await console.post(
        "/appraisals/v-1/adjust",
        {
            "low": "5,000,000",
            "central": "6000000",
            "high": "7000000.00",
            "reason": "Fewer licences",
        },
    )
    call = console.services.calls[-1]
    assert (call.service, call.path, call.body) == (
        "valuation",
        "/internal/v1/appraisals/v-1/adjust",
        {
            "low": "5000000.00",
            "central": "6000000.00",
            "high": "7000000.00",
            "reason": "Fewer licences",
        },
    )
    signed = completed | {
        "outcome": "adjusted",
        "appraiser_id": "appraiser-sun",
        "reason": "x",
        "signed_off_at": "2026-01-02T00:00:00+00:00",
    }
    await console.publish(VALUATIONS, envelope("valuation.signed_off", "v-1", signed, version=2))
    await console.until(lambda: _page_lacks(console, "/appraisals/rows", "Valuation v-1"))


async def _page_has(console: Console, path: str, text: str) -> bool:
    return text in (await console.client.get(path)).text


async def _page_lacks(console: Console, path: str, text: str) -> bool:
    return text not in (await console.client.get(path)).text


async def test_a_referral_is_decided_at_credit_with_the_officers_reason(console: Console) -> None:
    loans = "pledgeflow.credit.loans"
    submitted = {
        "loan_id": "loan-7",
        "bank_id": "bank-hangzhou",
        "enterprise": {
            "uscc": "91310115MA1K3YJ675",
            "name": "Lens Optics",
            "address": "x",
            "size_class": "small",
            "high_tech": True,
        },
        "requested_amount": "3000000.00",
        "term_months": 12,
        "purpose": "p",
        "collateral": [],
        "attributable_revenue": "1.00",
        "industry": "default",
        "submitted_at": "2026-01-01T00:00:00+00:00",
    }
    referred = {
        "loan_id": "loan-7",
        "bank_id": "bank-hangzhou",
        "reasons": ["amount.above_auto_limit"],
        "policy_version": "2026.1",
        "valuation_id": "v",
        "appraised_value": "9000000.00",
        "policy_ceiling": "2700000.00",
        "inputs": {"ltv": "0.3"},
        "referred_at": "2026-01-01T00:00:01+00:00",
    }
    await console.publish(
        loans,
        envelope("credit.application.submitted", "loan-7", submitted),
        envelope("credit.loan.referred", "loan-7", referred, version=2),
    )
    await console.sign_in("officer-zhou")
    await console.until(lambda: _page_has(console, "/referrals", "amount.above_auto_limit"))
    assert "Lens Optics" in (await console.client.get("/referrals/loan-7")).text
    await console.post(
        "/referrals/loan-7/decision",
        {"outcome": "decline", "reason": "Weak licence income", "amount": ""},
    )
    call = console.services.calls[-1]
    assert (call.service, call.path, call.body) == (
        "credit",
        "/internal/v1/referrals/loan-7/decision",
        {"outcome": "decline", "reasons": ["Weak licence income"]},
    )


async def test_a_redriven_dead_letter_goes_back_to_its_topic_as_it_came_and_is_audited(
    console: Console,
) -> None:
    value = b'{"event_id": "e-1", "event_type": "registry.patent.recorded"}'
    await console.bus.publish(
        [
            Record(
                "pledgeflow.dlq.valuation.rights",
                "not-a-patent",
                value,
                (
                    ("event_type", b"registry.patent.recorded"),
                    ("dlq.reason", b"payload.invalid"),
                    ("dlq.consumer", b"valuation.rights"),
                    ("dlq.source_topic", b"pledgeflow.registry.rights"),
                    ("dlq.source_partition", b"0"),
                    ("dlq.source_offset", b"7"),
                ),
            )
        ]
    )
    await console.sign_in("operator-liu")
    await console.until(lambda: _page_has(console, "/dead-letters", "payload.invalid"))
    page = (await console.client.get("/dead-letters")).text
    letter = page.split('name="letters" value="', 1)[1].split('"', 1)[0]
    await console.post("/dead-letters/redrive", {"letters": letter})

    async def redriven() -> list[Any]:
        return [m for m in console.bus.messages(REGISTRY_RIGHTS) if m.value == value]

    [record] = await console.until(redriven)
    assert record.key == "not-a-patent"
    assert dict(record.headers) == {"event_type": b"registry.patent.recorded"}
    audit = (await console.client.get("/audit")).text
    assert "redrive" in audit and "operator-liu" in audit and "e-1" in audit
    assert "1\u00d7" in (await console.client.get("/dead-letters")).text
    runtime = console.app.state.runtime
    async with runtime.engine.connect() as connection:
        [entry] = (await connection.execute(select(ledger_entries))).all()
        verdict = await verify_chain(connection, metadata.tables, "console")
    assert (entry.kind, entry.subject) == ("console.dead_letter.redrive_asked", letter)
    assert json.loads(entry.details)["staff_id"] == "operator-liu"
    assert json.loads(entry.details)["event_id"] == "e-1"
    assert verdict.intact and verdict.last_seq == 1


async def test_the_sla_board_and_statistics_count_from_the_topics(console: Console) -> None:
    console.clock.set(beijing(2025, 9, 23, 10))
    await queue_filing(console, "f-due")
    await queue_filing(console, "f-late", deadline_at="2025-09-22T16:00:00+00:00")
    breached = {"filing_id": "f-late", "breached_at": "2025-09-22T16:00:30+00:00"}
    registered = {
        "filing_id": "f-done",
        "registration_number": "Y1",
        "registered_at": "2025-09-22T03:00:00+00:00",
        "deadline_at": "2025-09-23T16:00:00+00:00",
        "within_deadline": True,
    }
    disbursed = {
        "loan_id": "loan-1",
        "bank_id": "bank-hangzhou",
        "enterprise_uscc": "91310115MA1K3YJ675",
        "amount": "800000.00",
        "inclusive": True,
        "disbursed_at": "2025-09-22T04:00:00+00:00",
    }
    await console.publish(
        REGISTRY_PLEDGES, envelope("registry.filing.sla_breached", "f-late", breached, version=3)
    )
    await console.publish(
        REGISTRY_PLEDGES, envelope("registry.pledge.registered", "f-done", registered)
    )
    await console.publish(
        "pledgeflow.credit.loans", envelope("credit.loan.disbursed", "loan-1", disbursed)
    )
    await console.sign_in("operator-liu")
    board = await console.until(
        lambda: _page_text_if(console, "/sla", "f-due", "f-late", "1</span> breaches")
    )
    assert '<span class="figure">1</span> due today' in board
    assert '<span class="figure">1</span> overdue' in board
    assert '<span class="figure">1</span> breaches in 14 days' in board
    figures = await console.until(
        lambda: _page_text_if(console, "/statistics", "¥800,000.00", "of 1 filings")
    )
    assert "100%</span> inclusive finance" in figures
    assert "100%</span> of 1 filings decided within the deadline" in figures


async def _page_text_if(console: Console, path: str, *texts: str) -> str | None:
    found = (await console.client.get(path)).text
    return found if all(text in found for text in texts) else None


def test_the_console_signs_for_the_person_with_a_short_lived_credential_for_one_service(
    tmp_path: Any,
) -> None:
    from services.console.adapters.gateway import HttpServices
    from services.console.domain.staff import Person, Role

    services = HttpServices({}, development_issuer(), timedelta(minutes=5))
    token = services.credential(Person("examiner-li", "Li Na", Role.EXAMINER), "registry")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["sub"], claims["role"], claims["aud"]) == (
        "examiner-li",
        "examiner",
        "pledgeflow-registry",
    )
    assert claims["exp"] - claims["iat"] == 300


def test_production_refuses_the_development_accounts_and_issuer(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    production: dict[str, Any] = {
        "environment": "production",
        "database_url": "postgresql+asyncpg://console@db/console",
    }
    with pytest.raises(ValueError, match="own issuer"):
        ConsoleSettings(**production)
    keys = tmp_path / "issuer"
    settings = ConsoleSettings(**production, issuer="https://console.example", issuer_keys=keys)
    with pytest.raises(ValueError, match="development accounts"):
        create_app(settings)
    staff = tmp_path / "staff.yaml"
    staff.write_text(
        f"staff:\n  - id: clerk-1\n    role: operator\n    password: {hash_password('pw')}\n"
    )
    app = create_app(
        ConsoleSettings(
            **production, issuer="https://console.example", issuer_keys=keys, staff_file=staff
        )
    )
    jwks = app.state.issuer.jwks()
    assert app.state.issuer.issuer == "https://console.example"
    assert jwks["keys"] and "d" not in jwks["keys"][0]


async def test_unreadable_dead_letters_are_kept_and_shown_to_the_operator(
    console: Console,
) -> None:
    group = console.settings.dead_letter_groups[0]
    await console.bus.publish(
        [
            Record(
                dead_letter_topic(group),
                f"key-{n}",
                b"{not json" if n == 0 else b"\x00\xff",
                (("dlq.reason", b"envelope.not_json"), ("dlq.consumer", group.encode())),
            )
            for n in range(2)
        ]
    )
    await console.sign_in("operator-liu")

    async def both_listed() -> bool:
        page = await console.client.get("/dead-letters")
        return page.text.count("unreadable record") == 2

    await console.until(both_listed)
    page = await console.client.get("/dead-letters")
    assert "envelope.not_json" in page.text
    assert f"<td>{group}</td>" in page.text


LATEST_RUN = "/internal/v1/reconciliation/runs/latest"


async def test_an_operator_sees_the_mismatches_of_the_last_reconciliation_and_runs_one(
    console: Console,
) -> None:
    console.services.refusals[("GET", LATEST_RUN)] = (404, "reconciliation.none_yet", "None")
    await console.sign_in("operator-liu")
    assert "No reconciliation has run yet" in (await console.client.get("/reconciliation")).text

    del console.services.refusals[("GET", LATEST_RUN)]
    console.services.answers[("GET", LATEST_RUN)] = {
        "run_id": "run-1",
        "trigger": "schedule",
        "started_at": "2026-11-30T02:00:00+00:00",
        "finished_at": "2026-11-30T02:00:01+00:00",
        "loans_checked": 12,
        "pledges_checked": 13,
        "mismatches": [
            {
                "reason": "pledge.cancelled",
                "bank_id": "bank-hangzhou",
                "loan_id": "loan-7",
                "registration_number": "Y2026000007",
                "detail": "pledge Y2026000007 was cancelled",
            }
        ],
    }
    shown = (await console.client.get("/reconciliation")).text
    assert "pledge.cancelled" in shown and "loan-7" in shown and "Y2026000007" in shown
    assert "12 loans and 13 pledges compared, 1 mismatch." in shown

    ran = await console.post("/reconciliation/run")

    assert ran.status_code == 303
    call = console.services.calls[-1]
    assert (call.service, call.method, call.path) == (
        "credit",
        "POST",
        "/internal/v1/reconciliation/runs",
    )
    assert call.person.staff_id == "operator-liu"
    assert "reconcile" in (await console.client.get("/audit")).text


async def test_only_operators_reach_the_reconciliation_page(console: Console) -> None:
    await console.sign_in("examiner-li")
    assert (await console.client.get("/reconciliation")).status_code == 403
    assert console.services.calls == []
