"""The registry's message bus: every command and query with its handler, dependencies bound."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from services.registry.service_layer import (
    calendar,
    examination,
    gazette,
    handlers,
    pledges,
    recordals,
    sla,
    statistics,
)
from services.registry.service_layer.deps import RegistryDeps
from services.registry.service_layer.ports import RegistryUnitOfWork
from shared.messagebus import MessageBus, On


def bootstrap(
    unit_of_work: Callable[[], RegistryUnitOfWork], deps: RegistryDeps
) -> MessageBus[Any]:
    """The bus that runs the registry's commands and queries."""

    def bound(handler: Any) -> Any:
        return partial(handler, deps=deps)

    async def filing_of(command: Any, filing_id: str, uow: RegistryUnitOfWork) -> Any:
        return await handlers.filing_of(filing_id, getattr(command, "caller_uscc", None), uow)

    async def pledgees_filing(command: Any, filing_id: str, uow: RegistryUnitOfWork) -> Any:
        return await handlers.get_pledgees_filing(filing_id, command.pledgee_uscc, uow)

    async def pledge_of(command: Any, filing_id: str, uow: RegistryUnitOfWork) -> Any:
        return await handlers.filing_of(filing_id, command.caller_uscc, uow)

    commands = {
        handlers.RecordRights: On(bound(handlers.record_rights)),
        handlers.FilePledge: On(bound(handlers.file_pledge), replay=filing_of),
        examination.ClaimFiling: On(bound(examination.claim_filing)),
        examination.ReleaseFiling: On(bound(examination.release_filing)),
        examination.ReassignFiling: On(bound(examination.reassign_filing)),
        examination.RegisterFiling: On(bound(examination.register_filing)),
        examination.RefuseFiling: On(bound(examination.refuse_filing)),
        examination.RequestCorrection: On(bound(examination.request_correction)),
        examination.AcknowledgeWarnings: On(bound(examination.acknowledge_warnings)),
        examination.CorrectFiling: On(bound(examination.correct_filing), replay=pledgees_filing),
        pledges.ChangePledge: On(bound(pledges.change_pledge), replay=pledge_of),
        pledges.CancelPledge: On(bound(pledges.cancel_pledge), replay=pledge_of),
        pledges.ReleasePledge: On(bound(pledges.release_pledge)),
        recordals.RecordDisposal: On(bound(recordals.record_disposal)),
        sla.FlagBreach: On(bound(sla.flag_breach)),
        calendar.EnterSchedule: On(bound(calendar.enter_schedule)),
        calendar.RecountDeadlines: On(bound(calendar.recount_deadlines)),
    }
    queries = {
        handlers.GetFiling: bound(handlers.read_filing),
        examination.ExaminationQueue: bound(examination.examination_queue),
        pledges.GetPledge: bound(pledges.read_pledge),
        pledges.PledgesOfPledgee: bound(pledges.pledges_of_pledgee),
        gazette.GazetteQuery: bound(gazette.search),
        statistics.DeskFigures: bound(statistics.desk_figures),
        calendar.SchedulesInForce: bound(calendar.schedules_in_force),
        calendar.ScheduleHistory: bound(calendar.schedule_history),
        sla.OverdueFilings: bound(sla.overdue_filings),
    }
    return MessageBus(unit_of_work, commands, queries)
