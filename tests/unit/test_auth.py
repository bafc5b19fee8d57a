"""Credentials: signed by a trusted issuer's private key, verified with its published public keys.

Banks' identity providers and the registry office's staff directory are issuers here; each
test verifies what a service would accept or refuse, with the code a caller gets.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from shared.http import Problem
from shared.issuer import LocalIssuer
from shared.tokens import (
    IssuerKeys,
    Principal,
    Role,
    TokenVerifier,
    TrustedIssuer,
    parse_jwks,
)
from tests.forgeries import alg_none, hs256_with_public_key, public_key_pem, signed_by_stranger

HZ_IDP = "https://login.hzbank.example/oauth2"
OFFICE = "https://sso.ipoffice.example"
REGISTRY = "pledgeflow-registry"
START = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@dataclass
class Clocks:
    """The wall clock a verifier checks times against, and its monotonic clock for caching."""

    now: datetime = START
    ticks: float = 1000.0

    def wall(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.ticks


@dataclass
class World:
    bank_idp: LocalIssuer
    office: LocalIssuer
    clocks: Clocks
    verifier: TokenVerifier

    def bank_token(self, subject: str = "bank-hangzhou", **changes: Any) -> str:
        """A client-credentials token from the bank's identity provider (no role claim)."""
        return self.bank_idp.sign(self.claims(HZ_IDP, subject, **changes))

    def claims(
        self, issuer: str, subject: str, lifetime: float = 3600, issued: float = 0, **changes: Any
    ) -> dict[str, Any]:
        iat = int(self.clocks.now.timestamp() + issued)
        body = {"iss": issuer, "sub": subject, "aud": REGISTRY, "iat": iat, "exp": iat + lifetime}
        body.update(changes)
        return {k: v for k, v in body.items() if v is not None}

    async def verify(self, token: str) -> Principal:
        return await self.verifier.verify(token)


def trusted(bank_idp: LocalIssuer, office: LocalIssuer) -> list[TrustedIssuer]:
    return [
        TrustedIssuer(HZ_IDP, str(bank_idp.jwks_path), banks=frozenset({"bank-hangzhou"})),
        TrustedIssuer(
            OFFICE,
            str(office.jwks_path),
            staff_roles=frozenset({Role.EXAMINER, Role.SUPERVISOR}),
        ),
    ]


def verifier_for(issuers: list[TrustedIssuer], clocks: Clocks) -> TokenVerifier:
    return TokenVerifier(
        REGISTRY,
        issuers,
        max_lifetime=timedelta(hours=12),
        leeway=timedelta(seconds=60),
        cache_seconds=300,
        unknown_key_refresh_seconds=10,
        clock=clocks.wall,
        monotonic=clocks.monotonic,
    )


@pytest.fixture
def world(tmp_path: Path) -> World:
    bank_idp = LocalIssuer(HZ_IDP, tmp_path / "hz")
    office = LocalIssuer(OFFICE, tmp_path / "office")
    bank_idp.jwks(), office.jwks()
    clocks = Clocks()
    return World(bank_idp, office, clocks, verifier_for(trusted(bank_idp, office), clocks))


async def refusal(world: World, token: str) -> tuple[int, str]:
    with pytest.raises(Problem) as refused:
        await world.verify(token)
    return refused.value.status, refused.value.code


async def test_a_bank_identity_provider_s_token_names_the_bank(world: World) -> None:
    principal = await world.verify(world.bank_token())
    assert principal == Principal("bank-hangzhou", Role.BANK, issuer=HZ_IDP)


async def test_a_uscc_claim_in_a_token_is_ignored(world: World) -> None:
    principal = await world.verify(world.bank_token(uscc="913702007180012344"))
    assert principal.uscc is None


async def test_staff_credentials_carry_their_role(world: World) -> None:
    token = world.office.sign(world.claims(OFFICE, "e-7", role="examiner"))
    assert await world.verify(token) == Principal("e-7", Role.EXAMINER, issuer=OFFICE)


async def test_a_token_for_several_services_is_accepted_by_each_of_them(world: World) -> None:
    token = world.bank_token(aud=[REGISTRY, "pledgeflow-credit"])
    assert (await world.verify(token)).subject == "bank-hangzhou"


def _kid(world: World) -> str:
    return world.bank_idp.signing_kid


REFUSALS: dict[str, tuple[Callable[[World], str], str]] = {
    "not a token": (lambda w: "not.a.token", "auth.invalid"),
    "unsigned (alg none)": (
        lambda w: alg_none(w.claims(HZ_IDP, "bank-hangzhou"), _kid(w)),
        "auth.invalid",
    ),
    "HS256 keyed with the issuer's public key": (
        lambda w: hs256_with_public_key(
            w.claims(HZ_IDP, "bank-hangzhou"), _kid(w), public_key_pem(w.bank_idp, _kid(w))
        ),
        "auth.invalid",
    ),
    "signed by an untrusted key under a trusted key id": (
        lambda w: signed_by_stranger(w.claims(HZ_IDP, "bank-hangzhou"), _kid(w)),
        "auth.invalid",
    ),
    "signed by an untrusted key": (
        lambda w: signed_by_stranger(w.claims(HZ_IDP, "bank-hangzhou"), "attacker-1"),
        "auth.unknown_key",
    ),
    "an issuer nobody trusts": (
        lambda w: w.bank_idp.sign(w.claims("https://idp.evil.example", "bank-hangzhou")),
        "auth.untrusted_issuer",
    ),
    "a bank's key speaking as the registry office": (
        lambda w: w.bank_idp.sign(w.claims(OFFICE, "admin-1", role="examiner")),
        "auth.unknown_key",
    ),
    "for another service": (
        lambda w: w.bank_token(aud="pledgeflow-credit"),
        "auth.wrong_audience",
    ),
    "for no service": (lambda w: w.bank_token(aud=None), "auth.invalid"),
    "without an issue time": (lambda w: w.bank_token(iat=None), "auth.invalid"),
    "with an issue time that is not a time": (
        lambda w: w.bank_token(iat="yesterday"),
        "auth.invalid",
    ),
    "valid for ten years": (
        lambda w: w.bank_token(lifetime=3650 * 24 * 3600),
        "auth.lifetime_too_long",
    ),
    "valid for twelve hours and a second": (
        lambda w: w.bank_token(lifetime=12 * 3600 + 1),
        "auth.lifetime_too_long",
    ),
    "expired 61 seconds ago": (
        lambda w: w.bank_token(issued=-3661, lifetime=3600),
        "auth.expired",
    ),
    "issued 61 seconds in the future": (lambda w: w.bank_token(issued=61), "auth.not_yet_valid"),
    "not valid before 61 seconds from now": (
        lambda w: w.bank_token(nbf=int(w.clocks.now.timestamp()) + 61),
        "auth.not_yet_valid",
    ),
    "a bank's provider speaking for another bank": (
        lambda w: w.bank_token(subject="bank-qingdao"),
        "auth.issuer_not_allowed",
    ),
    "a bank's provider granting a staff role": (
        lambda w: w.bank_token(subject="admin-1", role="administrator"),
        "auth.issuer_not_allowed",
    ),
    "the staff directory vouching for a bank": (
        lambda w: w.office.sign(w.claims(OFFICE, "bank-hangzhou", role="bank")),
        "auth.issuer_not_allowed",
    ),
    "the staff directory granting a role it may not": (
        lambda w: w.office.sign(w.claims(OFFICE, "a-1", role="appraiser")),
        "auth.issuer_not_allowed",
    ),
    "a staff credential without a role": (
        lambda w: w.office.sign(w.claims(OFFICE, "e-1")),
        "auth.invalid",
    ),
    "a role nobody knows": (
        lambda w: w.office.sign(w.claims(OFFICE, "e-1", role="superuser")),
        "auth.invalid",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
async def test_a_dishonest_credential_is_refused_with_a_stable_code(
    world: World, case: str
) -> None:
    forge, code = REFUSALS[case]
    assert await refusal(world, forge(world)) == (401, code)


async def test_a_key_that_does_not_sign_the_declared_algorithm_is_refused(world: World) -> None:
    token = jwt.encode(
        world.claims(HZ_IDP, "bank-hangzhou"),
        ec.generate_private_key(ec.SECP256R1()),
        algorithm="ES256",
        headers={"kid": _kid(world)},
    )
    assert await refusal(world, token) == (401, "auth.invalid")


async def test_clocks_up_to_sixty_seconds_apart_are_tolerated(world: World) -> None:
    expired_59s_ago = world.bank_token(issued=-3659, lifetime=3600)
    issued_59s_ahead = world.bank_token(issued=59)
    twelve_hours = world.bank_token(lifetime=12 * 3600)
    for token in (expired_59s_ago, issued_59s_ahead, twelve_hours):
        assert (await world.verify(token)).subject == "bank-hangzhou"


async def test_a_token_expires_once_the_clock_passes_its_expiry_and_the_leeway(
    world: World,
) -> None:
    token = world.bank_token(lifetime=600)
    world.clocks.now = START + timedelta(seconds=660)
    assert (await world.verify(token)).subject == "bank-hangzhou"
    world.clocks.now = START + timedelta(seconds=661)
    assert await refusal(world, token) == (401, "auth.expired")


async def test_a_new_key_is_picked_up_and_the_old_one_keeps_working(world: World) -> None:
    old = world.bank_token()
    assert await world.verify(old)
    world.bank_idp.rotate()
    new = world.bank_token()
    world.clocks.ticks += 10
    assert (await world.verify(new)).subject == "bank-hangzhou"
    assert (await world.verify(old)).subject == "bank-hangzhou"


async def test_a_retired_key_is_refused_from_the_next_read_of_the_keys(world: World) -> None:
    retiring = world.bank_idp.signing_kid
    old = world.bank_token()
    assert await world.verify(old)
    world.bank_idp.rotate()
    world.bank_idp.retire(retiring)
    world.clocks.ticks += 300
    assert await refusal(world, old) == (401, "auth.unknown_key")
    assert (await world.verify(world.bank_token())).subject == "bank-hangzhou"


@dataclass
class CountingJwks:
    document: dict[str, Any]
    reads: int = 0
    failing: bool = False

    async def read(self) -> Any:
        self.reads += 1
        if self.failing:
            raise OSError("issuer unreachable")
        return self.document


async def test_unknown_key_ids_make_at_most_one_read_per_ten_seconds(world: World) -> None:
    source = CountingJwks(world.bank_idp.jwks())
    clocks = world.clocks
    keys = IssuerKeys(HZ_IDP, source, 300, 10, clocks.monotonic)
    assert await keys.key(_kid(world)) is not None
    for attempt in range(50):
        assert await keys.key(f"made-up-{attempt}") is None
    assert source.reads == 1
    clocks.ticks += 10
    assert await keys.key("made-up-again") is None
    assert source.reads == 2


async def test_keys_read_before_stay_in_use_while_the_issuer_is_unreachable(world: World) -> None:
    source = CountingJwks(world.bank_idp.jwks())
    keys = IssuerKeys(HZ_IDP, source, 300, 10, world.clocks.monotonic)
    assert await keys.key(_kid(world)) is not None
    source.failing = True
    world.clocks.ticks += 3600
    assert await keys.key(_kid(world)) is not None
    assert source.reads == 2


async def test_an_issuer_whose_keys_cannot_be_read_yet_answers_503(world: World) -> None:
    published = world.bank_idp.folder.parent / "published" / "jwks.json"
    issuer = TrustedIssuer(HZ_IDP, str(published), banks=frozenset({"bank-hangzhou"}))
    verifier = verifier_for([issuer], world.clocks)
    with pytest.raises(Problem) as unavailable:
        await verifier.verify(world.bank_token())
    assert (unavailable.value.status, unavailable.value.code) == (503, "auth.keys_unavailable")

    published.parent.mkdir()
    published.write_text(json.dumps(world.bank_idp.jwks()))
    world.clocks.ticks += 10
    assert (await verifier.verify(world.bank_token())).subject == "bank-hangzhou"


def test_secret_and_private_keys_in_a_jwks_are_never_used(world: World) -> None:
    public = world.bank_idp.jwks()["keys"][0]
    document = {
        "keys": [
            {"kty": "oct", "kid": "shared-secret", "k": "c2VjcmV0"},
            {**public, "kid": "leaked", "d": "bm90LXJlYWxseS1hLWtleQ"},
            public,
        ]
    }
    assert list(parse_jwks(document, "test")) == [public["kid"]]


@pytest.fixture
def served_jwks(world: World) -> Iterator[str]:
    document = json.dumps(world.bank_idp.jwks()).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks"
    finally:
        server.shutdown()
        server.server_close()


async def test_keys_are_read_from_the_issuer_s_url(world: World, served_jwks: str) -> None:
    issuer = TrustedIssuer(HZ_IDP, served_jwks, banks=frozenset({"bank-hangzhou"}))
    verifier = verifier_for([issuer], world.clocks)
    assert (await verifier.verify(world.bank_token())).subject == "bank-hangzhou"
