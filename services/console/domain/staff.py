"""The people who sign in to the console, their roles, and what each role may see and do."""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shared.kernel.errors import Forbidden

# scrypt's cost: about 50 ms and 16 MiB per check on a laptop.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SCHEME = "scrypt"


class Role(enum.StrEnum):
    """The console's staff roles; the names are those of the services' credentials."""

    EXAMINER = "examiner"
    SUPERVISOR = "supervisor"
    ADMINISTRATOR = "administrator"
    APPRAISER = "appraiser"
    CREDIT_OFFICER = "credit_officer"
    OPERATOR = "operator"


class Page(enum.StrEnum):
    """The console's screens, in the order of its navigation."""

    DESK = "desk"
    APPRAISALS = "appraisals"
    REFERRALS = "referrals"
    CASES = "cases"
    DEAD_LETTERS = "dead-letters"
    SLA = "sla"
    STATISTICS = "statistics"
    AUDIT = "audit"
    RECONCILIATION = "reconciliation"


PAGE_TITLES = {
    Page.DESK: "Examiner desk",
    Page.APPRAISALS: "Appraisals",
    Page.REFERRALS: "Referrals",
    Page.CASES: "Cases",
    Page.DEAD_LETTERS: "Dead letters",
    Page.SLA: "SLA board",
    Page.STATISTICS: "Statistics",
    Page.AUDIT: "Audit",
    Page.RECONCILIATION: "Reconciliation",
}

PAGES: Mapping[Role, tuple[Page, ...]] = {
    Role.EXAMINER: (Page.DESK,),
    Role.SUPERVISOR: (Page.DESK, Page.CASES, Page.SLA, Page.STATISTICS, Page.AUDIT),
    Role.ADMINISTRATOR: (Page.CASES, Page.SLA, Page.STATISTICS, Page.AUDIT),
    Role.APPRAISER: (Page.APPRAISALS,),
    Role.CREDIT_OFFICER: (Page.REFERRALS,),
    Role.OPERATOR: (
        Page.CASES,
        Page.DEAD_LETTERS,
        Page.SLA,
        Page.STATISTICS,
        Page.AUDIT,
        Page.RECONCILIATION,
    ),
}


class PageForbidden(Forbidden):
    code = "console.page_forbidden"
    title = "Your role does not use this page"


class SignInRefused(Forbidden):
    code = "console.sign_in_refused"
    title = "Unknown staff id or wrong password"


class DevelopmentAccounts(ValueError):
    """Development accounts in a staff file that production reads."""


@dataclass(frozen=True)
class StaffMember:
    """Someone who may sign in: id (the subject the services' audit logs name), role."""

    staff_id: str
    name: str
    role: Role
    password_hash: str
    development: bool = False

    def may_see(self, page: Page) -> bool:
        return page in PAGES[self.role]


@dataclass(frozen=True)
class Person:
    """The signed-in person a request acts for."""

    staff_id: str
    name: str
    role: Role

    @property
    def pages(self) -> tuple[Page, ...]:
        return PAGES[self.role]

    def require(self, page: Page) -> None:
        """Raise unless the person's role uses `page`."""
        if page not in self.pages:
            raise PageForbidden(f"{self.role} does not use {PAGE_TITLES[page]}")

    @property
    def supervises(self) -> bool:
        return self.role is Role.SUPERVISOR

    @property
    def loads_calendar(self) -> bool:
        """Whether the person may enter a year's official schedule at the registry."""
        return self.role in (Role.SUPERVISOR, Role.ADMINISTRATOR)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A scrypt hash of `password` in the form the staff file keeps."""
    salt = salt or secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join([SCHEME, str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest)])


def password_matches(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was made from (constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != SCHEME:
            return False
        expected = base64.b64decode(digest)
        found = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(found, expected)


# Checked when the staff id is unknown, so that its answer takes as long as a wrong password.
_DECOY = hash_password("decoy", b"0123456789abcdef")


class StaffDirectory:
    """Every staff member who may sign in, by id."""

    def __init__(self, members: Iterable[StaffMember]) -> None:
        self._members = {m.staff_id: m for m in members}

    def __contains__(self, staff_id: str) -> bool:
        return staff_id in self._members

    def sign_in(self, staff_id: str, password: str) -> Person:
        """The person these credentials name; `SignInRefused` otherwise."""
        member = self._members.get(staff_id)
        if member is None:
            password_matches(password, _DECOY)
            raise SignInRefused(staff_id)
        if not password_matches(password, member.password_hash):
            raise SignInRefused(staff_id)
        return Person(member.staff_id, member.name, member.role)

    def role_of(self, staff_id: str) -> str | None:
        """The role a staff member has now; None for someone no longer listed."""
        member = self._members.get(staff_id)
        return None if member is None else member.role.value

    def examiners(self) -> list[StaffMember]:
        """Who may hold a filing on the desk, by id."""
        holders = (Role.EXAMINER, Role.SUPERVISOR)
        return sorted(
            (m for m in self._members.values() if m.role in holders), key=lambda m: m.staff_id
        )

    def development_accounts(self) -> list[StaffMember]:
        return [m for m in self._members.values() if m.development]

    def refuse_development_accounts(self) -> None:
        """Raise when any account is a development one (production refuses them)."""
        found = sorted(m.staff_id for m in self.development_accounts())
        if found:
            raise DevelopmentAccounts(
                f"the staff file holds development accounts: {', '.join(found)}"
            )
