"""Live re-planning: the rest of the day from where the fleet is now.

Each vehicle starts at its ``position`` (default: its depot) when it is next free
(``available_from``, default now, never before its shift) with its ``on_board`` riders,
and ends at its depot. An on-board rider's trip is a pickup at the vehicle's start, at
that moment, which only this vehicle can make and which stays first on its route. A
waiting rider whose window no vehicle can still meet has it widened to the earliest
possible arrival plus ``late_grace_s``: a late trip is served late rather than dropped. A
vehicle still busy when its shift ends may work up to :data:`OVERTIME_S` more to finish.
The current routes warm-start the search; a route that no longer fits gives its waiting
riders back to insertion.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from .costs import CostProvider, Observations
from .day_problem import (
    DayPlan,
    Lateness,
    Layout,
    build_problem,
    check_inputs,
    day_plan,
    distinct_depots,
    request_departures,
)
from .domain import DEFAULT_RIDE_TIME_RULE, RideTimeRule, TripRequest, Vehicle
from .exceptions import PlanningError
from .problem import PdpProblem, Plan
from .route_timing import load_fits, schedule_with_ride_times
from .scheduling import SolveParams, reoptimize

OVERTIME_S = 7200.0  # a vehicle still busy after its shift may finish within this


def replan(
    requests: Sequence[TripRequest],
    vehicles: Sequence[Vehicle],
    costs: CostProvider,
    now: datetime,
    *,
    current: Mapping[str, Sequence[str]] | None = None,
    time_limit_s: float = 2.0,
    ride_rule: RideTimeRule = DEFAULT_RIDE_TIME_RULE,
    observations: Observations | None = None,
    late_grace_s: float = 600.0,
    lateness: Lateness | None = None,
    solution_limit: int | None = None,
    improve: bool = True,
    span_cost: float = 0.0,
) -> DayPlan:
    """Plan every unfinished request (waiting or on board) from the fleet's current state.

    ``current[vehicle_id]`` is the vehicle's remaining stops as request ids in visiting
    order (a waiting rider's id twice, pickup then dropoff; an on-board rider's once).
    Windows are hard (but widened when unreachable) unless ``lateness`` allows serving late.
    Without ``improve`` waiting riders not on a route are only inserted, not re-optimised.
    ``span_cost`` is :func:`~dispatch.planner.plan_day`'s.
    """
    check_inputs(requests, vehicles, costs)
    index = {r.id: i for i, r in enumerate(requests)}
    carrier = {trip: k for k, v in enumerate(vehicles) for trip in v.on_board}
    unknown = sorted(set(carrier) - set(index))
    if unknown:
        msg = f"vehicles.on_board: trips {unknown} are not among the requests"
        raise PlanningError(msg)
    layout, ready = _live_layout(requests, vehicles, carrier, now)
    departures = [layout.moment(s) for s in ready] + [layout.origin] * (
        layout.n_depots - len(vehicles)
    )
    departures += [t for r in requests for t in request_departures(r)]
    times = costs.travel_times(
        [p.lat for p in layout.locations],
        [p.lon for p in layout.locations],
        now,
        observations,
        row_departures=departures,
    )
    base = build_problem(requests, vehicles, layout, times, ride_rule, lateness, span_cost)
    problem = _live_problem(base, layout, ready, {index[t]: k for t, k in carrier.items()})
    problem = _widen_unreachable(problem, late_grace_s)
    onboard_of = [[index[t] for t in v.on_board] for v in vehicles]
    start = _warm_start(problem, layout, index, onboard_of, current or {}, vehicles)
    plan = reoptimize(
        problem,
        start,
        [len(o) for o in onboard_of],
        SolveParams(time_limit_s=time_limit_s, solution_limit=solution_limit),
        improve=improve,
    )
    return day_plan(requests, vehicles, problem, plan, layout, times)


def _live_layout(
    requests: Sequence[TripRequest],
    vehicles: Sequence[Vehicle],
    carrier: Mapping[str, int],
    now: datetime,
) -> tuple[Layout, list[int]]:
    """Nodes: each vehicle's start, the distinct end depots, then each request's two stops."""
    origin = min(now, *(v.shift_start for v in vehicles))
    starts = [v.position or v.depot for v in vehicles]
    depots, depot_index = distinct_depots(vehicles)
    depot_of_vehicle = [len(vehicles) + i for i in depot_index]
    stops = [
        place
        for r in requests
        for place in ((starts[carrier[r.id]] if r.id in carrier else r.pickup), r.dropoff)
    ]
    layout = Layout(
        origin=origin,
        locations=[*starts, *depots, *stops],
        depot_of_vehicle=np.asarray(depot_of_vehicle, dtype=np.int64),
        n_depots=len(vehicles) + len(depots),
    )
    # whole seconds: the solver's integer windows of pinned pickups must not be empty
    ready = [
        math.ceil(layout.seconds(max(v.available_from or now, now, v.shift_start)))
        for v in vehicles
    ]
    return layout, ready


def _live_problem(
    base: PdpProblem, layout: Layout, ready: Sequence[float], carrier: Mapping[int, int]
) -> PdpProblem:
    """Vehicles start at their own node when free; on-board pickups are pinned to them."""
    k = len(ready)
    service, opens, closes = (
        base.service_time.copy(),
        base.window_open.copy(),
        base.window_close.copy(),
    )
    compatible, max_ride = base.compatible.copy(), base.max_ride_time.copy()
    due = None if base.window_due is None else base.window_due.copy()
    shift_end = np.maximum(base.shift_end, np.asarray(ready) + OVERTIME_S)
    # a vehicle busy past every shift's end still returns to a depot open for it
    closes[: layout.n_depots] = np.maximum(closes[: layout.n_depots], shift_end.max())
    for r, vehicle in carrier.items():
        p, d = layout.pickup(r), layout.dropoff(r)
        service[p], opens[p], closes[p] = 0.0, ready[vehicle], ready[vehicle]
        closes[d] = shift_end.max()  # whatever happens, a rider on board is dropped off
        if due is not None:
            due[p] = ready[vehicle]
        compatible[:, r] = False
        compatible[vehicle, r] = True
        max_ride[r] = np.inf
    return replace(
        base,
        service_time=service,
        window_open=opens,
        window_close=np.maximum(closes, opens),
        window_due=due,
        compatible=compatible,
        max_ride_time=max_ride,
        vehicle_start=np.arange(k, dtype=np.int64),
        vehicle_end=layout.depot_of_vehicle,
        shift_start=np.asarray(ready, dtype=np.float64),
        shift_end=shift_end,
        name="live",
    )


def _widen_unreachable(problem: PdpProblem, grace_s: float) -> PdpProblem:
    """Windows no compatible vehicle can still meet end at the earliest arrival + grace."""
    tt = problem.travel_time
    p, d = problem.pickups, problem.deliveries
    reach = problem.shift_start[:, None] + tt[problem.vehicle_start][:, p]
    earliest_pickup = np.where(problem.compatible, reach, np.inf).min(axis=0)
    earliest_pickup = np.maximum(earliest_pickup, problem.window_open[p])
    earliest_drop = earliest_pickup + problem.service_time[p] + tt[p, d]
    closes = problem.window_close.copy()
    reachable = np.isfinite(earliest_pickup)
    late_p = reachable & (earliest_pickup > closes[p])
    closes[p[late_p]] = earliest_pickup[late_p] + grace_s
    late_d = reachable & (earliest_drop > closes[d])
    closes[d[late_d]] = earliest_drop[late_d] + grace_s
    return replace(problem, window_close=closes)


def _warm_start(
    problem: PdpProblem,
    layout: Layout,
    index: Mapping[str, int],
    onboard_of: Sequence[Sequence[int]],
    current: Mapping[str, Sequence[str]],
    vehicles: Sequence[Vehicle],
) -> Plan:
    """The current routes as a plan of ``problem``; riders of routes that no longer fit wait."""
    routes, times = [], []
    placed: set[int] = set()
    for k, vehicle in enumerate(vehicles):
        pinned = [layout.pickup(r) for r in onboard_of[k]]
        stops = _stop_nodes(layout, index, onboard_of[k], current.get(vehicle.id, ()))
        end = int(problem.vehicle_end[k])
        route = [k, *pinned, *stops, end]
        schedule = _schedule_if_fits(problem, k, route)
        if schedule is None:
            dropoffs = [layout.dropoff(r) for r in onboard_of[k]]
            route = [k, *pinned, *dropoffs, end]
            schedule = _schedule_if_fits(problem, k, route)
        routes.append(np.asarray(route, dtype=np.int64))
        times.append(np.zeros(len(route)) if schedule is None else schedule)
        placed.update(problem.request_of()[route[1:-1]].tolist())
    unserved = np.asarray(sorted(set(range(problem.n_requests)) - placed), dtype=np.int64)
    return Plan(routes=routes, times=times, unserved=unserved, method="live")


def _stop_nodes(
    layout: Layout, index: Mapping[str, int], onboard: Sequence[int], order: Sequence[str]
) -> list[int]:
    """Problem nodes of a vehicle's remaining stops; finished or unknown trips are skipped,
    and an on-board rider's dropoff the order leaves out comes last."""
    seen: set[int] = set(onboard)
    nodes = []
    for trip_id in order:
        r = index.get(trip_id)
        if r is None:
            continue
        nodes.append(layout.dropoff(r) if r in seen else layout.pickup(r))
        seen.add(r)
    counts = {n: nodes.count(n) for n in nodes}
    complete = {r for r in seen if layout.dropoff(r) in counts}
    kept = [n for n in nodes if layout.owner(n) in complete and counts[n] == 1]
    return kept + [layout.dropoff(r) for r in onboard if layout.dropoff(r) not in kept]


def _schedule_if_fits(
    problem: PdpProblem, vehicle: int, route: list[int]
) -> NDArray[np.float64] | None:
    """The route's schedule, if the vehicle may carry its riders and they fit; else None."""
    if not load_fits(problem, vehicle, route):
        return None
    if not problem.compatible[vehicle, problem.request_of()[route[1:-1]]].all():
        return None
    return schedule_with_ride_times(problem, vehicle, np.asarray(route, dtype=np.int64))
