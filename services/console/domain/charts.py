"""Figures drawn as charts: a valuation's range, each driver's contribution, bars by period.

Geometry is computed here, in plain numbers; templates only draw it (inline SVG).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

WIDTH = 600
NONE = "\u2013"  # an en dash: no figure
_POINTS = re.compile(r"^\+?(-?\d+(?:\.\d+)?) of (\d+(?:\.\d+)?) points$")
_RATE = re.compile(r"^(-?\d+(?:\.\d+)?)%$")


@dataclass(frozen=True)
class Bar:
    """One labelled bar: where it starts and how long it is, in chart units (0..WIDTH)."""

    label: str
    shown: str
    x: float
    width: float
    note: str = ""


@dataclass(frozen=True)
class RangeChart:
    """Low, central and high of a value on one axis."""

    low: float
    central: float
    high: float
    axis_max: str


def value_range(low: Decimal, central: Decimal, high: Decimal) -> RangeChart:
    """Positions of a valuation's range on an axis from zero to a little past `high`."""
    top = max(high, Decimal(1)) * Decimal("1.1")

    def at(value: Decimal) -> float:
        return round(float(value / top) * WIDTH, 1)

    return RangeChart(at(low), at(central), at(high), f"{top:,.0f}")


def score_contributions(drivers: Sequence[Mapping[str, Any]]) -> list[Bar]:
    """The quality score's indicators: the points each earned out of its weight."""
    bars = []
    for driver in drivers:
        name = str(driver.get("name", ""))
        found = _POINTS.match(str(driver.get("effect", "")))
        if not name.startswith("score.") or found is None:
            continue
        points, weight = float(found[1]), float(found[2])
        bars.append(
            Bar(
                name.removeprefix("score.").replace("_", " "),
                f"{points:g} of {weight:g} points",
                0.0,
                round(points / 100 * WIDTH, 1),
                str(driver.get("value", "")),
            )
        )
    return bars


def rate_build_up(drivers: Sequence[Mapping[str, Any]]) -> list[Bar]:
    """The discount rate's parts (risk-free rate and premia), stacked in order."""
    parts: list[tuple[str, float, str]] = []
    for driver in drivers:
        name = str(driver.get("name", ""))
        if name != "risk_free_rate" and not name.startswith("premium."):
            continue
        found = _RATE.match(str(driver.get("value", "")))
        if found:
            label = name.removeprefix("premium.").replace("_", " ")
            parts.append((label, float(found[1]), str(driver["value"])))
    total = sum(p[1] for p in parts) or 1.0
    bars, x = [], 0.0
    for label, rate, shown in parts:
        width = round(rate / total * WIDTH, 1)
        bars.append(Bar(label, shown, round(x, 1), width))
        x += width
    return bars


@dataclass(frozen=True)
class Column:
    """One period's bar in a column chart."""

    label: str
    shown: str
    height: float


def columns(
    series: Sequence[tuple[str, Decimal | float | int]], shown: Sequence[str], height: int = 160
) -> list[Column]:
    """Bars scaled to the largest value of the series."""
    top = max((float(v) for _, v in series), default=0.0) or 1.0
    return [
        Column(label, text, round(float(value) / top * height, 1))
        for (label, value), text in zip(series, shown, strict=True)
    ]


def share(part: Decimal | int, whole: Decimal | int) -> str:
    """A share in whole percent, or a dash when there is no whole."""
    if not whole:
        return NONE
    try:
        return f"{Decimal(part) / Decimal(whole) * 100:.0f}%"
    except InvalidOperation:
        return NONE
