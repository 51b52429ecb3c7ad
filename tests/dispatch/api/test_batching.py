"""ETA batches: concurrent requests answered together, each with its own answer, in the
service's thread or in worker processes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dispatch.api import ServiceSettings
from dispatch.api.batching import EtaBatcher
from dispatch.api.errors import ApiError
from dispatch.api.eta_answers import EtaAnswer, EtaContext, EtaWorkers, answer_batch
from models import load_model

from .helpers import CLINIC, DEPOT, HOME, OFF_MAP

GOOD = {
    "items": [
        {"origin": DEPOT, "destination": CLINIC, "departure": "2026-03-02T08:00:00-05:00"},
        {"origin": CLINIC, "destination": HOME, "departure": "2026-03-02T13:30:00Z"},
    ]
}
FAR = {"items": [GOOD["items"][0], {**GOOD["items"][1], "destination": OFF_MAP}]}
INVALID = {"items": [{**GOOD["items"][0], "departure": "2026-03-02T08:00:00"}]}
OTHER = {
    "items": [
        {"origin": HOME, "destination": DEPOT, "departure": "2026-03-02T22:00:00Z"},
        {
            "origin": HOME,
            "destination": CLINIC,
            "departure": "2026-03-02T09:00:00-05:00",
            "observations": {"snow": True, "temperature_c": -3},
        },
        {"origin": DEPOT, "destination": HOME, "departure": "2026-03-02T09:00:00-05:00"},
    ]
}
BODIES = [json.dumps(b).encode() for b in (GOOD, FAR, INVALID, OTHER)]


def _check(answers: list[EtaAnswer]) -> None:
    good, far, invalid, other = answers
    assert good.status == 200 and good.n_pairs == 2
    assert len(json.loads(good.body)["estimates"]) == 2
    assert far.status == 422
    assert [e["field"] for e in json.loads(far.body)["errors"]] == ["items.1.destination"]
    assert invalid.status == 422
    assert [e["field"] for e in json.loads(invalid.body)["errors"]] == ["items.0.departure"]
    estimates = json.loads(other.body)["estimates"]
    assert other.status == 200 and len(estimates) == 3
    assert estimates[1]["p50_s"] != estimates[2]["p50_s"]  # snow and another route


def test_concurrent_requests_get_the_answers_they_would_get_alone(
    shared_client: TestClient,
) -> None:
    state = shared_client.app.state.service  # type: ignore[attr-defined]

    async def together() -> list[EtaAnswer]:
        batcher = EtaBatcher(state)
        return list(await asyncio.gather(*(batcher.answer(body) for body in BODIES)))

    async def alone(body: bytes) -> EtaAnswer:
        return await EtaBatcher(state).answer(body)

    answers = asyncio.run(together())
    _check(answers)
    assert answers == [asyncio.run(alone(body)) for body in BODIES]


@pytest.fixture(scope="module")
def workers(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtaWorkers]:
    folder = tmp_path_factory.mktemp("workers")
    settings = ServiceSettings(model=str(model_dir), db=f"sqlite:///{folder / 'd.sqlite'}")
    pool = EtaWorkers(settings, processes=2)
    pool.start()
    yield pool
    pool.close()


def test_worker_processes_answer_as_the_service_thread_does(
    workers: EtaWorkers, model_dir: Path
) -> None:
    saved = load_model(model_dir)
    answers = asyncio.run(workers.answer(BODIES, str(model_dir), saved.version))
    _check(answers)
    context = EtaContext.load(ServiceSettings())
    assert answers == answer_batch(context, BODIES, saved.model, saved.version)
    free_flow = asyncio.run(workers.answer(BODIES[:1], None, None))[0]
    estimate = json.loads(free_flow.body)["estimates"][0]
    assert json.loads(free_flow.body)["model_version"] is None
    assert estimate["p50_s"] == estimate["p90_s"] == estimate["free_flow_s"]


def test_a_killed_worker_is_replaced(workers: EtaWorkers, model_dir: Path) -> None:
    """A worker killed mid-service fails its batch with a 503; the next batches are answered."""
    for pid in workers.start():
        os.kill(pid, signal.SIGKILL)
    with pytest.raises(ApiError) as failed:
        asyncio.run(workers.answer(BODIES, None, None))
    assert failed.value.status == 503
    answers = asyncio.run(workers.answer(BODIES, None, None))
    assert [a.status for a in answers] == [200, 422, 422, 200]


SERVER = """
import sys
from dispatch.api import ServiceSettings
from dispatch.api.eta_answers import EtaWorkers

workers = EtaWorkers(ServiceSettings(route_table_mb=0), processes=2)
print(" ".join(str(pid) for pid in workers.start()), flush=True)
sys.stdin.read()  # until killed
"""


def test_workers_end_with_a_killed_server() -> None:
    """SIGKILL of the server process leaves no worker behind."""
    with subprocess.Popen(
        [sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as server:
        assert server.stdout is not None
        pids = [int(pid) for pid in server.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(pid) for pid in pids)
        server.kill()
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
