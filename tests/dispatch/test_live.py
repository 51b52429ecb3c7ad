"""Live re-optimisation: new requests join the plan, done stops and riders on board stay put."""

from __future__ import annotations

import numpy as np
import pytest

from dispatch.checker import check_plan
from dispatch.problem import Plan
from dispatch.scheduling import SolveParams, reoptimize, schedule

from .problems import random_problem, with_changes

NEW = (6, 7)  # requests that arrive during the day
# A solution limit the search reaches well within the budget: the same plan on any machine.
DETERMINISTIC = SolveParams(time_limit_s=60, solution_limit=200)


def _morning_plan(seed: int) -> tuple[object, Plan]:
    """The full problem, and the plan made before the new requests were known."""
    problem = random_problem(seed, n_requests=8, n_vehicles=3)
    open_, close = problem.window_open.copy(), problem.window_close.copy()
    for r in NEW:  # they ask for a pickup later in the day, as same-day trips do
        open_[problem.pickups[r]], close[problem.pickups[r]] = 150.0, 190.0
    problem = with_changes(problem, window_open=open_, window_close=close)
    compatible = problem.compatible.copy()
    compatible[:, list(NEW)] = False  # unknown in the morning: no vehicle may take them
    morning = schedule(with_changes(problem, compatible=compatible), DETERMINISTIC)
    return problem, morning


@pytest.mark.parametrize("seed", range(4))
def test_new_requests_are_inserted_after_the_locked_prefixes(seed: int) -> None:
    """Locked stops keep vehicle and order, riders on board keep their vehicle, plan is feasible."""
    problem, morning = _morning_plan(seed)
    assert set(NEW) <= set(morning.unserved.tolist())
    locked = [min(3, len(r) - 2) for r in morning.routes]
    plan = reoptimize(problem, morning, locked, DETERMINISTIC)
    report = check_plan(problem, plan)
    assert report.feasible, report.summary()
    for before, after, n in zip(morning.routes, plan.routes, locked, strict=True):
        np.testing.assert_array_equal(after[: n + 1], before[: n + 1])
    vehicle_of = {int(node): v for v, route in enumerate(plan.routes) for node in route[1:-1]}
    for v, (route, n) in enumerate(zip(morning.routes, locked, strict=True)):
        for node in route[1 : n + 1]:
            owner = int(problem.request_of()[node])
            if owner >= 0:  # picked up (or dropped) in the locked part: stays with v
                assert vehicle_of[int(problem.deliveries[owner])] == v
    served_new = [r for r in NEW if r not in plan.unserved.tolist()]
    assert served_new, "no new request could be served"


def test_reoptimize_without_new_requests_keeps_a_feasible_plan() -> None:
    """With nothing new and everything locked, the plan is returned unchanged and feasible."""
    problem = random_problem(2)
    plan = schedule(problem, SolveParams(time_limit_s=1))
    locked = [len(r) - 2 for r in plan.routes]
    again = reoptimize(problem, plan, locked, SolveParams(time_limit_s=0.5))
    assert check_plan(problem, again).feasible
    for before, after in zip(plan.routes, again.routes, strict=True):
        np.testing.assert_array_equal(before, after)
