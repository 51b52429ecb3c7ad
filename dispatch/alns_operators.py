"""The state and operators of the adaptive large neighbourhood search (:mod:`dispatch.alns`).

A :class:`SearchState` holds one plan as padded route arrays (one row per vehicle,
``-1`` after the end depot), which vehicle serves each request (-1: unserved) and each
route's cost. Removal operators choose requests to take out (Ropke & Pisinger 2006:
random, worst, related/Shaw; plus whole routes and time-related); :func:`regret_insert`
puts requests back, greedy (k = 1) or by regret-k, using the compiled insertion table of
:mod:`dispatch.route_feasibility`. Every operator draws from the ``numpy.random.Generator``
it is given, and nothing else, so that a seed fixes the search.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .problem import PdpProblem, Plan
from .route_feasibility import (
    RouteData,
    earliest_times,
    regret_repair,
    removal_gains,
    route_arc_cost,
)

_Ints = NDArray[np.int64]
_Floats = NDArray[np.float64]
_WORST_POWER = 3.0  # randomisation of worst removal (Ropke & Pisinger's p_worst)
_SHAW_POWER = 6.0  # randomisation of related removal (their p)


@dataclass(frozen=True)
class Instance:
    """What the operators read from a problem: its arrays, indices and relatedness scales."""

    problem: PdpProblem
    data: RouteData
    pickups: _Ints
    deliveries: _Ints
    owner: _Ints
    distance_scale: float
    time_scale: float

    @classmethod
    def of(cls, problem: PdpProblem, fixed_cost: float) -> Instance:
        """The instance of ``problem``, with ``fixed_cost`` per used vehicle."""
        travel = problem.travel_time
        horizon = float(np.max(problem.shift_end) - np.min(problem.shift_start))
        return cls(
            problem=problem,
            data=RouteData.of(problem, fixed_cost),
            pickups=np.ascontiguousarray(problem.pickups, dtype=np.int64),
            deliveries=np.ascontiguousarray(problem.deliveries, dtype=np.int64),
            owner=np.ascontiguousarray(problem.request_of(), dtype=np.int64),
            distance_scale=max(float(travel.max()), 1e-9),
            time_scale=max(horizon if np.isfinite(horizon) else 1.0, 1e-9),
        )


class SearchState:
    """One plan in the search's arrays (see the module docstring)."""

    def __init__(self, instance: Instance) -> None:
        pr = instance.problem
        self.instance = instance
        width = 2 * pr.n_requests + 2
        self.routes = np.full((pr.n_vehicles, width), -1, dtype=np.int64)
        self.routes[:, 0] = pr.vehicle_start
        self.routes[:, 1] = pr.vehicle_end
        self.lengths = np.full(pr.n_vehicles, 2, dtype=np.int64)
        self.served_by = np.full(pr.n_requests, -1, dtype=np.int64)
        data = instance.data
        self.route_cost = np.array(
            [
                route_arc_cost(self.routes[v], 2, data.cost, data.fixed_cost)
                for v in range(pr.n_vehicles)
            ]
        )

    def copy(self) -> SearchState:
        """An independent copy."""
        other = SearchState.__new__(SearchState)
        other.instance = self.instance
        other.routes = self.routes.copy()
        other.lengths = self.lengths.copy()
        other.served_by = self.served_by.copy()
        other.route_cost = self.route_cost.copy()
        return other

    def unserved(self) -> _Ints:
        """Requests no vehicle serves, ascending."""
        return np.flatnonzero(self.served_by < 0).astype(np.int64)

    def served(self) -> _Ints:
        """Requests some vehicle serves, ascending."""
        return np.flatnonzero(self.served_by >= 0).astype(np.int64)

    def objective(self, penalty: float) -> float:
        """Route costs plus ``penalty`` per unserved request."""
        return float(self.route_cost.sum()) + penalty * int(np.sum(self.served_by < 0))

    def key(self) -> int:
        """A hash of the routes, to tell plans seen before."""
        return hash(self.routes.tobytes())

    def route(self, v: int) -> _Ints:
        """Vehicle ``v``'s route, depots included (a view)."""
        return self.routes[v, : self.lengths[v]]

    def insert(self, request: int, v: int, i: int, j: int) -> None:
        """Put ``request`` on vehicle ``v``: pickup before position i, delivery before j."""
        ins = self.instance
        old = self.route(v).copy()
        new = np.concatenate(
            (old[:i], [ins.pickups[request]], old[i:j], [ins.deliveries[request]], old[j:])
        )
        self.set_route(v, new)
        self.served_by[request] = v

    def remove(self, requests: _Ints) -> None:
        """Take ``requests`` (served ones) off their routes.

        A route that loses stops keeps a schedule when travel times obey the triangle
        inequality; where they do not and it has none left, its other riders go too.
        """
        ins = self.instance
        touched = np.unique(self.served_by[requests])
        gone = np.zeros(ins.problem.n_nodes, dtype=bool)
        gone[ins.pickups[requests]] = True
        gone[ins.deliveries[requests]] = True
        self.served_by[requests] = -1
        for v in touched.tolist():
            route = self.route(v)
            self.set_route(v, route[~gone[route]].copy())
            if ins.data.schedule(v, self.route(v)) is None:
                riders = ins.owner[self.route(v)[1:-1]]
                self.served_by[riders] = -1
                self.set_route(v, self.route(v)[[0, -1]].copy())

    def times(self) -> _Floats:
        """Earliest service start per node (NaN where not visited)."""
        ins = self.instance
        d = ins.data
        out = np.full(ins.problem.n_nodes, np.nan)
        pos = np.zeros(ins.problem.n_nodes, dtype=np.int64)
        buffer = np.empty(self.routes.shape[1])
        for v in range(self.lengths.size):
            n = int(self.lengths[v])
            earliest_times(self.routes[v], n, v, *d.timing(), pos, buffer)
            out[self.routes[v, :n]] = buffer[:n]
        return out

    def plan(self, method: str = "alns", solve_seconds: float = 0.0) -> Plan:
        """The plan: routes, each route's earliest feasible schedule, unserved requests."""
        data = self.instance.data
        routes, times = [], []
        for v in range(self.lengths.size):
            route = self.route(v).copy()
            schedule = data.schedule(v, route)
            if schedule is None:  # the search keeps every route feasible
                msg = f"route of vehicle {v} has no schedule"
                raise AssertionError(msg)
            routes.append(route)
            times.append(schedule)
        return Plan(routes, times, self.unserved(), method, solve_seconds)

    def set_route(self, v: int, route: _Ints) -> None:
        """Make ``route`` (depots included, feasible) vehicle ``v``'s; riders not updated."""
        n = route.size
        self.routes[v, :n] = route
        self.routes[v, n:] = -1
        self.lengths[v] = n
        data = self.instance.data
        self.route_cost[v] = route_arc_cost(self.routes[v], n, data.cost, data.fixed_cost)


Removal = Callable[[SearchState, int, np.random.Generator], _Ints]


def random_removal(state: SearchState, q: int, rng: np.random.Generator) -> _Ints:
    """``q`` served requests chosen uniformly."""
    served = state.served()
    return np.sort(rng.choice(served, size=min(q, served.size), replace=False))


def worst_removal(state: SearchState, q: int, rng: np.random.Generator) -> _Ints:
    """Requests whose removal saves most, randomised (rank ``floor(y**3 * n)``)."""
    ins = state.instance
    gains = np.full(ins.problem.n_requests, -np.inf)
    removal_gains(
        state.routes,
        state.lengths,
        ins.owner,
        ins.pickups,
        ins.data.cost,
        ins.data.fixed_cost,
        gains,
    )
    ranked = list(state.served()[np.argsort(-gains[state.served()], kind="stable")])
    return _pick_ranked(ranked, q, rng, _WORST_POWER)


def shaw_removal(state: SearchState, q: int, rng: np.random.Generator) -> _Ints:
    """Related requests (Shaw): close in space and in time to ones already removed."""
    return _related(state, q, rng, distance_weight=9.0, time_weight=3.0)


def time_removal(state: SearchState, q: int, rng: np.random.Generator) -> _Ints:
    """Requests served at times close to those of ones already removed."""
    return _related(state, q, rng, distance_weight=0.0, time_weight=1.0)


def route_removal(state: SearchState, q: int, rng: np.random.Generator) -> _Ints:
    """Every request of one used route, chosen uniformly (then random ones up to ``q``)."""
    used = np.flatnonzero(state.lengths > 2)
    if used.size == 0:
        return np.empty(0, dtype=np.int64)
    v = int(rng.choice(used))
    chosen = np.flatnonzero(state.served_by == v)
    if chosen.size < q:
        others = np.flatnonzero((state.served_by >= 0) & (state.served_by != v))
        extra = rng.choice(others, size=min(q - chosen.size, others.size), replace=False)
        chosen = np.concatenate((chosen, extra))
    return np.sort(chosen.astype(np.int64))


REMOVALS: dict[str, Removal] = {
    "random": random_removal,
    "worst": worst_removal,
    "shaw": shaw_removal,
    "time": time_removal,
    "route": route_removal,
}


def _related(
    state: SearchState,
    q: int,
    rng: np.random.Generator,
    *,
    distance_weight: float,
    time_weight: float,
) -> _Ints:
    ins = state.instance
    served = state.served()
    if served.size == 0:
        return served
    times = state.times()
    p, d = ins.pickups[served], ins.deliveries[served]
    travel = ins.problem.travel_time
    removed = [int(rng.integers(served.size))]
    left = np.ones(served.size, dtype=bool)
    left[removed[0]] = False
    while len(removed) < min(q, served.size):
        a = removed[int(rng.integers(len(removed)))]
        relatedness = distance_weight * (travel[p[a], p] + travel[d[a], d]) / ins.distance_scale
        relatedness += (
            time_weight * (np.abs(times[p[a]] - times[p]) + np.abs(times[d[a]] - times[d]))
        ) / ins.time_scale
        candidates = np.flatnonzero(left)
        candidates = candidates[np.argsort(relatedness[candidates], kind="stable")]
        b = int(candidates[int(rng.random() ** _SHAW_POWER * candidates.size)])
        removed.append(b)
        left[b] = False
    return np.sort(served[removed])


def _pick_ranked(ranked: list[int], q: int, rng: np.random.Generator, power: float) -> _Ints:
    chosen: list[int] = []
    while ranked and len(chosen) < q:
        chosen.append(ranked.pop(int(rng.random() ** power * len(ranked))))
    return np.sort(np.asarray(chosen, dtype=np.int64))


def regret_insert(
    state: SearchState, requests: _Ints, k: int, rng: np.random.Generator, noise: float = 0.0
) -> None:
    """Insert ``requests`` one at a time by regret-k (``k = 1``: greedy), compiled.

    See :func:`dispatch.route_feasibility.regret_repair`; ``noise`` multiplies each cost
    by a uniform factor in ``[1 - noise, 1 + noise]`` when choosing (not when inserting).
    Requests that fit nowhere stay unserved.
    """
    ins = state.instance
    d = ins.data
    pending = np.ascontiguousarray(requests, dtype=np.int64)
    if pending.size == 0:
        return
    shape = (pending.size, state.lengths.size)
    scale = 1.0 + noise * (2.0 * rng.random(shape) - 1.0) if noise > 0 else np.ones(shape)
    regret_repair(
        pending,
        k,
        scale,
        state.routes,
        state.lengths,
        state.served_by,
        state.route_cost,
        ins.pickups,
        ins.deliveries,
        d.compatible,
        d.cost,
        d.demand,
        d.capacity,
        d.fixed_cost,
        *d.timing(),
    )
