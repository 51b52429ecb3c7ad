"""Greedy insertion: the plan returned when the solver finds none within its budget.

Requests are taken in order of their earliest pickup; each goes where it adds the least
cost among all compatible vehicles and positions whose route stays feasible (capacity
along the route, then a schedule meeting windows, ride times, duration and shift).
Requests that fit nowhere, or are still waiting when the deadline passes, stay unserved.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from .problem import PdpProblem, Plan
from .route_timing import load_fits, schedule_with_ride_times


def greedy_plan(problem: PdpProblem, deadline: float | None = None) -> Plan:
    """Insert every request, one by one, at its cheapest feasible position.

    ``deadline`` is a :func:`time.perf_counter` value after which no more requests are
    inserted (they are reported unserved).
    """
    started = time.perf_counter()
    empty = [
        [int(s), int(e)] for s, e in zip(problem.vehicle_start, problem.vehicle_end, strict=True)
    ]
    order = np.argsort(problem.window_open[problem.pickups], kind="stable")
    plan = insert_requests(problem, empty, order.tolist(), deadline)
    return replace(plan, method="greedy fallback", solve_seconds=time.perf_counter() - started)


def insert_requests(
    problem: PdpProblem,
    routes: list[list[int]],
    requests: list[int],
    deadline: float | None = None,
    locked: Sequence[int] | None = None,
) -> Plan:
    """Insert ``requests`` (in that order) into ``routes`` at their cheapest feasible positions.

    Stops already in the routes keep their order; nothing is inserted among the first
    ``locked[v]`` stops after vehicle ``v``'s start. Requests that fit nowhere, or come up
    after ``deadline``, are listed unserved.
    """
    routes = [list(r) for r in routes]
    first_free = [1 + n for n in (locked or [0] * len(routes))]
    unserved = []
    for r in requests:
        best = None
        if deadline is None or time.perf_counter() <= deadline:
            best = _best_insertion(problem, routes, r, first_free)
        if best is None:
            unserved.append(r)
        else:
            routes[best[0]] = best[1]
    times = [_schedule(problem, v, r) for v, r in enumerate(routes)]
    return Plan(
        routes=[np.asarray(r, dtype=np.int64) for r in routes],
        times=[np.zeros(len(r)) if t is None else t for t, r in zip(times, routes, strict=True)],
        unserved=np.asarray(sorted(unserved), dtype=np.int64),
        method="greedy insertion",
    )


def _best_insertion(
    problem: PdpProblem, routes: list[list[int]], request: int, first_free: list[int]
) -> tuple[int, list[int]] | None:
    """(vehicle, new route) of the cheapest feasible insertion of ``request``, if any."""
    pick, drop = int(problem.pickups[request]), int(problem.deliveries[request])
    cost = problem.arc_cost
    best: tuple[float, int, list[int]] | None = None
    for vehicle in np.flatnonzero(problem.compatible[:, request]).tolist():
        route = routes[vehicle]
        base = float(cost[route[:-1], route[1:]].sum())
        if problem.window_due is not None:
            before = _schedule(problem, vehicle, route)
            if before is not None:
                base += problem.lateness_cost(np.asarray(route), before)
        for i in range(first_free[vehicle], len(route)):
            for j in range(i, len(route)):
                candidate = [*route[:i], pick, *route[i:j], drop, *route[j:]]
                added = float(cost[candidate[:-1], candidate[1:]].sum()) - base
                if best is not None and added >= best[0]:
                    continue
                if not load_fits(problem, vehicle, candidate):
                    continue
                times = _schedule(problem, vehicle, candidate)
                if times is None:
                    continue
                added += problem.lateness_cost(np.asarray(candidate), times)
                if best is None or added < best[0]:
                    best = (added, vehicle, candidate)
    return None if best is None else (best[1], best[2])


def _schedule(problem: PdpProblem, vehicle: int, route: list[int]) -> NDArray[np.float64] | None:
    return schedule_with_ride_times(problem, vehicle, np.asarray(route, dtype=np.int64))
