"""Valuation's figures for the operator's dashboard, read when the metrics are scraped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from prometheus_client.metrics_core import Metric
from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.valuation.adapters.orm import signoffs, valuations
from services.valuation.domain.signoff import PROVISIONAL
from shared.metrics import FigureSource, gauge


def valuation_figures(now: Callable[[], datetime]) -> FigureSource:
    """Valuations waiting for an appraiser's sign-off (provisional, none signed yet), and how
    long the oldest has waited."""

    async def read(connection: AsyncConnection) -> list[Metric]:
        waiting, oldest = (
            await connection.execute(
                select(func.count(), func.min(valuations.c.created_at)).where(
                    valuations.c.status == PROVISIONAL,
                    ~exists().where(signoffs.c.valuation_id == valuations.c.valuation_id),
                )
            )
        ).one()
        count = gauge(
            "pledgeflow_valuations_awaiting_signoff",
            "Provisional valuations waiting for an appraiser's sign-off",
        )
        count.add_metric([], waiting)
        age = gauge(
            "pledgeflow_valuations_oldest_awaiting_signoff_seconds",
            "How long the oldest valuation waiting for sign-off has waited (0 when none)",
        )
        age.add_metric([], (now() - oldest).total_seconds() if oldest else 0.0)
        return [count, age]

    return read
