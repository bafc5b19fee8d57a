"""Signing keys in the decision ledger: which keys of each issuer a service trusts, and when
that changed.

Credentials and signing keys are issued and rotated by their issuers, outside every service's
database. What a service can prove is what it accepted: each time the key ids of a trusted
issuer differ from the ones this process read before (a rotation, a retirement, or the first
read after start), the service enters them in its ledger as `auth.signing_keys_in_force`.
"""

from __future__ import annotations

from collections.abc import Callable

from shared.uow import SqlUnitOfWork

KEYS_IN_FORCE = "auth.signing_keys_in_force"


class SigningKeysLedger:
    """Enters an issuer's key ids in the service's ledger when they change."""

    def __init__(self, unit_of_work: Callable[[], SqlUnitOfWork]) -> None:
        self._unit_of_work = unit_of_work

    async def __call__(self, issuer: str, kids: list[str]) -> None:
        """Record the key ids now in force for `issuer`."""
        async with self._unit_of_work() as uow:
            uow.record_decision(KEYS_IN_FORCE, issuer[:200], {"issuer": issuer, "kids": kids})
            await uow.commit()
