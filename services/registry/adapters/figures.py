"""The registry's figures for the operator's dashboard, read when the metrics are scraped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from prometheus_client.metrics_core import Metric
from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.registry.adapters.orm import filings
from services.registry.domain.pledge import CLOCK_RUNNING, FilingStatus
from shared.metrics import FigureSource, gauge
from shared.workdays import beijing_date, end_of_beijing_day

OPEN = (*CLOCK_RUNNING, FilingStatus.AWAITING_CORRECTION)


def filing_figures(now: Callable[[], datetime]) -> FigureSource:
    """Filings open by status; those due today, overdue, and breached (open, SLA flagged)."""

    async def read(connection: AsyncConnection) -> list[Metric]:
        at = now()
        running = filings.c.status.in_([s.value for s in CLOCK_RUNNING])

        def counted(condition: ColumnElement[bool]) -> ColumnElement[int]:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        by_status = (
            await connection.execute(
                select(filings.c.status, func.count())
                .where(filings.c.status.in_([s.value for s in OPEN]))
                .group_by(filings.c.status)
            )
        ).all()
        due_today, overdue, breached = (
            await connection.execute(
                select(
                    counted(
                        and_(
                            running,
                            filings.c.deadline_at >= at,
                            # a deadline is 24:00 Beijing time of its last working day
                            filings.c.deadline_at <= end_of_beijing_day(beijing_date(at)),
                        )
                    ),
                    counted(and_(running, filings.c.deadline_at < at)),
                    counted(and_(running, filings.c.sla_breached_at.is_not(None))),
                ).where(filings.c.status.in_([s.value for s in OPEN]))
            )
        ).one()
        open_ = gauge(
            "pledgeflow_registry_filings_open",
            "Pledge filings not yet decided, by status",
            ["status"],
        )
        counts: dict[str, int] = {status: count for status, count in by_status}
        for status in OPEN:
            open_.add_metric([status.value], counts.get(status.value, 0))
        figures: list[Metric] = [open_]
        for name, documentation, value in (
            (
                "pledgeflow_registry_filings_due_today",
                "Filings under examination whose deadline is the end of today (Beijing time)",
                due_today,
            ),
            (
                "pledgeflow_registry_filings_overdue",
                "Filings under examination past their deadline",
                overdue,
            ),
            (
                "pledgeflow_registry_filings_sla_breached",
                "Filings under examination flagged as having breached the statutory deadline",
                breached,
            ),
        ):
            family = gauge(name, documentation)
            family.add_metric([], int(value))
            figures.append(family)
        return figures

    return read
