"""An examiner's refusal rests on statutory grounds, and the register keeps its words.

A refusal without a reason, on a ground the regulations do not know, or on `other` without
saying why, is refused with a problem the examiner's desk shows field by field. The actions
of the decisions are the words stored with every filing's history: a filing decided years ago
still reads back.
"""

from __future__ import annotations

import pytest

from services.registry.domain.checks import OTHER_GROUND, REFUSAL_GROUNDS
from services.registry.domain.decisions import DecisionAction, Reason, check_refusal_reasons
from services.registry.domain.errors import (
    RefusalExplanationMissing,
    RefusalReasonsMissing,
    UnknownRefusalGround,
)

GROUND = sorted(REFUSAL_GROUNDS - {OTHER_GROUND})[0]


def test_a_refusal_on_a_statutory_ground_or_an_explained_other_ground_is_accepted() -> None:
    check_refusal_reasons("f-1", [Reason(GROUND, "")])
    check_refusal_reasons("f-1", [Reason(GROUND, ""), Reason(OTHER_GROUND, "seal illegible")])


def test_a_refusal_without_reasons_is_refused() -> None:
    with pytest.raises(RefusalReasonsMissing) as refused:
        check_refusal_reasons("f-7", [])
    assert (refused.value.code, refused.value.detail) == ("refusal.reasons_missing", "filing f-7")


def test_each_unknown_ground_is_named_on_the_reasons_field() -> None:
    with pytest.raises(UnknownRefusalGround) as refused:
        check_refusal_reasons(
            "f-7", [Reason("looks.odd", ""), Reason(GROUND, ""), Reason("bad.vibes", "x")]
        )
    assert refused.value.code == "refusal.unknown_ground"
    assert refused.value.detail == "not a statutory ground: bad.vibes, looks.odd"
    assert refused.value.errors == [
        {"field": "reasons", "code": "refusal.unknown_ground", "message": "bad.vibes is unknown"},
        {"field": "reasons", "code": "refusal.unknown_ground", "message": "looks.odd is unknown"},
    ]


@pytest.mark.parametrize("explanation", ["", "   \t"])
def test_another_ground_needs_an_explanation(explanation: str) -> None:
    with pytest.raises(RefusalExplanationMissing) as refused:
        check_refusal_reasons("f-7", [Reason(GROUND, ""), Reason(OTHER_GROUND, explanation)])
    assert refused.value.detail == "filing f-7: say why the filing is refused"


def test_the_actions_stored_with_a_filing_s_history_keep_their_words() -> None:
    assert [action.value for action in DecisionAction] == [
        "claimed",
        "registered",
        "refused",
        "correction_requested",
        "warnings_acknowledged",
        "released",
        "reassigned",
    ]
