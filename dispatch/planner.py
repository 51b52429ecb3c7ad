"""Plan a day: NEMT requests and vehicles -> a dial-a-ride problem -> routes and reasons.

:func:`plan_day` schedules the pre-booked requests; :func:`insert_trip` adds one request
to a day's plan live. The problem is built, and the plan turned into routes, by
:mod:`dispatch.day_problem`; nodes are the distinct depots first, then each request's
pickup and dropoff, and times are seconds after the earliest shift start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from .costs import CostProvider, Observations, TravelTimes
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
from .problem import PdpProblem
from .scheduling import Search, SolveParams, reoptimize, schedule

__all__ = ["DayPlan", "Lateness", "insert_trip", "plan_day"]


def plan_day(
    requests: Sequence[TripRequest],
    vehicles: Sequence[Vehicle],
    costs: CostProvider,
    *,
    time_limit_s: float = 10.0,
    ride_rule: RideTimeRule = DEFAULT_RIDE_TIME_RULE,
    observations: Observations | None = None,
    lateness: Lateness | None = None,
    solution_limit: int | None = None,
    span_cost: float = 0.0,
    search: Search = "alns",
    workers: int = 1,
) -> DayPlan:
    """Schedule the pre-booked requests on the fleet within ``time_limit_s`` seconds.

    Windows are hard unless ``lateness`` allows serving late at a cost. ``span_cost``
    (a whole number) prices each second a used vehicle is out, idle or not, against a
    second of driving: compact routes, fewer vehicle hours.

    ``search`` is the solver's (:class:`~dispatch.scheduling.SolveParams`): by default our
    ALNS, which on a 600-trip day serves more trips on a third less distance than OR-Tools
    in the same budget (BENCHMARKS.md, "NEMT day"); OR-Tools where the ALNS does not price
    what the day asks for (``lateness``, ``span_cost``: see
    :func:`~dispatch.scheduling.search_used`). ``workers`` ALNS searches run in parallel
    processes; ``solution_limit`` makes OR-Tools' plans reproducible.
    """
    check_inputs(requests, vehicles, costs)
    problem, layout, times = _build(
        requests, vehicles, costs, ride_rule, observations, lateness, span_cost
    )
    params = SolveParams(
        time_limit_s=time_limit_s, solution_limit=solution_limit, search=search, workers=workers
    )
    plan = schedule(problem, params)
    return day_plan(requests, vehicles, problem, plan, layout, times)


def insert_trip(
    day: DayPlan,
    new: TripRequest,
    costs: CostProvider,
    *,
    done_stops: Mapping[str, int] | None = None,
    time_limit_s: float = 2.0,
    ride_rule: RideTimeRule = DEFAULT_RIDE_TIME_RULE,
    observations: Observations | None = None,
) -> DayPlan:
    """Insert a new request (a will-call return, a same-day trip) into a day's plan, live.

    ``done_stops[vehicle_id]`` (default: the vehicle's ``completed_stops``) stops of each
    route, after its depot, are done or under way: they keep their vehicle and order, so a
    rider on board is never moved. The request is inserted after them and the plan is
    improved, warm-started from the current one, within ``time_limit_s``.
    """
    requests = (*day.requests, new)
    check_inputs(requests, day.vehicles, costs, on_map=[new])
    problem, layout, times = _build(
        requests, day.vehicles, costs, ride_rule, observations, None, 0.0
    )
    done = done_stops or {}
    locked = [
        min(done.get(v.id, v.completed_stops), len(route) - 2)
        for v, route in zip(day.vehicles, day.plan.routes, strict=True)
    ]
    # existing node indices stay valid: the new request's stops come last
    current = replace(day.plan, unserved=np.append(day.plan.unserved, len(requests) - 1))
    plan = reoptimize(
        problem,
        current,
        locked,
        SolveParams(time_limit_s=time_limit_s),
    )
    return day_plan(requests, day.vehicles, problem, plan, layout, times)


def _build(
    requests: Sequence[TripRequest],
    vehicles: Sequence[Vehicle],
    costs: CostProvider,
    rule: RideTimeRule,
    observations: Observations | None,
    lateness: Lateness | None,
    span_cost: float,
) -> tuple[PdpProblem, Layout, TravelTimes]:
    """The day's problem, its layout, and the travel times behind it."""
    layout = _layout(requests, vehicles)
    lat = [p.lat for p in layout.locations]
    lon = [p.lon for p in layout.locations]
    departures = [layout.origin] * layout.n_depots
    departures += [t for r in requests for t in request_departures(r)]
    times = costs.travel_times(lat, lon, layout.origin, observations, row_departures=departures)
    problem = build_problem(requests, vehicles, layout, times, rule, lateness, span_cost)
    return problem, layout, times


def _layout(requests: Sequence[TripRequest], vehicles: Sequence[Vehicle]) -> Layout:
    """Nodes: the distinct depots, then each request's two stops; times from the first shift."""
    depots, depot_of_vehicle = distinct_depots(vehicles)
    stops = [place for r in requests for place in (r.pickup, r.dropoff)]
    return Layout(
        origin=min(v.shift_start for v in vehicles),
        locations=depots + stops,
        depot_of_vehicle=np.asarray(depot_of_vehicle, dtype=np.int64),
        n_depots=len(depots),
    )
