"""Live re-planning from the fleet's state: positions, riders on board, late riders, warm start."""

from __future__ import annotations

from datetime import timedelta

import pytest

import routing
from dispatch.checker import check_plan
from dispatch.costs import CostProvider
from dispatch.domain import StopKind, Vehicle
from dispatch.live import replan
from dispatch.planner import plan_day

from .test_planner import DAY, nemt_instance


def _stops(route) -> list[tuple[str | None, StopKind]]:
    return [(s.request_id, s.kind) for s in route.stops if s.kind != StopKind.DEPOT]


@pytest.mark.parametrize("seed", range(2))
def test_replan_mid_day_keeps_riders_on_board_and_passes_the_checker(
    baltimore: routing.RoadGraph, seed: int
) -> None:
    """At 11:00 with riders on board, their dropoffs stay on their vehicle; plan is feasible."""
    requests, vehicles = nemt_instance(baltimore, seed, n_requests=20)
    costs = CostProvider(baltimore)
    morning = plan_day(requests, vehicles, costs, time_limit_s=2)
    now = DAY + timedelta(hours=11)
    on_board: dict[str, tuple[str, ...]] = {}
    current: dict[str, list[str]] = {}
    for route in morning.routes:
        stops = _stops(route)
        started = [s for s in route.stops if s.request_id and s.planned_start < now]
        picked = [s.request_id for s in started if s.kind == StopKind.PICKUP]
        dropped = {s.request_id for s in started if s.kind == StopKind.DROPOFF}
        on_board[route.vehicle_id] = tuple(r for r in picked if r not in dropped)
        current[route.vehicle_id] = [r for r, _ in stops[len(started) :]]
    done = {s.request_id for r in morning.routes for s in r.stops if s.planned_start < now}
    riding = {t for trips in on_board.values() for t in trips}
    waiting = [r for r in requests if r.id not in done or r.id in riding]
    live = [
        v.model_copy(update={"on_board": on_board[v.id], "available_from": now}) for v in vehicles
    ]
    day = replan(waiting, live, costs, now, current=current, time_limit_s=1)
    report = check_plan(day.problem, day.plan)
    assert report.feasible, report.summary()
    carried = {r.vehicle_id: {s.request_id for s in r.stops} for r in day.routes}
    for vehicle_id, trips in on_board.items():
        assert set(trips) <= carried[vehicle_id]
    routed = {s.request_id for r in day.routes for s in r.stops if s.request_id}
    assert routed | {u.request_id for u in day.unassigned} == {r.id for r in waiting}
    for route in day.routes:
        for stop in route.stops:
            assert stop.planned_start >= now - timedelta(seconds=1)


def test_a_late_rider_is_served_late_rather_than_dropped(baltimore: routing.RoadGraph) -> None:
    """A pickup window that closed before now is widened to the earliest arrival."""
    requests, vehicles = nemt_instance(baltimore, 0, n_requests=6)
    ready = next(r for r in requests if r.ready_at is not None)
    now = ready.ready_at + timedelta(hours=1)
    vehicle = next(v for v in vehicles if v.type.can_carry(ready.mobility, ready.escorts))
    live = [vehicle.model_copy(update={"available_from": now})]
    day = replan([ready], live, CostProvider(baltimore), now, time_limit_s=0.5)
    assert not day.unassigned
    assert day.routes[0].stops[1].planned_start >= now


def test_a_vehicle_busy_past_every_shift_still_delivers_its_rider(
    baltimore: routing.RoadGraph,
) -> None:
    """A vehicle free only after every shift (and the depots' day) has ended, a rider on
    board: the plan takes the rider home in the vehicle's overtime, checked feasible."""
    requests, vehicles = nemt_instance(baltimore, 0, n_requests=4)
    rider = requests[0]
    vehicle = next(v for v in vehicles if v.type.can_carry(rider.mobility, rider.escorts))
    now = max(v.shift_end for v in vehicles) + timedelta(minutes=30)
    late = vehicle.model_copy(
        update={"on_board": (rider.id,), "available_from": now, "position": rider.pickup}
    )
    day = replan([rider], [late], CostProvider(baltimore), now, time_limit_s=0.5)
    report = check_plan(day.problem, day.plan)
    assert report.feasible, report.summary()
    assert not day.unassigned
    assert [s.request_id for s in day.routes[0].stops if s.request_id] == [rider.id, rider.id]


def test_replan_refuses_on_board_trips_it_does_not_know(baltimore: routing.RoadGraph) -> None:
    """A vehicle carrying a trip missing from the requests is an error naming the field."""
    requests, vehicles = nemt_instance(baltimore, 0, n_requests=3)
    bad: list[Vehicle] = [vehicles[0].model_copy(update={"on_board": ("nobody",)}), *vehicles[1:]]
    with pytest.raises(ValueError, match=r"on_board.*nobody"):
        replan(requests, bad, CostProvider(baltimore), DAY + timedelta(hours=9))
