"""On-demand matching of free vehicles to open requests on the default map."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

import routing
from dispatch.costs import CostProvider
from dispatch.domain import SEDAN, Mobility
from dispatch.exceptions import PlanningError
from dispatch.matching import UnmatchedReason
from dispatch.on_demand import match_now

from .test_planner import DAY, nemt_instance


def test_match_now_is_the_brute_force_optimum(baltimore: routing.RoadGraph) -> None:
    """Most requests matched at least total time to pickup, as an exhaustive search finds."""
    requests, vehicles = nemt_instance(baltimore, 4, n_requests=5)
    now = DAY + timedelta(hours=9)
    costs = CostProvider(baltimore)
    result = match_now(vehicles, requests, costs, now, max_wait_s=600, lateness_weight=0.0)

    def node(place):  # type: ignore[no-untyped-def]
        return int(routing.nearest_nodes(baltimore, [place.lat], [place.lon])[0])

    def allowed(v: int, r: int) -> bool:
        vehicle, request = vehicles[v], requests[r]
        wait = routing.travel_time(baltimore, node(vehicle.depot), node(request.pickup))
        ride = routing.travel_time(baltimore, node(request.pickup), node(request.dropoff))
        left = (vehicle.shift_end - now).total_seconds()
        service = request.board_s + request.alight_s
        fits = vehicle.type.can_carry(request.mobility, request.escorts)
        return fits and wait <= 600 and wait + ride + service <= left

    best = (0, 0.0)
    for order in itertools.permutations(range(len(vehicles)), len(requests)):
        pairs = [(v, r) for r, v in enumerate(order) if allowed(v, r)]
        cost = sum(
            routing.travel_time(baltimore, node(vehicles[v].depot), node(requests[r].pickup))
            for v, r in pairs
        )
        best = max(best, (len(pairs), -cost))
    assert len(result.assignments) == best[0]
    total = sum(a.seconds_to_pickup for a in result.assignments)
    assert total == pytest.approx(-best[1], abs=0.05 * max(len(result.assignments), 1))
    assert len(result.assignments) + len(result.unmatched) == len(requests)


def test_incompatible_request_is_unmatched_with_reason(baltimore: routing.RoadGraph) -> None:
    """A stretcher request with only sedans free is unmatched: no feasible vehicle."""
    requests, vehicles = nemt_instance(baltimore, 5, n_requests=3)
    stretcher = requests[0].model_copy(update={"mobility": Mobility.STRETCHER})
    sedans = [v for v in vehicles if v.type is SEDAN]
    result = match_now(sedans, [stretcher], CostProvider(baltimore), DAY + timedelta(hours=9))
    assert result.assignments == []
    assert result.unmatched == {stretcher.id: UnmatchedReason.NO_FEASIBLE_VEHICLE}


def test_shift_end_and_wait_cap_are_rules(baltimore: routing.RoadGraph) -> None:
    """A vehicle whose shift ends now, or a wait cap of one second, leaves requests unmatched."""
    requests, vehicles = nemt_instance(baltimore, 6, n_requests=3)
    ambulatory = [r for r in requests if r.mobility is Mobility.AMBULATORY]
    end = vehicles[0].shift_end
    result = match_now(vehicles[:2], ambulatory, CostProvider(baltimore), end)
    assert result.assignments == []
    nine = DAY + timedelta(hours=9)
    tight = match_now(vehicles, ambulatory, CostProvider(baltimore), nine, max_wait_s=1)
    assert all(a.seconds_to_pickup <= 1 for a in tight.assignments)


def test_lateness_decides_between_two_riders(baltimore: routing.RoadGraph) -> None:
    """One free sedan, two riders: without lateness it takes the nearer, with it the one due now."""
    requests, vehicles = nemt_instance(baltimore, 8, n_requests=6)
    sedan = next(v for v in vehicles if v.type is SEDAN)
    now = DAY + timedelta(hours=9)
    base = [r for r in requests if r.mobility is Mobility.AMBULATORY and r.escorts == 0][:2]
    assert len(base) == 2
    costs = CostProvider(baltimore)
    first = match_now([sedan], base, costs, now, max_wait_s=3600, lateness_weight=0.0)
    (chosen,) = first.assignments
    other = next(r for r in base if r.id != chosen.request_id)
    # the other rider was ready an hour ago; the chosen one can wait until the afternoon
    due = [
        other.model_copy(update={"ready_at": now - timedelta(hours=1), "appointment_at": None}),
        next(r for r in base if r.id == chosen.request_id).model_copy(
            update={"ready_at": now + timedelta(hours=5), "appointment_at": None}
        ),
    ]
    second = match_now([sedan], due, costs, now, max_wait_s=3600, lateness_weight=2.0)
    assert [a.request_id for a in second.assignments] == [other.id]


def test_a_wait_limit_that_is_not_positive_is_refused(baltimore: routing.RoadGraph) -> None:
    """``max_wait_s`` <= 0 is a PlanningError naming the argument."""
    requests, vehicles = nemt_instance(baltimore, 4, n_requests=2)
    with pytest.raises(PlanningError, match="max_wait_s"):
        match_now(vehicles, requests, CostProvider(baltimore), DAY, max_wait_s=0)
