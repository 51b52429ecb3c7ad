"""The dial-a-ride solver: OR-Tools routing or our ALNS on a :class:`PdpProblem`, in a budget.

:func:`schedule` runs the search ``SolveParams.search`` names: ``"ortools"`` (below) or
``"alns"``, the adaptive large neighbourhood search of :mod:`dispatch.alns`. The ALNS
does not price lateness or vehicle time and does not take a user drop penalty; for such
problems and parameters :func:`schedule` runs OR-Tools instead (see :func:`search_used`),
and :func:`reoptimize` (locked prefixes, live re-planning) always runs OR-Tools.

Model: pickup and delivery by the same vehicle, pickup first; time windows on the start
of service; capacity per dimension; maximum ride time per request (a pickup-to-delivery
limit of the time dimension, so that insertion and local search respect it; the service
times of each route are then recomputed so the limits hold); route duration as a span
limit and shifts as limits on the depot cumuls; incompatible vehicles removed from a
request's nodes; requests may be dropped at a penalty. Objective: total arc cost
(+ penalties, + an optional fixed cost per used vehicle for "fewest vehicles first").

OR-Tools needs integers: times and costs are multiplied by ``scale``; travel and service
times are rounded up and windows inwards, so an integer-feasible plan stays feasible in
double precision. The returned service times are computed per route in double precision
(:func:`dispatch.route_timing.schedule_with_ride_times`); the cost is recomputed in double
precision by :meth:`Plan.cost`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from .alns import AlnsParams, alns_plan, supports
from .greedy import greedy_plan, insert_requests
from .problem import PdpProblem, Plan, Trace, travel_cost
from .route_timing import earliest_schedule, schedule_with_ride_times

_MARGIN_S = 0.05  # kept from the budget for extracting the plan
_SOLVER_SHARE = 0.85  # of the budget; the rest is for the greedy fallback
_FIRST_PHASE = 0.5  # of the solver's time, before repairing and warm-starting
_MIN_PHASE_S = 0.05
_PARALLEL_INSERTION_MAX_REQUESTS = 100
_ON_TIME_SHARE = 0.7  # of the budget, with soft deadlines: the on-time plan first
_ALNS_SHARE = 0.95  # of the budget for the ALNS; the rest for the schedules and margins

Search = Literal["ortools", "alns"]


@dataclass(frozen=True)
class SolveParams:
    """Solver settings: wall-clock budget, integer scale, penalties, search strategy.

    ``search`` picks OR-Tools or the ALNS. OR-Tools' routing search has no seed; what
    varies between runs is how far it gets in the time budget. ``solution_limit`` stops
    each search phase after that many solutions, so the same problem and limit give the
    same plan, as long as the budget is not hit. The ALNS is reproducible with ``seed``
    and ``iterations`` (its iteration limit), as long as the budget is not hit; ``workers``
    runs that many ALNS searches in parallel processes (consecutive seeds, best kept).
    ``scale``, ``guided_local_search`` and ``solution_limit`` are OR-Tools' only.
    ``trace`` makes the returned plan carry its :attr:`Plan.trace` (for OR-Tools, from a
    callback on each solution: a little slower, so off by default).
    """

    time_limit_s: float = 10.0
    scale: float = 1000.0
    drop_penalty: float | None = None
    vehicle_fixed_cost: float = 0.0
    guided_local_search: bool = True
    solution_limit: int | None = None
    search: Search = "ortools"
    seed: int = 0
    iterations: int | None = None
    workers: int = 1
    trace: bool = False


class _Trace:
    """Collects a :data:`Trace`: each shorter plan serving every request, timed from ``started``."""

    def __init__(self, problem: PdpProblem, started: float) -> None:
        self.problem = problem
        self.started = started
        self.points: list[tuple[float, float]] = []

    def offer(self, routes: Sequence[NDArray[np.int64]]) -> None:
        """Record ``routes`` (depots included) if they serve every request in a shorter distance."""
        if sum(len(r) - 2 for r in routes) < 2 * self.problem.n_requests:
            return
        distance = travel_cost(self.problem, routes)
        if not self.points or distance < self.points[-1][1]:
            self.points.append((time.perf_counter() - self.started, distance))

    def extend(self, points: Trace, offset: float) -> None:
        """Record the improvements of a trace that started ``offset`` seconds after this one."""
        for seconds, distance in points:
            if not self.points or distance < self.points[-1][1]:
                self.points.append((seconds + offset, distance))

    def add_to(self, plan: Plan) -> Plan:
        """``plan``, offered last, carrying the trace."""
        if plan.unserved.size == 0:
            self.offer(plan.routes)
        return replace(plan, trace=tuple(self.points))


def _traced(problem: PdpProblem, p: SolveParams, started: float) -> _Trace | None:
    return _Trace(problem, started) if p.trace else None


def solve_pdp(problem: PdpProblem, params: SolveParams | None = None) -> Plan | None:
    """Best plan OR-Tools finds within ``params.time_limit_s`` (None if it finds none).

    Two phases: a first search on part of the budget; then the requests it left out are
    inserted greedily where they fit, and the search resumes from that plan (warm start)
    for the rest of the budget. Guided local search alone rarely re-inserts a dropped
    pickup-delivery pair. ``drop_penalty`` (in cost units) prices an unserved request; the
    default is large enough that a request is only dropped when it cannot be served.
    """
    p = params or SolveParams()
    started = time.perf_counter()
    trace = _traced(problem, p, started)
    plan = _solve_pdp(problem, p, started, trace)
    return plan if plan is None or trace is None else trace.add_to(plan)


def _solve_pdp(
    problem: PdpProblem, p: SolveParams, started: float, trace: _Trace | None
) -> Plan | None:
    deadline = started + p.time_limit_s - _MARGIN_S
    model = _Model(problem, p, trace)
    first = model.routing.SolveWithParameters(
        _search(p, (deadline - started) * _FIRST_PHASE, problem.n_requests)
    )
    if first is None:
        return None
    plan = model.extract(first)
    locked = [0] * problem.n_vehicles
    plan = _repair(problem, plan, locked, deadline, trace)
    plan = _improve(problem, p, plan, locked, deadline, trace)
    return replace(plan, method="solver", solve_seconds=time.perf_counter() - started)


def reoptimize(
    problem: PdpProblem,
    current: Plan,
    locked: Sequence[int],
    params: SolveParams | None = None,
    *,
    improve: bool = True,
) -> Plan:
    """Insert the requests ``current`` does not serve, then improve, keeping each locked prefix.

    ``locked[v]`` stops after vehicle ``v``'s start depot are done or under way (riders on
    board were picked up there): they keep their vehicle and order, and every change
    happens after them. New requests are inserted greedily after the prefixes, then (if
    ``improve``) the solver improves the plan warm-started from it for the rest of the
    budget. Without it, a live insertion takes milliseconds instead of the solver's setup.
    Always OR-Tools, whatever ``params.search`` says: the ALNS has no locked prefixes.
    """
    p = params or SolveParams()
    started = time.perf_counter()
    trace = _traced(problem, p, started)
    plan = _reoptimize(problem, current, locked, p, started, improve, trace)
    return plan if trace is None else trace.add_to(plan)


def _reoptimize(
    problem: PdpProblem,
    current: Plan,
    locked: Sequence[int],
    p: SolveParams,
    started: float,
    improve: bool,
    trace: _Trace | None,
) -> Plan:
    deadline = started + p.time_limit_s - _MARGIN_S
    plan = _repair(problem, current, locked, deadline, trace)
    if improve:
        plan = _improve(problem, p, plan, locked, deadline, trace)
    return replace(plan, solve_seconds=time.perf_counter() - started)


def _repair(
    problem: PdpProblem,
    plan: Plan,
    locked: Sequence[int],
    deadline: float,
    trace: _Trace | None,
) -> Plan:
    """The plan with its unserved requests inserted greedily where they fit."""
    if plan.unserved.size == 0:
        return plan
    routes = [r.tolist() for r in plan.routes]
    repaired = insert_requests(problem, routes, plan.unserved.tolist(), deadline, locked)
    if repaired.unserved.size == 0 and trace is not None:
        trace.offer(repaired.routes)
    return repaired if repaired.unserved.size < plan.unserved.size else plan


def _improve(
    problem: PdpProblem,
    p: SolveParams,
    plan: Plan,
    locked: Sequence[int],
    deadline: float,
    trace: _Trace | None,
) -> Plan:
    """Resume the search from ``plan`` until the deadline (warm start, prefixes locked).

    A fresh model: OR-Tools reads routes into a model that has not been solved yet.
    """
    remaining = deadline - time.perf_counter()
    if remaining <= _MIN_PHASE_S:
        return plan
    model = _Model(problem, p, trace)
    search = _search(p, remaining, problem.n_requests)
    model.routing.CloseModelWithParameters(search)
    stops = model.stops_by_index(plan)
    model.routing.ApplyLocksToAllVehicles(
        [route[:n] for route, n in zip(stops, locked, strict=True)], False
    )
    warm = model.routing.ReadAssignmentFromRoutes(stops, True)
    if warm is None:
        return plan
    search.time_limit.FromMilliseconds(max(int((deadline - time.perf_counter()) * 1000), 10))
    better = model.routing.SolveFromAssignmentWithParameters(warm, search)
    if better is None:
        return plan
    candidate = model.extract(better)
    return candidate if _rank(problem, candidate) <= _rank(problem, plan) else plan


def _search(p: SolveParams, seconds: float, n_requests: int) -> Any:
    search = pywrapcp.DefaultRoutingSearchParameters()
    # Parallel cheapest insertion builds better first plans on small problems (Cordeau at
    # 3 s: a2-24 433 against 441, a6-60 852 against 865) but is too slow on a NEMT day: with
    # 400 requests and 30 vehicles it had placed 18 requests after 5 s, local cheapest
    # insertion 379.
    strategy = routing_enums_pb2.FirstSolutionStrategy
    search.first_solution_strategy = (
        strategy.PARALLEL_CHEAPEST_INSERTION
        if n_requests <= _PARALLEL_INSERTION_MAX_REQUESTS
        else strategy.LOCAL_CHEAPEST_INSERTION
    )
    if p.guided_local_search:
        search.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        )
    search.time_limit.FromMilliseconds(max(int(seconds * 1000), 10))
    if p.solution_limit is not None:
        search.solution_limit = p.solution_limit
    return search


def _constant(value: int) -> Callable[[int, int], int]:
    """A pickup-to-delivery limit callback that ignores which alternatives are used."""
    return lambda _pickup, _delivery: value


def _rank(problem: PdpProblem, plan: Plan) -> tuple[int, float]:
    """Plans compare by requests left out, then cost."""
    return int(plan.unserved.size), plan.cost(problem)


class _Model:
    """The OR-Tools routing model of one problem."""

    def __init__(self, problem: PdpProblem, p: SolveParams, trace: _Trace | None = None) -> None:
        self.problem = problem
        self.scale = p.scale
        self._callbacks: list[Callable[..., Any]] = []
        n, k = problem.n_nodes, problem.n_vehicles
        self.manager = pywrapcp.RoutingIndexManager(
            n, k, problem.vehicle_start.tolist(), problem.vehicle_end.tolist()
        )
        self.routing = pywrapcp.RoutingModel(self.manager)
        transit = np.ceil((problem.service_time[:, None] + problem.travel_time) * p.scale)
        time_cb = self.routing.RegisterTransitMatrix(transit.astype(np.int64).tolist())
        cost = np.rint(problem.arc_cost * p.scale).astype(np.int64)
        self.routing.SetArcCostEvaluatorOfAllVehicles(
            self.routing.RegisterTransitMatrix(cost.tolist())
        )
        if p.vehicle_fixed_cost:
            self.routing.SetFixedCostOfAllVehicles(int(p.vehicle_fixed_cost * p.scale))
        horizon = math.ceil(float(np.max(problem.shift_end)) * p.scale)
        self.routing.AddDimension(time_cb, horizon, horizon, False, "time")
        self.time = self.routing.GetDimensionOrDie("time")
        if problem.span_cost > 0:
            self.time.SetSpanCostCoefficientForAllVehicles(max(round(problem.span_cost), 1))
        self._add_windows_and_shifts(horizon)
        self._add_capacities()
        self._add_requests(self._penalty(p, cost))
        if trace is not None:
            self._watch(trace)

    def _index(self, node: int) -> int:
        return int(self.manager.NodeToIndex(node))

    def _add_windows_and_shifts(self, horizon: int) -> None:
        pr, s = self.problem, self.scale
        depots = set(pr.vehicle_start.tolist()) | set(pr.vehicle_end.tolist())
        for node in range(pr.n_nodes):
            if node not in depots:
                lo, hi = math.ceil(pr.window_open[node] * s), math.floor(pr.window_close[node] * s)
                if lo > min(hi, horizon):  # opens after every shift ends: cannot be served
                    self.routing.ActiveVar(self._index(node)).SetValue(0)
                    continue
                self.time.CumulVar(self._index(node)).SetRange(lo, min(hi, horizon))
                if pr.window_due is not None and pr.window_due[node] < pr.window_close[node]:
                    self.time.SetCumulVarSoftUpperBound(
                        self._index(node),
                        max(math.floor(pr.window_due[node] * s), lo),
                        max(round(pr.late_cost), 1),
                    )
        for v in range(pr.n_vehicles):
            start, end = self.routing.Start(v), self.routing.End(v)
            first = max(pr.shift_start[v], pr.window_open[pr.vehicle_start[v]])
            last = min(pr.shift_end[v], pr.window_close[pr.vehicle_end[v]])
            self.time.CumulVar(start).SetRange(math.ceil(first * s), math.floor(last * s))
            self.time.CumulVar(end).SetRange(math.ceil(first * s), math.floor(last * s))
            if np.isfinite(pr.max_route_duration[v]):
                self.time.SetSpanUpperBoundForVehicle(math.floor(pr.max_route_duration[v] * s), v)
            # leave the depot as late as the plan allows, then serve each stop as early
            self.routing.AddVariableMaximizedByFinalizer(self.time.CumulVar(start))
            self.routing.AddVariableMinimizedByFinalizer(self.time.CumulVar(end))

    def _add_capacities(self) -> None:
        pr = self.problem
        for d in range(pr.demand.shape[1]):
            demand = np.rint(pr.demand[:, d] * self.scale).astype(np.int64).tolist()
            callback = self.routing.RegisterUnaryTransitVector(demand)
            capacity = np.floor(pr.capacity[:, d] * self.scale).astype(np.int64).tolist()
            self.routing.AddDimensionWithVehicleCapacity(callback, 0, capacity, True, f"load{d}")

    def _penalty(self, p: SolveParams, cost: NDArray[np.int64]) -> int:
        if p.drop_penalty is not None:
            return int(p.drop_penalty * self.scale)
        return int(max(int(cost.max()), 1) * (self.problem.n_nodes + 10) * 10)

    def _add_requests(self, penalty: int) -> None:
        pr, s = self.problem, self.scale
        solver = self.routing.solver()
        for r in range(pr.n_requests):
            pick, drop = self._index(int(pr.pickups[r])), self._index(int(pr.deliveries[r]))
            self.routing.AddPickupAndDelivery(pick, drop)
            solver.Add(self.routing.VehicleVar(pick) == self.routing.VehicleVar(drop))
            solver.Add(self.time.CumulVar(pick) <= self.time.CumulVar(drop))
            if np.isfinite(pr.max_ride_time[r]):
                # ride = start of delivery - (start of pickup + pickup service)
                limit = math.floor((pr.max_ride_time[r] + pr.service_time[pr.pickups[r]]) * s)
                # a dimension constraint, seen by the insertion heuristics and local-search
                # filters; the same limit as a generic CP constraint made first solutions 20x
                # slower on a 600-trip day (every move failed late, in the CP check)
                callback = _constant(limit)
                self._callbacks.append(callback)  # OR-Tools keeps no reference of its own
                self.time.SetPickupToDeliveryLimitFunctionForPair(callback, r)
            banned = np.flatnonzero(~pr.compatible[:, r]).tolist()
            # one disjunction for the pair: both stops served, or both dropped at one penalty
            self.routing.AddDisjunction([pick, drop], penalty, 2)
            for index in (pick, drop):
                if banned:
                    self.routing.VehicleVar(index).RemoveValues(banned)
                self.routing.AddVariableMinimizedByFinalizer(self.time.CumulVar(index))

    def _watch(self, trace: _Trace) -> None:
        """Offer ``trace`` each solution that improves the search's objective."""
        best = [math.inf]

        def at_solution() -> None:
            value = self.routing.CostVar().Value()  # the cost variable exists once closed
            if value < best[0]:  # the routes are read only then: a walk per solution is slow
                best[0] = value
                trace.offer(self._current_routes())

        self._callbacks.append(at_solution)
        self.routing.AddAtSolutionCallback(at_solution)

    def _current_routes(self) -> list[NDArray[np.int64]]:
        """The routes (nodes, depots included) of the solution being reported."""
        routes = []
        for v in range(self.problem.n_vehicles):
            index, nodes = self.routing.Start(v), []
            while not self.routing.IsEnd(index):
                nodes.append(self.manager.IndexToNode(index))
                index = self.routing.NextVar(index).Value()
            nodes.append(self.manager.IndexToNode(index))
            routes.append(np.asarray(nodes, dtype=np.int64))
        return routes

    def stops_by_index(self, plan: Plan) -> list[list[int]]:
        """The plan's routes without depots, as routing indices (for a warm start)."""
        return [[self._index(int(node)) for node in route[1:-1]] for route in plan.routes]

    def extract(self, solution: pywrapcp.Assignment) -> Plan:
        """The plan of an OR-Tools assignment."""
        routes, times = [], []
        for v in range(self.problem.n_vehicles):
            index, nodes, starts = self.routing.Start(v), [], []
            while True:
                nodes.append(self.manager.IndexToNode(index))
                starts.append(solution.Value(self.time.CumulVar(index)) / self.scale)
                if self.routing.IsEnd(index):
                    break
                index = solution.Value(self.routing.NextVar(index))
            route, timed = _schedulable(self.problem, v, np.asarray(nodes, dtype=np.int64))
            routes.append(route)
            times.append(timed)
        visited = np.zeros(self.problem.n_nodes, dtype=bool)
        for route in routes:
            visited[route] = True
        unserved = np.flatnonzero(~visited[self.problem.pickups]).astype(np.int64)
        return Plan(routes=routes, times=times, unserved=unserved, method="solver")


def _schedulable(
    problem: PdpProblem, vehicle: int, route: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The route and service times that keep every rule, dropping riders if it must.

    The ride-time limits live in the time dimension (the search's filters), not in the
    CP model, so the solver's own times may break them: the times are recomputed with
    :func:`schedule_with_ride_times`. On the rare route where the filters were too lenient
    and no such schedule exists, the rider whose ride overruns most is taken off (reported
    unserved, for the repair step to place elsewhere) until one does.
    """
    while True:
        timed = schedule_with_ride_times(problem, vehicle, route)
        if timed is not None:
            return route, timed
        owner = problem.request_of()
        earliest = earliest_schedule(problem, vehicle, route)
        position = {int(node): i for i, node in enumerate(route)}
        riders = [r for r in {int(owner[n]) for n in route} if r >= 0]
        if not riders:  # nothing left to take off: an empty route always has a schedule
            return route, earliest

        overrun = {}
        for r in riders:
            pick, drop = int(problem.pickups[r]), int(problem.deliveries[r])
            ride = earliest[position[drop]] - earliest[position[pick]] - problem.service_time[pick]
            overrun[r] = float(ride - problem.max_ride_time[r])
        worst = max(overrun, key=overrun.__getitem__)
        route = route[(route != problem.pickups[worst]) & (route != problem.deliveries[worst])]


def search_used(problem: PdpProblem, params: SolveParams) -> Search:
    """The search :func:`schedule` runs: the one asked for, unless the ALNS cannot serve.

    The ALNS falls back to OR-Tools for soft deadlines (``window_due``), a price on
    vehicle time (``span_cost``) and a user ``drop_penalty``.
    """
    if params.search == "alns" and supports(problem) is None and params.drop_penalty is None:
        return "alns"
    return "ortools"


def schedule(problem: PdpProblem, params: SolveParams | None = None) -> Plan:
    """A plan within the wall-clock budget, always.

    With the ALNS (:func:`search_used`), its search takes the budget (``method="alns"``).
    With OR-Tools, the solver gets most of the budget; if it finds no solution, a greedy
    insertion plan (``method="greedy fallback"``) is built in the rest, stopping by 105 %
    of the budget.
    """
    p = params or SolveParams()
    started = time.perf_counter()
    trace = _traced(problem, p, started)
    plan = _schedule(problem, p, started, trace)
    return plan if trace is None else trace.add_to(plan)


def _schedule(problem: PdpProblem, p: SolveParams, started: float, trace: _Trace | None) -> Plan:
    """:func:`schedule` with its clock started at ``started``, offering plans to ``trace``."""
    if search_used(problem, p) == "alns":
        alns = AlnsParams(
            time_limit_s=p.time_limit_s * _ALNS_SHARE,
            iterations=p.iterations,
            seed=p.seed,
            fixed_cost=p.vehicle_fixed_cost,
            workers=p.workers,
            trace=trace is not None,
        )
        offset = time.perf_counter() - started
        searched = alns_plan(problem, alns)
        if trace is not None and searched.trace is not None:
            trace.extend(searched.trace, offset)
        return replace(searched, solve_seconds=time.perf_counter() - started)
    if problem.window_due is not None:
        return _schedule_late_last(problem, p, started, trace)
    share = replace(p, time_limit_s=p.time_limit_s * _SOLVER_SHARE)
    plan = _solve_pdp(problem, share, started, trace)
    if plan is not None:
        return plan
    return greedy_plan(problem, deadline=started + p.time_limit_s * 1.05)


def _schedule_late_last(
    problem: PdpProblem, p: SolveParams, started: float, trace: _Trace | None
) -> Plan:
    """Soft deadlines: plan on time first, then let what did not fit in come late.

    Searching the soft problem directly builds first plans blind to lateness (the first
    solution heuristics see arc costs only) that the rest of the budget cannot repair.
    """
    assert problem.window_due is not None
    on_time = replace(problem, window_close=problem.window_due, window_due=None)
    share = replace(p, time_limit_s=p.time_limit_s * _ON_TIME_SHARE)
    first = _schedule(on_time, share, started, trace)
    if first.unserved.size == 0 and trace is not None:
        trace.offer(first.routes)
    rest = max(p.time_limit_s - (time.perf_counter() - started), _MIN_PHASE_S)
    plan = _reoptimize(
        problem,
        first,
        [0] * problem.n_vehicles,
        replace(p, time_limit_s=rest),
        time.perf_counter(),
        True,
        trace,
    )
    return replace(plan, method=first.method, solve_seconds=time.perf_counter() - started)
