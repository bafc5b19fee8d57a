"""Credit's figures for the operator's dashboard, read when the metrics are scraped."""

from __future__ import annotations

from prometheus_client.metrics_core import Metric
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.credit.adapters.orm import bank_quotas, loans
from services.credit.domain.loan_state import LoanStatus
from shared.metrics import gauge


async def credit_figures(connection: AsyncConnection) -> list[Metric]:
    """Loans by state (every state, zero included); each bank's quota, reserved and consumed."""
    rows = await connection.execute(select(loans.c.status, func.count()).group_by(loans.c.status))
    counts: dict[str, int] = {status: count for status, count in rows}
    by_state = gauge("pledgeflow_credit_loans", "Loans by state", ["status"])
    for status in LoanStatus:
        by_state.add_metric([status.value], counts.get(status.value, 0))
    quotas = (
        await connection.execute(
            select(bank_quotas.c.bank_id, bank_quotas.c.total)
            .add_columns(bank_quotas.c.reserved, bank_quotas.c.consumed)
            .order_by(bank_quotas.c.bank_id)
        )
    ).all()
    families = {
        column: gauge(f"pledgeflow_credit_quota_{column}_yuan", documentation, ["bank"])
        for column, documentation in (
            ("total", "A bank's quota for IP-pledge loans"),
            ("reserved", "Quota held by offers not yet disbursed"),
            ("consumed", "Quota taken by disbursed loans"),
        )
    }
    for row in quotas:
        for column, family in families.items():
            family.add_metric([row.bank_id], float(getattr(row, column)))
    return [by_state, *families.values()]
