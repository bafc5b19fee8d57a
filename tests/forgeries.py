"""Credentials a dishonest caller would try: unsigned, signed with the wrong key or algorithm."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.issuer import LocalIssuer
from shared.tokens import Role


def claims(
    issuer: str,
    subject: str,
    role: Role | None,
    audience: str | Sequence[str],
    *,
    lifetime: float = 3600,
    issued_ago: float = 0,
) -> dict[str, Any]:
    """Claims of a credential issued `issued_ago` seconds ago, valid for `lifetime` seconds."""
    issued = int(time.time() - issued_ago)
    body: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "aud": audience if isinstance(audience, str) else list(audience),
        "iat": issued,
        "exp": int(issued + lifetime),
    }
    if role is not None:
        body["role"] = role.value
    return body


def _segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], body: dict[str, Any]) -> str:
    return ".".join(
        _segment(json.dumps(part, separators=(",", ":")).encode()) for part in (header, body)
    )


def alg_none(body: dict[str, Any], kid: str) -> str:
    """A credential that declares no signature at all."""
    return _unsigned({"alg": "none", "typ": "JWT", "kid": kid}, body) + "."


def public_key_pem(issuer: LocalIssuer, kid: str) -> bytes:
    """An issuer's published key, as PEM: anyone can have it."""
    entry = next(k for k in issuer.jwks()["keys"] if k["kid"] == kid)
    public = jwt.PyJWK(entry).key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def hs256_with_public_key(body: dict[str, Any], kid: str, public_pem: bytes) -> str:
    """An HMAC credential keyed with the issuer's public key (algorithm confusion)."""
    signing_input = _unsigned({"alg": "HS256", "typ": "JWT", "kid": kid}, body)
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_segment(mac)}"


def signed_by_stranger(body: dict[str, Any], kid: str) -> str:
    """A well-formed credential signed by a key nobody trusts, claiming a trusted key id."""
    return jwt.encode(body, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid})
