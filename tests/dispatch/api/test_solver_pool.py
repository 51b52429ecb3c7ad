"""Solver processes: a native crash fails its own job only, and the server lives on."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from dispatch.api import ServiceSettings
from dispatch.api.solver_pool import SolverPool
from dispatch.exceptions import SolverBusyError, SolverCrashedError

from .helpers import errors_of, trip, vehicle
from .test_serve import Server


def test_an_aborting_job_fails_alone() -> None:
    """``os.abort()`` in a solver process fails that job; the next job runs in a new process."""
    pool = SolverPool(ServiceSettings(), workers=1, waiting=0)
    try:
        (first,) = pool.start()
        with pytest.raises(SolverCrashedError):
            pool.run(os.abort)
        assert pool.run(os.getpid) not in {first, os.getpid()}
    finally:
        pool.close()


def test_a_full_pool_refuses_at_once() -> None:
    """With every solver busy and no room to wait, a job is refused without waiting."""
    pool = SolverPool(ServiceSettings(), workers=1, waiting=0)
    try:
        pool.start()
        sleeping = threading.Thread(target=pool.run, args=(time.sleep, 2.0))
        sleeping.start()
        time.sleep(0.5)
        started = time.monotonic()
        with pytest.raises(SolverBusyError) as refused:
            pool.run(os.getpid)
        assert time.monotonic() - started < 0.5
        assert refused.value.retry_after_s > 0
        sleeping.join()
    finally:
        pool.close()


def _solver_pids(server_pid: int) -> list[int]:
    """The solver processes among the server's children (spawned workers, no tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == server_pid and b"multiprocessing-fork" in cmdline:
            found.append(int(entry.name))
    return found


def test_a_crashing_solver_leaves_the_server_running(
    model_dir: Path, store_url: str, tmp_path: Path
) -> None:
    """A real ``dispatch serve``: the solver process of a running ``/v1/schedule`` dies of
    SIGABRT (as in a native abort); that call gets a JSON 500, ``/health`` and the next
    schedule answer."""
    server = Server(model_dir, store_url, tmp_path / "serve.log", eta_workers="0")
    body = {"requests": [trip()], "vehicles": [vehicle()], "time_limit_s": 20}
    answers: list[httpx.Response] = []
    try:
        with httpx.Client(base_url=server.url, headers=server.headers, timeout=60) as client:
            quick = {**body, "time_limit_s": 0.2}
            assert client.post("/v1/schedule", json=quick).status_code == 200
            (solver,) = _solver_pids(server.process.pid)
            call = threading.Thread(
                target=lambda: answers.append(client.post("/v1/schedule", json=body))
            )
            call.start()
            time.sleep(2.0)
            os.kill(solver, signal.SIGABRT)
            call.join(timeout=30)
            (crashed,) = answers
            assert crashed.status_code == 500
            assert "solver process stopped" in errors_of(crashed)[0]["reason"]
            assert client.get("/health").status_code == 200
            assert client.post("/v1/schedule", json=quick).status_code == 200
            assert server.process.poll() is None
    finally:
        server.stop()
