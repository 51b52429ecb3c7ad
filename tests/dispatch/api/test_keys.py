"""API keys: made and shown once by the CLI, stored as a salted hash only, revoked within a
second; the access settings of /docs and /metrics; serve refuses an open host without
credentials."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from dispatch.api import ServiceSettings, Store, create_app
from dispatch.api.api_keys import RECHECK_S, RecentKeys, create_key, verify_key
from dispatch.api.identity import Principal, Role
from dispatch.cli import main
from tests.stores import BACKENDS, query

from .helpers import bearer, errors_of, grant, started


def _create(capsys: pytest.CaptureFixture[str], store_url: str, *args: str) -> str:
    """The key printed by ``dispatch keys create``."""
    assert main(["keys", "create", "--store", store_url, *args]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "shown only once" in out[0]
    return out[1]


@BACKENDS
def test_keys_are_stored_hashed_and_revoked_within_a_second(
    settings: ServiceSettings, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The store holds no key or secret, only a salted hash; a revoked key is a 401 once
    the last verification is older than ``RECHECK_S``."""
    key = _create(capsys, store_url, "--role", "analyst", "--name", "laptop")
    key_id, secret = key.removeprefix("nemt_").split("_", 1)
    [row] = query(store_url, "SELECT id, name, role, salt, hash FROM api_keys")
    assert row[:3] == (key_id, "laptop", "analyst")
    assert all(secret not in str(value) and key not in str(value) for value in row)
    with started(settings) as client:
        assert client.get("/v1/model", headers=bearer(key)).status_code == 200
        assert main(["keys", "list", "--store", store_url]) == 0
        listing = capsys.readouterr().out
        assert "laptop" in listing
        assert secret not in listing
        assert main(["keys", "revoke", "laptop", "--store", store_url]) == 0
        assert f"revoked key {key_id}" in capsys.readouterr().out
        time.sleep(RECHECK_S)  # a key verified less than RECHECK_S ago is not asked again
        revoked = client.get("/v1/model", headers=bearer(key))
        assert revoked.status_code == 401
        assert "unknown or revoked" in errors_of(revoked)[0]["reason"]
        wrong = client.get("/v1/model", headers=bearer(f"nemt_{key_id}_{secret[:-1]}x"))
        assert wrong.status_code == 401


def test_concurrent_requests_share_one_key_check(store_url: str) -> None:
    """Requests that find a key due for a check at once share one store read; a key
    remembered is not read again; an unknown key is read each time (never remembered)."""
    store = Store.open(store_url)
    try:
        key = create_key(store, "shared", Role.ANALYST).key
        reads: list[str] = []

        async def read(token: str) -> Principal | None:
            reads.append(token)
            await asyncio.sleep(0.05)  # the store read in its worker thread
            return verify_key(store, token)

        async def callers() -> list[Principal | None]:
            recent = RecentKeys()
            first = await asyncio.gather(
                *(recent.principal(key, lambda: read(key)) for _ in range(20))
            )
            again = await recent.principal(key, lambda: read(key))
            unknown = [
                await recent.principal("nemt_x_y", lambda: read("nemt_x_y")) for _ in range(2)
            ]
            return [*first, again, *unknown]

        answers = asyncio.run(callers())
    finally:
        store.close()
    assert reads == [key, "nemt_x_y", "nemt_x_y"]
    assert all(p is not None and p.role is Role.ANALYST for p in answers[:21])
    assert answers[21:] == [None, None]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "--role", "pilot", "--name", "x"], "unknown role 'pilot'"),
        (["create", "--role", "driver", "--name", "x"], "a driver key needs --vehicle"),
        (["create", "--role", "analyst", "--name", "x", "--vehicle", "v"], "only a driver"),
        (["revoke", "nobody"], "no API key with id or name 'nobody'"),
    ],
)
def test_keys_command_errors_are_one_line(
    store_url: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    """Bad flags exit with code 2 and one line naming the problem."""
    assert main(["keys", args[0], "--store", store_url, *args[1:]]) == 2
    error = capsys.readouterr().err
    assert message in error
    assert len(error.strip().splitlines()) == 1


def test_a_name_is_used_once(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A second key with the same name is refused, exit 2."""
    _create(capsys, store_url, "--role", "admin", "--name", "ops")
    assert main(["keys", "create", "--store", store_url, "--role", "admin", "--name", "ops"]) == 2
    assert "an API key named 'ops' exists already" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("docs", "metrics", "anonymous", "analyst"),
    [
        ("off", "off", 404, 404),
        ("public", "public", 200, 200),
        ("admin", "admin", 401, 403),
    ],
)
def test_docs_and_metrics_follow_their_settings(
    settings: ServiceSettings, docs: str, metrics: str, anonymous: int, analyst: int
) -> None:
    """/docs, /openapi.json and /metrics are off, public, or for the roles named."""
    with started(settings.override(docs=docs, metrics=metrics)) as client:
        analyst_headers = grant(client.app, "analyst")  # type: ignore[arg-type]
        for url in ("/docs", "/openapi.json", "/metrics"):
            assert client.get(url, headers={"Authorization": ""}).status_code == anonymous
            assert client.get(url, headers=analyst_headers).status_code == analyst


def test_bad_access_setting_is_refused() -> None:
    """An unknown role in DISPATCH_DOCS is refused naming the variable."""
    with pytest.raises(ValueError, match="DISPATCH_DOCS must be off, public or a list of roles"):
        create_app(ServiceSettings(docs="admin,pilot"))


def test_serve_refuses_an_open_host_without_credentials(
    model_dir: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a key in the store or OIDC, serving beyond loopback exits 2 before listening."""
    argv = ["serve", "--host", "0.0.0.0", "--db", store_url, "--model", str(model_dir)]
    assert main([*argv, "--eta-workers", "0", "--route-table-mb", "0"]) == 2
    error = capsys.readouterr().err
    assert "refusing to serve on 0.0.0.0: no credentials are configured" in error
    assert len(error.strip().splitlines()) == 1
