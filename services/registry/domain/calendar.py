"""A year of the official calendar as the registry office publishes it, version by version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.registry.domain.errors import ScheduleInvalid
from services.registry.domain.events import CalendarYearPublished
from shared.kernel.events import Aggregate
from shared.workdays import YearSchedule


@dataclass
class OfficialYear(Aggregate):
    """The published versions of one year's schedule; each new version is announced.

    The aggregate's version is the number of the newest published schedule version.
    """

    year: int

    @property
    def aggregate_id(self) -> str:
        return str(self.year)

    def next_version(self) -> int:
        """The version the next schedule of the year gets."""
        return self.version + 1

    def publish(self, schedule: YearSchedule, entered_by: str, entered_at: datetime) -> None:
        """Publish `schedule` as the year's next version; an inconsistent one is refused."""
        if schedule.year != self.year or schedule.version != self.next_version():
            raise ScheduleInvalid(f"schedule {schedule.year} v{schedule.version} is out of turn")
        problems = schedule.problems()
        if problems:
            raise ScheduleInvalid("; ".join(problems))
        assert schedule.notice is not None
        self.record(
            CalendarYearPublished(
                year=schedule.year,
                version=schedule.version,
                holidays=tuple(sorted(schedule.holidays)),
                makeup_workdays=tuple(sorted(schedule.makeup_workdays)),
                notice_reference=schedule.notice.reference,
                notice_published_on=schedule.notice.published_on,
                entered_by=entered_by,
                entered_at=entered_at,
            )
        )
