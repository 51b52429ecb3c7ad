"""API keys: made once, shown once, stored as a salted hash only.

A key reads ``nemt_<id>_<secret>``: the id (8 random bytes, hex) is its public name in the
store, so a lookup is one primary-key read; the secret is 32 random bytes (URL-safe
base64). The store keeps a per-key random salt and HMAC-SHA256(salt, secret). With 256
bits of entropy in the secret, a slow password hash (PBKDF2, scrypt) would add latency to
every request and no protection: there is nothing to guess. :class:`RecentKeys` spares the
store a read per request: a verified key is trusted again for :data:`RECHECK_S` seconds,
so a revocation takes effect within that time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from .identity import Principal, Role
from .store import KeyRow, Store, now_utc

PREFIX = "nemt_"
_ID_BYTES, _SECRET_BYTES, _SALT_BYTES = 8, 32, 16
RECHECK_S = 1.0
"""How long a verified key is trusted before the store is asked again (revocation delay)."""
_MAX_REMEMBERED = 10_000


@dataclass(frozen=True)
class NewKey:
    """A key just made: the full key (show it once, never stored) and its stored row."""

    key: str
    row: KeyRow


def _digest(salt: str, secret: str) -> str:
    return hmac.new(bytes.fromhex(salt), secret.encode(), hashlib.sha256).hexdigest()


def create_key(store: Store, name: str, role: Role, vehicle_id: str | None = None) -> NewKey:
    """Make a key for ``role`` (a driver's is bound to ``vehicle_id``), store its hash.

    Raises ValueError when a driver key has no vehicle, or another role has one.
    """
    if (role is Role.DRIVER) != (vehicle_id is not None):
        msg = "a driver key needs --vehicle, and only a driver key may have one"
        raise ValueError(msg)
    if not name.strip():
        msg = "a key needs a non-empty name"
        raise ValueError(msg)
    key_id = secrets.token_hex(_ID_BYTES)
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    salt = secrets.token_hex(_SALT_BYTES)
    row = KeyRow(
        id=key_id,
        name=name,
        role=role.value,
        vehicle_id=vehicle_id,
        salt=salt,
        hash=_digest(salt, secret),
        created_at=now_utc(),
        revoked_at=None,
    )
    store.add_key(row)
    return NewKey(f"{PREFIX}{key_id}_{secret}", row)


def is_api_key(token: str) -> bool:
    """Whether a bearer token has the form of an API key (else it may be a JWT)."""
    return token.startswith(PREFIX)


def verify_key(store: Store, token: str) -> Principal | None:
    """The principal of a valid, unrevoked key; None for any other token."""
    key_id, _, secret = token.removeprefix(PREFIX).partition("_")
    if not key_id or not secret:
        return None
    row = store.key(key_id)
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.hash, _digest(row.salt, secret)):
        return None
    return Principal(Role(row.role), row.vehicle_id, row.name)


class RecentKeys:
    """The principals of keys verified in the last ``recheck_s`` seconds, by the key's
    SHA-256 (no secret is held); at most :data:`_MAX_REMEMBERED` (then forgotten at once)."""

    def __init__(self, recheck_s: float = RECHECK_S) -> None:
        self.recheck_s = recheck_s
        self._verified: dict[bytes, tuple[float, Principal]] = {}

    def get(self, token: str) -> Principal | None:
        """The principal of ``token`` if it was verified less than ``recheck_s`` ago."""
        found = self._verified.get(hashlib.sha256(token.encode()).digest())
        if found is None or time.monotonic() - found[0] >= self.recheck_s:
            return None
        return found[1]

    def remember(self, token: str, principal: Principal) -> None:
        """Trust ``token`` as ``principal`` for the next ``recheck_s`` seconds."""
        if len(self._verified) >= _MAX_REMEMBERED:
            self._verified.clear()
        self._verified[hashlib.sha256(token.encode()).digest()] = (time.monotonic(), principal)
