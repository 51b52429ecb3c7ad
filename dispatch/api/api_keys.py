"""API keys: made once, shown once, stored as a salted hash only.

A key reads ``nemt_<id>_<secret>``: the id (8 random bytes, hex) is its public name in the
store, so a lookup is one primary-key read; the secret is 32 random bytes (URL-safe
base64). The store keeps a per-key random salt and HMAC-SHA256(salt, secret). With 256
bits of entropy in the secret, a slow password hash (PBKDF2, scrypt) would add latency to
every request and no protection: there is nothing to guess. :class:`RecentKeys` spares the
store a read per request: a verified key is trusted again for :data:`RECHECK_S` seconds,
so a revocation takes effect within that time, and the requests that find a key due for
a check at the same moment share one store read.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
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
    SHA-256 (no secret is held); at most :data:`_MAX_REMEMBERED` (then forgotten at once).
    Used from one event loop."""

    def __init__(self, recheck_s: float = RECHECK_S) -> None:
        self.recheck_s = recheck_s
        self._verified: dict[bytes, tuple[float, Principal]] = {}
        self._checking: dict[bytes, asyncio.Future[Principal | None]] = {}

    async def principal(
        self, token: str, verify: Callable[[], Awaitable[Principal | None]]
    ) -> Principal | None:
        """The principal of ``token``: remembered, else ``verify()``'s answer (None: refused).

        Concurrent calls for a token due for a check await one ``verify()`` between them.
        """
        digest = hashlib.sha256(token.encode()).digest()
        found = self._verified.get(digest)
        if found is not None and time.monotonic() - found[0] < self.recheck_s:
            return found[1]
        check = self._checking.get(digest)
        if check is None:  # a task of its own: a caller that goes away does not cancel it
            check = asyncio.ensure_future(self._check(digest, verify))
            self._checking[digest] = check
        return await asyncio.shield(check)

    async def _check(
        self, digest: bytes, verify: Callable[[], Awaitable[Principal | None]]
    ) -> Principal | None:
        try:
            principal = await verify()
        finally:
            del self._checking[digest]
        if principal is not None:
            if len(self._verified) >= _MAX_REMEMBERED:
                self._verified.clear()
            self._verified[digest] = (time.monotonic(), principal)
        return principal
