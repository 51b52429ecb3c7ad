"""Exact route feasibility and insertion evaluation for the search, compiled with numba.

A route's schedule rules (consecutive stops, windows, shift, ride times, route duration)
are difference constraints on the service start times B: ``B[k] >= B[k-1] + leg``,
``B[k] >= open``, ``B[pickup] >= B[delivery] - service[pickup] - max_ride``,
``B[start] >= B[end] - service[start] - max_duration`` and ``B[k] <= close``. A schedule
exists if and only if the least solution of the lower bounds (a longest-path computation,
Bellman-Ford ordered as forward sweeps along the route then the backward ride and
duration edges) stays under every close. This is exact, like the forward-time-slack
evaluation of Cordeau & Laporte (2003) claims to be, and returns the earliest schedule.
Capacity is checked apart, per dimension.

:func:`feasible_schedule` is the public check of one route. The kernels (underscored)
take the arrays of :class:`RouteData` and trust their input; all of them live in this one
file (numba's cache does not see edits in other modules). The plan checker
(:mod:`dispatch.checker`) does not import this module.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from .problem import PdpProblem

TIME_TOL = 1e-7  # absolute tolerance on closes, in the problem's time units
LOAD_TOL = 1e-9  # absolute tolerance on capacities, in demand units
_STEP = 1e-9  # smallest rise that counts as a change in the longest-path rounds

_Floats = NDArray[np.float64]
_Ints = NDArray[np.int64]


@dataclass(frozen=True)
class RouteData:
    """A problem's arrays as the kernels read them.

    ``partner[node]`` is the pickup of a delivery node (-1 elsewhere) and ``ride[node]``
    the delivery's ride-time limit; ``fixed_cost`` is charged once per used vehicle.
    """

    travel: _Floats
    cost: _Floats
    service: _Floats
    open_: _Floats
    close: _Floats
    demand: _Floats
    partner: _Ints
    ride: _Floats
    capacity: _Floats
    shift_start: _Floats
    shift_end: _Floats
    max_duration: _Floats
    compatible: NDArray[np.bool_]
    fixed_cost: float

    @classmethod
    def of(cls, problem: PdpProblem, fixed_cost: float = 0.0) -> RouteData:
        """The arrays of ``problem`` (contiguous float64 / int64 copies)."""
        partner = np.full(problem.n_nodes, -1, dtype=np.int64)
        partner[problem.deliveries] = problem.pickups
        ride = np.full(problem.n_nodes, np.inf)
        ride[problem.deliveries] = problem.max_ride_time
        f = np.ascontiguousarray
        return cls(
            travel=f(problem.travel_time, dtype=np.float64),
            cost=f(problem.arc_cost, dtype=np.float64),
            service=f(problem.service_time, dtype=np.float64),
            open_=f(problem.window_open, dtype=np.float64),
            close=f(problem.window_close, dtype=np.float64),
            demand=f(problem.demand, dtype=np.float64),
            partner=partner,
            ride=ride,
            capacity=f(problem.capacity, dtype=np.float64),
            shift_start=f(problem.shift_start, dtype=np.float64),
            shift_end=f(problem.shift_end, dtype=np.float64),
            max_duration=f(problem.max_route_duration, dtype=np.float64),
            compatible=f(problem.compatible, dtype=np.bool_),
            fixed_cost=float(fixed_cost),
        )

    def schedule(self, vehicle: int, route: _Ints) -> _Floats | None:
        """:func:`feasible_schedule` on these arrays (capacity, then times)."""
        nodes = np.ascontiguousarray(route, dtype=np.int64)
        if nodes.ndim != 1 or nodes.size < 2:
            msg = f"route must hold at least its two depots, got shape {nodes.shape}"
            raise ValueError(msg)
        if not load_ok(nodes, nodes.size, self.demand, self.capacity[vehicle]):
            return None
        times = np.empty(nodes.size)
        pos = np.zeros(self.travel.shape[0], dtype=np.int64)
        ok = earliest_times(nodes, nodes.size, vehicle, *self.timing(), pos, times)
        return times if ok else None

    def timing(
        self,
    ) -> tuple[_Floats, _Floats, _Floats, _Floats, _Ints, _Floats, _Floats, _Floats, _Floats]:
        """The arrays :func:`earliest_times` reads, in its order."""
        return (
            self.travel,
            self.service,
            self.open_,
            self.close,
            self.partner,
            self.ride,
            self.shift_start,
            self.shift_end,
            self.max_duration,
        )


def feasible_schedule(problem: PdpProblem, vehicle: int, route: ArrayLike) -> _Floats | None:
    """The earliest schedule of a route keeping every rule, or None if there is none.

    Exact: None means no service start times meet the windows, shift, ride times and
    route duration together, or the load leaves ``[0, capacity]`` somewhere.

    Parameters
    ----------
    problem
        The problem.
    vehicle
        The vehicle driving the route.
    route
        Node indices from the vehicle's start depot to its end depot, each delivery after
        its pickup.

    Returns
    -------
    numpy.ndarray or None
        float64 array of shape (len(route),): the start of service at each node.
    """
    return RouteData.of(problem).schedule(vehicle, np.asarray(route, dtype=np.int64))


@njit(cache=True, nogil=True)
def load_ok(route: _Ints, n: int, demand: _Floats, capacity: _Floats) -> bool:
    """Whether the running load stays within ``[0, capacity]`` in every dimension."""
    for d in range(demand.shape[1]):
        load = 0.0
        for k in range(n):
            load += demand[route[k], d]
            if load > capacity[d] + LOAD_TOL or load < -LOAD_TOL:
                return False
    return True


@njit(cache=True, nogil=True)
def earliest_times(
    route: _Ints,
    n: int,
    v: int,
    travel: _Floats,
    service: _Floats,
    open_: _Floats,
    close: _Floats,
    partner: _Ints,
    ride: _Floats,
    shift_start: _Floats,
    shift_end: _Floats,
    max_duration: _Floats,
    pos: _Ints,
    times: _Floats,
) -> bool:
    """Earliest feasible service start times of ``route[:n]`` into ``times``; False if none.

    ``pos`` (n_nodes) is a workspace. Each round sweeps the route forward, checks the
    closes, then applies the backward edges (a delivery's ride limit raises its pickup's
    start, the duration limit raises the departure). Times only rise; with no positive
    cycle the least solution is reached within (backward edges + 1) rounds.
    """
    first = route[0]
    last = route[n - 1]
    n_back = 1
    for k in range(n):
        pos[route[k]] = k
        times[k] = open_[route[k]]
        if partner[route[k]] >= 0:
            n_back += 1
    times[0] = max(times[0], shift_start[v])
    last_close = min(close[last], shift_end[v])
    for _ in range(n_back + 1):
        for k in range(1, n):
            prev = route[k - 1]
            reach = times[k - 1] + service[prev] + travel[prev, route[k]]
            if reach > times[k]:
                times[k] = reach
        if times[0] > close[first] + TIME_TOL or times[n - 1] > last_close + TIME_TOL:
            return False
        for k in range(1, n - 1):
            if times[k] > close[route[k]] + TIME_TOL:
                return False
        changed = False
        for k in range(1, n - 1):
            p = partner[route[k]]
            if p >= 0:
                o = pos[p]
                need = times[k] - service[p] - ride[route[k]]
                if need > times[o] + _STEP:
                    times[o] = need
                    changed = True
        need = times[n - 1] - service[first] - max_duration[v]
        if need > times[0] + _STEP:
            times[0] = need
            changed = True
        if not changed:
            return True
    return False


@njit(cache=True, nogil=True)
def route_arc_cost(route: _Ints, n: int, cost: _Floats, fixed_cost: float) -> float:
    """Arc costs of ``route[:n]``, plus the fixed cost if it visits a stop."""
    total = 0.0
    for k in range(1, n):
        total += cost[route[k - 1], route[k]]
    if n > 2:
        total += fixed_cost
    return total


@njit(cache=True, nogil=True)
def best_in_route(
    route: _Ints,
    n: int,
    v: int,
    pick: int,
    drop: int,
    earliest: _Floats,
    load: _Floats,
    cost: _Floats,
    demand: _Floats,
    capacity: _Floats,
    fixed_cost: float,
    travel: _Floats,
    service: _Floats,
    open_: _Floats,
    close: _Floats,
    partner: _Ints,
    ride: _Floats,
    shift_start: _Floats,
    shift_end: _Floats,
    max_duration: _Floats,
    pos: _Ints,
    times: _Floats,
    candidate: _Ints,
    deltas: _Floats,
    at_i: _Ints,
    at_j: _Ints,
) -> tuple[float, int, int]:
    """Cheapest feasible insertion of (pick, drop) into the feasible ``route[:n]``.

    ``earliest`` and ``load`` (load after each position, per dimension) describe the
    route; the new route is ``route[:i] + pick + route[i:j] + drop + route[j:]``. Cheap
    necessary tests first (capacity on the spanned segment, arrival before the closes
    from the route's earliest times), then the exact check in order of cost.
    Returns (added cost, i, j), or (inf, -1, -1).
    """
    n_dims = demand.shape[1]
    n_cand = 0
    for i in range(1, n):
        a = route[i - 1]
        b = route[i]
        fits = True
        for d in range(n_dims):
            if load[i - 1, d] + demand[pick, d] > capacity[v, d] + LOAD_TOL:
                fits = False
        if not fits:
            continue
        reach = earliest[i - 1] + service[a] + travel[a, pick]
        if reach > close[pick] + TIME_TOL:
            break  # the earliest times only grow along the route
        start_pick = max(reach, open_[pick])
        pick_cost = cost[a, pick] - cost[a, b]
        for j in range(i, n):
            if j > i:
                # the segment route[i:j] carries the rider too
                over = False
                for d in range(n_dims):
                    if load[j - 1, d] + demand[pick, d] > capacity[v, d] + LOAD_TOL:
                        over = True
                if over:
                    break
            if j == i:
                arrive = start_pick + service[pick] + travel[pick, drop]
                delta = pick_cost + cost[pick, drop] + cost[drop, b]
            else:
                if (
                    j == i + 1
                    and start_pick + service[pick] + travel[pick, b] > close[b] + TIME_TOL
                ):
                    break
                c = route[j - 1]
                arrive = earliest[j - 1] + service[c] + travel[c, drop]
                delta = pick_cost + cost[pick, b] + cost[c, drop] + cost[drop, route[j]]
                delta -= cost[c, route[j]]
            if arrive > close[drop] + TIME_TOL:
                continue
            deltas[n_cand] = delta
            at_i[n_cand] = i
            at_j[n_cand] = j
            n_cand += 1
    if n_cand == 0:
        return np.inf, -1, -1
    order = np.argsort(deltas[:n_cand])
    extra = fixed_cost if n <= 2 else 0.0
    for c in order:
        i = at_i[c]
        j = at_j[c]
        m = 0
        for k in range(n):
            if k == i:
                candidate[m] = pick
                m += 1
            if k == j:
                candidate[m] = drop
                m += 1
            candidate[m] = route[k]
            m += 1
        if earliest_times(
            candidate,
            m,
            v,
            travel,
            service,
            open_,
            close,
            partner,
            ride,
            shift_start,
            shift_end,
            max_duration,
            pos,
            times,
        ):
            return deltas[c] + extra, i, j
    return np.inf, -1, -1


@njit(cache=True, nogil=True)
def insertion_table(
    requests: _Ints,
    vehicles: _Ints,
    pickups: _Ints,
    deliveries: _Ints,
    routes: _Ints,
    lengths: _Ints,
    compatible: NDArray[np.bool_],
    cost: _Floats,
    demand: _Floats,
    capacity: _Floats,
    fixed_cost: float,
    travel: _Floats,
    service: _Floats,
    open_: _Floats,
    close: _Floats,
    partner: _Ints,
    ride: _Floats,
    shift_start: _Floats,
    shift_end: _Floats,
    max_duration: _Floats,
    out_cost: _Floats,
    out_i: _Ints,
    out_j: _Ints,
) -> None:
    """Cheapest insertion of each request into each vehicle's route, into the out arrays.

    ``out_*[a, b]`` is for ``requests[a]`` and ``vehicles[b]``: added cost (inf where
    incompatible or infeasible) and the positions of :func:`best_in_route`.
    """
    width = 2
    for b in range(vehicles.size):
        width = max(width, lengths[vehicles[b]] + 2)
    n_dims = demand.shape[1]
    pos = np.zeros(travel.shape[0], dtype=np.int64)
    times = np.empty(width)
    earliest = np.empty(width)
    load = np.empty((width, n_dims))
    candidate = np.empty(width, dtype=np.int64)
    deltas = np.empty(width * width)
    at_i = np.empty(width * width, dtype=np.int64)
    at_j = np.empty(width * width, dtype=np.int64)
    for b in range(vehicles.size):
        v = vehicles[b]
        n = lengths[v]
        route = routes[v]
        earliest_times(
            route,
            n,
            v,
            travel,
            service,
            open_,
            close,
            partner,
            ride,
            shift_start,
            shift_end,
            max_duration,
            pos,
            earliest,
        )
        for d in range(n_dims):
            running = 0.0
            for k in range(n):
                running += demand[route[k], d]
                load[k, d] = running
        for a in range(requests.size):
            r = requests[a]
            out_cost[a, b] = np.inf
            out_i[a, b] = -1
            out_j[a, b] = -1
            if not compatible[v, r]:
                continue
            best, i, j = best_in_route(
                route,
                n,
                v,
                pickups[r],
                deliveries[r],
                earliest,
                load,
                cost,
                demand,
                capacity,
                fixed_cost,
                travel,
                service,
                open_,
                close,
                partner,
                ride,
                shift_start,
                shift_end,
                max_duration,
                pos,
                times,
                candidate,
                deltas,
                at_i,
                at_j,
            )
            out_cost[a, b] = best
            out_i[a, b] = i
            out_j[a, b] = j


@njit(cache=True, nogil=True)
def removal_gains(
    routes: _Ints,
    lengths: _Ints,
    owner: _Ints,
    pickups: _Ints,
    cost: _Floats,
    fixed_cost: float,
    gains: _Floats,
) -> None:
    """Cost saved by taking each served request out of its route, into ``gains[request]``."""
    for v in range(lengths.size):
        n = lengths[v]
        route = routes[v]
        for i in range(1, n - 1):
            r = owner[route[i]]
            if r < 0 or pickups[r] != route[i]:
                continue
            j = i + 1
            while owner[route[j]] != r:
                j += 1
            a, p, b = route[i - 1], route[i], route[i + 1]
            if j == i + 1:
                c = route[j + 1]
                gain = cost[a, p] + cost[p, b] + cost[b, c] - cost[a, c]
            else:
                x, d, y = route[j - 1], route[j], route[j + 1]
                gain = cost[a, p] + cost[p, b] - cost[a, b] + cost[x, d] + cost[d, y] - cost[x, y]
            if n == 4:
                gain += fixed_cost
            gains[r] = gain
