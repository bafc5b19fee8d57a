"""The registration desk's figures over the filings received in a period."""

from __future__ import annotations

from datetime import date, timedelta

from services.registry.domain.statistics import DeskStatistics, desk_statistics
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.workdays import end_of_beijing_day


async def desk_figures(
    first: date | None, last: date | None, uow: RegistryUnitOfWork
) -> DeskStatistics:
    """Figures over the filings received from `first` to `last` (Beijing dates, inclusive)."""
    since = end_of_beijing_day(first - timedelta(days=1)) if first else None
    until = end_of_beijing_day(last) if last else None
    return desk_statistics(await uow.filings.received_between(since, until))
