"""What people do through the console: each asked of a service as the person, and audited.

An action is sent to the service's internal API with a credential naming the person; the
console records who asked what, on what, and the answer (done, or the refusal's code), in the
same transaction whatever the answer. Redrives of dead letters are recorded with the letters
to put back, which the redriver publishes, and each is entered in the console's decision
ledger in that transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

from services.console.domain.staff import Page, Person
from services.console.service_layer.commands import RedriveDeadLetters, ServiceAction
from services.console.service_layer.deps import ConsoleDeps
from services.console.service_layer.ports import ConsoleUnitOfWork, ServiceRefused
from services.console.service_layer.sessions import action_row
from shared.kernel.errors import NotFound

REDRIVE = "console.dead_letter.redrive_asked"
PAGE_OF_SERVICE = {"registry": Page.DESK, "valuation": Page.APPRAISALS, "credit": Page.REFERRALS}


class NoDeadLetters(NotFound):
    code = "console.no_dead_letters"
    title = "None of the dead letters chosen is known"


async def act(command: ServiceAction, uow: ConsoleUnitOfWork, deps: ConsoleDeps) -> Any:
    """Ask the service as the person; keep the attempt and its outcome in the audit."""
    person = command.person
    person.require(command.page or PAGE_OF_SERVICE[command.service])
    method, path, body = command.request()
    try:
        answer = await deps.services.call(person, command.service, method, path, body)
    except ServiceRefused as refusal:
        await _audit(uow, deps, person, command, f"refused: {refusal.code}")
        raise
    await _audit(uow, deps, person, command, "done")
    return answer.body


async def _audit(
    uow: ConsoleUnitOfWork,
    deps: ConsoleDeps,
    person: Person,
    command: ServiceAction,
    outcome: str,
) -> None:
    await uow.actions.add(
        action_row(person, command.action, command.target(), outcome, command.detail(), deps)
    )


async def redrive_dead_letters(
    command: RedriveDeadLetters, uow: ConsoleUnitOfWork, deps: ConsoleDeps
) -> int:
    """Queue the chosen dead letters for their source topics; each redrive is audited."""
    person = command.person
    person.require(Page.DEAD_LETTERS)
    letters = await uow.dead_letters.of(command.letter_ids)
    if not letters:
        raise NoDeadLetters(", ".join(command.letter_ids)[:500])
    now = deps.clock.now()
    for letter in letters:
        redrive_id = str(uuid.uuid4())
        await uow.dead_letters.ask_redrive(redrive_id, letter["letter_id"], person.staff_id, now)
        uow.record_decision(
            REDRIVE,
            str(letter["letter_id"]),
            {
                "redrive_id": redrive_id,
                "staff_id": person.staff_id,
                "consumer": letter["consumer"],
                "event_id": letter["event_id"],
                "event_type": letter["event_type"],
                "reason": letter["reason"],
                "source_topic": letter["source_topic"],
                "asked_at": now,
            },
        )
        detail = (
            f"event {letter['event_id'] or '?'} ({letter['event_type'] or 'unreadable'}) "
            f"of {letter['consumer']}, {letter['reason']}, back to {letter['source_topic']}"
        )
        await uow.actions.add(
            action_row(
                person, "redrive", f"dead letter {letter['letter_id']}", "done", detail, deps
            )
        )
    return len(letters)
