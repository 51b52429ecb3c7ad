"""The OR-Tools dial-a-ride solver and its greedy fallback, always through the checker."""

from __future__ import annotations

import time
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from dispatch.checker import check_plan
from dispatch.exceptions import PlanningError
from dispatch.greedy import greedy_plan
from dispatch.instances import read_bks, read_instance
from dispatch.problem import PdpProblem, travel_cost
from dispatch.scheduling import SolveParams, schedule, solve_pdp
from tests.shared_data import SHARED_DATA as DATA

from .problems import random_problem, with_changes

CORDEAU = DATA / "darp" / "cordeau2006"
LI_LIM = DATA / "pdptw" / "lilim"


def _instance(path: Path) -> PdpProblem:
    if not path.is_file():
        pytest.skip(f"shared benchmark data missing: {path}")
    return read_instance(path)


def test_cordeau_a2_16_reaches_the_optimum() -> None:
    """a2-16 is solved feasibly (checker) to within 1% of its proven optimum in 20 solutions
    per search phase (about a second; a limit the clock of a loaded machine does not move)."""
    problem = _instance(CORDEAU / "a2-16.txt")
    plan = schedule(problem, SolveParams(time_limit_s=60, solution_limit=20))
    report = check_plan(problem, plan)
    assert report.feasible, report.summary()
    assert plan.unserved.size == 0
    bks, _ = read_bks(CORDEAU / "BKS.csv")["a2-16"]
    assert report.cost <= bks * 1.01


def test_li_lim_with_few_vehicles() -> None:
    """lc101 with a fixed cost per vehicle: feasible, all served, at most BKS + 1 vehicles
    (in 5 solutions per search phase, so that a loaded machine gives the same plan)."""
    problem = _instance(LI_LIM / "lc101.txt")
    plan = schedule(
        problem, SolveParams(time_limit_s=60, solution_limit=5, vehicle_fixed_cost=100_000)
    )
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
    problem = with_changes(base, window_close=close, window_open=open_)
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
        with_changes(base, compatible=np.ones((1, 1), dtype=bool))
    with pytest.raises(PlanningError, match="window_open exceeds window_close"):
        with_changes(base, window_open=base.window_close + 1)


def test_solution_limit_makes_plans_reproducible() -> None:
    """With a solution limit and a budget it does not reach, two runs give the same plan."""
    problem = random_problem(4)
    params = SolveParams(time_limit_s=20, solution_limit=30)
    first, second = schedule(problem, params), schedule(problem, params)
    assert first.solve_seconds < 20 * 0.85
    for a, b in zip(first.routes, second.routes, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "params",
    [
        SolveParams(time_limit_s=2, trace=True),
        SolveParams(time_limit_s=10, search="alns", iterations=300, workers=2, trace=True),
    ],
    ids=["ortools", "alns"],
)
def test_the_trace_falls_to_the_plan_distance(params: SolveParams) -> None:
    """On a2-16 the trace times shorter full plans, ending at the returned plan's distance."""
    problem = _instance(CORDEAU / "a2-16.txt")
    plan = schedule(problem, params)
    assert plan.unserved.size == 0
    assert plan.trace
    seconds = [t for t, _ in plan.trace]
    distances = [d for _, d in plan.trace]
    assert seconds == sorted(seconds)
    assert 0.0 <= seconds[0] and seconds[-1] <= plan.solve_seconds
    assert all(a > b for a, b in pairwise(distances))
    assert distances[-1] == travel_cost(problem, plan.routes) == pytest.approx(plan.cost(problem))


def test_no_trace_unless_asked() -> None:
    """Without ``trace``, neither search returns one."""
    problem = random_problem(2, 8, 2)
    assert schedule(problem, SolveParams(time_limit_s=1)).trace is None
    alns = SolveParams(time_limit_s=1, search="alns", iterations=20)
    assert schedule(problem, alns).trace is None


@pytest.mark.parametrize(
    "params",
    [
        SolveParams(time_limit_s=20, solution_limit=30),
        SolveParams(time_limit_s=20, search="alns", iterations=200, seed=3),
    ],
    ids=["ortools", "alns"],
)
def test_tracing_leaves_the_search_unchanged(params: SolveParams) -> None:
    """With a solution or iteration limit, a traced run returns the plan of an untraced one."""
    problem = random_problem(4)
    plain, traced = schedule(problem, params), schedule(problem, replace(params, trace=True))
    assert traced.trace is not None
    for a, b in zip(plain.routes, traced.routes, strict=True):
        np.testing.assert_array_equal(a, b)
