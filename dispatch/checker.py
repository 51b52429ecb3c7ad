"""An independent plan checker: every rule of a problem, and the objective, recomputed.

:func:`check_plan` takes a :class:`Plan` at its word (its routes and its service start
times) and verifies every rule of the :class:`PdpProblem` against the travel-time matrix,
reporting each broken rule as a :class:`Violation`; it never repairs or re-optimises.

The rules, with B_v the start of service at node v of a route and ``tol`` an absolute
tolerance in the problem's units:

* a route runs from its vehicle's start depot to its end depot, with no depot or other
  non-request node in between;
* each request is served once, pickup then delivery on the same vehicle, by a compatible
  vehicle, or is listed in ``Plan.unserved``;
* B_w >= B_v + s_v + t_vw for consecutive nodes (waiting is allowed, even with riders);
* window_open_v <= B_v <= window_close_v at every node, depots included;
* 0 <= load <= capacity after every node, in every capacity dimension;
* ride time B_delivery - (B_pickup + s_pickup) <= max_ride_time;
* route duration B_end - (B_start + s_start) <= max_route_duration (from the departure);
* shift: B_start >= shift_start and B_end <= shift_end.

The objective is recomputed from the problem's arrays by code of its own, not the
solvers' (:meth:`Plan.cost`): the arc costs of every route, plus ``late_cost`` times the
lateness (service starting after ``window_due`` at the stops between the depots), plus
``span_cost`` times the span B_end - (B_start + s_start) of every used vehicle (from
leaving its start depot to reaching its end depot). The checker imports no solver
module, so that a bug shared by a solver and its ranking cannot pass it.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .problem import PdpProblem, Plan

ViolationKind = Literal[
    "plan shape",
    "route endpoints",
    "request served twice",
    "request missing",
    "unserved list",
    "pair split",
    "delivery before pickup",
    "incompatible vehicle",
    "time travel",
    "window",
    "capacity",
    "ride time",
    "route duration",
    "shift",
]


@dataclass(frozen=True)
class Violation:
    """One broken rule: its kind, where (vehicle, node, request; ``None`` if not one), and why."""

    kind: ViolationKind
    vehicle: int | None
    node: int | None
    request: int | None
    message: str


@dataclass(frozen=True)
class CheckReport:
    """What :func:`check_plan` found.

    ``cost`` is the objective recomputed in double precision (NaN when a route holds node
    indices outside the problem, or when the objective prices time and a used route's
    times are malformed), ``vehicles_used`` counts routes with a stop, and ``n_served``
    counts requests picked up and then delivered by one vehicle. ``lateness`` (the total
    time service starts after ``window_due``, 0 without soft deadlines) and ``span`` (the
    total time used vehicles are out) are the unpriced time terms of the objective, NaN
    when some used route's times are malformed.
    """

    violations: list[Violation]
    cost: float
    vehicles_used: int
    n_served: int
    lateness: float
    span: float

    @property
    def feasible(self) -> bool:
        """Whether the plan breaks no rule (listed unserved requests are allowed)."""
        return not self.violations

    def summary(self, limit: int = 10) -> str:
        """A few lines for people: the verdict, the counts, and up to ``limit`` violations."""
        head = (
            f"cost {self.cost:.4f}, {self.vehicles_used} vehicle(s) used, "
            f"{self.n_served} request(s) served"
        )
        if self.feasible:
            return f"feasible: {head}"
        kinds = Counter(v.kind for v in self.violations)
        counts = ", ".join(f"{kind} {n}" for kind, n in kinds.items())
        lines = [f"infeasible, {len(self.violations)} violation(s) ({counts}): {head}"]
        lines += [f"  {v.kind}: {v.message}" for v in self.violations[:limit]]
        if len(self.violations) > limit:
            lines.append(f"  ... and {len(self.violations) - limit} more")
        return "\n".join(lines)


def check_plan(problem: PdpProblem, plan: Plan, *, tol: float = 1e-6) -> CheckReport:
    """Verify a plan against every rule of its problem.

    Parameters
    ----------
    problem
        The problem the plan claims to solve.
    plan
        One route and one array of service start times per vehicle.
    tol
        Absolute tolerance on times and loads, in the problem's units.

    Returns
    -------
    CheckReport
        Every violation found, the recomputed objective and its time terms, vehicles used
        and requests served.
    """
    n_routes, n_times = len(plan.routes), len(plan.times)
    if n_routes != problem.n_vehicles or n_times != problem.n_vehicles:
        message = (
            f"the plan has {n_routes} routes and {n_times} time arrays "
            f"for {problem.n_vehicles} vehicles"
        )
        violation = Violation("plan shape", None, None, None, message)
        return CheckReport([violation], math.nan, 0, 0, math.nan, math.nan)
    checker = _Checker(problem, tol)
    indexable = [checker.route(k, plan.routes[k], plan.times[k]) for k in range(n_routes)]
    n_served = checker.requests(plan.unserved)
    used = sum(len(route) > 2 for route in plan.routes)
    if not all(indexable):
        return CheckReport(checker.violations, math.nan, used, n_served, math.nan, math.nan)
    cost, lateness, span = checker.objective(plan.routes)
    return CheckReport(checker.violations, cost, used, n_served, lateness, span)


class _Checker:
    """The state of one check: violations so far, where each node was visited, valid times."""

    def __init__(self, problem: PdpProblem, tol: float) -> None:
        self.problem = problem
        self.tol = tol
        self.owner = np.full(problem.n_nodes, -1, dtype=np.int64)  # request of each node
        self.owner[problem.pickups] = np.arange(problem.n_requests)
        self.owner[problem.deliveries] = np.arange(problem.n_requests)
        self.violations: list[Violation] = []
        self.visits: dict[int, list[tuple[int, int]]] = {}  # node -> [(vehicle, position)]
        self.times: dict[int, NDArray[np.float64]] = {}  # vehicle -> times that are well formed

    def add(self, kind: ViolationKind, vehicle: int | None, node: int | None, message: str) -> None:
        """Record a violation; the request is the node's, if any."""
        request = None if node is None or self.owner[node] < 0 else int(self.owner[node])
        self.violations.append(Violation(kind, vehicle, node, request, message))

    def route(self, k: int, route: ArrayLike, times: ArrayLike) -> bool:
        """Check vehicle ``k``'s route on its own; False if it holds unusable node indices."""
        pr = self.problem
        nodes = np.asarray(route)
        if (
            nodes.ndim != 1
            or not np.issubdtype(nodes.dtype, np.integer)
            or (nodes.size and (nodes.min() < 0 or nodes.max() >= pr.n_nodes))
        ):
            self.add("plan shape", k, None, f"vehicle {k}: route is not a list of node indices")
            return False
        if nodes.size < 2:
            message = f"vehicle {k}: route has {nodes.size} node(s), it needs both depots"
            self.add("route endpoints", k, None, message)
            return True
        for p, v in enumerate(nodes.tolist()):
            self.visits.setdefault(v, []).append((k, p))
        self._endpoints(k, nodes)
        self._loads(k, nodes)
        b = np.asarray(times, dtype=np.float64)
        if b.shape != nodes.shape or not np.all(np.isfinite(b)):
            message = f"vehicle {k}: times must be {nodes.size} finite numbers, one per node"
            self.add("plan shape", k, None, message)
        else:
            self.times[k] = b
            self._times(k, nodes, b)
        return True

    def _endpoints(self, k: int, nodes: NDArray[np.int64]) -> None:
        pr = self.problem
        start, end = int(pr.vehicle_start[k]), int(pr.vehicle_end[k])
        if nodes[0] != start:
            message = f"vehicle {k}: route starts at node {nodes[0]}, not its depot {start}"
            self.add("route endpoints", k, int(nodes[0]), message)
        if nodes[-1] != end:
            message = f"vehicle {k}: route ends at node {nodes[-1]}, not its depot {end}"
            self.add("route endpoints", k, int(nodes[-1]), message)
        for p in np.flatnonzero(self.owner[nodes[1:-1]] < 0).tolist():
            v = int(nodes[p + 1])
            message = f"vehicle {k}: node {v} (no request's stop) at position {p + 1} mid-route"
            self.add("route endpoints", k, v, message)

    def _loads(self, k: int, nodes: NDArray[np.int64]) -> None:
        pr, tol = self.problem, self.tol
        load = np.cumsum(pr.demand[nodes], axis=0)
        cap = pr.capacity[k]
        for p, d in np.argwhere((load > cap + tol) | (load < -tol)).tolist():
            v = int(nodes[p])
            bound = f"over the capacity {cap[d]:g}" if load[p, d] > cap[d] else "negative"
            message = f"vehicle {k}: load {load[p, d]:g} in dimension {d} after node {v} is {bound}"
            self.add("capacity", k, v, message)

    def _times(self, k: int, nodes: NDArray[np.int64], b: NDArray[np.float64]) -> None:
        pr, tol = self.problem, self.tol
        service = pr.service_time[nodes]
        earliest = b[:-1] + service[:-1] + pr.travel_time[nodes[:-1], nodes[1:]]
        for p in np.flatnonzero(b[1:] < earliest - tol).tolist():
            v = int(nodes[p + 1])
            message = (
                f"vehicle {k}: service at node {v} starts at {b[p + 1]:.4f}, before "
                f"{earliest[p]:.4f} = start at node {nodes[p]} + service + travel"
            )
            self.add("time travel", k, v, message)
        open_, close = pr.window_open[nodes], pr.window_close[nodes]
        for p in np.flatnonzero((b < open_ - tol) | (b > close + tol)).tolist():
            v = int(nodes[p])
            message = (
                f"vehicle {k}: service at node {v} starts at {b[p]:.4f}, "
                f"outside its window [{open_[p]:.4f}, {close[p]:.4f}]"
            )
            self.add("window", k, v, message)
        if b[0] < pr.shift_start[k] - tol:
            start = pr.shift_start[k]
            message = f"vehicle {k}: leaves at {b[0]:.4f}, before its shift starts at {start:.4f}"
            self.add("shift", k, int(nodes[0]), message)
        if b[-1] > pr.shift_end[k] + tol:
            end = pr.shift_end[k]
            message = f"vehicle {k}: returns at {b[-1]:.4f}, after its shift ends at {end:.4f}"
            self.add("shift", k, int(nodes[-1]), message)
        duration = b[-1] - (b[0] + service[0])
        if duration > pr.max_route_duration[k] + tol:
            message = (
                f"vehicle {k}: route lasts {duration:.4f}, "
                f"over its limit {pr.max_route_duration[k]:.4f}"
            )
            self.add("route duration", k, None, message)

    def requests(self, unserved: ArrayLike) -> int:
        """Check pairing, order, compatibility and ride time per request; count served ones."""
        pr, tol = self.problem, self.tol
        listed: set[int] = set()
        for r in np.asarray(unserved).ravel().tolist():
            if isinstance(r, int) and 0 <= r < pr.n_requests:
                listed.add(r)
            else:
                self.add("unserved list", None, None, f"unserved lists {r!r}, not a request index")
        n_served = 0
        for r in range(pr.n_requests):
            pick, drop = int(pr.pickups[r]), int(pr.deliveries[r])
            at_pick, at_drop = self.visits.get(pick, []), self.visits.get(drop, [])
            for k in sorted({k for k, _ in at_pick + at_drop}):
                if not pr.compatible[k, r]:
                    message = f"request {r} rides vehicle {k}, which may not carry it"
                    self.add("incompatible vehicle", k, pick, message)
            if r in listed and (at_pick or at_drop):
                self.add("unserved list", None, pick, f"request {r} is listed unserved but routed")
            if len(at_pick) > 1 or len(at_drop) > 1:
                message = (
                    f"request {r} is visited {len(at_pick)} time(s) at its pickup {pick} and "
                    f"{len(at_drop)} time(s) at its delivery {drop}"
                )
                self.add("request served twice", None, pick, message)
            elif not at_pick and not at_drop:
                if r not in listed:
                    message = f"request {r} is neither routed nor listed unserved"
                    self.add("request missing", None, pick, message)
            elif not at_pick or not at_drop:
                routed, node = ("pickup", pick) if at_pick else ("delivery", drop)
                k = (at_pick or at_drop)[0][0]
                message = f"request {r}: only its {routed} {node} is routed (vehicle {k})"
                self.add("pair split", k, node, message)
            elif at_pick[0][0] != at_drop[0][0]:
                message = (
                    f"request {r} is picked up by vehicle {at_pick[0][0]} "
                    f"and delivered by vehicle {at_drop[0][0]}"
                )
                self.add("pair split", at_pick[0][0], pick, message)
            elif at_drop[0][1] < at_pick[0][1]:
                message = f"request {r}: delivery {drop} comes before pickup {pick}"
                self.add("delivery before pickup", at_pick[0][0], drop, message)
            else:
                n_served += 1
                k, p, q = at_pick[0][0], at_pick[0][1], at_drop[0][1]
                if k in self.times:
                    b = self.times[k]
                    ride = b[q] - (b[p] + pr.service_time[pick])
                    if ride > pr.max_ride_time[r] + tol:
                        message = (
                            f"request {r} rides {ride:.4f} on vehicle {k}, "
                            f"over its limit {pr.max_ride_time[r]:.4f}"
                        )
                        self.add("ride time", k, drop, message)
        return n_served

    def objective(self, routes: list[NDArray[np.int64]]) -> tuple[float, float, float]:
        """(cost, lateness, span) of routes whose node indices are all valid.

        Each used route's time terms come from its times as checked by :meth:`route`; if
        they were malformed, the terms are NaN, and so is the cost where they are priced.
        """
        pr = self.problem
        arc = pr.travel_time if pr.cost is None else pr.cost
        priced_late = pr.window_due is not None and pr.late_cost != 0
        travel = lateness = lateness_cost = span = 0.0
        for k, route in enumerate(routes):
            nodes = np.asarray(route, dtype=np.int64)
            travel += float(arc[nodes[:-1], nodes[1:]].sum())
            if nodes.size <= 2:
                continue
            b = self.times.get(k)
            if b is None:
                lateness = lateness_cost = span = math.nan
                continue
            span += float(b[-1] - b[0] - pr.service_time[nodes[0]])
            if pr.window_due is not None:
                late = float(np.maximum(b[1:-1] - pr.window_due[nodes[1:-1]], 0.0).sum())
                lateness += late
                lateness_cost += pr.late_cost * late
        cost = travel
        if pr.span_cost != 0:
            cost += pr.span_cost * span
        if priced_late:
            cost += lateness_cost
        return cost, lateness, span
