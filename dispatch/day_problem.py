"""NEMT requests and vehicles as a dial-a-ride problem, and its plan as domain routes again.

The one place where domain objects become arrays (:class:`PdpProblem`) and a solver's
:class:`Plan` becomes :class:`Route` objects and reasons (a :class:`DayPlan`). A
:class:`Layout` maps domain objects to node indices: depots (or, live, vehicle starts)
first, then each request's pickup and dropoff; times are seconds after its ``origin``.
Used by the day planner (:mod:`dispatch.planner`) and live re-planning
(:mod:`dispatch.live`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from .costs import CostProvider, TravelTimes
from .diagnosis import unserved_reasons
from .domain import (
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

_RIDE_GUESS = timedelta(minutes=45)  # a typical ride, to guess when drives start


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
class Layout:
    """How domain objects map to problem indices, and moments to problem times.

    ``locations`` holds one place per node: the ``n_depots`` start and end nodes, then
    each request's pickup and dropoff. ``depot_of_vehicle`` is each vehicle's depot node
    (where its route ends).
    """

    origin: datetime
    locations: list[Location]
    depot_of_vehicle: NDArray[np.int64]
    n_depots: int

    def pickup(self, r: int) -> int:
        """The pickup node of request ``r``."""
        return self.n_depots + 2 * r

    def dropoff(self, r: int) -> int:
        """The dropoff node of request ``r``."""
        return self.n_depots + 2 * r + 1

    def owner(self, node: int) -> int:
        """The request a pickup or dropoff node belongs to."""
        return (node - self.n_depots) // 2

    def seconds(self, moment: datetime) -> float:
        """Problem time of a moment: seconds after the origin."""
        return (moment - self.origin).total_seconds()

    def moment(self, seconds: float) -> datetime:
        """The moment of a problem time."""
        return self.origin + timedelta(seconds=float(seconds))


def check_inputs(
    requests: Sequence[TripRequest],
    vehicles: Sequence[Vehicle],
    costs: CostProvider,
    *,
    on_map: Iterable[TripRequest | Vehicle] | None = None,
) -> None:
    """Refuse inputs no plan can be made of, naming every problem.

    Parameters
    ----------
    requests
        All requests of the plan.
    vehicles
        The fleet.
    costs
        The cost provider, whose road graph the places must lie on.
    on_map
        The requests and vehicles whose places to check (default: all of them).

    Raises
    ------
    PlanningError
        If there is no vehicle.
    DomainError
        If requests clash with each other or the fleet, or a place is off the map.
    """
    if not vehicles:
        msg = "vehicles: a plan needs at least one vehicle"
        raise PlanningError(msg)
    validate_requests(requests, {v.type.name: v.type for v in vehicles}.values())
    placed: list[TripRequest | Vehicle] = [*requests, *vehicles] if on_map is None else [*on_map]
    check_on_map(placed, costs.graph, costs.max_snap_m)


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


def request_departures(request: TripRequest) -> tuple[datetime, datetime]:
    """Roughly when the drives from a request's pickup and from its dropoff start."""
    if request.ready_at is not None:
        return request.ready_at, request.ready_at + _RIDE_GUESS
    assert request.appointment_at is not None
    return request.appointment_at - _RIDE_GUESS, request.appointment_at


def build_problem(
    requests: Sequence[TripRequest],
    vehicles: Sequence[Vehicle],
    layout: Layout,
    times: TravelTimes,
    rule: RideTimeRule,
    lateness: Lateness | None = None,
    span_cost: float = 0.0,
) -> PdpProblem:
    """The dial-a-ride problem of requests on a fleet, in the nodes and times of ``layout``.

    Each vehicle starts and ends at its depot within its shift. A request's window is its
    :meth:`~TripRequest.pickup_window` or :meth:`~TripRequest.dropoff_window`, moved
    whole into ``[0, horizon]`` (the last shift end) if it sticks out at the side of its
    ready time or appointment. With ``lateness``, the windows' ends become soft deadlines
    and service may start up to ``lateness.max_s`` later, at a price.

    Parameters
    ----------
    requests, vehicles
        The inputs, in the order of the problem's requests and vehicles.
    layout
        Node indices and the time origin.
    times
        Travel times between the layout's locations (``feasibility`` drives the schedule,
        ``plan`` is the cost).
    rule
        The ride-time rule of requests without their own limit.
    lateness
        Whether and at what price trips may be served late (default: never).
    span_cost
        The price of a second a used vehicle is out, against a second of driving.

    Returns
    -------
    PdpProblem
        The problem, in seconds after ``layout.origin``.
    """
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
        pickup_window, dropoff_window = request.pickup_window(), request.dropoff_window()
        if pickup_window is not None:
            ready, latest = pickup_window
            open_[p] = max(layout.seconds(ready), 0.0)
            close[p] = min(open_[p] + (latest - ready).total_seconds(), horizon)
        else:
            assert dropoff_window is not None
            earliest, appointment = dropoff_window
            close[d] = min(layout.seconds(appointment), horizon)
            open_[d] = max(close[d] - (appointment - earliest).total_seconds(), 0.0)
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


def day_plan(
    requests: Sequence[TripRequest],
    vehicles: Sequence[Vehicle],
    problem: PdpProblem,
    plan: Plan,
    layout: Layout,
    times: TravelTimes,
) -> DayPlan:
    """The domain form of a plan: a route per vehicle, and the reason for each unserved trip.

    Parameters
    ----------
    requests, vehicles
        The inputs the problem was built from, in its order.
    problem
        The problem the plan solves.
    plan
        The solver's plan.
    layout
        The layout the problem was built in.
    times
        The travel times behind the problem (median arrivals from ``plan``, P90 from
        ``feasibility``).

    Returns
    -------
    DayPlan
        Routes, unassigned trips with reasons, and the arrays behind them.
    """
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


def _route(
    vehicle: Vehicle,
    nodes: NDArray[np.int64],
    starts: NDArray[np.float64],
    problem: PdpProblem,
    layout: Layout,
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
    node: int, layout: Layout, requests: Sequence[TripRequest]
) -> tuple[StopKind, str | None]:
    if node < layout.n_depots:
        return StopKind.DEPOT, None
    r, offset = divmod(node - layout.n_depots, 2)
    return (StopKind.DROPOFF if offset else StopKind.PICKUP), requests[r].id
