"""The operator's yearly task: the file format in the README is one the registry accepts."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from shared import ops
from shared.workdays import Notice, YearSchedule

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example(tmp_path: Path) -> Path:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### The yearly task") :]
    [block] = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)[:1]
    path = tmp_path / "2027.yaml"
    path.write_text(block, encoding="utf-8")
    return path


def test_the_readme_example_is_a_whole_consistent_year(tmp_path: Path) -> None:
    body = ops.calendar_body(2027, readme_example(tmp_path))
    schedule = YearSchedule(
        2027,
        frozenset(date.fromisoformat(d) for d in body["holidays"]),
        frozenset(date.fromisoformat(d) for d in body["makeup_workdays"]),
        notice=Notice(
            body["notice"]["reference"], date.fromisoformat(body["notice"]["published_on"])
        ),
    )
    assert schedule.problems() == []
    assert body["notice"]["reference"].startswith("国办发明电")


def test_a_file_for_another_year_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    with pytest.raises(ops.CalendarLoadFailed, match="schedule of 2027, not 2028"):
        ops.calendar_body(2028, readme_example(tmp_path))
