"""Valuation's message bus: every command and query with its handler, dependencies bound once."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from services.valuation.service_layer import (
    appraisals,
    handlers,
    register,
    reproduction,
    revaluation,
)
from services.valuation.service_layer import commands as c
from services.valuation.service_layer.deps import ValuationDeps
from services.valuation.service_layer.ports import ValuationUnitOfWork
from shared.messagebus import MessageBus, On


def bootstrap(
    unit_of_work: Callable[[], ValuationUnitOfWork], deps: ValuationDeps
) -> MessageBus[Any]:
    """The bus that runs valuation's commands and queries."""

    def bound(handler: Any) -> Any:
        return partial(handler, deps=deps)

    async def valuation_of(command: c.ValueRights, valuation_id: str, uow: Any) -> Any:
        query = c.GetValuation(valuation_id, command.requested_by)
        return await handlers.get_valuation(query, uow, deps)

    commands = {
        c.ValueRights: On(bound(handlers.value_rights), replay=valuation_of),
        c.ValueApplication: On(bound(handlers.value_application)),
        c.RecordRight: On(bound(register.record_right)),
        c.FollowCollateral: On(bound(revaluation.follow_collateral)),
        c.ReleaseCollateral: On(bound(revaluation.release_collateral)),
        c.SignOff: On(bound(appraisals.sign_off)),
    }
    queries = {
        c.GetValuation: bound(handlers.get_valuation),
        c.GetAppraisal: bound(appraisals.get_appraisal),
        c.PendingSignOffs: bound(appraisals.pending_signoffs),
        c.GetRight: bound(register.get_right),
        c.ReproduceValuation: bound(reproduction.reproduce),
    }
    return MessageBus(unit_of_work, commands, queries)
