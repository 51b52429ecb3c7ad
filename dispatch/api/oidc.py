"""OAuth2/OIDC access tokens: JWTs verified with PyJWT against one issuer's JWKS.

A token is accepted only if its signature verifies with a key of the configured JWKS (a
file read at start-up, or a URL fetched and cached by :class:`jwt.PyJWKClient`) under an
asymmetric algorithm (``none`` and the HMAC algorithms are refused), and its ``iss``,
``aud`` and ``exp`` are present and right. The role comes from a configurable claim (a
dotted path, such as ``realm_access.roles``; a string, or a list holding exactly one of
our roles), the vehicle of a driver from another.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jwt

from .identity import Principal, Role

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
_LEEWAY_S = 30  # clock skew allowed between the issuer and this server


class TokenError(Exception):
    """A token is not valid; the message says why (it goes into the 401 body)."""


class OidcVerifier:
    """Verifies access tokens of one issuer for one audience."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks: str,
        role_claim: str = "role",
        vehicle_claim: str = "vehicle_id",
    ) -> None:
        self.issuer, self.audience = issuer, audience
        self.role_claim, self.vehicle_claim = role_claim, vehicle_claim
        self._client: jwt.PyJWKClient | None = None
        self._keys: jwt.PyJWKSet | None = None
        if jwks.startswith(("https://", "http://")):
            self._client = jwt.PyJWKClient(jwks, timeout=10)
        else:
            try:
                self._keys = jwt.PyJWKSet.from_json(Path(jwks).read_text())
            except (OSError, jwt.PyJWTError) as exc:
                msg = f"cannot read the JWKS {jwks}: {exc}"
                raise ValueError(msg) from exc

    def _key(self, token: str) -> jwt.PyJWK:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            msg = f"not a JWT ({exc})"
            raise TokenError(msg) from None
        if header.get("alg") not in ALGORITHMS:
            msg = f"the token's algorithm {header.get('alg')!r} is not accepted"
            raise TokenError(msg)
        kid = header.get("kid")
        try:
            if self._client is not None:
                return self._client.get_signing_key_from_jwt(token)
            assert self._keys is not None
            candidates = [k for k in self._keys.keys if kid is None or k.key_id == kid]
        except jwt.PyJWKClientError as exc:
            msg = f"no key of the issuer verifies it ({exc})"
            raise TokenError(msg) from None
        if len(candidates) != 1:
            msg = f"no single key of the issuer has the token's key id {kid!r}"
            raise TokenError(msg)
        return candidates[0]

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; :class:`TokenError` naming what is wrong."""
        key = self._key(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[key.algorithm_name],
                audience=self.audience,
                issuer=self.issuer,
                leeway=_LEEWAY_S,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            msg = f"the token is not valid ({exc})"
            raise TokenError(msg) from None
        role = _role(_claim(claims, self.role_claim), self.role_claim)
        subject = str(claims.get("sub", "unnamed"))
        if role is not Role.DRIVER:
            return Principal(role, None, subject)
        vehicle = _claim(claims, self.vehicle_claim)
        if not isinstance(vehicle, str) or not vehicle:
            msg = f"a driver's token needs its vehicle in the claim {self.vehicle_claim!r}"
            raise TokenError(msg)
        return Principal(role, vehicle, subject)


def _claim(claims: dict[str, Any], path: str) -> object:
    value: object = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _role(value: object, claim: str) -> Role:
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    known = {r.value for r in Role}
    roles = {Role(n) for n in names if isinstance(n, str) and n in known}
    if len(roles) != 1:
        msg = f"the claim {claim!r} must name exactly one role of {', '.join(Role)}"
        raise TokenError(msg)
    return roles.pop()
