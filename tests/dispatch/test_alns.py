"""The ALNS: operators keep plans feasible, seed + iterations repeat, the budget holds."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from dispatch.alns import AlnsParams, alns_plan
from dispatch.alns_operators import REMOVALS, Instance, SearchState, regret_insert
from dispatch.checker import check_plan
from dispatch.instances import read_instance
from dispatch.scheduling import SolveParams, schedule, search_used

from .problems import random_problem, with_changes


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_requests=st.integers(2, 10),
    n_vehicles=st.integers(2, 3),
    removal=st.sampled_from(sorted(REMOVALS)),
    k=st.integers(1, 3),
    noise=st.sampled_from([0.0, 0.1]),
)
def test_operators_keep_plans_feasible(
    seed: int, n_requests: int, n_vehicles: int, removal: str, k: int, noise: float
) -> None:
    """Insertion, then removal, then insertion again: the checker passes every plan."""
    problem = random_problem(seed, n_requests, n_vehicles)
    rng = np.random.default_rng(seed)
    state = SearchState(Instance.of(problem, 0.0))
    regret_insert(state, state.unserved(), k, rng, noise)
    first = state.plan()
    assert check_plan(problem, first).feasible, check_plan(problem, first).summary()
    removed = REMOVALS[removal](state, int(rng.integers(1, n_requests + 1)), rng)
    assert np.all(np.isin(removed, first.unserved, invert=True))
    state.remove(removed)
    assert np.all(np.isin(removed, state.unserved()))
    report = check_plan(problem, state.plan())
    assert report.feasible, report.summary()
    regret_insert(state, state.unserved(), k, rng, noise)
    report = check_plan(problem, state.plan())
    assert report.feasible, report.summary()
    assert report.cost == pytest.approx(state.route_cost.sum())


def test_seed_and_iterations_give_the_same_plan() -> None:
    """Two runs with one seed and an iteration limit return identical routes."""
    problem = random_problem(7, 14, 3)
    params = AlnsParams(time_limit_s=60.0, iterations=300, seed=11)
    a, b = alns_plan(problem, params), alns_plan(problem, params)
    for x, y in zip(a.routes, b.routes, strict=True):
        assert_array_equal(x, y)
    assert_array_equal(a.unserved, b.unserved)
    assert check_plan(problem, a).feasible


def test_parallel_workers_keep_the_best_seed() -> None:
    """Two workers return the better of the plans of their two seeds and temperatures."""
    problem = random_problem(5, 12, 3)
    ends = (0.002, 0.05)
    alone = [
        alns_plan(
            problem,
            AlnsParams(time_limit_s=60.0, iterations=100, seed=4 + w, end_temperatures=(end,)),
        )
        for w, end in enumerate(ends)
    ]
    both = alns_plan(
        problem,
        AlnsParams(time_limit_s=60.0, iterations=100, seed=4, workers=2, end_temperatures=ends),
    )
    best = min(alone, key=lambda q: (q.unserved.size, q.cost(problem)))
    assert both.cost(problem) == pytest.approx(best.cost(problem))
    assert check_plan(problem, both).feasible


def test_the_search_improves_on_its_first_plan(shared_data: Path) -> None:
    """On a2-16, 300 iterations end within 1% of the optimum (294.25), served in full."""
    path = shared_data / "darp" / "cordeau2006" / "a2-16.txt"
    if not path.is_file():
        pytest.skip(f"shared benchmark data missing: {path}")
    problem = read_instance(path)
    plan = alns_plan(problem, AlnsParams(iterations=300, seed=0))
    report = check_plan(problem, plan)
    assert report.feasible
    assert plan.unserved.size == 0
    assert report.cost <= 294.25 * 1.01


def test_the_budget_is_honoured() -> None:
    """A 1 s budget without an iteration limit ends well within 3 s."""
    problem = random_problem(3, 40, 4)
    alns_plan(problem, AlnsParams(iterations=1))  # compiled before the clock starts
    started = time.perf_counter()
    plan = alns_plan(problem, AlnsParams(time_limit_s=1.0, seed=1))
    assert time.perf_counter() - started < 3.0
    assert check_plan(problem, plan).feasible


def test_schedule_falls_back_to_ortools_where_the_alns_cannot_serve() -> None:
    """A priced vehicle time or lateness runs OR-Tools; a plain problem runs the ALNS."""
    problem = random_problem(1, 6, 2)
    params = SolveParams(time_limit_s=2.0, search="alns", iterations=50)
    assert search_used(problem, params) == "alns"
    plan = schedule(problem, params)
    assert plan.method == "alns"
    assert check_plan(problem, plan).feasible
    priced = with_changes(problem, span_cost=1.0)
    assert search_used(priced, params) == "ortools"
    late = with_changes(problem, window_due=problem.window_close.copy(), late_cost=1.0)
    assert search_used(late, params) == "ortools"
    assert schedule(priced, params).method != "alns"
    with pytest.raises(ValueError, match="span_cost"):
        alns_plan(priced)
