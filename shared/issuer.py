"""A credential issuer that keeps its Ed25519 signing keys in a folder: the development issuer.

The folder holds `jwks.json`, the public JWKS document the services trust, and one private
key per key id under `keys/` (readable by its owner only). The newest key signs; older keys
stay published until retired, so credentials they signed keep verifying through a rotation.

The development issuer (`pledgeflow-development`) lives in `.data/dev-issuer/` and creates
its first key on first use. The local stack and the tests trust it; production refuses it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from shared.settings import PROJECT_ROOT
from shared.tokens import DEVELOPMENT_ISSUER, Role

DEVELOPMENT_ISSUER_DIR = PROJECT_ROOT / ".data" / "dev-issuer"
ALGORITHM = "EdDSA"


class LocalIssuer:
    """Signs credentials with keys kept in `folder`; publishes their public keys."""

    def __init__(self, issuer: str, folder: Path, ttl: timedelta = timedelta(hours=8)) -> None:
        self.issuer = issuer
        self.folder = folder
        self.ttl = ttl
        self._private_keys: dict[str, Ed25519PrivateKey] = {}

    @property
    def jwks_path(self) -> Path:
        return self.folder / "jwks.json"

    def jwks(self) -> dict[str, Any]:
        """The published JWKS document, with a first key made on first use."""
        with self._locked():
            if not self._published():
                self._add_key()
            return self._read_jwks()

    @property
    def signing_kid(self) -> str:
        """The key id that signs new credentials."""
        return str(self.jwks()["keys"][0]["kid"])

    def issue(
        self,
        subject: str,
        role: Role | None,
        *,
        audience: str | Sequence[str],
        ttl: timedelta | None = None,
        now: datetime | None = None,
        claims: Mapping[str, Any] | None = None,
        kid: str | None = None,
    ) -> str:
        """A credential for `subject` in `role`, meant for `audience`, valid for `ttl`."""
        issued = now or datetime.now(UTC)
        body: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject,
            "aud": audience if isinstance(audience, str) else list(audience),
            "iat": int(issued.timestamp()),
            "exp": int((issued + (ttl or self.ttl)).timestamp()),
        }
        if role is not None:
            body["role"] = role.value
        body.update(claims or {})
        return self.sign(body, kid)

    def sign(self, body: Mapping[str, Any], kid: str | None = None) -> str:
        """Any claims, signed with the current key (or the key `kid`)."""
        kid = kid or self.signing_kid
        return jwt.encode(
            dict(body), self._private_key(kid), algorithm=ALGORITHM, headers={"kid": kid}
        )

    def rotate(self) -> str:
        """Make a new signing key; the older keys stay published. Returns the new key id."""
        with self._locked():
            return self._add_key()

    def retire(self, kid: str) -> None:
        """Stop publishing a key and delete it; credentials it signed are refused from now."""
        with self._locked():
            keys = [k for k in self._read_jwks()["keys"] if k["kid"] != kid]
            if not keys:
                raise ValueError("the last key cannot be retired; rotate first")
            self._write_jwks(keys)
            (self.folder / "keys" / f"{kid}.pem").unlink(missing_ok=True)
            self._private_keys.pop(kid, None)

    def _published(self) -> bool:
        return self.jwks_path.exists() and bool(self._read_jwks()["keys"])

    def _add_key(self) -> str:
        kid = f"{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}"
        private = Ed25519PrivateKey.generate()
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        keys_dir = self.folder / "keys"
        keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(keys_dir / f"{kid}.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(pem)
        public = OKPAlgorithm.to_jwk(private.public_key(), as_dict=True)
        entry = {**public, "kid": kid, "alg": ALGORITHM, "use": "sig"}
        older = self._read_jwks()["keys"] if self.jwks_path.exists() else []
        self._write_jwks([entry, *older])
        return kid

    def _read_jwks(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.jwks_path.read_text(encoding="utf-8"))
        return document

    def _write_jwks(self, keys: list[dict[str, Any]]) -> None:
        temporary = self.jwks_path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"keys": keys}, indent=2) + "\n", encoding="utf-8")
        temporary.replace(self.jwks_path)

    def _private_key(self, kid: str) -> Ed25519PrivateKey:
        if kid not in self._private_keys:
            pem = (self.folder / "keys" / f"{kid}.pem").read_bytes()
            key = serialization.load_pem_private_key(pem, password=None)
            assert isinstance(key, Ed25519PrivateKey)
            self._private_keys[kid] = key
        return self._private_keys[kid]

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with (self.folder / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def development_issuer(folder: Path = DEVELOPMENT_ISSUER_DIR) -> LocalIssuer:
    """The local development issuer; its first key is made on first use."""
    issuer = LocalIssuer(DEVELOPMENT_ISSUER, folder)
    issuer.jwks()
    return issuer
