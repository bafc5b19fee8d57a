"""The bank directory: one list of the banks every service knows, read from a file at start.

A bank is named by its id (the `sub` of its credential); its legal name, USCC, address and
status come from the directory. A bank that is not listed, or is suspended, is refused by
every service with the same code.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from shared.identifiers import InvalidIdentifier, normalize_uscc
from shared.kernel.errors import Forbidden

BANK_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")


class BankStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class UnknownBank(Forbidden):
    """The credential names a bank the directory does not list."""

    code = "bank.unknown"
    title = "Unknown bank"


class SuspendedBank(Forbidden):
    """The directory lists the bank as suspended."""

    code = "bank.suspended"
    title = "This bank is suspended"


@dataclass(frozen=True)
class DirectoryBank:
    """A bank as the directory lists it."""

    bank_id: str
    legal_name: str
    uscc: str
    address: str
    status: BankStatus


class BankDirectory(Mapping[str, DirectoryBank]):
    """Banks by id; USCCs are valid and unique, ids are unique."""

    def __init__(self, banks: list[DirectoryBank]) -> None:
        self._banks: dict[str, DirectoryBank] = {}
        usccs: dict[str, str] = {}
        for bank in banks:
            if bank.bank_id in self._banks:
                raise ValueError(f"bank directory lists {bank.bank_id} twice")
            if bank.uscc in usccs:
                raise ValueError(
                    f"bank directory gives {bank.bank_id} and {usccs[bank.uscc]} "
                    f"the same USCC {bank.uscc}"
                )
            self._banks[bank.bank_id] = bank
            usccs[bank.uscc] = bank.bank_id

    def __getitem__(self, bank_id: str) -> DirectoryBank:
        return self._banks[bank_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._banks)

    def __len__(self) -> int:
        return len(self._banks)

    def admit(self, bank_id: str) -> DirectoryBank:
        """The active bank named by a credential; 403 when unknown or suspended."""
        bank = self._banks.get(bank_id)
        if bank is None:
            raise UnknownBank(f"no bank {bank_id!r}")
        if bank.status is BankStatus.SUSPENDED:
            raise SuspendedBank(bank_id)
        return bank


def load_directory(path: Path) -> BankDirectory:
    """The directory in a YAML file; a bad entry stops the service at start."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("banks")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: the bank directory lists no banks")
    return BankDirectory([_bank(path, entry) for entry in entries])


def _bank(path: Path, entry: Any) -> DirectoryBank:
    if not isinstance(entry, dict):
        raise ValueError(f"{path}: each bank is a mapping, not {entry!r}")
    missing = {"bank_id", "legal_name", "uscc", "address", "status"} - entry.keys()
    if missing:
        raise ValueError(f"{path}: bank {entry.get('bank_id')!r} lacks {sorted(missing)}")
    bank_id = str(entry["bank_id"])
    if not BANK_ID.fullmatch(bank_id):
        raise ValueError(f"{path}: bank id {bank_id!r} is not lower-case letters, digits and -")
    try:
        uscc = normalize_uscc(str(entry["uscc"]))
        status = BankStatus(str(entry["status"]))
    except (InvalidIdentifier, ValueError) as exc:
        raise ValueError(f"{path}: bank {bank_id}: {exc}") from exc
    return DirectoryBank(
        bank_id, str(entry["legal_name"]).strip(), uscc, str(entry["address"]).strip(), status
    )
