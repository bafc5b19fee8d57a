"""Rows to loans and back: money to the fen, times in UTC, dates as dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from services.credit.domain.events import CollateralRight, Enterprise
from services.credit.domain.loan import Loan, LoanStatus
from services.credit.domain.programmes import Share
from services.credit.domain.records import LoanTimeout, RefusalGround, Repayment, TimeoutKind
from shared.envelope import to_primitive

FEN = Decimal("0.01")


def loan_to_row(loan: Loan) -> dict[str, Any]:
    """The loans-table values of a loan (its child rows are saved separately)."""
    return (
        {
            "loan_id": loan.loan_id,
            "bank_id": loan.bank_id,
            "enterprise_uscc": loan.enterprise.uscc,
            "enterprise": to_primitive(loan.enterprise),
            "requested_amount": loan.requested_amount,
            "term_months": loan.term_months,
            "purpose": loan.purpose,
            "collateral": to_primitive(loan.collateral),
            "status": loan.status.value,
            "submitted_at": loan.submitted_at,
            "correlation_id": loan.correlation_id,
            "programme": loan.programme,
            "withdrawal_reason": loan.withdrawal_reason,
            "history": [[status, at.isoformat()] for status, at in loan.history],
            "version": loan.version,
        }
        | _decision_row(loan)
        | _servicing_row(loan)
    )


def _decision_row(loan: Loan) -> dict[str, Any]:
    return {
        "inclusive": loan.inclusive,
        "approved_amount": loan.approved_amount,
        "annual_rate": loan.annual_rate,
        "decision_reasons": list(loan.decision_reasons),
        "policy_version": loan.policy_version,
        "policy_ceiling": loan.policy_ceiling,
        "decision_inputs": loan.decision_inputs or None,
        "decided_at": loan.decided_at,
        "decided_by": loan.decided_by,
        "valuation_id": loan.valuation_id,
        "appraised_value": loan.appraised_value,
        "collateral_value": loan.collateral_value,
        "collateral_expires_on": loan.collateral_expires_on,
        "offer_expires_at": loan.offer_expires_at,
        "quota_reserved": loan.quota_reserved,
        "insurance_premium": loan.insurance_premium,
    }


def _servicing_row(loan: Loan) -> dict[str, Any]:
    return {
        "pledge_requested_at": loan.pledge_requested_at,
        "pledge_registration_number": loan.pledge_registration_number,
        "disbursed_at": loan.disbursed_at,
        "maturity_date": loan.maturity_date,
        "outstanding_principal": loan.outstanding_principal,
        "repaid_at": loan.repaid_at,
        "pledge_released_at": loan.pledge_released_at,
        "stray_pledge_registration_number": loan.stray_pledge_registration_number,
        "defaulted_at": loan.defaulted_at,
        "recovered_amount": loan.recovered_amount,
        "loss": loan.loss,
        "claims": to_primitive(loan.claims) if loan.claims else None,
        "pledge_filing_id": loan.pledge_filing_id,
        "pledge_refusal_grounds": (
            to_primitive(loan.pledge_refusal_grounds) if loan.pledge_refusal_grounds else None
        ),
    }


def loan_from_row(row: Any, deadlines: list[LoanTimeout], repaid: list[Repayment]) -> Loan:
    """A loan from its row and child rows."""
    return Loan(
        loan_id=row["loan_id"],
        bank_id=row["bank_id"],
        enterprise=Enterprise(**row["enterprise"]),
        requested_amount=money(row["requested_amount"]) or Decimal("0.00"),
        term_months=row["term_months"],
        purpose=row["purpose"],
        collateral=tuple(CollateralRight(**c) for c in row["collateral"]),
        status=LoanStatus(row["status"]),
        submitted_at=utc(row["submitted_at"]) or datetime.now(UTC),
        correlation_id=row["correlation_id"],
        programme=row["programme"],
        withdrawal_reason=row["withdrawal_reason"],
        history=[(s, datetime.fromisoformat(at)) for s, at in row["history"]],
        timeouts=deadlines,
        repayments=repaid,
        version=row["version"],
        **_decision_fields(row),
        **_servicing_fields(row),
    )


def _decision_fields(row: Any) -> dict[str, Any]:
    rate = row["annual_rate"]
    return {
        "inclusive": bool(row["inclusive"]),
        "approved_amount": money(row["approved_amount"]),
        "annual_rate": None if rate is None else Decimal(rate).normalize(),
        "decision_reasons": tuple(row["decision_reasons"]),
        "policy_version": row["policy_version"],
        "policy_ceiling": money(row["policy_ceiling"]),
        "decision_inputs": row["decision_inputs"] or {},
        "decided_at": utc(row["decided_at"]),
        "decided_by": row["decided_by"],
        "valuation_id": row["valuation_id"],
        "appraised_value": money(row["appraised_value"]),
        "collateral_value": money(row["collateral_value"]),
        "collateral_expires_on": _date(row["collateral_expires_on"]),
        "offer_expires_at": utc(row["offer_expires_at"]),
        "quota_reserved": money(row["quota_reserved"]) or Decimal("0.00"),
        "insurance_premium": money(row["insurance_premium"]),
    }


def _servicing_fields(row: Any) -> dict[str, Any]:
    return {
        "pledge_requested_at": utc(row["pledge_requested_at"]),
        "pledge_registration_number": row["pledge_registration_number"],
        "disbursed_at": utc(row["disbursed_at"]),
        "maturity_date": _date(row["maturity_date"]),
        "outstanding_principal": money(row["outstanding_principal"]),
        "repaid_at": utc(row["repaid_at"]),
        "pledge_released_at": utc(row["pledge_released_at"]),
        "stray_pledge_registration_number": row["stray_pledge_registration_number"],
        "defaulted_at": utc(row["defaulted_at"]),
        "recovered_amount": money(row["recovered_amount"]),
        "loss": money(row["loss"]),
        "claims": tuple(
            Share(c["party"], Decimal(c["share"]), Decimal(c["amount"]))
            for c in row["claims"] or ()
        ),
        "pledge_filing_id": row["pledge_filing_id"],
        "pledge_refusal_grounds": tuple(
            RefusalGround(g["code"], g["message"], g.get("right"))
            for g in row["pledge_refusal_grounds"] or ()
        ),
    }


def timeout_from_row(row: Any) -> LoanTimeout:
    return LoanTimeout(
        kind=TimeoutKind(row["kind"]),
        due_at=utc(row["due_at"]) or datetime.now(UTC),
        fired_at=utc(row["fired_at"]),
        cancelled_at=utc(row["cancelled_at"]),
        provisional=row["provisional"],
        basis={int(year): v for year, v in (row["calendar_basis"] or {}).items()},
    )


def repayment_from_row(row: Any) -> Repayment:
    return Repayment(
        repayment_id=row["repayment_id"],
        amount=money(row["amount"]) or Decimal("0.00"),
        paid_at=utc(row["paid_at"]) or datetime.now(UTC),
        outstanding_after=money(row["outstanding_after"]) or Decimal("0.00"),
    )


def utc(value: datetime | None) -> datetime | None:
    """An aware UTC datetime (SQLite hands back naive ones)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def money(value: Any) -> Decimal | None:
    """Yuan to the fen."""
    return None if value is None else Decimal(value).quantize(FEN)


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value
