"""A real ``dispatch serve`` process on loopback: answers, and loses no acknowledged booking
when killed with SIGKILL in the middle of a burst, on SQLite and on PostgreSQL; retries with
the same keys book once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from dispatch.api import Store
from dispatch.cli import main
from tests.stores import BACKENDS, query

from .helpers import CLINIC, DEPOT, bearer, new_key, trip

N_BOOKINGS, KILL_AFTER = 150, 40
START_TIMEOUT_S = 90.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _admin_key(store_url: str) -> str:
    """A new admin key in the store at ``store_url`` (upgraded already if PostgreSQL)."""
    store = Store.open(store_url)
    try:
        return new_key(store)
    finally:
        store.close()


class Server:
    """A ``dispatch serve`` child process configured by ``DISPATCH_*`` variables; ``headers``
    carry ``key`` or a new admin key of its store."""

    def __init__(
        self, model_dir: Path, store_url: str, log: Path, key: str | None = None, **settings: str
    ) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.headers = bearer(key or _admin_key(store_url))
        env = {
            **os.environ,
            "DISPATCH_MODEL": str(model_dir),
            "DISPATCH_DB": store_url,
            "DISPATCH_MODELS_DIR": str(log.parent / "models"),
            "DISPATCH_PORT": str(self.port),
            "DISPATCH_WINDOW_PAST_DAYS": "3650",  # the helpers' fixed day is in the past
            **{f"DISPATCH_{name.upper()}": value for name, value in settings.items()},
        }
        script = Path(sys.executable).with_name("dispatch")
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [str(script), "serve", "--host", "127.0.0.1", "--log-level", "warning"],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready(log)

    def _wait_ready(self, log: Path) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"dispatch serve exited early:\n{log.read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"dispatch serve not ready after {START_TIMEOUT_S} s:\n{log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing."""
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Terminate politely (SIGTERM) and wait."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self._log.close()


@pytest.fixture
def server(
    model_dir: Path,
    store_url: str,
    backend: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Server]:
    """A running service on a free loopback port; a PostgreSQL store is upgraded first with
    ``dispatch db upgrade``, as its operator does."""
    if backend != "sqlite":
        assert main(["db", "upgrade", "--store", store_url]) == 0
        assert "upgraded the store" in capsys.readouterr().out
    running = Server(model_dir, store_url, tmp_path / "serve.log", _admin_key(store_url))
    yield running
    running.stop()


def _book(client: httpx.Client, i: int) -> httpx.Response:
    return client.post(
        "/v1/trips",
        json=trip(f"burst-{i}", appointment_at=f"2026-03-02T{9 + i % 8:02d}:00:00-05:00"),
        headers={"Idempotency-Key": f"key-{i}"},
    )


def test_serve_answers_on_loopback(server: Server) -> None:
    """The real process serves ETAs, its OpenAPI document and Prometheus metrics to an admin,
    and refuses a request without a credential (401, Bearer challenge)."""
    refused = httpx.get(f"{server.url}/v1/model", timeout=30)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert httpx.get(f"{server.url}/health", timeout=30).status_code == 200
    with httpx.Client(base_url=server.url, headers=server.headers, timeout=30) as client:
        item = {"origin": DEPOT, "destination": CLINIC, "departure": "2026-03-02T08:00:00Z"}
        eta = client.post("/v1/eta", json={"items": [item]})
        assert eta.status_code == 200
        assert eta.json()["estimates"][0]["p50_s"] > 0
        assert "/v1/trips/{trip_id}/will-call" in client.get("/openapi.json").json()["paths"]
        metrics = client.get("/metrics").text
        assert 'dispatch_http_requests_total{endpoint="/v1/eta",method="POST",status="200"}' in (
            metrics
        )


@BACKENDS
def test_sigkill_loses_no_acknowledged_booking(
    server: Server, model_dir: Path, store_url: str, tmp_path: Path
) -> None:
    """Every booking acknowledged before a SIGKILL is there after a restart, with the same
    body; retrying every booking with its key creates no duplicate."""
    acknowledged: dict[int, dict[str, object]] = {}
    lock = threading.Lock()
    killed = threading.Event()

    def attempt(i: int) -> None:
        try:
            with httpx.Client(base_url=server.url, headers=server.headers, timeout=10) as client:
                response = _book(client, i)
        except httpx.TransportError:
            return  # the server died under this request: the client will retry
        if response.status_code == 201:
            with lock:
                acknowledged[i] = response.json()
                if len(acknowledged) >= KILL_AFTER and not killed.is_set():
                    killed.set()
                    server.kill()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(attempt, range(N_BOOKINGS)))
    assert killed.is_set(), "the burst ended before the kill"
    assert KILL_AFTER <= len(acknowledged) < N_BOOKINGS

    restarted = Server(model_dir, store_url, tmp_path / "serve.log", _admin_key(store_url))
    try:
        with httpx.Client(base_url=restarted.url, headers=restarted.headers, timeout=30) as client:
            for i, body in acknowledged.items():
                stored = client.get(f"/v1/trips/burst-{i}")
                assert stored.status_code == 200, f"acknowledged booking {i} lost"
                assert stored.json()["request"] == body["request"]
            for i in range(N_BOOKINGS):  # the client retries everything with the same keys
                retry = _book(client, i)
                assert retry.status_code == 201, retry.text
                if i in acknowledged:
                    assert retry.headers["idempotent-replayed"] == "true"
                    assert retry.json() == acknowledged[i]
    finally:
        restarted.stop()
    [(n_trips,)] = query(store_url, "SELECT count(*) FROM trips")
    [(n_keys,)] = query(store_url, "SELECT count(DISTINCT trip_id) FROM idempotency_keys")
    assert n_trips == n_keys == N_BOOKINGS


def test_serve_refuses_a_missing_map(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad --map exits with code 2 and a one-line error before listening."""
    assert main(["serve", "--map", "no/such/map.osm.pbf", "--model", str(model_dir)]) == 2
    assert "map file not found" in capsys.readouterr().err


@pytest.mark.parametrize("backend", ["postgresql"])
def test_serve_refuses_a_postgresql_store_not_upgraded(
    model_dir: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty PostgreSQL store exits with code 2 before listening, naming the command."""
    argv = ["serve", "--db", store_url, "--model", str(model_dir), "--eta-workers", "0"]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert "run `dispatch db upgrade --store postgresql+psycopg://" in error
    assert len(error.strip().splitlines()) == 1
