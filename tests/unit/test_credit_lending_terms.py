"""Credit replicas share one revision of the lending terms: the highest any of them started with.

On in-memory storage shared by two buses, as two replicas share a database; the notification
that tells a replica at once is tested on PostgreSQL in tests/integration/test_credit_quota.py.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import yaml

from services.credit.bootstrap import bootstrap
from services.credit.domain.loan import LoanStatus
from services.credit.service_layer import commands as c
from services.credit.service_layer.banks import LendingConfig, parse_config
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.terms import LendingTerms, ShareTerms
from services.credit.settings import DEFAULT_BANKS
from shared.banks import load_directory
from shared.calendars import CalendarBook
from shared.messagebus import MessageBus
from shared.settings import DEFAULT_BANK_DIRECTORY
from shared.workdays import OfficialCalendar
from tests.fakes.base import Store
from tests.fakes.credit import FakeCreditUnitOfWork
from tests.unit.test_credit_handlers import HANGZHOU, Credit

DIRECTORY = load_directory(DEFAULT_BANK_DIRECTORY)
FILE: dict[str, Any] = json.loads(json.dumps(yaml.safe_load(DEFAULT_BANKS.read_text())))


def revision(number: int, policy_version: str | None = None, quota: str | None = None) -> Any:
    """The shipped terms as `revision` `number`, with a newer Hangzhou policy or quota."""
    document = copy.deepcopy(FILE) | {"revision": number}
    hangzhou = next(b for b in document["banks"] if b["bank_id"] == HANGZHOU.bank_id)
    if policy_version is not None:
        newer = dict(hangzhou["policies"][-1])
        newer |= {"version": policy_version, "effective_from": "2026-02-01", "annual_rate": "0.035"}
        hangzhou["policies"].append(newer)
    if quota is not None:
        hangzhou["quota_total"] = quota
    return parse_config(document, DIRECTORY, f"revision {number}")


class Replica(Credit):
    """Credit's bus on a store shared with other replicas, started with its own terms file."""

    def __init__(self, store: Store, file: LendingConfig) -> None:
        super().__init__()
        self.store = store
        calendar = OfficialCalendar()
        terms = LendingTerms(file, DIRECTORY)
        self.deps = CreditDeps(
            terms.banks, terms.programmes, calendar, self.clock, CalendarBook(calendar), terms
        )
        self.bus: MessageBus[FakeCreditUnitOfWork] = bootstrap(
            lambda: FakeCreditUnitOfWork(store), self.deps
        )

    async def start(self) -> None:
        await self.bus.handle(ShareTerms())


async def test_a_loan_decided_under_a_policy_another_replica_lacks_goes_on_there() -> None:
    store = Store()
    older, newer = Replica(store, revision(1)), Replica(store, revision(2, "hz-2026.9"))
    await older.start()
    await newer.start()
    loan = await newer.apply()
    await newer.valued(loan.loan_id)
    assert (await newer.loan(loan.loan_id)).policy_version == "hz-2026.9"

    await older.bus.handle(c.AcceptOffer(loan.loan_id, HANGZHOU.bank_id))

    assert (await older.loan(loan.loan_id)).status is LoanStatus.PLEDGE_FILED
    assert older.deps.lending_terms.revision == 2


async def test_a_replica_started_with_an_older_file_lends_under_the_newer_terms() -> None:
    store = Store()
    newer = Replica(store, revision(3, quota="900000.00"))
    await newer.start()
    older = Replica(store, revision(2, quota="50000000.00"))
    await older.start()

    positions = await older.bus.query(c.QuotaPositions())
    hangzhou = next(p for p in positions if p.bank_id == HANGZHOU.bank_id)
    assert older.deps.lending_terms.revision == 3
    assert older.deps.banks[HANGZHOU.bank_id].quota_total == Decimal("900000.00")
    assert hangzhou.total == Decimal("900000.00")
