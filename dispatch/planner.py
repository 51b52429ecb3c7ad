"""Plan a day: NEMT requests and vehicles -> a dial-a-ride problem -> routes and reasons.

The one place where domain objects become arrays (:class:`PdpProblem`) and the solver's
plan becomes :class:`Route` objects again. Times in the problem are seconds after the
earliest shift start; nodes are the distinct depots first, then each request's pickup
and dropoff.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from .costs import CostProvider, Observations, TravelTimes
from .diagnosis import unserved_reasons
from .domain import (
    DEFAULT_RIDE_TIME_RULE,
    Location,
    RideTimeRule,
    Route,
    Stop,
    StopKind,
    TripRequest,
    UnassignedReason,
    UnassignedTrip,
    Vehicle,
    capacity_dimensions,
    check_on_map,
    validate_requests,
)
from .exceptions import PlanningError
from .problem import PdpProblem, Plan
from .scheduling import SolveParams, reoptimize, schedule


@dataclass(frozen=True)
class Lateness:
    """Serve a trip late rather than not at all.

    Up to ``max_s`` after its window closes (the pickup window of a ready-by trip, the
    appointment of an arrive-by one), each second late costing as much as ``cost_per_s``
    seconds of driving.
    """

    max_s: float = 3600.0
    cost_per_s: float = 5.0


@dataclass(frozen=True, eq=False)
class DayPlan:
    """Routes per vehicle, the unassigned trips with reasons, and the arrays behind them.

    ``requests`` and ``vehicles`` are the inputs, in the order the problem indexes them.
    """

    routes: list[Route]
    unassigned: list[UnassignedTrip]
    method: str
    solve_seconds: float
    problem: PdpProblem
    plan: Plan
    requests: tuple[TripRequest, ...]
    vehicles: tuple[Vehicle, ...]


@dataclass(frozen=True, eq=False)
class _Layout:
    """How domain objects map to problem indices."""

    origin: datetime
    locations: list[Location]
    depot_of_vehicle: NDArray[np.int64]
    n_depots: int

    def pickup(self, r: int) -> int:
        return self.n_depots + 2 * r

    def dropoff(self, r: int) -> int:
        return self.n_depots + 2 * r + 1

    def owner(self, node: int) -> int:
        """The request a pickup or dropoff node belongs to."""
        return (node - self.n_depots) // 2

    def seconds(self, moment: datetime) -> float:
        return (moment - self.origin).total_seconds()

    def moment(self, seconds: float) -> datetime:
        return self.origin + timedelta(seconds=float(seconds))


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
) -> DayPlan:
    """Schedule the pre-booked requests on the fleet within ``time_limit_s`` seconds.

    Windows are hard unless ``lateness`` allows serving late at a cost. ``span_cost``
    (a whole number) prices each second a used vehicle is out, idle or not, against a
    second of driving: compact routes, fewer vehicle hours.
    """
    if not vehicles:
        msg = "vehicles: a plan needs at least one vehicle"
        raise PlanningError(msg)
    validate_requests(requests, {v.type.name: v.type for v in vehicles}.values())
    check_on_map([*requests, *vehicles], costs.graph, costs.max_snap_m)
    problem, layout, times = _build(
        requests, vehicles, costs, ride_rule, observations, lateness, span_cost
    )
    plan = schedule(problem, SolveParams(time_limit_s=time_limit_s, solution_limit=solution_limit))
    return _day_plan(requests, vehicles, problem, plan, layout, times)


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
    validate_requests(requests, {v.type.name: v.type for v in day.vehicles}.values())
    check_on_map([new], costs.graph, costs.max_snap_m)
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
    return _day_plan(requests, day.vehicles, problem, plan, layout, times)


def _build(
    requests: Sequence[TripRequest],
    vehicles: Sequence[Vehicle],
    costs: CostProvider,
    rule: RideTimeRule,
    observations: Observations | None,
    lateness: Lateness | None,
    span_cost: float,
) -> tuple[PdpProblem, _Layout, TravelTimes]:
    layout = _layout(requests, vehicles)
    lat = [p.lat for p in layout.locations]
    lon = [p.lon for p in layout.locations]
    departures = [layout.origin] * layout.n_depots
    departures += [t for r in requests for t in _departures(r)]
    times = costs.travel_times(lat, lon, layout.origin, observations, row_departures=departures)
    problem = _problem(requests, vehicles, layout, times, rule, lateness, span_cost)
    return problem, layout, times


def _departures(request: TripRequest) -> tuple[datetime, datetime]:
    """Roughly when the drives from a request's pickup and from its dropoff start."""
    ride = timedelta(minutes=45)
    if request.ready_at is not None:
        return request.ready_at, request.ready_at + ride
    assert request.appointment_at is not None
    return request.appointment_at - ride, request.appointment_at


def _day_plan(
    requests: Sequence[TripRequest],
    vehicles: Sequence[Vehicle],
    problem: PdpProblem,
    plan: Plan,
    layout: _Layout,
    times: TravelTimes,
) -> DayPlan:
    space_names = capacity_dimensions([v.type for v in vehicles]).names
    reasons = unserved_reasons(problem, plan.unserved.tolist())
    unassigned = [
        UnassignedTrip(request_id=requests[r].id, reason=UnassignedReason(reason), detail=detail)
        for r, (reason, detail) in reasons.items()
    ]
    routes = [
        _route(
            vehicle, plan.routes[k], plan.times[k], problem, layout, times, requests, space_names
        )
        for k, vehicle in enumerate(vehicles)
    ]
    return DayPlan(
        routes,
        unassigned,
        plan.method,
        plan.solve_seconds,
        problem,
        plan,
        tuple(requests),
        tuple(vehicles),
    )


def distinct_depots(vehicles: Sequence[Vehicle]) -> tuple[list[Location], list[int]]:
    """The fleet's distinct depot places, and the index of each vehicle's among them."""
    depots: list[Location] = []
    depot_of_vehicle = []
    for vehicle in vehicles:
        match = next((i for i, d in enumerate(depots) if d.same_place(vehicle.depot)), None)
        if match is None:
            depots.append(vehicle.depot)
            match = len(depots) - 1
        depot_of_vehicle.append(match)
    return depots, depot_of_vehicle


def _layout(requests: Sequence[TripRequest], vehicles: Sequence[Vehicle]) -> _Layout:
    depots, depot_of_vehicle = distinct_depots(vehicles)
    stops = [place for r in requests for place in (r.pickup, r.dropoff)]
    return _Layout(
        origin=min(v.shift_start for v in vehicles),
        locations=depots + stops,
        depot_of_vehicle=np.asarray(depot_of_vehicle, dtype=np.int64),
        n_depots=len(depots),
    )


def _problem(
    requests: Sequence[TripRequest],
    vehicles: Sequence[Vehicle],
    layout: _Layout,
    times: TravelTimes,
    rule: RideTimeRule,
    lateness: Lateness | None = None,
    span_cost: float = 0.0,
) -> PdpProblem:
    n, n_req = len(layout.locations), len(requests)
    horizon = max(layout.seconds(v.shift_end) for v in vehicles)
    types = [v.type for v in vehicles]
    dims = capacity_dimensions(types)
    service, open_, close = np.zeros(n), np.zeros(n), np.full(n, horizon)
    demand = np.zeros((n, len(dims.names)))
    max_ride = np.empty(n_req)
    for r, request in enumerate(requests):
        p, d = layout.pickup(r), layout.dropoff(r)
        service[p], service[d] = request.board_s, request.alight_s
        demand[p] = dims.demand(request.mobility, request.escorts)
        demand[d] = -demand[p]
        if request.ready_at is not None:
            open_[p] = max(layout.seconds(request.ready_at), 0.0)
            close[p] = min(open_[p] + request.pickup_window_s, horizon)
        else:
            assert request.appointment_at is not None
            close[d] = min(layout.seconds(request.appointment_at), horizon)
            open_[d] = max(close[d] - request.early_arrival_s, 0.0)
        max_ride[r] = request.ride_limit_s(float(times.feasibility[p, d]), rule)
    open_, close = np.minimum(open_, close), np.maximum(open_, close)
    due = None
    if lateness is not None:
        due = close.copy()
        close = np.minimum(close + lateness.max_s, horizon)
        close[: layout.n_depots] = due[: layout.n_depots]
    depot = layout.depot_of_vehicle
    return PdpProblem(
        travel_time=times.feasibility,
        service_time=service,
        window_open=open_,
        window_close=close,
        demand=demand,
        pickups=np.array([layout.pickup(r) for r in range(n_req)], dtype=np.int64),
        deliveries=np.array([layout.dropoff(r) for r in range(n_req)], dtype=np.int64),
        max_ride_time=max_ride,
        vehicle_start=depot,
        vehicle_end=depot,
        capacity=dims.limits.astype(np.float64),
        shift_start=np.array([layout.seconds(v.shift_start) for v in vehicles]),
        shift_end=np.array([layout.seconds(v.shift_end) for v in vehicles]),
        max_route_duration=np.full(len(vehicles), np.inf),
        compatible=np.array(
            [[v.type.can_carry(r.mobility, r.escorts) for r in requests] for v in vehicles],
            dtype=bool,
        ).reshape(len(vehicles), n_req),
        cost=times.plan,
        name="day",
        window_due=due,
        late_cost=0.0 if lateness is None else lateness.cost_per_s,
        span_cost=span_cost,
    )


def _route(
    vehicle: Vehicle,
    nodes: NDArray[np.int64],
    starts: NDArray[np.float64],
    problem: PdpProblem,
    layout: _Layout,
    times: TravelTimes,
    requests: Sequence[TripRequest],
    space_names: Sequence[str],
) -> Route:
    """The domain route of one vehicle: arrival (P50 and P90), service start, load per space."""
    if len(nodes) <= 2:
        return Route(vehicle_id=vehicle.id)
    load = np.cumsum(problem.demand[nodes], axis=0)
    stops = []
    for i, (node, start) in enumerate(zip(nodes.tolist(), starts.tolist(), strict=True)):
        if i == 0:
            arrival = p90 = start
        else:
            prev, leave = nodes[i - 1], starts[i - 1] + problem.service_time[nodes[i - 1]]
            arrival = min(leave + times.plan[prev, node], start)
            p90 = max(leave + times.feasibility[prev, node], arrival)
        kind, request_id = _stop_kind(node, layout, requests)
        stops.append(
            Stop(
                request_id=request_id,
                kind=kind,
                location=layout.locations[node],
                planned_arrival=layout.moment(arrival),
                planned_start=layout.moment(max(start, arrival)),
                p90_arrival=layout.moment(p90),
                load_after={
                    name: max(round(float(x)), 0)
                    for name, x in zip(space_names, load[i], strict=True)
                },
            )
        )
    return Route(vehicle_id=vehicle.id, stops=tuple(stops))


def _stop_kind(
    node: int, layout: _Layout, requests: Sequence[TripRequest]
) -> tuple[StopKind, str | None]:
    if node < layout.n_depots:
        return StopKind.DEPOT, None
    r, offset = divmod(node - layout.n_depots, 2)
    return (StopKind.DROPOFF if offset else StopKind.PICKUP), requests[r].id
