"""The banks' lending terms every replica lends under: the highest revision stored.

At start each replica offers the terms of its file (`ShareTerms`). A file of a higher revision
than any stored is stored, and every replica puts it in force; a file of a lower revision, or
of the same revision with other content, changes nothing: the replica logs a warning and lends
under the stored terms. A stored revision reaches the other replicas as soon as its commit
notifies them (`CatchUpTerms`), and at the latest at their next periodic look; a command that
meets a policy version this replica does not hold reads the newest terms and is tried again.
Each bank's quota total is written with the revision it comes from, never over a later one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm.exc import StaleDataError

from services.credit.domain.policy import PolicyVersionUnknown
from services.credit.domain.records import StoredTerms
from services.credit.service_layer.banks import LendingConfig, parse_config
from services.credit.service_layer.ports import CreditUnitOfWork
from shared.banks import BankDirectory, load_directory
from shared.kernel.messages import Command
from shared.settings import DEFAULT_BANK_DIRECTORY

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "pledgeflow_lending_terms_credit"


@dataclass(frozen=True)
class ShareTerms(Command):
    """Offer the terms of this replica's file; lend under the highest revision stored."""


@dataclass(frozen=True)
class CatchUpTerms(Command):
    """Put the highest stored revision in force if it is newer than the one in force."""


class TermsChanged(StaleDataError):
    """The command met terms newer than this replica's; it is tried again under them."""


class LendingTerms:
    """The terms in force in this process; `banks` and `programmes` change in place."""

    def __init__(self, file: LendingConfig, directory: BankDirectory | None) -> None:
        self.file = file
        self.in_force = file
        self.banks = file.banks
        self.programmes = file.programmes
        self._directory = directory
        self._changed: asyncio.Event | None = None

    @property
    def revision(self) -> int:
        return self.in_force.revision

    def as_stored(self) -> StoredTerms:
        """The file's terms as a stored revision."""
        return StoredTerms(self.file.revision, self.file.fingerprint, self.file.document)

    def adopt(self, stored: StoredTerms) -> bool:
        """Put a stored revision in force if it is newer than (or, at the same revision, other
        than) the terms in force; True if it did."""
        current = self.in_force
        if stored.revision < current.revision or (
            stored.revision == current.revision and stored.fingerprint == current.fingerprint
        ):
            return False
        try:
            if self._directory is None:
                self._directory = load_directory(DEFAULT_BANK_DIRECTORY)
            config = parse_config(
                stored.document, self._directory, f"lending terms revision {stored.revision}"
            )
        except (ValueError, KeyError, TypeError):
            log.exception(
                "stored lending terms do not fit this replica's bank directory; kept revision %s",
                current.revision,
            )
            return False
        self.banks.clear()
        self.banks.update(config.banks)
        self.programmes.clear()
        self.programmes.update(config.programmes)
        self.in_force = config
        log.info("lending terms in force", extra={"revision": config.revision})
        return True

    def wake(self) -> None:
        """Say that a revision may have been stored (by any replica)."""
        self._event().set()

    async def follow(self, interval: float, catch_up: Callable[[], Awaitable[object]]) -> None:
        """Run `catch_up` at each notification and every `interval` seconds, until cancelled."""
        changed = self._event()
        while True:
            try:
                await asyncio.wait_for(changed.wait(), interval)
            except TimeoutError:
                pass
            changed.clear()
            try:
                await catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("lending terms catch-up failed; trying again")

    def _event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed


async def share_terms(command: ShareTerms, uow: CreditUnitOfWork, deps: Any) -> int:
    """Store the file's revision if it is the newest; lend under the newest; write its totals."""
    terms: LendingTerms = deps.lending_terms
    offered = terms.as_stored()
    newest = await uow.terms.newest()
    if newest is None or offered.revision > newest.revision:
        await uow.terms.add(offered)
        newest = await uow.terms.newest()
        assert newest is not None
    elif offered.revision < newest.revision:
        log.warning(
            "the lending terms file is older than the terms in force; ignored",
            extra={"file_revision": offered.revision, "in_force": newest.revision},
        )
    elif offered.fingerprint != newest.fingerprint:
        log.warning(
            "the lending terms file differs from the stored terms of its revision; ignored "
            "(raise `revision` to change the terms)",
            extra={"revision": offered.revision},
        )
    terms.adopt(newest)
    await write_totals(uow, terms)
    return terms.revision


async def catch_up_terms(command: CatchUpTerms, uow: CreditUnitOfWork, deps: Any) -> bool:
    """Put the newest stored revision in force and write its totals; True if it changed."""
    terms: LendingTerms = deps.lending_terms
    newest = await uow.terms.newest()
    if newest is None or not terms.adopt(newest):
        return False
    await write_totals(uow, terms)
    return True


async def write_totals(uow: CreditUnitOfWork, terms: LendingTerms) -> None:
    """Each bank's quota total of the terms in force, unless a later revision's is written."""
    for bank in terms.banks.values():
        await uow.quotas.set_total(bank.bank_id, bank.quota_total, terms.revision)


async def under_current_terms(
    handler: Callable[[Any, Any], Awaitable[Any]], deps: Any, command: Any, uow: CreditUnitOfWork
) -> Any:
    """Run a handler; if it meets a policy version this replica lacks, put the newest stored
    terms in force and have the bus try the command again (a conflict)."""
    try:
        return await handler(command, uow)
    except PolicyVersionUnknown as exc:
        newest = await uow.terms.newest()
        if newest is None or not deps.lending_terms.adopt(newest):
            raise
        raise TermsChanged(f"lending terms revision {newest.revision} put in force") from exc
