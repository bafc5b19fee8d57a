"""The valuation and the collateral of a loan number their own events and guard their rules."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from services.valuation.domain.collateral import LoanCollateral
from services.valuation.domain.events import RightValue, ValuationCompleted
from services.valuation.domain.signoff import SignOffRefused, ValueRange
from services.valuation.domain.valuation import (
    CREDIT,
    REVALUATION,
    AlreadySignedOff,
    NotProvisional,
    Valuation,
)
from shared.kernel.errors import Conflict, Invalid

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
PATENT = "202010123456.2"
TRADEMARK = "31234567"


def right(number: str, central: str) -> RightValue:
    amount = Decimal(central)
    return RightValue(
        number=number,
        right_type="patent",
        kind="invention",
        low=amount,
        central=amount,
        high=amount,
        method="income_royalty_share",
        zero_reason=None,
        quality_score=None,
        recommended_ltv=Decimal("0.3"),
        drivers=(),
    )


def made(
    status: str = "provisional",
    requested_by: str = CREDIT,
    rights: tuple[RightValue, ...] = (right(TRADEMARK, "400.00"), right(PATENT, "600.00")),
) -> Valuation:
    central = sum((r.central for r in rights), Decimal("0.00"))
    completed = ValuationCompleted(
        valuation_id=str(uuid.uuid4()),
        reference="loan-1",
        requested_by=requested_by,
        parameter_version="2026.1",
        as_of=date(2026, 6, 1),
        low=central,
        central=central,
        high=central,
        recommended_max_loan=Decimal("300.00"),
        largest_share=Decimal("0.6"),
        concentration_note=None,
        rights=rights,
        completed_at=NOW,
        status=status,
    )
    return Valuation.make(completed, {"rights": []})


def test_a_valuation_is_published_at_version_one_and_its_sign_off_at_two() -> None:
    valuation = made()

    signoff = valuation.sign_off("appraiser-li", " checked ", None, NOW)

    events = valuation.collect_events()
    assert [(version, e.event_type) for version, e in events] == [
        (1, "valuation.completed"),
        (2, "valuation.signed_off"),
    ]
    assert (signoff.outcome, signoff.reason, valuation.effective_central) == (
        "approved",
        "checked",
        Decimal("1000.00"),
    )


def test_only_a_provisional_valuation_is_signed_off_and_only_once() -> None:
    final = made(status="final")
    with pytest.raises(NotProvisional) as not_provisional:
        final.sign_off("appraiser-li", None, None, NOW)
    provisional = made()
    provisional.sign_off("appraiser-li", None, None, NOW)
    with pytest.raises(AlreadySignedOff) as signed:
        provisional.sign_off("appraiser-wang", None, None, NOW)

    assert isinstance(not_provisional.value, Conflict)
    assert not_provisional.value.code == "valuation.not_provisional"
    assert isinstance(signed.value, Conflict)
    assert signed.value.code == "valuation.already_signed_off"
    assert provisional.version == 2


def test_an_adjustment_needs_a_reason() -> None:
    valuation = made()
    adjusted = ValueRange(Decimal("800.00"), Decimal("900.00"), Decimal("950.00"))

    with pytest.raises(SignOffRefused) as refused:
        valuation.sign_off("appraiser-li", "  ", adjusted, NOW)

    assert isinstance(refused.value, Invalid)
    assert refused.value.code == "signoff.reason_required"
    assert (valuation.signoff, valuation.version) == (None, 1)


def test_collateral_follows_the_rights_its_valuation_valued() -> None:
    basis = made(status="final")

    collateral = LoanCollateral.follow("loan-1", basis, NOW)

    assert (collateral.rights, collateral.valuation_id) == ((PATENT, TRADEMARK), basis.valuation_id)
    assert (collateral.version, collateral.collect_events()) == (0, [])
    assert collateral.impaired_by(PATENT, "right.lapsed")
    assert not collateral.impaired_by("201910777888.2", "right.lapsed")


def test_each_impairment_of_a_loan_is_its_next_version_and_rebases_its_value() -> None:
    basis = made(status="final")
    collateral = LoanCollateral.follow("loan-1", basis, NOW)
    first = made(status="final", requested_by=REVALUATION, rights=(right(TRADEMARK, "400.00"),))
    second = made(status="final", requested_by=REVALUATION, rights=())
    later = NOW + timedelta(days=30)

    lapsed = collateral.impair(PATENT, "right.lapsed", basis, first, later)
    revoked = collateral.impair(TRADEMARK, "right.revoked", first, second, later)

    assert [version for version, _ in collateral.collect_events()] == [1, 2]
    assert (lapsed.previous_central, lapsed.new_central) == (Decimal("1000.00"), Decimal("400.00"))
    assert (lapsed.previous_right_central, lapsed.new_right_central) == (
        Decimal("600.00"),
        Decimal("0.00"),
    )
    assert revoked.previous_central == Decimal("400.00")
    assert collateral.valuation_id == second.valuation_id
    assert not collateral.impaired_by(PATENT, "right.lapsed")
    assert collateral.impaired_by(PATENT, "right.term_ending")


def test_an_impairment_rests_on_the_valuation_in_force_and_not_after_release() -> None:
    basis = made(status="final")
    collateral = LoanCollateral.follow("loan-1", basis, NOW)
    stale = made(status="final")
    revalued = made(status="final", requested_by=REVALUATION)

    with pytest.raises(ValueError):
        collateral.impair(PATENT, "right.lapsed", stale, revalued, NOW)
    collateral.release()

    assert (collateral.released, collateral.rights) == (True, ())
    assert not collateral.impaired_by(PATENT, "right.lapsed")
    with pytest.raises(ValueError):
        collateral.impair(PATENT, "right.lapsed", basis, revalued, NOW)
