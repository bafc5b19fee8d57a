"""Verifying bearer credentials with the public keys of the issuers the services trust.

A credential is a JWT signed with an asymmetric key (`EdDSA`, `ES256`, `ES384`, `RS256` or
`PS256`; never a shared secret) by a trusted issuer. Each issuer publishes its public keys as
a JWKS document, at an https URL or in a file. A service keeps each document in memory, reads
it again once it is older than the cache period, and at once (at most every
`UNKNOWN_KEY_REFRESH_SECONDS`) when a credential names a key id it has not seen: an issuer
rotates keys without downtime by publishing the new key, signing with it, and removing the old
key once the last credential it signed has expired. A removed key is refused from the next
read on. When a document cannot be read, the keys read before stay in use.

Claims: `iss` (a trusted issuer), `sub` (the bank id, or the staff member), `aud` (the
service, `pledgeflow-registry`, `pledgeflow-valuation` or `pledgeflow-credit`; a list may name
several), `iat` and `exp` (at most the configured lifetime apart), optionally `nbf`, and
`role`, which may be left out by an issuer that speaks only for banks. Times are checked with
a stated tolerance for clock skew. Each issuer speaks only for the banks and staff roles its
configuration names.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn, Protocol

import httpx
import jwt
import yaml

from shared.problems import Problem

log = logging.getLogger(__name__)

ALGORITHMS = frozenset({"EdDSA", "ES256", "ES384", "RS256", "PS256"})
ALL_BANKS = "*"
DEVELOPMENT_ISSUER = "pledgeflow-development"
UNKNOWN_KEY_REFRESH_SECONDS = 10.0
JWKS_FETCH_TIMEOUT_SECONDS = 5.0
REQUIRED_CLAIMS = ["iss", "sub", "aud", "iat", "exp"]


class Role(enum.StrEnum):
    BANK = "bank"
    EXAMINER = "examiner"
    SUPERVISOR = "supervisor"
    ADMINISTRATOR = "administrator"
    CREDIT_OFFICER = "credit_officer"
    APPRAISER = "appraiser"
    OPERATOR = "operator"


STAFF_ROLES = frozenset(Role) - {Role.BANK}


def audience(service: str) -> str:
    """The audience a credential names to be accepted by `service`."""
    return f"pledgeflow-{service}"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a bank id or a staff member, the role, and the issuer that vouches.

    For a bank, `uscc` is the bank's USCC from the bank directory, filled in once the bank is
    admitted; a credential never supplies it.
    """

    subject: str
    role: Role
    uscc: str | None = None
    issuer: str = ""


def refuse(code: str, title: str, detail: str = "") -> NoReturn:
    raise Problem(401, code, title, detail)


@dataclass(frozen=True)
class TrustedIssuer:
    """An identity provider whose credentials are accepted, and whom it may speak for."""

    issuer: str
    jwks: str
    banks: frozenset[str] = frozenset()
    staff_roles: frozenset[Role] = field(default_factory=frozenset)

    def speaks_for(self, role: Role, subject: str) -> bool:
        """Whether this issuer may vouch for `subject` in `role`."""
        if role is Role.BANK:
            return ALL_BANKS in self.banks or subject in self.banks
        return role in self.staff_roles

    @property
    def only_banks(self) -> bool:
        return bool(self.banks) and not self.staff_roles


def load_trusted_issuers(path: Path) -> list[TrustedIssuer]:
    """The issuers listed in a YAML file; a JWKS file path is relative to the file's folder."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("issuers")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: no trusted issuers listed")
    issuers = [_issuer(path, entry) for entry in entries]
    names = [i.issuer for i in issuers]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: an issuer is listed twice")
    return issuers


def _issuer(path: Path, entry: Any) -> TrustedIssuer:
    if not isinstance(entry, dict) or not entry.get("issuer") or not entry.get("jwks"):
        raise ValueError(f"{path}: each issuer needs `issuer` and `jwks`, got {entry!r}")
    jwks = str(entry["jwks"])
    if not is_url(jwks):
        jwks = str((path.parent / jwks).resolve())
    try:
        roles = frozenset(Role(r) for r in entry.get("staff_roles") or ())
    except ValueError as exc:
        raise ValueError(f"{path}: issuer {entry['issuer']}: {exc}") from exc
    banks = frozenset(str(b) for b in entry.get("banks") or ())
    if Role.BANK in roles:
        raise ValueError(f"{path}: list banks under `banks`, not `staff_roles`")
    if not banks and not roles:
        raise ValueError(f"{path}: issuer {entry['issuer']} speaks for no bank and no role")
    return TrustedIssuer(str(entry["issuer"]), jwks, banks, roles)


def production_problems(issuers: Iterable[TrustedIssuer]) -> list[str]:
    """What a production deployment must not trust."""
    problems = []
    for issuer in issuers:
        if issuer.issuer == DEVELOPMENT_ISSUER:
            problems.append("the development issuer is trusted")
        if ALL_BANKS in issuer.banks:
            problems.append(f"{issuer.issuer} may speak for every bank; list its banks")
        if issuer.jwks.startswith("http://"):
            problems.append(f"{issuer.issuer} publishes its keys over plain http")
    return problems


def is_url(location: str) -> bool:
    return location.startswith(("https://", "http://"))


class JwksSource(Protocol):
    async def read(self) -> Any: ...


@dataclass(frozen=True)
class JwksFile:
    path: Path

    async def read(self) -> Any:
        return json.loads(await asyncio.to_thread(self.path.read_text, encoding="utf-8"))


@dataclass(frozen=True)
class JwksUrl:
    url: str

    async def read(self) -> Any:
        async with httpx.AsyncClient(timeout=JWKS_FETCH_TIMEOUT_SECONDS) as client:
            response = await client.get(self.url, headers={"accept": "application/json"})
            response.raise_for_status()
            return response.json()


def jwks_source(location: str) -> JwksSource:
    return JwksUrl(location) if is_url(location) else JwksFile(Path(location))


def parse_jwks(document: Any, where: str) -> dict[str, jwt.PyJWK]:
    """Public signing keys by key id; symmetric, private and unusable keys are left out."""
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"{where} is not a JWKS document")
    keys: dict[str, jwt.PyJWK] = {}
    for entry in entries:
        kid = entry.get("kid") if isinstance(entry, dict) else None
        if not isinstance(kid, str) or not kid:
            log.warning("JWKS key without a key id ignored", extra={"jwks": where})
            continue
        if entry.get("kty") == "oct" or "d" in entry:
            log.error("JWKS publishes a secret or private key; ignored", extra={"kid": kid})
            continue
        try:
            key = jwt.PyJWK(entry)
        except jwt.PyJWTError as exc:
            log.warning("unusable JWKS key ignored", extra={"kid": kid, "reason": str(exc)})
            continue
        if key.algorithm_name in ALGORITHMS:
            keys[kid] = key
    return keys


KeysChanged = Callable[[str, list[str]], Awaitable[None]]


class IssuerKeys:
    """One issuer's public keys, read from its JWKS and kept for the cache period.

    `on_change` hears the key ids in force each time they differ from the ones read before
    (the first read included); a failure there is logged and changes nothing.
    """

    def __init__(
        self,
        issuer: str,
        source: JwksSource,
        cache_seconds: float,
        unknown_key_refresh_seconds: float = UNKNOWN_KEY_REFRESH_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        on_change: KeysChanged | None = None,
    ) -> None:
        self._on_change = on_change
        self.issuer = issuer
        self._source = source
        self._cache_seconds = cache_seconds
        self._unknown_key_refresh = unknown_key_refresh_seconds
        self._monotonic = monotonic
        self._keys: dict[str, jwt.PyJWK] | None = None
        self._read_at = -math.inf
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The key with this id; 503 when the issuer's keys were never readable."""
        age = self._monotonic() - self._read_at
        known = self._keys or {}
        if age >= self._cache_seconds or (kid not in known and age >= self._unknown_key_refresh):
            await self._refresh(self._read_at)
        if self._keys is None:
            raise Problem(
                503,
                "auth.keys_unavailable",
                "The issuer's signing keys cannot be read; try again shortly",
                self.issuer,
            )
        return self._keys.get(kid)

    async def _refresh(self, seen_read_at: float) -> None:
        async with self._lock:
            if self._read_at != seen_read_at:
                return
            before = None if self._keys is None else sorted(self._keys)
            try:
                self._keys = parse_jwks(await self._source.read(), self.issuer)
            except Exception as exc:
                log.warning(
                    "issuer keys not read; keeping the keys read before",
                    extra={"issuer": self.issuer, "reason": str(exc)},
                )
            self._read_at = self._monotonic()
            if self._keys is not None and sorted(self._keys) != before:
                await self._changed(sorted(self._keys))

    async def _changed(self, kids: list[str]) -> None:
        if self._on_change is None:
            return
        try:
            await self._on_change(self.issuer, kids)
        except Exception:
            log.warning("change of signing keys not recorded", extra={"issuer": self.issuer})


class TokenVerifier:
    """Verifies credentials meant for one service."""

    def __init__(
        self,
        audience: str,
        issuers: Iterable[TrustedIssuer],
        *,
        max_lifetime: timedelta = timedelta(hours=12),
        leeway: timedelta = timedelta(seconds=60),
        cache_seconds: float = 300.0,
        unknown_key_refresh_seconds: float = UNKNOWN_KEY_REFRESH_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        on_keys_changed: KeysChanged | None = None,
    ) -> None:
        self.audience = audience
        self.max_lifetime = max_lifetime
        self.leeway = leeway
        self._clock = clock
        self._issuers = {
            i.issuer: (
                i,
                IssuerKeys(
                    i.issuer,
                    jwks_source(i.jwks),
                    cache_seconds,
                    unknown_key_refresh_seconds,
                    monotonic,
                    on_keys_changed,
                ),
            )
            for i in issuers
        }

    async def verify(self, token: str) -> Principal:
        """The principal a valid credential names; a 401 `Problem` otherwise."""
        alg, kid = _signing_header(token)
        issuer, keys = self._issuer_of(token)
        key = await keys.key(kid)
        if key is None:
            refuse("auth.unknown_key", "The credential is signed with an unknown key", kid)
        if key.algorithm_name != alg:
            refuse("auth.invalid", "The credential is not valid", f"key {kid} does not sign {alg}")
        claims = self._decode(token, key, alg, issuer.issuer)
        self._check_times(claims)
        return _principal(issuer, claims)

    def _issuer_of(self, token: str) -> tuple[TrustedIssuer, IssuerKeys]:
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            refuse("auth.invalid", "The credential is not valid", str(exc))
        name = claims.get("iss")
        found = self._issuers.get(name) if isinstance(name, str) else None
        if found is None:
            refuse("auth.untrusted_issuer", "The credential's issuer is not trusted", str(name))
        return found

    def _decode(self, token: str, key: jwt.PyJWK, alg: str, issuer: str) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=self.audience,
                issuer=issuer,
                options={
                    "require": REQUIRED_CLAIMS,
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidAudienceError as exc:
            refuse("auth.wrong_audience", f"The credential is not for {self.audience}", str(exc))
        except jwt.PyJWTError as exc:
            refuse("auth.invalid", "The credential is not valid", str(exc))

    def _check_times(self, claims: dict[str, Any]) -> None:
        iat, exp = _instant(claims, "iat"), _instant(claims, "exp")
        nbf = _instant(claims, "nbf") if "nbf" in claims else iat
        lifetime = exp - iat
        if lifetime > self.max_lifetime.total_seconds():
            refuse(
                "auth.lifetime_too_long",
                "The credential is valid for longer than accepted",
                f"valid for {lifetime / 3600:g} h; at most {_hours(self.max_lifetime)} h accepted",
            )
        now, leeway = self._clock().timestamp(), self.leeway.total_seconds()
        if now > exp + leeway:
            refuse("auth.expired", "The credential has expired")
        if max(iat, nbf) > now + leeway:
            refuse("auth.not_yet_valid", "The credential is not valid yet")


def _signing_header(token: str) -> tuple[str, str]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        refuse("auth.invalid", "The credential is not valid", str(exc))
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALGORITHMS:
        refuse("auth.invalid", "The credential is not valid", f"algorithm {alg!r} not accepted")
    if not isinstance(kid, str) or not kid:
        refuse("auth.invalid", "The credential is not valid", "no key id (kid)")
    return str(alg), kid


def _instant(claims: dict[str, Any], name: str) -> float:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        refuse("auth.invalid", "The credential is not valid", f"{name} is not a time")
    return float(value)


def _hours(duration: timedelta) -> str:
    return f"{duration.total_seconds() / 3600:g}"


def _principal(issuer: TrustedIssuer, claims: dict[str, Any]) -> Principal:
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject.strip():
        refuse("auth.invalid", "The credential is not valid", "no subject")
    raw_role = claims.get("role")
    if raw_role is None and issuer.only_banks:
        role = Role.BANK
    else:
        try:
            role = Role(str(raw_role))
        except ValueError:
            refuse("auth.invalid", "The credential names no known role", str(raw_role))
    if not issuer.speaks_for(role, subject):
        refuse(
            "auth.issuer_not_allowed",
            "The credential's issuer may not speak for this caller",
            f"{issuer.issuer} does not vouch for {role} {subject}",
        )
    return Principal(subject, role, issuer=issuer.issuer)
