"""The exact route evaluation against a linear-programming reference and the plan checker."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy.optimize import linprog

from dispatch.checker import check_plan
from dispatch.problem import PdpProblem, Plan
from dispatch.route_feasibility import feasible_schedule

from .problems import with_changes


def _case(seed: int, n_requests: int, slack: float) -> tuple[PdpProblem, NDArray[np.int64]]:
    """One vehicle and a route through random stops, its limits set near a reference schedule.

    The reference waits a random while at each stop; windows, ride and duration limits
    are placed around it, each off by up to ``slack`` either way: near the boundary
    between feasible and infeasible, where the ride and duration limits interact.
    """
    rng = np.random.default_rng(seed)
    n = 2 * n_requests + 2
    xy = rng.uniform(0, 10, (n, 2))
    travel = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    pickups = np.arange(1, n_requests + 1)
    deliveries = pickups + n_requests
    order: list[int] = []
    for r in rng.permutation(n_requests).tolist():
        i = int(rng.integers(len(order) + 1))
        j = int(rng.integers(i, len(order) + 1)) + 1
        order.insert(i, int(pickups[r]))
        order.insert(j, int(deliveries[r]))
    route = np.asarray([0, *order, n - 1], dtype=np.int64)
    service = np.where((np.arange(n) == 0) | (np.arange(n) == n - 1), 0.0, 1.0)
    ref = np.zeros(n)
    ref[0] = rng.uniform(0, 20)
    for a, b in zip(route[:-1].tolist(), route[1:].tolist(), strict=True):
        ref[b] = ref[a] + service[a] + travel[a, b] + rng.exponential(3.0)
    off = lambda size: rng.uniform(-slack, slack, size)  # noqa: E731
    open_ = ref - rng.uniform(0, 10, n) + off(n)
    close = np.maximum(ref + rng.uniform(0, 10, n) + off(n), open_)
    open_[[0, -1]], close[[0, -1]] = 0.0, 500.0
    rides = ref[deliveries] - ref[pickups] - 1.0
    demand = np.zeros((n, 2))
    demand[pickups, 0] = rng.integers(1, 3, n_requests)
    demand[deliveries, 0] = -demand[pickups, 0]
    problem = PdpProblem(
        travel_time=travel,
        service_time=service,
        window_open=open_,
        window_close=close,
        demand=demand,
        pickups=pickups,
        deliveries=deliveries,
        max_ride_time=np.maximum(rides + off(n_requests), 0.0),
        vehicle_start=np.zeros(1, dtype=np.int64),
        vehicle_end=np.full(1, n - 1, dtype=np.int64),
        capacity=np.array([[rng.integers(2, 6), 0.0]]),
        shift_start=np.full(1, ref[0] - rng.uniform(0, 20)),
        shift_end=np.full(1, 500.0),
        max_route_duration=np.full(1, max(ref[-1] - ref[0] + float(off(1)[0]), 0.0)),
        compatible=np.ones((1, n_requests), dtype=bool),
    )
    return problem, route


def _lp_feasible(problem: PdpProblem, route: NDArray[np.int64]) -> bool:
    """Whether the service-start-time LP of the route has a solution (scipy's HiGHS)."""
    n = route.size
    pos = {int(v): k for k, v in enumerate(route.tolist())}
    s, t = problem.service_time, problem.travel_time
    rows, rhs = [], []

    def at_most(coef: dict[int, float], bound: float) -> None:
        row = np.zeros(n)
        for k, c in coef.items():
            row[k] += c
        rows.append(row)
        rhs.append(bound)

    for k in range(1, n):  # B[k-1] - B[k] <= -(s + t)
        at_most({k - 1: 1.0, k: -1.0}, -(s[route[k - 1]] + t[route[k - 1], route[k]]))
    for r in range(problem.n_requests):
        p, d = pos[int(problem.pickups[r])], pos[int(problem.deliveries[r])]
        at_most({d: 1.0, p: -1.0}, problem.max_ride_time[r] + s[route[p]])
    at_most({n - 1: 1.0, 0: -1.0}, problem.max_route_duration[0] + s[route[0]])
    lower = problem.window_open[route].copy()
    upper = problem.window_close[route].copy()
    lower[0] = max(lower[0], problem.shift_start[0])
    upper[-1] = min(upper[-1], problem.shift_end[0])
    result = linprog(
        np.zeros(n),
        A_ub=np.array(rows),
        b_ub=np.array(rhs),
        bounds=list(zip(lower, upper, strict=True)),
    )
    load = np.cumsum(problem.demand[route], axis=0)
    return bool(result.status == 0 and np.all(load <= problem.capacity[0] + 1e-9))


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_requests=st.integers(1, 4),
    slack=st.sampled_from([1.0, 5.0, 15.0]),
)
def test_feasibility_matches_the_lp(seed: int, n_requests: int, slack: float) -> None:
    """A schedule is found exactly when the LP has one, and it keeps every rule (checker)."""
    problem, route = _case(seed, n_requests, slack)
    times = feasible_schedule(problem, 0, route)
    expected = _lp_feasible(problem, route)
    assert (times is not None) == expected
    if times is not None:
        plan = Plan(routes=[route], times=[times])
        report = check_plan(problem, plan)
        assert report.feasible, report.summary()


def test_a_ride_limit_delays_the_pickup() -> None:
    """A rider who would wait on board for the delivery window is picked up later instead."""
    problem, _ = _case(0, 1, 1.0)
    open_, close = problem.window_open.copy(), problem.window_close.copy()
    open_[1], close[1] = 0.0, 100.0
    open_[2], close[2] = 80.0, 85.0
    limit = problem.travel_time[1, 2] + 1.0
    tight = with_changes(
        problem,
        window_open=open_,
        window_close=close,
        max_ride_time=np.array([limit]),
        max_route_duration=np.array([500.0]),
        shift_start=np.array([0.0]),
    )
    times = feasible_schedule(tight, 0, [0, 1, 2, 3])
    assert times is not None
    assert times[2] - times[1] - tight.service_time[1] <= limit + 1e-9
    assert times[1] > open_[1] + 50


def test_a_route_that_overloads_has_no_schedule() -> None:
    """Two riders of the same load on a vehicle that takes one are refused."""
    problem, _ = _case(3, 2, 2.0)
    demand = np.zeros_like(problem.demand)
    demand[[1, 2], 0], demand[[3, 4], 0] = 1.0, -1.0
    small = with_changes(problem, demand=demand, capacity=np.array([[1.0, 0.0]]))
    assert feasible_schedule(small, 0, [0, 1, 2, 3, 4, 5]) is None
    assert feasible_schedule(small, 0, [0, 1, 3, 2, 4, 5]) is not None or not _lp_feasible(
        small, np.array([0, 1, 3, 2, 4, 5])
    )
