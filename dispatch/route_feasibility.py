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
def latest_times(
    route: _Ints,
    n: int,
    v: int,
    travel: _Floats,
    service: _Floats,
    close: _Floats,
    partner: _Ints,
    ride: _Floats,
    shift_end: _Floats,
    max_duration: _Floats,
    pos: _Ints,
    times: _Floats,
) -> None:
    """Upper bounds on each stop's start in any schedule of ``route[:n]``, into ``times``.

    The greatest solution of the upper bounds (closes, shift end, each stop early enough
    for the next, a delivery within its ride limit of its pickup's latest start, the end
    within the duration limit of the departure's), or, if it takes more rounds than a
    consistent route needs, the bounds reached so far (still valid).
    """
    first = route[0]
    n_forward = 1
    for k in range(n):
        pos[route[k]] = k
        times[k] = close[route[k]]
        if partner[route[k]] >= 0:
            n_forward += 1
    times[n - 1] = min(times[n - 1], shift_end[v])
    for _ in range(n_forward + 1):
        for k in range(n - 2, -1, -1):
            node = route[k]
            bound = times[k + 1] - service[node] - travel[node, route[k + 1]]
            if bound < times[k]:
                times[k] = bound
        changed = False
        for k in range(1, n - 1):
            p = partner[route[k]]
            if p >= 0:
                bound = times[pos[p]] + service[p] + ride[route[k]]
                if bound < times[k] - _STEP:
                    times[k] = bound
                    changed = True
        bound = times[0] + service[first] + max_duration[v]
        if bound < times[n - 1] - _STEP:
            times[n - 1] = bound
            changed = True
        if not changed:
            return


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
    latest: _Floats,
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

    ``earliest`` and ``latest`` (bounds on each stop's start in any schedule) and ``load``
    (after each position, per dimension) describe the route; the new route is
    ``route[:i] + pick + route[i:j] + drop + route[j:]``. Cheap tests first (capacity on
    the spanned segment; from the bounds: arrival before the closes, the next stop still
    reached by its latest start, the ride within its limit), then the exact check in
    order of cost. The cheap tests are necessary conditions when travel times obey the
    triangle inequality (otherwise they may only pass over a feasible insertion).
    Returns (added cost, i, j), or (inf, -1, -1).
    """
    n_dims = demand.shape[1]
    n_cand = 0
    limit = ride[drop]
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
        # with the delivery later than b, the pickup must leave b its latest time
        to_b = service[pick] + travel[pick, b]
        pick_then_b = start_pick + to_b <= latest[i] + TIME_TOL
        late_pick = min(close[pick], latest[i] - to_b)
        for j in range(i, n):
            if j == i:
                arrive = max(start_pick + service[pick] + travel[pick, drop], open_[drop])
                if arrive + service[drop] + travel[drop, b] > latest[i] + TIME_TOL:
                    continue
                delta = pick_cost + cost[pick, drop] + cost[drop, b]
            else:
                if not pick_then_b:
                    break
                # the segment route[i:j] carries the rider too
                over = False
                for d in range(n_dims):
                    if load[j - 1, d] + demand[pick, d] > capacity[v, d] + LOAD_TOL:
                        over = True
                if over:
                    break
                c = route[j - 1]
                if earliest[j - 1] - late_pick - service[pick] > limit + TIME_TOL:
                    break  # the ride only grows with j
                arrive = max(earliest[j - 1] + service[c] + travel[c, drop], open_[drop])
                e = route[j]
                if arrive + service[drop] + travel[drop, e] > latest[j] + TIME_TOL:
                    continue
                if arrive - late_pick - service[pick] > limit + TIME_TOL:
                    continue
                delta = pick_cost + cost[pick, b] + cost[c, drop] + cost[drop, e] - cost[c, e]
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
    latest = np.empty(width)
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
        latest_times(
            route, n, v, travel, service, close, partner, ride, shift_end, max_duration, pos, latest
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
                latest,
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


@njit(cache=True, nogil=True)
def regret_repair(
    pending: _Ints,
    k: int,
    scale: _Floats,
    routes: _Ints,
    lengths: _Ints,
    served_by: _Ints,
    route_cost: _Floats,
    pickups: _Ints,
    deliveries: _Ints,
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
) -> None:
    """Insert ``pending`` requests one by one by regret-k (k = 1: greedy), in place.

    Each step takes the request with the largest regret (the sum over its 2nd..k-th best
    routes of the cost above its best; a missing route counts as a very large cost),
    ties to the cheaper best insertion, and inserts it where it costs least. Costs are
    multiplied by ``scale`` (per request and vehicle) for choosing, not for inserting.
    Only the changed route is evaluated again; requests that fit nowhere stay unserved.
    """
    m = pending.size
    n_vehicles = lengths.size
    vehicles = np.arange(n_vehicles)
    table = np.empty((m, n_vehicles))
    at_i = np.empty((m, n_vehicles), dtype=np.int64)
    at_j = np.empty((m, n_vehicles), dtype=np.int64)
    insertion_table(
        pending, vehicles, pickups, deliveries, routes, lengths, compatible, cost, demand,
        capacity, fixed_cost, travel, service, open_, close, partner, ride, shift_start,
        shift_end, max_duration, table, at_i, at_j,
    )  # fmt: skip
    missing = 1e9 * max(cost.max(), 1.0)
    alive = np.ones(m, dtype=np.bool_)
    top = np.empty(max(k, 1))
    column = np.empty((m, 1))
    col_i = np.empty((m, 1), dtype=np.int64)
    col_j = np.empty((m, 1), dtype=np.int64)
    for _ in range(m):
        chosen, chosen_b = -1, -1
        chosen_regret, chosen_cost = -np.inf, np.inf
        for a in range(m):
            if not alive[a]:
                continue
            for h in range(top.size):
                top[h] = np.inf
            best_b = -1
            for b in range(n_vehicles):
                c = table[a, b] * scale[a, b]
                if c < top[0]:
                    best_b = b
                if c < top[top.size - 1]:
                    h = top.size - 1
                    while h > 0 and top[h - 1] > c:
                        top[h] = top[h - 1]
                        h -= 1
                    top[h] = c
            if best_b < 0:
                continue
            regret = 0.0
            for h in range(1, top.size):
                regret += (top[h] if top[h] < np.inf else missing) - top[0]
            if regret > chosen_regret or (regret == chosen_regret and top[0] < chosen_cost):
                chosen, chosen_b = a, best_b
                chosen_regret, chosen_cost = regret, top[0]
        if chosen < 0:
            return
        r = pending[chosen]
        v = chosen_b
        n = lengths[v]
        i, j = at_i[chosen, v], at_j[chosen, v]
        row = routes[v]
        for h in range(n - 1, j - 1, -1):
            row[h + 2] = row[h]
        row[j + 1] = deliveries[r]
        for h in range(j - 1, i - 1, -1):
            row[h + 1] = row[h]
        row[i] = pickups[r]
        lengths[v] = n + 2
        served_by[r] = v
        route_cost[v] = route_arc_cost(row, n + 2, cost, fixed_cost)
        alive[chosen] = False
        left = np.flatnonzero(alive)
        if left.size == 0:
            return
        insertion_table(
            pending[left], vehicles[v : v + 1], pickups, deliveries, routes, lengths, compatible,
            cost, demand, capacity, fixed_cost, travel, service, open_, close, partner, ride,
            shift_start, shift_end, max_duration, column, col_i, col_j,
        )  # fmt: skip
        for h in range(left.size):
            table[left[h], v] = column[h, 0]
            at_i[left[h], v] = col_i[h, 0]
            at_j[left[h], v] = col_j[h, 0]
