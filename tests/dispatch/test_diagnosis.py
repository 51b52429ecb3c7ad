"""Each reason for an unserved request, produced by a crafted case and checked on solver output."""

from __future__ import annotations

import numpy as np

from dispatch.checker import check_plan
from dispatch.diagnosis import (
    NO_CAPACITY_IN_TIME,
    NO_COMPATIBLE_VEHICLE,
    RIDE_TIME_IMPOSSIBLE,
    WINDOW_UNREACHABLE,
    unserved_reason,
    unserved_reasons,
)
from dispatch.scheduling import SolveParams, schedule

from .problems import random_problem, with_changes


def test_no_compatible_vehicle() -> None:
    """A request no vehicle may carry is 'no_compatible_vehicle'."""
    base = random_problem(0)
    compatible = base.compatible.copy()
    compatible[:, 3] = False
    problem = with_changes(base, compatible=compatible)
    assert unserved_reason(problem, 3)[0] == NO_COMPATIBLE_VEHICLE


def test_ride_time_impossible() -> None:
    """A ride limit below the direct drive time is 'ride_time_impossible'."""
    base = random_problem(0)
    limits = base.max_ride_time.copy()
    limits[2] = base.travel_time[base.pickups[2], base.deliveries[2]] * 0.5
    problem = with_changes(base, max_ride_time=limits)
    assert unserved_reason(problem, 2)[0] == RIDE_TIME_IMPOSSIBLE


def test_window_unreachable() -> None:
    """A dropoff window that closes before any vehicle could get there is 'window_unreachable'."""
    base = random_problem(0)
    close, open_ = base.window_close.copy(), base.window_open.copy()
    drop = int(base.deliveries[1])
    close[drop] = open_[drop] = base.window_open[base.pickups[1]]
    problem = with_changes(base, window_close=close, window_open=open_)
    assert unserved_reason(problem, 1)[0] == WINDOW_UNREACHABLE


def test_no_capacity_in_time() -> None:
    """Two riders for one seat at the same moment: the one left out is 'no_capacity_in_time'."""
    base = random_problem(0, n_requests=2, n_vehicles=1)
    demand = np.zeros_like(base.demand)
    demand[base.pickups, 0], demand[base.deliveries, 0] = 1, -1
    open_, close = base.window_open.copy(), base.window_close.copy()
    for r in range(2):  # identical tight windows: both would have to ride at once
        open_[base.pickups[r]], close[base.pickups[r]] = 50.0, 51.0
        open_[base.deliveries[r]], close[base.deliveries[r]] = 0.0, 400.0
    problem = with_changes(
        base,
        demand=demand,
        capacity=np.array([[1.0, 0.0]]),
        compatible=np.ones((1, 2), dtype=bool),
        window_open=open_,
        window_close=close,
    )
    plan = schedule(problem, SolveParams(time_limit_s=1))
    assert check_plan(problem, plan).feasible
    assert plan.unserved.size == 1
    reasons = unserved_reasons(problem, plan.unserved.tolist())
    assert [reason for reason, _ in reasons.values()] == [NO_CAPACITY_IN_TIME]
