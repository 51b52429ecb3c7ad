"""Solver processes behind a bounded queue: a crash fails one job, a flood gets 503.

Each solve (the day's plan, a will-call's insertion, ``/v1/match``, ``/v1/schedule``) runs
in a child process of its own pool of one, so a native crash of OR-Tools breaks only that
pool: its job fails with :class:`~dispatch.exceptions.SolverCrashedError` and a new
process takes its place. At most ``workers`` solves run and ``queue`` wait; a solve beyond
them is refused at once with :class:`~dispatch.exceptions.SolverBusyError`, so waiting
solves never hold the server's threads. Async routes wait on a thread limiter of their own,
apart from the one that serves ``/health`` and trip reads.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

import anyio

from ..exceptions import SolverBusyError, SolverCrashedError
from .settings import ServiceSettings
from .solver_jobs import start_solver

T = TypeVar("T")

RETRY_AFTER_S = 5


class SolverPool:
    """``workers`` solver processes and room for ``queue`` waiting solves."""

    def __init__(self, settings: ServiceSettings, workers: int, waiting: int) -> None:
        self._settings = settings
        self._capacity = workers + waiting
        self._admitted = 0
        self._lock = threading.Lock()
        self._free: queue.Queue[ProcessPoolExecutor] = queue.Queue()
        for _ in range(workers):
            self._free.put(self._new_process())
        self._limiter: anyio.CapacityLimiter | None = None

    def _new_process(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_solver,
            initargs=(self._settings,),
        )

    def start(self) -> list[int]:
        """Start every solver process (each loads the graph); their process ids."""
        taken = [self._free.get() for _ in range(self._free.qsize())]
        try:
            return [executor.submit(os.getpid).result() for executor in taken]
        finally:
            for executor in taken:
                self._free.put(executor)

    def run(self, job: Callable[..., T], *args: Any) -> T:
        """Run ``job(*args)`` in a solver process (from a worker thread) and return its result."""
        self._admit()
        try:
            return self._run(job, *args)
        finally:
            with self._lock:
                self._admitted -= 1

    async def run_async(self, job: Callable[..., T], *args: Any) -> T:
        """:meth:`run` from the event loop, waiting in a thread of the solvers' own limiter."""
        self._admit()
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self._capacity)
        try:
            return await anyio.to_thread.run_sync(
                lambda: self._run(job, *args), limiter=self._limiter
            )
        finally:
            with self._lock:
                self._admitted -= 1

    def _admit(self) -> None:
        with self._lock:
            if self._admitted >= self._capacity:
                msg = f"all solvers are busy and {self._capacity} solves are admitted: retry later"
                raise SolverBusyError(msg, RETRY_AFTER_S)
            self._admitted += 1

    def _run(self, job: Callable[..., T], *args: Any) -> T:
        executor = self._free.get()
        try:
            return executor.submit(job, *args).result()
        except BrokenProcessPool:
            executor.shutdown(wait=False, cancel_futures=True)
            executor = self._new_process()
            msg = "the solver process stopped during this job (it crashed or was killed)"
            raise SolverCrashedError(msg) from None
        finally:
            self._free.put(executor)

    def close(self) -> None:
        """Stop the solver processes."""
        while not self._free.empty():
            self._free.get().shutdown(wait=True, cancel_futures=True)
