"""What the service holds while it runs: graph, model, store, current plan, metrics.

Loaded once at start-up (:meth:`ServiceState.load`): the road graph, the model (the one
configured, or the latest promoted over it by retraining and not rolled back), the numba
kernels warmed, the store opened and the monitor refilled from the stored outcomes.
CPU-heavy work runs in worker threads, never on the event loop, and one job at a time
(:meth:`ServiceState.cpu`): the numba kernels already use every core, and queueing them
keeps latency predictable.
Solves run in solver processes (:attr:`ServiceState.solver`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import anyio
import pandas as pd

import routing
from models import load_model, load_reference
from models.features import RouteTotalsSource

from ..costs import CostProvider
from ..domain import Vehicle
from ..exceptions import TripNotFoundError, VehicleNotFoundError
from ..planner import DayPlan
from .estimates import estimate
from .eta_answers import EtaAnswer, EtaContext, EtaWorkers, answer_batch
from .live_model import LiveModel
from .metrics import Metrics
from .settings import ServiceSettings
from .solver_jobs import ModelRef
from .solver_pool import SolverPool
from .store import Store, TripRow, now_utc

T = TypeVar("T")


@dataclass(frozen=True)
class LoadedService:
    """The service once loaded: settings, graph and store, none of them missing.

    ``state`` holds what changes while it runs (the model in service, the live plan, the
    locks and job queues).
    """

    state: ServiceState
    settings: ServiceSettings
    graph: routing.RoadGraph
    store: Store

    def trip(self, trip_id: str) -> TripRow:
        """The stored trip; :class:`TripNotFoundError` if there is none (or it is purged)."""
        row = self.store.trip(trip_id)
        if row is None:
            purged = self.store.purged_at(trip_id)
            msg = f"no trip with id {trip_id!r}"
            if purged is not None:
                msg = f"trip {trip_id!r} was purged at {purged:%Y-%m-%d %H:%M} UTC (retention)"
            raise TripNotFoundError(msg)
        return row

    def vehicle(self, vehicle_id: str) -> Vehicle:
        """The registered vehicle; :class:`VehicleNotFoundError` if there is none."""
        vehicle = self.store.vehicle(vehicle_id)
        if vehicle is None:
            msg = f"no vehicle with id {vehicle_id!r}"
            raise VehicleNotFoundError(msg)
        return vehicle


class ServiceState:
    """The loaded service (see the module docstring)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.graph: routing.RoadGraph | None = None
        self._eta_context: EtaContext | None = None
        self._eta_workers: EtaWorkers | None = None
        self.live: LiveModel = LiveModel(None, None, None)
        self.base_version: str | None = None
        self.store: Store | None = None
        self.day_plan: DayPlan | None = None
        self.plan_lock = threading.Lock()
        self.retrain_lock = threading.Lock()
        self._cpu_lock = threading.Lock()
        self.solver = SolverPool(settings, settings.solver_workers, settings.solver_queue)
        self._load_lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """Whether graph, model and store are loaded."""
        return self.loaded() is not None

    def loaded(self) -> LoadedService | None:
        """The loaded service, or None while graph, model and store are loading."""
        if self.graph is None or self.store is None:
            return None
        return LoadedService(self, self.settings, self.graph, self.store)

    def load(self) -> None:
        """Load graph, model and store and warm the kernels (once; later calls return)."""
        with self._load_lock:
            if self.ready:
                return
            graph = routing.load_graph(self.settings.map)
            routing.warm_up()
            if self.settings.eta_workers:
                if not EtaContext.fits_route_table(graph, self.settings):
                    # built once, into the graph cache, where every worker reads it
                    routing.contraction_hierarchy(graph)
                self._eta_workers = EtaWorkers(self.settings, self.settings.eta_workers)
                self._eta_workers.start()
            else:  # ETA batches are answered in this process: it holds the route table
                self._eta_context = EtaContext.of(graph, self.settings)
            store = Store.open(self.settings.database_url())
            store.expire_keys(now_utc() - self.settings.idempotency_ttl())
            configured = self.configured_model()
            self.base_version = configured.version
            promoted = store.promoted_model(self.base_version)
            live = configured if promoted is None else self.open_model(promoted)
            self._refill(live, store)
            self.live, self.store, self.graph = live, store, graph
            self._warm(graph)

    def configured_model(self) -> LiveModel:
        """The model of the settings (free flow without one), loaded."""
        if self.settings.model is None:
            return LiveModel(None, None, None)
        return self.open_model(self.settings.model)

    @staticmethod
    def open_model(path: str | Path) -> LiveModel:
        """Load a model directory with its drift reference."""
        return LiveModel(load_model(path), str(path), load_reference(path))

    def serve(self, live: LiveModel) -> None:
        """Put ``live`` in service, its monitor refilled from the stored outcomes."""
        assert self.store is not None
        self._refill(live, self.store)
        self.live = live
        self.update_gauges(live)

    def _refill(self, live: LiveModel, store: Store) -> None:
        """Give the monitor the stored outcomes of this model's predictions."""
        rows = store.monitored(live.version, limit=2000)
        if rows:
            live.record(
                [p.departure for p, _ in rows],
                [p.p50_s for p, _ in rows],
                [p.p90_s for p, _ in rows],
                [actual for _, actual in rows],
                pd.DataFrame([p.features for p, _ in rows], dtype=float),
            )
            self.update_gauges(live)

    def _warm(self, graph: routing.RoadGraph) -> None:
        """Run one estimate, so the first request pays no compilation or lazy set-up."""
        node = routing.nearest_nodes(graph, [float(graph.lat[0])], [float(graph.lon[0])])
        now = [pd.Timestamp.now(tz="UTC")]
        estimate(graph, self.live.model, node, node[::-1], now, table=self.route_table)
        self.costs()

    def costs(self, *, risk_aware: bool = False) -> CostProvider:
        """A cost provider on the graph with the model in service."""
        assert self.graph is not None
        live = self.live
        return CostProvider(
            self.graph,
            live.model,
            model_version=live.version,
            risk_aware=risk_aware,
            max_snap_m=self.settings.max_snap_m,
        )

    def update_gauges(self, live: LiveModel) -> None:
        """Publish the monitor's rolling figures as Prometheus gauges."""
        status = live.status()
        self.metrics.eta_outcomes.set(status.n)
        for gauge, value in (
            (self.metrics.eta_mae, status.mae_s),
            (self.metrics.eta_bias, status.bias_s),
            (self.metrics.eta_coverage, status.p90_coverage),
        ):
            gauge.set(float("nan") if value is None else value)
        self.metrics.drift_alert.set(1.0 if status.drift_alert else 0.0)

    @property
    def route_table(self) -> RouteTotalsSource | None:
        """The route table or hierarchy, held here when ETA batches are answered in this
        process."""
        return None if self._eta_context is None else self._eta_context.table

    @property
    def eta_answerers(self) -> int:
        """How many ETA batches may be answered at once (one per worker process)."""
        return self._eta_workers.processes if self._eta_workers is not None else 1

    async def answer_etas(self, bodies: Sequence[bytes]) -> list[EtaAnswer]:
        """Answers to raw ``/v1/eta`` bodies with the model in service, off the event loop."""
        live = self.live
        if self._eta_workers is not None:
            return await self._eta_workers.answer(bodies, live.source, live.version)
        context = self._eta_context
        assert context is not None
        return await self.compute(lambda: answer_batch(context, bodies, live.model, live.version))

    def cpu(self, func: Callable[[], T]) -> T:
        """Run CPU-heavy ``func`` (from a worker thread), one job at a time."""
        with self._cpu_lock:
            return func()

    async def compute(self, func: Callable[[], T]) -> T:
        """Run short CPU-heavy ``func`` in a worker thread, one at a time, off the event loop."""
        return await anyio.to_thread.run_sync(self.cpu, func)

    def model_ref(self) -> ModelRef:
        """The model in service, as solver processes load it."""
        live = self.live
        return ModelRef(live.source, live.version)

    def close(self) -> None:
        """Release the store's connections, stop the ETA workers and the solvers."""
        self.solver.close()
        if self.store is not None:
            self.store.close()
        if self._eta_workers is not None:
            self._eta_workers.close()
