"""Requests and vehicles as a problem: windows from the domain, input checks shared by planners."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

import routing
from dispatch.costs import CostProvider, own_matrix
from dispatch.day_problem import Lateness, Layout, build_problem, check_inputs
from dispatch.domain import (
    DEFAULT_RIDE_TIME_RULE,
    SEDAN,
    DomainError,
    Location,
    Mobility,
    TripRequest,
    Vehicle,
)
from dispatch.exceptions import PlanningError
from dispatch.live import replan
from dispatch.planner import plan_day
from dispatch.problem import PdpProblem

ZONE = ZoneInfo("America/New_York")
SIX = datetime(2026, 3, 2, 6, tzinfo=ZONE)
DEPOT = Location(lat=39.29, lon=-76.61)


def _vehicle(hours: float = 12.0) -> Vehicle:
    return Vehicle(
        id="V0", type=SEDAN, depot=DEPOT, shift_start=SIX, shift_end=SIX + timedelta(hours=hours)
    )


def _request(i: int, **when: object) -> TripRequest:
    return TripRequest(
        id=f"T{i}",
        rider_id=f"R{i}",
        pickup=Location(lat=39.30 + 0.01 * i, lon=-76.60),
        dropoff=Location(lat=39.30 + 0.01 * i, lon=-76.62),
        mobility=Mobility.AMBULATORY,
        **when,
    )


def _problem(
    requests: list[TripRequest], lateness: Lateness | None = None
) -> tuple[PdpProblem, Layout]:
    """The one-vehicle problem of ``requests``, with 600 s between any two places."""
    layout = Layout(
        origin=SIX,
        locations=[DEPOT] + [p for r in requests for p in (r.pickup, r.dropoff)],
        depot_of_vehicle=np.zeros(1, dtype=np.int64),
        n_depots=1,
    )
    n = len(layout.locations)
    times = own_matrix(np.full((n, n), 600.0) - 600.0 * np.eye(n), n)
    problem = build_problem(requests, [_vehicle()], layout, times, DEFAULT_RIDE_TIME_RULE, lateness)
    return problem, layout


def test_windows_are_the_requests_windows() -> None:
    """Inside the day, a stop's window is its request's pickup or dropoff window, in seconds."""
    ready = _request(0, ready_at=SIX + timedelta(hours=2), pickup_window_s=900.125)
    arrive = _request(1, appointment_at=SIX + timedelta(hours=5), early_arrival_s=1234.5)
    problem, layout = _problem([ready, arrive])
    start, end = ready.pickup_window()
    assert (problem.window_open[1], problem.window_close[1]) == (
        layout.seconds(start),
        layout.seconds(end),
    )
    start, end = arrive.dropoff_window()
    assert (problem.window_open[4], problem.window_close[4]) == (
        layout.seconds(start),
        layout.seconds(end),
    )
    horizon = 12 * 3600.0
    assert (problem.window_open[2], problem.window_close[2]) == (0.0, horizon)  # free dropoff
    assert (problem.window_open[3], problem.window_close[3]) == (0.0, horizon)  # free pickup


def test_a_window_sticking_out_of_the_day_moves_in_whole() -> None:
    """A ready time before the first shift, or an appointment after the last, keeps its width."""
    early = _request(0, ready_at=SIX - timedelta(minutes=10), pickup_window_s=900.0)
    late = _request(1, appointment_at=SIX + timedelta(hours=13), early_arrival_s=1800.0)
    problem, _ = _problem([early, late])
    horizon = 12 * 3600.0
    assert (problem.window_open[1], problem.window_close[1]) == (0.0, 900.0)
    assert (problem.window_open[4], problem.window_close[4]) == (horizon - 1800.0, horizon)


def test_lateness_makes_window_ends_soft_deadlines() -> None:
    """With lateness, the ends become ``window_due`` and service may start ``max_s`` later."""
    ready = _request(0, ready_at=SIX + timedelta(hours=2))
    hard, _ = _problem([ready])
    soft, _ = _problem([ready], Lateness(max_s=600.0, cost_per_s=4.0))
    assert soft.window_due is not None
    np.testing.assert_array_equal(soft.window_due, hard.window_close)
    np.testing.assert_array_equal(
        soft.window_close[1:], np.minimum(hard.window_close + 600, 43200)[1:]
    )
    assert soft.window_close[0] == hard.window_close[0]  # the depot stays hard
    assert soft.late_cost == 4.0


def test_plan_day_and_replan_refuse_an_empty_fleet_alike(baltimore: routing.RoadGraph) -> None:
    """Both planners run the same input checks: no vehicle is a PlanningError."""
    costs = CostProvider(baltimore)
    requests = [_request(0, ready_at=SIX + timedelta(hours=2))]
    with pytest.raises(PlanningError, match="at least one vehicle"):
        plan_day(requests, [], costs)
    with pytest.raises(PlanningError, match="at least one vehicle"):
        replan(requests, [], costs, SIX)


def test_check_inputs_checks_only_the_places_asked(baltimore: routing.RoadGraph) -> None:
    """``on_map`` limits the map check; requests are validated against the fleet all the same."""
    costs = CostProvider(baltimore)
    node = int(np.argmax(baltimore.lat))
    on_map = Location(lat=float(baltimore.lat[node]), lon=float(baltimore.lon[node]))
    lost = _request(0, ready_at=SIX).model_copy(update={"dropoff": Location(lat=38.0, lon=-70.0)})
    fleet = [_vehicle().model_copy(update={"depot": on_map})]
    with pytest.raises(DomainError, match="T0"):
        check_inputs([lost], fleet, costs)
    check_inputs([lost], fleet, costs, on_map=fleet)
    twice = [lost, lost]
    with pytest.raises(DomainError, match="appears 2 times"):
        check_inputs(twice, fleet, costs, on_map=fleet)
