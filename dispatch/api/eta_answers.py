"""Answers to raw ``/v1/eta`` bodies, a batch at a time, in worker processes or in a thread.

The event loop only moves bytes: validating the JSON, snapping the points, the route
features, the model and writing the answer all happen in :func:`answer_batch`, for every
request of a batch at once. :class:`EtaWorkers` runs it in worker processes, each holding
its own graph and route table, so that answers are computed on every core while the
event loop keeps reading requests; with no workers the service runs it in a thread.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pydantic_core
from numpy.typing import NDArray
from pydantic import ValidationError

import routing
from models import ContractionRouteTotals, EtaModel, RouteTable, load_model
from models.features import RouteTotalsSource

from .errors import ApiError, FieldError, error_body, validation_errors
from .estimates import estimate, far_from_roads, nearest
from .schemas import ETA_REQUEST, EtaQuery
from .settings import ServiceSettings

WORKER_NICENESS = 5
"""Scheduling priority the workers give up: when cores are short, the event loop reading
requests and writing answers runs first, so that a batch never waits behind the next
batch's arithmetic (on the load benchmark the p99 drops by a few milliseconds)."""


@dataclass(frozen=True)
class EtaAnswer:
    """One request's HTTP status and JSON body, and how many pairs it estimated."""

    status: int
    body: bytes
    n_pairs: int = 0


@dataclass
class EtaContext:
    """What answers need: the graph, its route totals (the route table if it fits, else a
    contraction hierarchy) and the snap limit."""

    graph: routing.RoadGraph
    table: RouteTotalsSource | None
    max_snap_m: float
    _models: dict[str, EtaModel] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, settings: ServiceSettings) -> EtaContext:
        """Load the graph of ``settings`` and warm the kernels; then :meth:`of` it."""
        graph = routing.load_graph(settings.map)
        routing.warm_up()
        return cls.of(graph, settings)

    @classmethod
    def of(cls, graph: routing.RoadGraph, settings: ServiceSettings) -> EtaContext:
        """The context of a loaded graph, with its route table if ``settings`` allow it,
        else its contraction hierarchy."""
        table: RouteTotalsSource
        if cls.fits_route_table(graph, settings):
            table = RouteTable.build(graph)
        else:
            table = ContractionRouteTotals.of(graph)
        return cls(graph, table, settings.max_snap_m)

    @staticmethod
    def fits_route_table(graph: routing.RoadGraph, settings: ServiceSettings) -> bool:
        """Whether the graph's route table fits the settings' memory budget for it."""
        return RouteTable.size_bytes(graph) <= settings.route_table_mb * 2**20

    def model(self, source: str | None) -> EtaModel | None:
        """The model saved in folder ``source`` (loaded once), or None for free flow."""
        if source is None:
            return None
        if source not in self._models:
            self._models[source] = load_model(source).model
        return self._models[source]


def _error(exc: ApiError | ValidationError) -> EtaAnswer:
    if isinstance(exc, ValidationError):
        errors = validation_errors(list(exc.errors()))  # type: ignore[arg-type]
        return EtaAnswer(422, pydantic_core.to_json(error_body(errors)))
    return EtaAnswer(exc.status, pydantic_core.to_json(error_body(exc.errors)))


def answer_batch(
    context: EtaContext,
    bodies: Sequence[bytes],
    model: EtaModel | None,
    version: str | None,
) -> list[EtaAnswer]:
    """The answer to each body: 200 with its estimates, or 422 naming the invalid fields."""
    answers: list[EtaAnswer | None] = [None] * len(bodies)
    valid: list[tuple[int, list[EtaQuery]]] = []  # (index of the body, its items)
    for k, body in enumerate(bodies):
        try:
            valid.append((k, ETA_REQUEST.validate_json(body)["items"]))
        except ValidationError as exc:
            answers[k] = _error(exc)
    points = [p for _, items in valid for q in items for p in (q["origin"], q["destination"])]
    lat = np.array([p["lat"] for p in points])
    lon = np.array([p["lon"] for p in points])
    nodes, distance = nearest(context.graph, lat, lon)
    served, start = [], 0
    for k, items in valid:
        at = slice(start, start + 2 * len(items))
        start = at.stop
        far = far_from_roads(
            lambda i: f"items.{i // 2}.{'destination' if i % 2 else 'origin'}",
            lat[at],
            lon[at],
            distance[at],
            context.max_snap_m,
        )
        if far:
            answers[k] = _error(ApiError(422, [FieldError(field, reason) for field, reason in far]))
        else:
            served.append((k, items, nodes[at]))
    if served:
        _estimate_served(context, served, model, version, answers)
    done = [a for a in answers if a is not None]
    assert len(done) == len(answers), "every body gets an answer"
    return done


def _estimate_served(
    context: EtaContext,
    served: list[tuple[int, list[EtaQuery], NDArray[np.int32]]],
    model: EtaModel | None,
    version: str | None,
    answers: list[EtaAnswer | None],
) -> None:
    """Estimate every pair of the served requests at once and write their answers."""
    items = [q for _, request, _ in served for q in request]
    kept = np.concatenate([nodes for _, _, nodes in served])
    result = estimate(
        context.graph,
        model,
        kept[0::2],
        kept[1::2],
        pd.to_datetime(np.array([q["departure"].timestamp() for q in items]), unit="s", utc=True),
        [o.as_columns() if (o := q.get("observations")) else {} for q in items],
        context.table,
    )
    columns = (result.p50_s, result.p90_s, result.free_flow_s, result.distance_m)
    rows = list(zip(*(c.tolist() for c in columns), strict=True))
    start = 0
    for k, request, _ in served:
        estimates = [
            {"p50_s": p50, "p90_s": p90, "free_flow_s": free, "distance_m": metres}
            for p50, p90, free, metres in rows[start : start + len(request)]
        ]
        start += len(request)
        content = {"model_version": version, "estimates": estimates}
        answers[k] = EtaAnswer(200, pydantic_core.to_json(content), len(request))


_worker_context: EtaContext | None = None


def _start_worker(settings: ServiceSettings) -> None:
    global _worker_context
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    _worker_context = EtaContext.load(settings)
    gc.freeze()  # the graph and table live as long as the worker: never scan them
    os.nice(WORKER_NICENESS)


def _exit_with_parent() -> None:
    """End this worker when the server process ends, even killed (SIGKILL leaves no word)."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        parent.join()
        os._exit(0)


def _answer_in_worker(
    bodies: Sequence[bytes], source: str | None, version: str | None
) -> list[EtaAnswer]:
    assert _worker_context is not None
    return answer_batch(_worker_context, bodies, _worker_context.model(source), version)


def _worker_pid() -> int:
    time.sleep(0.05)  # long enough for the other workers to take the other calls
    return os.getpid()


class EtaWorkers:
    """Worker processes answering ETA batches, each with its own graph and route table."""

    def __init__(self, settings: ServiceSettings, processes: int) -> None:
        self.settings, self.processes = settings, processes
        self._pool: ProcessPoolExecutor | None = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self.settings,),
        )

    def start(self, timeout_s: float = 600.0) -> set[int]:
        """Start every worker, wait until each has loaded its graph; their process ids."""
        deadline, ready = time.monotonic() + timeout_s, set[int]()
        while len(ready) < self.processes:
            if time.monotonic() > deadline:
                msg = f"{self.processes - len(ready)} ETA worker(s) did not start in {timeout_s} s"
                raise RuntimeError(msg)
            pool = self._pool or self._reopen()
            calls = [pool.submit(_worker_pid) for _ in range(self.processes)]
            ready |= {call.result() for call in calls}
        return ready

    async def answer(
        self, bodies: Sequence[bytes], source: str | None, version: str | None
    ) -> list[EtaAnswer]:
        """Answers to ``bodies`` with the model saved in ``source``, from a worker."""
        loop = asyncio.get_running_loop()
        pool = self._pool or self._reopen()  # closed: workers start again on demand
        try:
            return await loop.run_in_executor(pool, _answer_in_worker, bodies, source, version)
        except BrokenProcessPool:  # a worker died (killed, out of memory): start new ones
            if self._pool is pool:
                self._reopen()
            reason = "an ETA worker process stopped; new ones are starting: retry shortly"
            raise ApiError(503, [FieldError(None, reason)]) from None

    def _reopen(self) -> ProcessPoolExecutor:
        self._pool = self._new_pool()
        return self._pool

    def close(self) -> None:
        """Stop the workers (a later call starts new ones)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
