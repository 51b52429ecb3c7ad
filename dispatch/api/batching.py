"""Coalesce concurrent ETA requests into one evaluation: snapping, features, model.

Each estimate has a fixed cost (building the feature table, calling LightGBM twice) that
dwarfs the cost per pair at 100 pairs. While one batch is being computed, the requests
that arrive wait in a queue; the next batch takes all of them at once (up to
``max_pairs``), and each request gets its own slice of the answer, or its own 422 if one
of its points is too far from the roads. A lone request is computed at once, so batching
adds no latency when the service is idle.

Runs on the event loop (no locks needed); the computation itself goes to a worker thread
through :meth:`ServiceState.compute`.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from models import EtaModel

from .errors import ApiError
from .estimates import estimate, far_from_roads, nearest
from .state import ServiceState


@dataclass
class _Job:
    lat: NDArray[np.float64]  # origin and destination of each pair, interleaved
    lon: NDArray[np.float64]
    departure_s: NDArray[np.float64]  # seconds since the epoch
    observations: Sequence[dict[str, Any]]
    field_of: Callable[[int], str]  # the request's field of point i
    done: asyncio.Future[BatchAnswer] = field(repr=False)

    @property
    def n_pairs(self) -> int:
        return self.departure_s.size


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
        lat: NDArray[np.float64],
        lon: NDArray[np.float64],
        departure_s: NDArray[np.float64],
        observations: Sequence[dict[str, Any]],
        field_of: Callable[[int], str],
    ) -> BatchAnswer:
        """P50, P90 and free-flow seconds and distances of the pairs, computed in a batch.

        Point ``2i`` is pair ``i``'s origin, ``2i + 1`` its destination; a point too far from
        the roads raises a 422 naming ``field_of`` of its index.
        """
        job = _Job(
            lat,
            lon,
            departure_s,
            observations,
            field_of,
            asyncio.get_running_loop().create_future(),
        )
        self._pending.append(job)
        if not self._draining:
            self._draining = True
            self._task = asyncio.get_running_loop().create_task(self._drain())
        return await job.done

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, size = [], 0
                while self._pending and (
                    not batch or size + self._pending[0].n_pairs <= self.max_pairs
                ):
                    job = self._pending.pop(0)
                    batch.append(job)
                    size += job.n_pairs
                await self._run(batch)
        finally:
            self._draining = False

    async def _run(self, batch: list[_Job]) -> None:
        live = self.state.live
        try:
            answers = await self.state.compute(lambda: self._compute(batch, live.model))
        except Exception as exc:  # every request of the batch gets the error
            answers = [exc] * len(batch)
        for job, answer in zip(batch, answers, strict=True):
            if job.done.done():  # its client has gone
                continue
            if isinstance(answer, Exception):
                job.done.set_exception(answer)
            else:
                job.done.set_result(BatchAnswer(*answer, live.version))

    def _compute(
        self, batch: list[_Job], model: EtaModel | None
    ) -> list[tuple[NDArray[np.float64], ...] | ApiError]:
        """Each job's four answer columns, or its 422 if a point is too far from the roads."""
        graph, max_snap_m = self.state.graph, self.state.settings.max_snap_m
        assert graph is not None
        bounds = np.cumsum([0] + [j.lat.size for j in batch])
        points = [slice(a, b) for a, b in itertools.pairwise(bounds.tolist())]
        lat = np.concatenate([j.lat for j in batch])
        lon = np.concatenate([j.lon for j in batch])
        nodes, distance = nearest(graph, lat, lon)
        far = [
            far_from_roads(j.field_of, lat[p], lon[p], distance[p], max_snap_m)
            for j, p in zip(batch, points, strict=True)
        ]
        served = [k for k, errors in enumerate(far) if not errors]
        answers: list[tuple[NDArray[np.float64], ...] | ApiError] = [
            ApiError(422, errors) for errors in far
        ]
        if not served:
            return answers
        kept = np.concatenate([nodes[points[k]] for k in served])
        result = estimate(
            graph,
            model,
            kept[0::2],
            kept[1::2],
            pd.to_datetime(
                np.concatenate([batch[k].departure_s for k in served]), unit="s", utc=True
            ),
            [o for k in served for o in batch[k].observations],
            self.state.route_table,
            threads=os.cpu_count(),  # every request of the batch waits on it: use every core
        )
        columns = (result.p50_s, result.p90_s, result.free_flow_s, result.distance_m)
        start = 0
        for k in served:
            pairs = slice(start, start + batch[k].n_pairs)
            answers[k], start = tuple(c[pairs] for c in columns), pairs.stop
        return answers
