"""The OR-Tools dial-a-ride solver and its greedy fallback, always through the checker."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from dispatch.checker import check_plan
from dispatch.exceptions import PlanningError
from dispatch.greedy import greedy_plan
from dispatch.instances import read_bks, read_instance
from dispatch.problem import PdpProblem
from dispatch.scheduling import SolveParams, schedule, solve_pdp
from tests.shared_data import SHARED_DATA as DATA

CORDEAU = DATA / "darp" / "cordeau2006"
LI_LIM = DATA / "pdptw" / "lilim"


def _instance(path: Path) -> PdpProblem:
    if not path.is_file():
        pytest.skip(f"shared benchmark data missing: {path}")
    return read_instance(path)


def random_problem(seed: int, n_requests: int = 8, n_vehicles: int = 3) -> PdpProblem:
    """A random dial-a-ride problem: two space types, windows, ride limits, compatibility."""
    rng = np.random.default_rng(seed)
    n = 2 * n_requests + 1
    xy = rng.uniform(0, 30, (n, 2))
    xy[0] = 15
    travel = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    pickups, deliveries = np.arange(1, n_requests + 1), np.arange(n_requests + 1, n)
    demand = np.zeros((n, 2))
    kind = rng.integers(0, 2, n_requests)  # 0: seat, 1: wheelchair
    demand[pickups, kind], demand[deliveries, kind] = 1, -1
    ready = rng.uniform(0, 200, n_requests)
    open_, close = np.zeros(n), np.full(n, 400.0)
    open_[pickups], close[pickups] = ready, ready + 30
    compatible = np.ones((n_vehicles, n_requests), dtype=bool)
    compatible[0, kind == 1] = False  # vehicle 0 is a sedan: no wheelchairs
    capacity = np.array([[3, 0]] + [[4, 2]] * (n_vehicles - 1), dtype=float)
    return PdpProblem(
        travel_time=travel,
        service_time=np.where(np.arange(n) == 0, 0.0, 2.0),
        window_open=open_,
        window_close=close,
        demand=demand,
        pickups=pickups,
        deliveries=deliveries,
        max_ride_time=travel[pickups, deliveries] * 1.5 + 10,
        vehicle_start=np.zeros(n_vehicles, dtype=np.int64),
        vehicle_end=np.zeros(n_vehicles, dtype=np.int64),
        capacity=capacity,
        shift_start=np.zeros(n_vehicles),
        shift_end=np.full(n_vehicles, 400.0),
        max_route_duration=np.full(n_vehicles, 300.0),
        compatible=compatible,
        name=f"random-{seed}",
    )


def test_cordeau_a2_16_reaches_the_optimum() -> None:
    """a2-16 is solved feasibly (checker) to within 1% of its proven optimum in 3 s."""
    problem = _instance(CORDEAU / "a2-16.txt")
    plan = schedule(problem, SolveParams(time_limit_s=3))
    report = check_plan(problem, plan)
    assert report.feasible, report.summary()
    assert plan.unserved.size == 0
    bks, _ = read_bks(CORDEAU / "BKS.csv")["a2-16"]
    assert report.cost <= bks * 1.01


def test_li_lim_with_few_vehicles() -> None:
    """lc101 with a fixed cost per vehicle: feasible, all served, at most BKS + 1 vehicles."""
    problem = _instance(LI_LIM / "lc101.txt")
    plan = schedule(problem, SolveParams(time_limit_s=3, vehicle_fixed_cost=100_000))
    report = check_plan(problem, plan)
    assert report.feasible, report.summary()
    assert plan.unserved.size == 0
    _, vehicles = read_bks(LI_LIM / "BKS.csv")["lc101"]
    assert report.vehicles_used <= vehicles + 1


@pytest.mark.parametrize("seed", range(6))
def test_random_problems_give_checked_plans(seed: int) -> None:
    """Plans of random problems (two space types, compatibility, ride limits) pass the checker."""
    problem = random_problem(seed)
    plan = schedule(problem, SolveParams(time_limit_s=1))
    report = check_plan(problem, plan)
    assert report.feasible, report.summary()
    assert report.n_served + plan.unserved.size == problem.n_requests
    assert plan.method == "solver"


def test_an_unreachable_request_is_dropped_and_the_rest_served() -> None:
    """A delivery window closing before the pickup can be reached leaves only that request out."""
    base = random_problem(1)
    close = base.window_close.copy()
    late = int(base.deliveries[2])
    close[late] = base.window_open[base.pickups[2]] + 0.5 * base.travel_time[base.pickups[2], late]
    open_ = base.window_open.copy()
    open_[late] = min(open_[late], close[late])
    problem = _replace(base, window_close=close, window_open=open_)
    plan = schedule(problem, SolveParams(time_limit_s=1))
    assert check_plan(problem, plan).feasible
    assert 2 in plan.unserved.tolist()


def test_schedule_respects_its_budget() -> None:
    """schedule() returns within its wall-clock budget plus 10% (and a little start-up slack)."""
    problem = _instance(CORDEAU / "a4-40.txt")
    started = time.perf_counter()
    schedule(problem, SolveParams(time_limit_s=2))
    assert time.perf_counter() - started <= 2 * 1.1 + 0.3


def test_greedy_plan_is_feasible() -> None:
    """The greedy fallback serves every request of a2-16 with a plan the checker accepts."""
    problem = _instance(CORDEAU / "a2-16.txt")
    plan = greedy_plan(problem)
    report = check_plan(problem, plan)
    assert report.feasible, report.summary()
    assert plan.unserved.size == 0
    assert plan.method == "greedy fallback"


def test_greedy_plan_stops_at_its_deadline() -> None:
    """With a deadline already past, the greedy plan serves nothing and lists every request."""
    problem = random_problem(3)
    plan = greedy_plan(problem, deadline=time.perf_counter() - 1)
    assert plan.unserved.tolist() == list(range(problem.n_requests))
    assert check_plan(problem, plan).feasible


def test_solver_and_greedy_agree_on_feasibility_of_random_problems() -> None:
    """Greedy plans of random problems pass the checker too, and cost no less than the solver's."""
    for seed in range(3):
        problem = random_problem(seed)
        greedy = greedy_plan(problem)
        assert check_plan(problem, greedy).feasible
        solved = solve_pdp(problem, SolveParams(time_limit_s=1))
        assert solved is not None
        if solved.unserved.size == greedy.unserved.size == 0:
            assert solved.cost(problem) <= greedy.cost(problem) + 1e-6


def test_bad_problem_shapes_are_refused() -> None:
    """A problem whose arrays disagree in shape is refused naming the field."""
    base = random_problem(0)
    with pytest.raises(PlanningError, match="compatible"):
        _replace(base, compatible=np.ones((1, 1), dtype=bool))
    with pytest.raises(PlanningError, match="window_open exceeds window_close"):
        _replace(base, window_open=base.window_close + 1)


def _replace(problem: PdpProblem, **changes: object) -> PdpProblem:
    fields = {name: getattr(problem, name) for name in problem.__dataclass_fields__}
    return PdpProblem(**(fields | changes))


def test_solution_limit_makes_plans_reproducible() -> None:
    """With a solution limit and a budget it does not reach, two runs give the same plan."""
    problem = random_problem(4)
    params = SolveParams(time_limit_s=20, solution_limit=30)
    first, second = schedule(problem, params), schedule(problem, params)
    assert first.solve_seconds < 20 * 0.85
    for a, b in zip(first.routes, second.routes, strict=True):
        np.testing.assert_array_equal(a, b)
