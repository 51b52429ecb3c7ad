"""Solver jobs as they run in a solver process: the day's plan, a will-call's insertion,
on-demand matching.

Each solver process loads the road graph once (:func:`start_solver`) and each model once
(by its folder); a job receives plain domain objects and the model in service by
:class:`ModelRef`, and returns plain results, so a crash in the native solver stays in its
process (see :mod:`dispatch.api.solver_pool`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import routing
from models import EtaModel, load_model

from .. import alns
from ..costs import CostProvider
from ..domain import TripRequest, Vehicle
from ..on_demand import OnDemandResult, match_now
from ..planner import DayPlan, insert_trip, plan_day
from .settings import ServiceSettings


@dataclass(frozen=True)
class ModelRef:
    """The model in service: its folder (None: free flow) and version."""

    source: str | None
    version: str | None


@dataclass
class _Solver:
    graph: routing.RoadGraph
    max_snap_m: float
    models: dict[str, EtaModel]

    def costs(self, model: ModelRef, *, risk_aware: bool = False) -> CostProvider:
        eta = None
        if model.source is not None:
            if model.source not in self.models:
                self.models[model.source] = load_model(model.source).model
            eta = self.models[model.source]
        return CostProvider(
            self.graph,
            eta,
            model_version=model.version,
            risk_aware=risk_aware,
            max_snap_m=self.max_snap_m,
        )


_SOLVER: _Solver | None = None


def start_solver(settings: ServiceSettings) -> None:
    """Initialise a solver process: load the graph of ``settings``, compile the ALNS (the
    server has compiled the routing kernels into numba's cache already)."""
    global _SOLVER  # one per process, set by the pool's initializer
    _SOLVER = _Solver(routing.load_graph(settings.map), settings.max_snap_m, {})
    alns.warm_up()


def _solver() -> _Solver:
    assert _SOLVER is not None, "start_solver runs first in every solver process"
    return _SOLVER


def plan_job(
    requests: Sequence[TripRequest],
    vehicles: Sequence[Vehicle],
    model: ModelRef,
    risk_aware: bool,
    time_limit_s: float,
) -> DayPlan:
    """:func:`~dispatch.planner.plan_day` in a solver process."""
    costs = _solver().costs(model, risk_aware=risk_aware)
    return plan_day(requests, vehicles, costs, time_limit_s=time_limit_s)


def insert_job(
    day: DayPlan,
    request: TripRequest,
    model: ModelRef,
    done_stops: Mapping[str, int],
    time_limit_s: float,
) -> DayPlan:
    """:func:`~dispatch.planner.insert_trip` in a solver process."""
    costs = _solver().costs(model)
    return insert_trip(day, request, costs, done_stops=done_stops, time_limit_s=time_limit_s)


def match_job(
    vehicles: Sequence[Vehicle],
    requests: Sequence[TripRequest],
    model: ModelRef,
    now: datetime,
    max_wait_s: float,
) -> OnDemandResult:
    """:func:`~dispatch.on_demand.match_now` in a solver process."""
    return match_now(vehicles, requests, _solver().costs(model), now, max_wait_s=max_wait_s)
