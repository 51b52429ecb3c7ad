"""Planning a day on the default map: domain in, checked routes and reasons out."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

import routing
from dispatch.checker import check_plan
from dispatch.costs import CostProvider
from dispatch.domain import (
    RECONFIGURABLE_VAN,
    SEDAN,
    STRETCHER_VAN,
    WHEELCHAIR_VAN,
    DomainError,
    Location,
    Mobility,
    StopKind,
    TripRequest,
    Vehicle,
)
from dispatch.planner import insert_trip, plan_day
from dispatch.scheduling import Search

ZONE = ZoneInfo("America/New_York")
DAY = datetime(2026, 3, 2, tzinfo=ZONE)


def _place(graph: routing.RoadGraph, node: int) -> Location:
    return Location(lat=float(graph.lat[node]), lon=float(graph.lon[node]))


def nemt_instance(
    graph: routing.RoadGraph, seed: int, n_requests: int = 24
) -> tuple[list[TripRequest], list[Vehicle]]:
    """Random requests (mixed mobility, arrive-by and ready-by, will-call returns) and a fleet."""
    rng = np.random.default_rng(seed)
    depot = _place(graph, int(rng.integers(graph.n_nodes)))
    types = [SEDAN, SEDAN, WHEELCHAIR_VAN, RECONFIGURABLE_VAN, STRETCHER_VAN]
    vehicles = [
        Vehicle(
            id=f"V{k}",
            type=t,
            depot=depot,
            shift_start=DAY + timedelta(hours=6),
            shift_end=DAY + timedelta(hours=18),
        )
        for k, t in enumerate(types)
    ]
    requests = []
    mobilities = [Mobility.AMBULATORY, Mobility.WHEELCHAIR, Mobility.STRETCHER]
    for r in range(n_requests):
        a, b = (int(x) for x in rng.choice(graph.n_nodes, 2, replace=False))
        mobility = mobilities[int(rng.choice(3, p=[0.6, 0.3, 0.1]))]
        at = DAY + timedelta(hours=float(rng.uniform(7.5, 15.5)))
        common = {
            "id": f"T{r}",
            "rider_id": f"R{r}",
            "pickup": _place(graph, a),
            "dropoff": _place(graph, b),
            "mobility": mobility,
            "escorts": int(rng.random() < 0.15),
        }
        if r % 3 == 0:
            requests.append(TripRequest(**common, appointment_at=at))
        else:
            requests.append(TripRequest(**common, ready_at=at, will_call=r % 3 == 2))
    return requests, vehicles


@pytest.mark.parametrize(("seed", "search"), [(0, "alns"), (1, "alns"), (2, "ortools")])
def test_day_plan_passes_the_checker(
    baltimore: routing.RoadGraph, seed: int, search: Search
) -> None:
    """Plans of random NEMT days are feasible for the checker, with either search (the
    ALNS by default); every trip is routed or explained."""
    requests, vehicles = nemt_instance(baltimore, seed)
    day = plan_day(requests, vehicles, CostProvider(baltimore), time_limit_s=2, search=search)
    assert day.method == {"alns": "alns", "ortools": "solver"}[search]
    report = check_plan(day.problem, day.plan)
    assert report.feasible, report.summary()
    routed = {s.request_id for route in day.routes for s in route.stops if s.request_id}
    unassigned = {u.request_id for u in day.unassigned}
    assert routed | unassigned == {r.id for r in requests}
    assert not routed & unassigned


def test_a_price_on_vehicle_time_plans_with_or_tools(baltimore: routing.RoadGraph) -> None:
    """The ALNS does not price vehicle time: a day that does is planned by OR-Tools."""
    requests, vehicles = nemt_instance(baltimore, 4, n_requests=12)
    day = plan_day(requests, vehicles, CostProvider(baltimore), time_limit_s=1, span_cost=1.0)
    assert day.method == "solver"
    assert check_plan(day.problem, day.plan).feasible


def test_routes_respect_domain_rules(baltimore: routing.RoadGraph) -> None:
    """Pickups precede dropoffs in one vehicle, appointments are met, vehicles carry what fits."""
    requests, vehicles = nemt_instance(baltimore, 7)
    by_id = {r.id: r for r in requests}
    day = plan_day(requests, vehicles, CostProvider(baltimore), time_limit_s=2)
    for route, vehicle in zip(day.routes, vehicles, strict=True):
        seen: dict[str, datetime] = {}
        for stop in route.stops:
            if stop.kind is StopKind.PICKUP:
                request = by_id[stop.request_id]
                assert vehicle.type.can_carry(request.mobility, request.escorts)
                seen[stop.request_id] = stop.planned_start
            elif stop.kind is StopKind.DROPOFF:
                request = by_id[stop.request_id]
                assert stop.request_id in seen
                if request.appointment_at is not None:
                    assert stop.planned_start <= request.appointment_at + timedelta(seconds=1)
            assert stop.p90_arrival >= stop.planned_arrival
        assert route.stops == () or route.stops[0].kind is StopKind.DEPOT


def test_a_space_need_no_vehicle_has_is_refused(baltimore: routing.RoadGraph) -> None:
    """A stretcher trip for a fleet without stretcher vans is refused naming the request."""
    requests, vehicles = nemt_instance(baltimore, 1, n_requests=4)
    stretcher = requests[0].model_copy(update={"mobility": Mobility.STRETCHER})
    no_stretchers = [v for v in vehicles if v.type is not STRETCHER_VAN]
    with pytest.raises(DomainError, match=stretcher.id):
        plan_day([stretcher], no_stretchers, CostProvider(baltimore), time_limit_s=1)


def test_will_call_is_inserted_live_without_moving_done_stops(baltimore: routing.RoadGraph) -> None:
    """A will-call return joins the plan; done stops keep vehicle and order; the plan checks."""
    requests, vehicles = nemt_instance(baltimore, 3, n_requests=16)
    costs = CostProvider(baltimore)
    day = plan_day(requests, vehicles, costs, time_limit_s=2)
    outbound = next(r for r in requests if r.appointment_at is not None)
    will_call = TripRequest(
        id="WC1",
        rider_id=outbound.rider_id,
        pickup=outbound.dropoff,
        dropoff=outbound.pickup,
        mobility=outbound.mobility,
        escorts=outbound.escorts,
        ready_at=outbound.appointment_at + timedelta(hours=1),
        return_of=outbound.id,
        will_call=True,
    )
    done = {v.id: 2 for v in vehicles}
    live = insert_trip(day, will_call, costs, done_stops=done, time_limit_s=1)
    assert check_plan(live.problem, live.plan).feasible
    for before, after in zip(day.routes, live.routes, strict=True):
        kept = min(2, max(len(before.stops) - 2, 0)) + 1  # depot + done stops
        assert [s.request_id for s in after.stops[:kept]] == [
            s.request_id for s in before.stops[:kept]
        ]
    routed = {s.request_id for route in live.routes for s in route.stops}
    assert "WC1" in routed


def test_a_trip_off_the_map_is_refused_naming_it(baltimore: routing.RoadGraph) -> None:
    """A dropoff in the Atlantic is refused naming the request and the field."""
    requests, vehicles = nemt_instance(baltimore, 2, n_requests=3)
    lost = requests[1].model_copy(update={"dropoff": Location(lat=38.0, lon=-70.0)})
    with pytest.raises(DomainError, match=r"T1.*dropoff|dropoff.*T1"):
        plan_day([requests[0], lost], vehicles, CostProvider(baltimore), time_limit_s=1)
