"""Coalesce concurrent ETA requests into one model evaluation.

Each estimate has a fixed cost (building the feature table, calling LightGBM twice) that
dwarfs the cost per pair at 100 pairs. While one batch is being computed, the requests
that arrive wait in a queue; the next batch takes all of them at once (up to
``max_pairs``), and each request gets its own slice of the answer. A lone request is
computed at once, so batching adds no latency when the service is idle.

Runs on the event loop (no locks needed); the computation itself goes to a worker thread
through :meth:`ServiceState.compute`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .estimates import estimate
from .state import ServiceState


@dataclass
class _Job:
    origin: NDArray[np.int32]
    dest: NDArray[np.int32]
    departure: Sequence[datetime]
    observations: Sequence[dict[str, Any]]
    done: asyncio.Future[BatchAnswer] = field(repr=False)


@dataclass(frozen=True)
class BatchAnswer:
    """One request's slice of a batch: seconds and metres per pair, and the model's version."""

    p50_s: NDArray[np.float64]
    p90_s: NDArray[np.float64]
    free_flow_s: NDArray[np.float64]
    distance_m: NDArray[np.float64]
    model_version: str | None


class EtaBatcher:
    """Queue of pending ETA requests and the task that drains it in batches."""

    def __init__(self, state: ServiceState, max_pairs: int = 20_000) -> None:
        self.state = state
        self.max_pairs = max_pairs
        self._pending: list[_Job] = []
        self._draining = False
        self._task: asyncio.Task[None] | None = None  # a reference keeps the task alive

    async def estimate(
        self,
        origin: NDArray[np.int32],
        dest: NDArray[np.int32],
        departure: Sequence[datetime],
        observations: Sequence[dict[str, Any]],
    ) -> BatchAnswer:
        """P50, P90 and free-flow seconds and distances of the pairs, computed in a batch."""
        job = _Job(
            origin, dest, departure, observations, asyncio.get_running_loop().create_future()
        )
        self._pending.append(job)
        if not self._draining:
            self._draining = True
            asyncio.get_running_loop().create_task(self._drain())
        return await job.done

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, size = [], 0
                while self._pending and (
                    not batch or size + self._pending[0].origin.size <= self.max_pairs
                ):
                    job = self._pending.pop(0)
                    batch.append(job)
                    size += job.origin.size
                await self._run(batch)
        finally:
            self._draining = False

    async def _run(self, batch: list[_Job]) -> None:
        graph, live = self.state.graph, self.state.live
        assert graph is not None
        model = live.model
        try:
            result = await self.state.compute(
                lambda: estimate(
                    graph,
                    model,
                    np.concatenate([j.origin for j in batch]),
                    np.concatenate([j.dest for j in batch]),
                    [t for j in batch for t in j.departure],
                    [o for j in batch for o in j.observations],
                )
            )
        except Exception as exc:  # every request of the batch gets the error
            for job in batch:
                if not job.done.done():
                    job.done.set_exception(exc)
            return
        columns = (result.p50_s, result.p90_s, result.free_flow_s, result.distance_m)
        start = 0
        for job in batch:
            end = start + job.origin.size
            if not job.done.done():  # its client may have gone
                job.done.set_result(BatchAnswer(*(c[start:end] for c in columns), live.version))
            start = end
