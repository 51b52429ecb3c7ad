"""The load-fit rule the greedy and live insertions share (the schedules: test_checker.py)."""

from __future__ import annotations

import numpy as np
import pytest

from dispatch.checker import check_plan
from dispatch.problem import PdpProblem, Plan
from dispatch.route_timing import LOAD_TOL, earliest_schedule, load_fits


def _problem(capacity: list[float], demand: list[list[float]]) -> PdpProblem:
    """One vehicle, two requests on nodes 1-4 (pickups 1, 2), depots 0 and 5, all 1 apart."""
    n = 6
    return PdpProblem(
        travel_time=np.ones((n, n)) - np.eye(n),
        service_time=np.zeros(n),
        window_open=np.zeros(n),
        window_close=np.full(n, 100.0),
        demand=np.asarray(demand, dtype=np.float64),
        pickups=np.array([1, 2]),
        deliveries=np.array([3, 4]),
        max_ride_time=np.full(2, np.inf),
        vehicle_start=np.array([0]),
        vehicle_end=np.array([5]),
        capacity=np.asarray([capacity], dtype=np.float64),
        shift_start=np.zeros(1),
        shift_end=np.full(1, 100.0),
        max_route_duration=np.full(1, np.inf),
        compatible=np.ones((1, 2), dtype=bool),
    )


SEAT = [[0, 0], [1, 0], [1, 0], [-1, 0], [-1, 0], [0, 0]]
MIXED = [[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1], [0, 0]]


@pytest.mark.parametrize(
    ("capacity", "demand", "route", "fits"),
    [
        pytest.param([2, 0], SEAT, [0, 1, 2, 3, 4, 5], True, id="full-to-the-seat"),
        pytest.param([1, 0], SEAT, [0, 1, 2, 3, 4, 5], False, id="one-seat-short"),
        pytest.param([1, 0], SEAT, [0, 1, 3, 2, 4, 5], True, id="one-after-the-other"),
        pytest.param([1, 0], MIXED, [0, 1, 2, 3, 4, 5], False, id="no-wheelchair-place"),
        pytest.param([1, 1], MIXED, [0, 1, 2, 3, 4, 5], True, id="a-seat-and-a-place"),
        pytest.param([1, 1], SEAT, [0, 3, 1, 4, 2, 5], False, id="negative-load"),
    ],
)
def test_load_fits(
    capacity: list[float], demand: list[list[float]], route: list[int], fits: bool
) -> None:
    """The load stays within [0, capacity] in every dimension, and the checker agrees."""
    problem = _problem(capacity, demand)
    assert load_fits(problem, 0, route) is fits
    plan = Plan([np.asarray(route)], [earliest_schedule(problem, 0, route)])
    kinds = {v.kind for v in check_plan(problem, plan).violations}
    assert ("capacity" not in kinds) is fits


def test_load_fits_tolerance() -> None:
    """Loads over the capacity by less than LOAD_TOL fit; by more, they do not."""
    route = [0, 1, 2, 3, 4, 5]
    assert load_fits(_problem([2 - LOAD_TOL / 2, 0], SEAT), 0, route)
    assert not load_fits(_problem([2 - 2 * LOAD_TOL, 0], SEAT), 0, route)
