"""Route timing for the solvers: service start times along a route, and the load-fit rule.

:func:`earliest_schedule` and :func:`schedule_with_ride_times` compute service start times
for one vehicle's route: the earliest ones, and ones delayed, as in Cordeau & Laporte
(2003), so that ride-time limits hold. :func:`load_fits` is the capacity rule the greedy
and live insertions share. The plan checker (:mod:`dispatch.checker`) verifies the results
with code of its own and does not import this module.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .problem import PdpProblem

LOAD_TOL = 1e-9  # absolute tolerance of load_fits, in demand units


def load_fits(problem: PdpProblem, vehicle: int, route: ArrayLike) -> bool:
    """Whether the load along a route stays within ``[0, capacity]`` in every dimension.

    Parameters
    ----------
    problem
        The problem.
    vehicle
        The vehicle driving the route.
    route
        Node indices, from the vehicle's start depot to its end depot.

    Returns
    -------
    bool
        True if the running load is within the vehicle's capacity, up to :data:`LOAD_TOL`.
    """
    load = np.cumsum(problem.demand[np.asarray(route, dtype=np.int64)], axis=0)
    return bool(np.all(load <= problem.capacity[vehicle] + LOAD_TOL) and np.all(load >= -LOAD_TOL))


def earliest_schedule(problem: PdpProblem, vehicle: int, route: ArrayLike) -> NDArray[np.float64]:
    """Earliest service start times along a route, waiting where a window is not yet open.

    The vehicle leaves its start depot at ``max(shift_start, window_open[start])``, and each
    later stop starts at ``max(window_open, previous start + service + travel)``. Window
    closes, ride times, capacity and duration are not checked.

    Parameters
    ----------
    problem
        The problem.
    vehicle
        The vehicle driving the route.
    route
        Node indices, from the vehicle's start depot to its end depot.

    Returns
    -------
    numpy.ndarray
        float64 array of shape (len(route),): the start of service at each node.
    """
    _, opens, _, legs = _route_arrays(problem, vehicle, route)
    return _forward(opens[0], opens, legs)


def schedule_with_ride_times(
    problem: PdpProblem, vehicle: int, route: ArrayLike, *, tol: float = 1e-6
) -> NDArray[np.float64] | None:
    """Service start times that respect ride-time limits, or None if none is found.

    The 8-step evaluation of Cordeau & Laporte (2003): start from the earliest schedule,
    delay the departure by as much of the waiting as the forward time slack allows (this
    minimises the route duration), then delay each pickup in route order by as much of the
    waiting after it as its forward time slack allows (this shortens ride times without
    moving the end of the route). The result is checked against windows, shift, ride
    times and route duration. The procedure is a heuristic: it may miss a feasible
    schedule of a route whose ride-time limits interact, but the times it returns keep
    every timing rule (capacity and pairing are not its business).

    Parameters
    ----------
    problem
        The problem.
    vehicle
        The vehicle driving the route.
    route
        Node indices, from the vehicle's start depot to its end depot.
    tol
        Absolute tolerance on times, in the problem's units.

    Returns
    -------
    numpy.ndarray or None
        float64 array of shape (len(route),), or None if the schedule found breaks a limit.
    """
    nodes, opens, closes, legs = _route_arrays(problem, vehicle, route)
    times = _forward(opens[0], opens, legs)
    if np.any(times > closes + tol):  # delays only make it later
        return None
    service = problem.service_time[nodes]
    owner = problem.request_of()[nodes]
    is_pickup = owner >= 0
    is_pickup[is_pickup] = problem.pickups[owner[is_pickup]] == nodes[is_pickup]
    origin, limit = _ride_pairs(problem, nodes, owner, is_pickup)
    # delays use the slack before soft deadlines, so as not to make riders late
    targets = closes
    if problem.window_due is not None:
        targets = np.minimum(closes, np.maximum(problem.window_due[nodes], times))
    delay = min(
        _slack(0, times, legs, targets, service, origin, limit), _waits(times, legs)[1:-1].sum()
    )
    times = _forward(opens[0] + delay, opens, legs)
    for j in np.flatnonzero(is_pickup).tolist():
        slack = _slack(j, times, legs, targets, service, origin, limit)
        delay = min(slack, _waits(times, legs)[j + 1 : -1].sum())
        if delay > 0:
            times[j:] = _forward(times[j] + delay, opens[j:], legs[j:])
    rides = times - times[np.maximum(origin, 0)] - service[np.maximum(origin, 0)]
    duration = times[-1] - times[0] - service[0]
    if (
        np.any(times > closes + tol)
        or np.any((origin >= 0) & (rides > limit + tol))
        or duration > problem.max_route_duration[vehicle] + tol
    ):
        return None
    return times


def _route_arrays(
    problem: PdpProblem, vehicle: int, route: ArrayLike
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Nodes, window opens and closes tightened by the shift, and service + travel per leg."""
    nodes = np.asarray(route, dtype=np.int64)
    if nodes.ndim != 1 or nodes.size == 0:
        msg = f"route must be a non-empty sequence of node indices, got shape {nodes.shape}"
        raise ValueError(msg)
    opens = problem.window_open[nodes].astype(np.float64)
    closes = problem.window_close[nodes].astype(np.float64)
    opens[0] = max(opens[0], problem.shift_start[vehicle])
    closes[-1] = min(closes[-1], problem.shift_end[vehicle])
    legs = problem.service_time[nodes[:-1]] + problem.travel_time[nodes[:-1], nodes[1:]]
    return nodes, opens, closes, legs


def _ride_pairs(
    problem: PdpProblem,
    nodes: NDArray[np.int64],
    owner: NDArray[np.int64],
    is_pickup: NDArray[np.bool_],
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Per position, where a delivery's pickup is earlier on the route, that pickup's position.

    Elsewhere the position is -1 and the limit inf; otherwise the limit is the request's
    maximum ride time.
    """
    position = {int(v): p for p, v in enumerate(nodes.tolist())}
    origin = np.full(nodes.size, -1, dtype=np.int64)
    limit = np.full(nodes.size, np.inf)
    for p in np.flatnonzero((owner >= 0) & ~is_pickup).tolist():
        r = int(owner[p])
        o = position.get(int(problem.pickups[r]), -1)
        if 0 <= o < p:
            origin[p], limit[p] = o, problem.max_ride_time[r]
    return origin, limit


def _forward(
    first: float, opens: NDArray[np.float64], legs: NDArray[np.float64]
) -> NDArray[np.float64]:
    """B[0] = first and B[p] = max(opens[p], B[p-1] + legs[p-1]), as a prefix maximum."""
    reach = np.concatenate(([0.0], np.cumsum(legs)))
    floor = opens - reach
    floor[0] = first
    return reach + np.maximum.accumulate(floor)


def _waits(times: NDArray[np.float64], legs: NDArray[np.float64]) -> NDArray[np.float64]:
    """Waiting before service at each position (0 at the first)."""
    return np.concatenate(([0.0], np.maximum(times[1:] - times[:-1] - legs, 0.0)))


def _slack(
    i: int,
    times: NDArray[np.float64],
    legs: NDArray[np.float64],
    closes: NDArray[np.float64],
    service: NDArray[np.float64],
    origin: NDArray[np.int64],
    limit: NDArray[np.float64],
) -> float:
    """Forward time slack at position i (Cordeau & Laporte 2003).

    F_i = min over j >= i of (waiting at positions i+1..j) + max(0, min(close_j - B_j,
    L - ride_j)), where the ride term counts only for a delivery whose pickup comes
    before i: riders picked up at or after i move with i, so their ride times do not grow.
    """
    o = np.maximum(origin, 0)
    onboard = (origin >= 0) & (origin < i)
    ride_room = np.where(onboard, limit - (times - times[o] - service[o]), np.inf)
    room = np.minimum(closes - times, ride_room)[i:]
    waited = np.cumsum(_waits(times, legs)[i:])
    waited -= waited[0]
    return float(np.min(waited + np.maximum(room, 0.0)))
