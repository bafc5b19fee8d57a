"""The similarity rule for a pledgor's marks: which must be pledged together, which are doubtful."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.registry.domain.marks import (
    Resemblance,
    Togetherness,
    distinctive,
    normalised,
    resemblance,
    togetherness,
)
from tests.unit.test_registry_checks import MARK


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("MOONLENS", "MoonLens"),
        ("MOONLENS", "Moon-Lens"),
        ("MOONLENS", "moon lens"),
        ("MOONLENS", "\uff2d\uff2f\uff2f\uff2e\uff2c\uff25\uff2e\uff33"),
        ("月光", "月 光"),
    ],
)
def test_case_spacing_punctuation_and_full_width_letters_do_not_tell_marks_apart(
    first: str, second: str
) -> None:
    assert resemblance(first, second) is Resemblance.IDENTICAL


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("MOONLENS", "MOONLENS PRO"),
        ("MOONLENS PRO", "MOONLENS"),
        ("MOONLENS PRO", "MoonLens Plus"),
        ("MOONLENS", "MOONLENSPRO"),
        ("MOONLENS", "MOONLENS 2"),
        ("MOONLENS", "New MoonLens"),
        ("月光", "月光牌"),
        ("月光", "月光PRO"),
    ],
)
def test_the_same_distinctive_word_with_a_descriptive_addition_is_similar(
    first: str, second: str
) -> None:
    assert resemblance(first, second) is Resemblance.SIMILAR


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("MOONLENS", "MOONLENSTAR"),
        ("MOONLENS", "SUPERMOONLENS"),
        ("MOONLENS", "MOONLENZ"),
        ("MOONLENS", "MOONLEN"),
        ("月光", "YUEGUANG"),
        ("月光", "悦光"),
    ],
)
def test_containment_one_letter_apart_and_same_pinyin_are_borderline(
    first: str, second: str
) -> None:
    assert resemblance(first, second) is Resemblance.POSSIBLY_SIMILAR


@pytest.mark.parametrize(
    ("first", "second"),
    [("MOONLENS", "SUNLENS"), ("MOONLENS", "PRO"), ("ABC", "ABD"), ("月光", "星河"), ("", "X")],
)
def test_different_words_are_distinct(first: str, second: str) -> None:
    assert resemblance(first, second) is Resemblance.DISTINCT


def test_normalised_and_distinctive_parts() -> None:
    assert normalised(" Moon-Lens  Pro! ") == "moonlenspro"
    assert distinctive("MoonLens Pro 2") == "moonlens"
    assert distinctive("新华") == "新华"
    assert distinctive("PRO MAX") == ""


MOONLENS = replace(MARK, number="30000001", mark="MOONLENS", nice_class=9, goods=("0901",))


@pytest.mark.parametrize(
    ("text", "nice_class", "goods", "expected"),
    [
        ("MOONLENS PRO", 9, ("0901",), Togetherness.REQUIRED),
        ("MOONLENS PRO", 9, ("0913",), Togetherness.FOR_THE_EXAMINER),
        ("MOONLENS PRO", 35, ("3501",), Togetherness.NOT_REQUIRED),
        ("MOONLENSTAR", 9, ("0901",), Togetherness.FOR_THE_EXAMINER),
        ("MOONLENSTAR", 9, ("0913",), Togetherness.NOT_REQUIRED),
        ("SUNGLASS", 9, ("0901",), Togetherness.NOT_REQUIRED),
    ],
)
def test_marks_go_together_by_mark_and_goods(
    text: str, nice_class: int, goods: tuple[str, ...], expected: Togetherness
) -> None:
    other = replace(MOONLENS, number="30000002", mark=text, nice_class=nice_class, goods=goods)
    assert togetherness(MOONLENS, other) is expected
