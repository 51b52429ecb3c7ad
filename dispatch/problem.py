"""Pickup-and-delivery problems and plans as arrays: what the solvers work on.

A :class:`PdpProblem` is index-based (nodes ``0..n_nodes-1``, requests, vehicles), in one
time unit of the caller's choice (seconds for NEMT days, minutes for the literature
instances). NEMT requests and vehicles become a problem in one place
(:mod:`dispatch.day_problem`); the literature readers (:mod:`dispatch.instances`) build
problems directly. :meth:`Plan.cost` is the objective the solvers rank plans by; the plan
checker (:mod:`dispatch.checker`) recomputes it with code of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from .exceptions import PlanningError

Trace = tuple[tuple[float, float], ...]
"""(seconds since the search started, distance) of each shorter plan serving every request."""


@dataclass(frozen=True, eq=False)
class PdpProblem:
    """A dial-a-ride / pickup-and-delivery problem with time windows.

    Per node: ``service_time``, a window ``[window_open, window_close]`` on the start of
    service, and ``demand`` per capacity dimension (positive at a pickup, the negative at
    its delivery, zero at depots). Per request ``r``: ``pickups[r]`` and ``deliveries[r]``,
    and ``max_ride_time[r]`` (from the end of pickup service to the start of delivery
    service; ``inf`` for none). Per vehicle ``k``: start and end depot nodes, ``capacity``
    per dimension, a shift ``[shift_start, shift_end]`` (leave the start depot no earlier,
    reach the end depot no later), ``max_route_duration`` (``inf`` for none; from leaving
    the start depot to reaching the end depot), and which requests it may carry
    (``compatible``, shape ``(n_vehicles, n_requests)``). ``travel_time`` (shape
    ``(n_nodes, n_nodes)``) drives the schedule and ``cost`` (default: the travel times)
    the objective. Optional soft deadlines: service starting after ``window_due`` (per
    node, at most ``window_close``) adds ``late_cost`` per unit of lateness to the
    objective. ``span_cost`` prices each used vehicle's time from leaving its start depot to
    reaching its end depot (idle time included), per unit, as a share of travel cost.
    Shapes and basic sense are checked on construction (:class:`PlanningError`).
    """

    travel_time: NDArray[np.float64]
    service_time: NDArray[np.float64]
    window_open: NDArray[np.float64]
    window_close: NDArray[np.float64]
    demand: NDArray[np.float64]
    pickups: NDArray[np.int64]
    deliveries: NDArray[np.int64]
    max_ride_time: NDArray[np.float64]
    vehicle_start: NDArray[np.int64]
    vehicle_end: NDArray[np.int64]
    capacity: NDArray[np.float64]
    shift_start: NDArray[np.float64]
    shift_end: NDArray[np.float64]
    max_route_duration: NDArray[np.float64]
    compatible: NDArray[np.bool_]
    cost: NDArray[np.float64] | None = None
    name: str = ""
    window_due: NDArray[np.float64] | None = None
    late_cost: float = 0.0
    span_cost: float = 0.0

    def __post_init__(self) -> None:
        n, r, k = self.travel_time.shape[0], self.pickups.size, self.vehicle_start.size
        expected = {
            "travel_time": (n, n),
            "service_time": (n,),
            "window_open": (n,),
            "window_close": (n,),
            "deliveries": (r,),
            "max_ride_time": (r,),
            "vehicle_end": (k,),
            "shift_start": (k,),
            "shift_end": (k,),
            "max_route_duration": (k,),
            "compatible": (k, r),
        }
        if self.window_due is not None:
            expected["window_due"] = (n,)
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                msg = f"{name} must have shape {shape}, got {getattr(self, name).shape}"
                raise PlanningError(msg)
        if self.demand.shape[0] != n or self.capacity.shape != (k, self.demand.shape[1]):
            shapes = f"{self.demand.shape} and {self.capacity.shape}"
            msg = f"demand must be (n_nodes, d) and capacity (n_vehicles, d); got {shapes}"
            raise PlanningError(msg)
        if not np.all(np.isfinite(self.travel_time)) or np.any(self.travel_time < 0):
            msg = "travel_time must be finite and non-negative"
            raise PlanningError(msg)
        if np.any(self.window_open > self.window_close):
            node = int(np.argmax(self.window_open > self.window_close))
            msg = f"window_open exceeds window_close at node {node}"
            raise PlanningError(msg)
        stops = np.concatenate((self.pickups, self.deliveries))
        if stops.size and (
            stops.min() < 0 or stops.max() >= n or np.unique(stops).size != stops.size
        ):
            msg = "pickups and deliveries must be distinct node indices of the problem"
            raise PlanningError(msg)

    @property
    def n_nodes(self) -> int:
        """Number of nodes (depots and stops)."""
        return int(self.travel_time.shape[0])

    @property
    def n_requests(self) -> int:
        """Number of requests (pickup-delivery pairs)."""
        return int(self.pickups.size)

    @property
    def n_vehicles(self) -> int:
        """Number of vehicles."""
        return int(self.vehicle_start.size)

    @property
    def arc_cost(self) -> NDArray[np.float64]:
        """The objective's cost per arc (the travel times unless given)."""
        return self.travel_time if self.cost is None else self.cost

    def lateness_cost(self, route: NDArray[np.int64], times: NDArray[np.float64]) -> float:
        """``late_cost`` x the time service starts after ``window_due`` along a route."""
        if self.window_due is None or len(route) <= 2:
            return 0.0
        late = np.maximum(times[1:-1] - self.window_due[route[1:-1]], 0.0)
        return float(self.late_cost * late.sum())

    def request_of(self) -> NDArray[np.int64]:
        """Request index of each node (-1 for depots); read-only, computed once."""
        return self._owner

    @cached_property
    def _owner(self) -> NDArray[np.int64]:
        owner = np.full(self.n_nodes, -1, dtype=np.int64)
        owner[self.pickups] = np.arange(self.n_requests)
        owner[self.deliveries] = np.arange(self.n_requests)
        owner.flags.writeable = False
        return owner


@dataclass(frozen=True, eq=False)
class Plan:
    """Routes of a solved problem: per vehicle its node sequence and service start times.

    Each route starts at the vehicle's start depot and ends at its end depot; an unused
    vehicle has the route ``[start, end]``. ``unserved`` lists request indices left out.
    ``method`` says what produced the plan ("solver" or "greedy fallback"). ``trace``, when
    the search was asked for one, times its progress (see :data:`Trace`; distances as
    :func:`travel_cost`).
    """

    routes: list[NDArray[np.int64]]
    times: list[NDArray[np.float64]]
    unserved: NDArray[np.int64] = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    method: str = "solver"
    solve_seconds: float = 0.0
    trace: Trace | None = None

    def used_vehicles(self) -> int:
        """Vehicles whose route visits at least one stop."""
        return sum(len(r) > 2 for r in self.routes)

    def cost(self, problem: PdpProblem) -> float:
        """Objective in double precision: arc costs, plus lateness and span costs if priced."""
        travel = travel_cost(problem, self.routes)
        used = [(r, t) for r, t in zip(self.routes, self.times, strict=True) if len(r) > 2]
        span = sum(float(t[-1] - t[0] - problem.service_time[r[0]]) for r, t in used)
        return (
            travel
            + problem.span_cost * span
            + sum(problem.lateness_cost(r, t) for r, t in zip(self.routes, self.times, strict=True))
        )


def travel_cost(problem: PdpProblem, routes: Sequence[NDArray[np.int64]]) -> float:
    """The total arc cost of ``routes`` (node sequences, depots included): the distance."""
    c = problem.arc_cost
    return float(sum(c[r[:-1], r[1:]].sum() for r in routes))
