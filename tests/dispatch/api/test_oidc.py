"""OIDC access tokens: JWTs signed here with RSA and EC keys, verified against a JWKS file.

Valid tokens carry their role (and a driver's vehicle); an expired token, another audience
or issuer, a bad signature, ``alg=none``, an HMAC token signed with the public key and a
token without a role are each a 401. No network: the JWKS is a file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from dispatch.api import ServiceSettings

from .helpers import PAST_DAY_WINDOW, bearer, errors_of, started

ISSUER, AUDIENCE = "https://id.example.org/realms/nemt", "nemt-dispatch"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwks(path: Path) -> Path:
    rsa_jwk = RSAAlgorithm.to_jwk(RSA_KEY.public_key(), as_dict=True)
    ec_jwk = ECAlgorithm.to_jwk(EC_KEY.public_key(), as_dict=True)
    keys = [{**rsa_jwk, "kid": "rsa-1", "use": "sig"}, {**ec_jwk, "kid": "ec-1", "use": "sig"}]
    path.write_text(json.dumps({"keys": keys}))
    return path


def token(key: Any = RSA_KEY, algorithm: str = "RS256", kid: str = "rsa-1", **claims: Any) -> str:
    """A token of the test issuer for the service, valid for an hour, with ``claims`` over."""
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "iat": now, "exp": now + 3600}
    body.update(claims)
    present = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(present, key, algorithm, {"kid": kid})


@pytest.fixture(scope="module")
def oidc_client(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Iterator[TestClient]:
    """A started app accepting the test issuer's tokens (role in ``realm_access.roles``)."""
    folder = tmp_path_factory.mktemp("oidc")
    settings = ServiceSettings(
        model=str(model_dir),
        db=f"sqlite:///{folder / 'dispatch.sqlite'}",
        models_dir=str(folder / "models"),
        eta_workers=0,
        **PAST_DAY_WINDOW,
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        oidc_jwks=str(_jwks(folder / "jwks.json")),
        oidc_role_claim="realm_access.roles",
        oidc_vehicle_claim="vehicle",
    )
    with started(settings) as client:
        yield client


def _roles(*names: str) -> dict[str, Any]:
    return {"realm_access": {"roles": [*names, "offline_access"]}}


def test_valid_tokens_carry_their_role(oidc_client: TestClient) -> None:
    """RSA and EC tokens are accepted with their role; the role decides the rest."""
    analyst = bearer(token(**_roles("analyst")))
    assert oidc_client.get("/v1/model", headers=analyst).status_code == 200
    assert oidc_client.get("/v1/plan", headers=analyst).status_code == 403
    dispatcher = bearer(token(EC_KEY, "ES256", "ec-1", **_roles("dispatcher")))
    assert oidc_client.get("/v1/plan", headers=dispatcher).status_code == 404  # no plan yet


def test_a_driver_token_is_bound_to_its_vehicle(oidc_client: TestClient) -> None:
    """A driver's token names its vehicle; another vehicle is 403, none at all is 401."""
    driver = bearer(token(**_roles("driver"), vehicle="van-1"))
    assert oidc_client.get("/v1/vehicles/van-1", headers=driver).status_code == 404  # unknown
    assert oidc_client.get("/v1/vehicles/van-2", headers=driver).status_code == 403
    unbound = oidc_client.get("/v1/vehicles/van-1", headers=bearer(token(**_roles("driver"))))
    assert unbound.status_code == 401
    assert "needs its vehicle in the claim 'vehicle'" in errors_of(unbound)[0]["reason"]


def _unsigned() -> str:
    return jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60, **_roles("admin")},
        None,
        "none",
    )


def _hmac_with_public_key() -> str:
    """A key-confusion attempt: HS256 keyed with the RSA public key's PEM."""
    header = {"alg": "HS256", "kid": "rsa-1", "typ": "JWT"}
    body = {"iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60, **_roles("admin")}
    encode = jwt.utils.base64url_encode
    signing = b".".join(encode(json.dumps(part).encode()) for part in (header, body))
    pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signature = encode(hmac.new(pem, signing, hashlib.sha256).digest())
    return (signing + b"." + signature).decode()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: token(**_roles("admin"), exp=int(time.time()) - 120), "expired"),
        (lambda: token(**_roles("admin"), aud="another-api"), "audience"),
        (lambda: token(**_roles("admin"), iss="https://evil.example.org"), "issuer"),
        (lambda: token(OTHER_KEY, **_roles("admin")), "signature"),
        (lambda: token(**_roles("admin"), exp=None), "exp"),
        (_unsigned, "algorithm 'none' is not accepted"),
        (_hmac_with_public_key, "algorithm 'HS256' is not accepted"),
        (lambda: token(**_roles("admin"), kid="unknown"), "key id 'unknown'"),
        (lambda: token(realm_access={"roles": ["offline_access"]}), "exactly one role"),
        (lambda: token(**_roles("admin", "analyst")), "exactly one role"),
        (lambda: "not.a.jwt", "not a JWT"),
    ],
    ids=[
        "expired",
        "wrong-audience",
        "wrong-issuer",
        "bad-signature",
        "no-expiry",
        "alg-none",
        "hmac-key-confusion",
        "unknown-key-id",
        "no-role",
        "two-roles",
        "garbage",
    ],
)
def test_invalid_tokens_are_401(oidc_client: TestClient, make: Any, reason: str) -> None:
    """Each invalid token is a 401 with a Bearer challenge and a body saying why."""
    response = oidc_client.get("/v1/model", headers=bearer(make()))
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert reason.lower() in errors_of(response)[0]["reason"].lower()


def test_oidc_settings_come_together() -> None:
    """An issuer without an audience and a JWKS is refused naming what is missing."""
    with pytest.raises(ValueError, match="DISPATCH_OIDC_AUDIENCE, DISPATCH_OIDC_JWKS"):
        ServiceSettings.from_env({"DISPATCH_OIDC_ISSUER": ISSUER})
