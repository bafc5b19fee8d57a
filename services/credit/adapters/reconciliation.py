"""Reconciliation's two sides: credit's own books on SQL, and the registry's internal API.

Credit never reads the registry's database: it asks the registry's `/internal/v1/pledges`
endpoints with a short-lived operator credential it signs for the registry alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.credit.adapters.mapping import utc
from services.credit.adapters.orm import (
    bank_quotas,
    loans,
    reconciliation_mismatches,
    reconciliation_runs,
)
from services.credit.domain.reconciliation import (
    LIVE,
    LoanOnBook,
    Mismatch,
    PledgeOnRecord,
    QuotaOnBook,
    Reason,
    ReconciliationRun,
)
from shared.issuer import LocalIssuer
from shared.tokens import Role, audience
from shared.uow import TrackingRepository

ZERO = Decimal("0.00")
PAGE = 500
SUBJECT = "credit-reconciliation"

_BOOK_COLUMNS = (
    loans.c.loan_id,
    loans.c.bank_id,
    loans.c.status,
    loans.c.collateral,
    loans.c.approved_amount,
    loans.c.pledge_registration_number,
    loans.c.disbursed_at,
    loans.c.history,
    loans.c.submitted_at,
)


def _on_book(row: Any) -> LoanOnBook:
    history = row.history or []
    changed = datetime.fromisoformat(history[-1][1]) if history else row.submitted_at
    return LoanOnBook(
        loan_id=row.loan_id,
        bank_id=row.bank_id,
        status=row.status,
        rights=frozenset(right["number"] for right in row.collateral),
        amount=row.approved_amount,
        registration_number=row.pledge_registration_number,
        disbursed_at=utc(row.disbursed_at),
        changed_at=utc(changed) or changed,
    )


class SqlReconciliationStore(TrackingRepository):
    """Credit's side of reconciliation, and the runs it recorded."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)

    async def live_loans(self) -> dict[str, LoanOnBook]:
        """Every disbursed or repaying loan."""
        query = select(*_BOOK_COLUMNS).where(loans.c.status.in_(sorted(LIVE)))
        return {row.loan_id: _on_book(row) for row in await self.session.execute(query)}

    async def loans(self, loan_ids: Iterable[str]) -> dict[str, LoanOnBook]:
        """The loans of those ids that credit holds."""
        wanted = sorted(set(loan_ids))
        if not wanted:
            return {}
        query = select(*_BOOK_COLUMNS).where(loans.c.loan_id.in_(wanted))
        return {row.loan_id: _on_book(row) for row in await self.session.execute(query)}

    async def quotas(self) -> list[QuotaOnBook]:
        """Each bank's consumed quota beside the sum of the amounts disbursed for it."""
        consumed = {
            row.bank_id: row.consumed
            for row in await self.session.execute(
                select(bank_quotas.c.bank_id, bank_quotas.c.consumed)
            )
        }
        sums = select(loans.c.bank_id, func.sum(loans.c.approved_amount).label("disbursed"))
        sums = sums.where(loans.c.disbursed_at.is_not(None)).group_by(loans.c.bank_id)
        disbursed = {row.bank_id: row.disbursed for row in await self.session.execute(sums)}
        return [
            QuotaOnBook(bank, consumed.get(bank, ZERO), Decimal(disbursed.get(bank) or ZERO))
            for bank in sorted(consumed.keys() | disbursed.keys())
        ]

    async def add(self, run: ReconciliationRun) -> None:
        """Record a run and its mismatches; its events ship with the commit."""
        self._seen(run)
        await self.session.execute(
            reconciliation_runs.insert().values(
                run_id=run.run_id,
                trigger=run.trigger,
                started_at=run.started_at,
                finished_at=run.finished_at,
                loans_checked=run.loans_checked,
                pledges_checked=run.pledges_checked,
                mismatches=len(run.mismatches),
            )
        )
        if run.mismatches:
            await self.session.execute(
                reconciliation_mismatches.insert(),
                [
                    {
                        "run_id": run.run_id,
                        "position": position,
                        "reason": m.reason.value,
                        "bank_id": m.bank_id,
                        "loan_id": m.loan_id,
                        "registration_number": m.registration_number,
                        "detail": m.detail[:500],
                    }
                    for position, m in enumerate(run.mismatches)
                ],
            )

    async def latest(self) -> ReconciliationRun | None:
        """The last run recorded, with its mismatches."""
        runs = reconciliation_runs
        row = (
            await self.session.execute(
                select(runs).order_by(runs.c.finished_at.desc(), runs.c.run_id).limit(1)
            )
        ).first()
        if row is None:
            return None
        found = await self.session.execute(
            select(reconciliation_mismatches)
            .where(reconciliation_mismatches.c.run_id == row.run_id)
            .order_by(reconciliation_mismatches.c.position)
        )
        mismatches = tuple(
            Mismatch(Reason(m.reason), m.bank_id, m.detail, m.loan_id, m.registration_number)
            for m in found
        )
        return ReconciliationRun(
            row.run_id,
            row.trigger,
            utc(row.started_at) or row.started_at,
            utc(row.finished_at) or row.finished_at,
            row.loans_checked,
            row.pledges_checked,
            mismatches,
        )


def pledge_on_record(body: dict[str, Any]) -> PledgeOnRecord:
    """A pledge from the registry's answer."""
    registered = datetime.fromisoformat(body["registered_at"])
    moments = [registered]
    if body.get("cancelled_at"):
        moments.append(datetime.fromisoformat(body["cancelled_at"]))
    moments += [datetime.fromisoformat(a["at"]) for a in body.get("amendments", [])]
    return PledgeOnRecord(
        registration_number=body["registration_number"],
        channel=body["channel"],
        filing_reference=body.get("filing_reference"),
        pledgee_uscc=body["pledgee"]["uscc"],
        rights=frozenset([*body["patents"], *body["trademarks"]]),
        secured_amount=Decimal(body["secured_amount"]),
        active=body["status"] == "active",
        registered_at=registered,
        changed_at=max(moments),
    )


class HttpPledgeRegister:
    """The registry's register of pledges, through its internal API."""

    def __init__(
        self,
        base_url: str,
        issuer: LocalIssuer,
        *,
        timeout: float = 10.0,
        token_lifetime: timedelta = timedelta(minutes=5),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._issuer = issuer
        self._timeout = timeout
        self._lifetime = token_lifetime
        self._transport = transport

    def _client(self) -> httpx.AsyncClient:
        credential = self._issuer.issue(
            SUBJECT, Role.OPERATOR, audience=audience("registry"), ttl=self._lifetime
        )
        return httpx.AsyncClient(
            base_url=self._base_url,
            timeout=self._timeout,
            transport=self._transport,
            headers={"Authorization": f"Bearer {credential}", "Accept": "application/json"},
        )

    async def pledges_to(self, pledgee_uscc: str) -> list[PledgeOnRecord]:
        """Every active pledge registered to the pledgee."""
        found: list[PledgeOnRecord] = []
        after = ""
        async with self._client() as client:
            while True:
                params: dict[str, str | int] = {
                    "pledgee_uscc": pledgee_uscc,
                    "after": after,
                    "limit": PAGE,
                    "status": "active",
                }
                response = await client.get("/internal/v1/pledges", params=params)
                response.raise_for_status()
                page = response.json()
                found += [pledge_on_record(item) for item in page["items"]]
                if page["next_after"] is None:
                    return found
                after = page["next_after"]

    async def pledges(self, numbers: Iterable[str]) -> list[PledgeOnRecord]:
        """The pledges of those registration numbers that the registry knows."""
        found: list[PledgeOnRecord] = []
        async with self._client() as client:
            for number in sorted(set(numbers)):
                response = await client.get(f"/internal/v1/pledges/{number}")
                if response.status_code == 404:
                    continue
                response.raise_for_status()
                found.append(pledge_on_record(response.json()))
        return found
