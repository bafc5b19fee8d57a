"""The registration desk's figures over the filings received in a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from services.registry.domain.statistics import DeskStatistics, desk_statistics
from services.registry.service_layer.deps import RegistryDeps
from services.registry.service_layer.ports import RegistryUnitOfWork
from shared.kernel.messages import Query
from shared.workdays import end_of_beijing_day


@dataclass(frozen=True)
class DeskFigures(Query):
    first: date | None
    last: date | None


async def desk_figures(
    query: DeskFigures, uow: RegistryUnitOfWork, deps: RegistryDeps
) -> DeskStatistics:
    """Figures over the filings received from `first` to `last` (Beijing dates, inclusive)."""
    first, last = query.first, query.last
    since = end_of_beijing_day(first - timedelta(days=1)) if first else None
    until = end_of_beijing_day(last) if last else None
    return desk_statistics(await uow.filings.received_between(since, until))
