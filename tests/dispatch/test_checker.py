"""The plan checker and the route schedules, on crafted plans and against an LP reference."""

from __future__ import annotations

import dataclasses
import itertools
import typing
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import linprog

from dispatch.checker import CheckReport, Violation, ViolationKind, check_plan
from dispatch.greedy import greedy_plan
from dispatch.instances import read_cordeau
from dispatch.problem import PdpProblem, Plan
from dispatch.route_timing import earliest_schedule, schedule_with_ride_times
from tests.shared_data import SHARED_DATA

CORDEAU = SHARED_DATA / "darp" / "cordeau2006"

# The line problem: nodes on the x axis at 0, 1, 2, 3, 4 and 0 (end depot), travel = |dx|.
# Request 0 = (1, 3) needs a seat (dimension 0), request 1 = (2, 4) a wheelchair place
# (dimension 1), which vehicle 1 lacks and may not carry.
FULL = [0, 1, 2, 3, 4, 5]
FULL_TIMES = [0.0, 1.0, 3.0, 5.0, 7.0, 12.0]
EMPTY = ([0, 5], [0.0, 0.0])


def _line_problem(**changes: Any) -> PdpProblem:
    """The two-request, two-vehicle line problem, with fields replaced by ``changes``."""
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 0.0])
    problem = PdpProblem(
        travel_time=np.abs(x[:, None] - x[None, :]),
        service_time=np.array([0.0, 1.0, 1.0, 1.0, 1.0, 0.0]),
        window_open=np.zeros(6),
        window_close=np.full(6, 100.0),
        demand=np.array([[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1], [0, 0]], dtype=np.float64),
        pickups=np.array([1, 2]),
        deliveries=np.array([3, 4]),
        max_ride_time=np.array([10.0, 10.0]),
        vehicle_start=np.array([0, 0]),
        vehicle_end=np.array([5, 5]),
        capacity=np.array([[2.0, 1.0], [2.0, 0.0]]),
        shift_start=np.zeros(2),
        shift_end=np.full(2, 100.0),
        max_route_duration=np.full(2, 50.0),
        compatible=np.array([[True, True], [True, False]]),
    )
    arrays = {k: np.asarray(v, dtype=getattr(problem, k).dtype) for k, v in changes.items()}
    return dataclasses.replace(problem, **arrays)


def _plan(*routes: tuple[list[int], list[float]], unserved: tuple[int, ...] = ()) -> Plan:
    """A plan from (route, times) pairs, one per vehicle."""
    return Plan(
        routes=[np.asarray(r, dtype=np.int64) for r, _ in routes],
        times=[np.asarray(t, dtype=np.float64) for _, t in routes],
        unserved=np.asarray(unserved, dtype=np.int64),
    )


def _kinds(report: CheckReport) -> set[str]:
    return {v.kind for v in report.violations}


def test_feasible_plan_passes() -> None:
    """A hand-checked plan serving both requests on vehicle 0 has no violation."""
    report = check_plan(_line_problem(), _plan((FULL, FULL_TIMES), EMPTY))
    assert report.feasible, report.summary()
    assert report.violations == []
    assert (report.vehicles_used, report.n_served) == (1, 2)
    assert report.cost == pytest.approx(8.0, abs=0)


def test_listed_unserved_request_is_allowed() -> None:
    """A request left out and listed in ``unserved`` is no violation, and is not served."""
    plan = _plan(([0, 1, 3, 5], [0.0, 1.0, 4.0, 8.0]), EMPTY, unserved=(1,))
    report = check_plan(_line_problem(), plan)
    assert report.feasible, report.summary()
    assert report.n_served == 1


# (problem changes, routes, unserved, every kind expected, one expected (kind, vehicle, node,
# request)); each plan breaks one rule, and some break a second one by necessity.
BROKEN = [
    pytest.param(
        {}, [([0, 1, 2, 3, 4], [0, 1, 3, 5, 7]), EMPTY], (), {"route endpoints"},
        ("route endpoints", 0, 4, 1), id="no-end-depot",
    ),
    pytest.param(
        {}, [([5, 1, 2, 3, 4, 5], FULL_TIMES), EMPTY], (), {"route endpoints"},
        ("route endpoints", 0, 5, None), id="wrong-start",
    ),
    pytest.param(
        {}, [([0, 1, 3, 5, 2, 4, 5], [0, 1, 4, 8, 10, 13, 18]), EMPTY], (), {"route endpoints"},
        ("route endpoints", 0, 5, None), id="depot-mid-route",
    ),
    pytest.param(
        {}, [([0, 1], [0, 1])], (), {"plan shape"}, ("plan shape", None, None, None),
        id="one-route-for-two-vehicles",
    ),
    pytest.param(
        {}, [(FULL, FULL_TIMES[:-1]), EMPTY], (), {"plan shape"}, ("plan shape", 0, None, None),
        id="times-too-short",
    ),
    pytest.param(
        {}, [(FULL, [0, 1, 3, np.nan, 7, 12]), EMPTY], (), {"plan shape"},
        ("plan shape", 0, None, None), id="nan-time",
    ),
    pytest.param(
        {}, [(FULL, FULL_TIMES), ([0, 1, 3, 5], [0, 1, 4, 8])], (), {"request served twice"},
        ("request served twice", None, 1, 0), id="served-twice",
    ),
    pytest.param(
        {}, [(FULL, FULL_TIMES), ([0, 5], [0, 0])], (0,), {"unserved list"},
        ("unserved list", None, 1, 0), id="routed-but-listed",
    ),
    pytest.param(
        {}, [(FULL, FULL_TIMES), EMPTY], (7,), {"unserved list"},
        ("unserved list", None, None, None), id="unknown-unserved",
    ),
    pytest.param(
        {}, [([0, 1, 3, 5], [0, 1, 4, 8]), EMPTY], (), {"request missing"},
        ("request missing", None, 2, 1), id="missing",
    ),
    pytest.param(
        {}, [([0, 1, 5], [0, 1, 3]), EMPTY], (1,), {"pair split"}, ("pair split", 0, 1, 0),
        id="pickup-only",
    ),
    pytest.param(
        {}, [([0, 1, 2, 4, 5], [0, 1, 3, 6, 11]), ([0, 3, 5], [0, 3, 7])], (),
        {"pair split", "capacity"}, ("pair split", 0, 1, 0), id="two-vehicles",
    ),
    pytest.param(
        {}, [([0, 3, 1, 2, 4, 5], [0, 3, 6, 8, 11, 16]), EMPTY], (),
        {"delivery before pickup", "capacity"}, ("delivery before pickup", 0, 3, 0),
        id="delivery-first",
    ),
    pytest.param(
        {"capacity": [[2, 1], [2, 1]]},
        [([0, 1, 3, 5], [0, 1, 4, 8]), ([0, 2, 4, 5], [0, 2, 5, 10])],
        (), {"incompatible vehicle"}, ("incompatible vehicle", 1, 2, 1), id="incompatible",
    ),
    pytest.param(
        {}, [(FULL, [0, 1, 2, 5, 7, 12]), EMPTY], (), {"time travel"}, ("time travel", 0, 2, 1),
        id="time-travel",
    ),
    pytest.param(
        {"window_close": [100, 100, 100, 4, 100, 100]}, [(FULL, FULL_TIMES), EMPTY], (),
        {"window"}, ("window", 0, 3, 0), id="window-close",
    ),
    pytest.param(
        {"window_open": [0, 0, 0, 0, 0, 1]}, [(FULL, FULL_TIMES), EMPTY], (), {"window"},
        ("window", 1, 5, None), id="window-open-at-depot",
    ),
    pytest.param(
        {"capacity": [[2, 0], [2, 0]]}, [(FULL, FULL_TIMES), EMPTY], (), {"capacity"},
        ("capacity", 0, 2, 1), id="overload",
    ),
    pytest.param(
        {"demand": [[0, 0], [1, 0], [0, 1], [-2, 0], [0, -1], [0, 0]]},
        [(FULL, FULL_TIMES), EMPTY], (), {"capacity"}, ("capacity", 0, 3, 0), id="negative-load",
    ),
    pytest.param(
        {"max_ride_time": [2, 10]}, [(FULL, FULL_TIMES), EMPTY], (), {"ride time"},
        ("ride time", 0, 3, 0), id="ride-time",
    ),
    pytest.param(
        {"max_route_duration": [10, 10]}, [(FULL, FULL_TIMES), EMPTY], (), {"route duration"},
        ("route duration", 0, None, None), id="duration",
    ),
    pytest.param(
        {"shift_end": [11, 100]}, [(FULL, FULL_TIMES), EMPTY], (), {"shift"},
        ("shift", 0, 5, None), id="shift-end",
    ),
    pytest.param(
        {"shift_start": [0, 1]}, [(FULL, FULL_TIMES), EMPTY], (), {"shift"},
        ("shift", 1, 0, None), id="shift-start-of-unused-vehicle",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "routes", "unserved", "kinds", "where"), BROKEN)
def test_each_violation_kind(
    changes: dict[str, Any],
    routes: list[tuple[list[int], list[float]]],
    unserved: tuple[int, ...],
    kinds: set[str],
    where: tuple[str, int | None, int | None, int | None],
) -> None:
    """A plan crafted to break a rule is infeasible with exactly the expected kinds."""
    report = check_plan(_line_problem(**changes), _plan(*routes, unserved=unserved))
    assert not report.feasible
    assert _kinds(report) == kinds, report.summary()
    located = {(v.kind, v.vehicle, v.node, v.request) for v in report.violations}
    assert where in located, report.summary()
    assert all(v.message for v in report.violations)


def test_every_kind_is_exercised() -> None:
    """The crafted plans above cover every violation kind the checker declares."""
    covered = set().union(*(p.values[3] for p in BROKEN))
    assert covered == set(typing.get_args(ViolationKind))


def test_tolerance() -> None:
    """Breaks smaller than ``tol`` pass; larger ones are reported."""
    problem = _line_problem()
    late = _plan((FULL, [0, 1, 3 - 1e-7, 5, 7, 12]), EMPTY)
    assert check_plan(problem, late).feasible
    assert not check_plan(problem, late, tol=1e-8).feasible


def test_cost_is_recomputed_from_arc_costs() -> None:
    """The cost is the sum of arc costs over all routes, using ``problem.cost`` when given."""
    plan = _plan(([0, 1, 3, 5], [0, 1, 4, 8]), ([0, 2, 4, 5], [0, 2, 5, 10]), unserved=())
    problem = _line_problem(capacity=[[2, 1], [2, 1]], compatible=[[True, True], [True, True]])
    assert check_plan(problem, plan).cost == pytest.approx(3.0 + 3.0 + 4.0 + 4.0, abs=0)
    priced = dataclasses.replace(problem, cost=problem.travel_time * 2.5 + 1.0)
    report = check_plan(priced, plan)
    assert report.feasible  # times follow travel_time, not the cost matrix
    assert report.cost == pytest.approx(2.5 * 14.0 + 6.0, abs=1e-12)


def test_span_cost_alone() -> None:
    """Span priced alone: each used vehicle's time out, idle included, times ``span_cost``."""
    problem = _line_problem(
        capacity=[[2, 1], [2, 1]],
        compatible=[[True, True], [True, True]],
        service_time=[0.5, 1, 1, 1, 1, 0],
    )
    problem = dataclasses.replace(problem, span_cost=0.5)
    # vehicle 0 leaves at 1 (0.5 of depot service), out 9.5 - (1 + 0.5) = 8; vehicle 1 waits
    # 1.5 before node 4 and is out 12 - (0 + 0.5) = 11.5; travel is 3 + 3 + 4 + 4
    plan = _plan(([0, 1, 3, 5], [1, 2.5, 5.5, 9.5]), ([0, 2, 4, 5], [0, 2.5, 7, 12]))
    report = check_plan(problem, plan)
    assert report.feasible, report.summary()
    assert report.span == pytest.approx(8.0 + 11.5, abs=1e-12)
    assert report.lateness == 0.0
    assert report.cost == pytest.approx(14.0 + 0.5 * 19.5, abs=1e-12)
    unused = check_plan(problem, _plan(EMPTY, EMPTY, unserved=(0, 1)))
    assert (unused.cost, unused.span) == (0.0, 0.0)  # an unused vehicle is not out


def test_lateness_cost_alone() -> None:
    """Lateness priced alone: ``late_cost`` x the time after ``window_due`` at each stop."""
    problem = dataclasses.replace(
        _line_problem(),
        window_due=np.array([0.0, 0.5, 100, 3, 7, 1]),
        late_cost=3.0,
    )
    # stops 1 and 3 start 0.5 and 2 late; 4 is on time; the depots (due 0 and 1) never count
    report = check_plan(problem, _plan((FULL, FULL_TIMES), EMPTY))
    assert report.feasible, report.summary()
    assert report.lateness == pytest.approx(2.5, abs=1e-12)
    assert report.span == 12.0  # computed, but not priced
    assert report.cost == pytest.approx(8.0 + 3.0 * 2.5, abs=1e-12)
    free = dataclasses.replace(problem, late_cost=0.0)
    assert check_plan(free, _plan((FULL, FULL_TIMES), EMPTY)).cost == 8.0


def test_priced_time_with_malformed_times_gives_nan_cost() -> None:
    """Times that are not one finite number per node make priced time terms, and the cost, NaN."""
    plan = _plan((FULL, [0, 1, 3, np.nan, 7, 12]), EMPTY)
    unpriced = check_plan(_line_problem(), plan)
    assert unpriced.cost == 8.0 and np.isnan(unpriced.span)
    priced = check_plan(dataclasses.replace(_line_problem(), span_cost=1.0), plan)
    assert np.isnan(priced.cost)


@pytest.mark.parametrize("seed", range(10))
def test_cost_equals_the_solvers_cost_on_random_plans(seed: int) -> None:
    """On random plans, feasible or not, with lateness and span priced: cost == Plan.cost."""
    rng = np.random.default_rng(seed)
    problem = _random_priced_problem(rng)
    plans = [greedy_plan(problem)] + [_random_plan(rng, problem) for _ in range(30)]
    reports = [check_plan(problem, plan) for plan in plans]
    for plan, report in zip(plans, reports, strict=True):
        assert report.cost == pytest.approx(plan.cost(problem), rel=1e-12, abs=1e-9)
    assert reports[0].feasible, reports[0].summary()
    assert any(not r.feasible for r in reports)
    assert any(r.lateness > 0 for r in reports) and all(r.span > 0 for r in reports)


def test_out_of_range_node_gives_nan_cost() -> None:
    """A node index outside the problem is a shape violation, with a NaN cost and no crash."""
    report = check_plan(_line_problem(), _plan(([0, 1, 9, 5], [0, 1, 2, 3]), EMPTY))
    assert "plan shape" in _kinds(report)
    assert np.isnan(report.cost)


def test_start_equals_end_depot() -> None:
    """With one depot as start and end (Li & Lim), a route [0, ..., 0] is well formed."""
    x = np.array([0.0, 1.0, 2.0])
    problem = PdpProblem(
        travel_time=np.abs(x[:, None] - x[None, :]),
        service_time=np.zeros(3),
        window_open=np.zeros(3),
        window_close=np.full(3, 10.0),
        demand=np.array([[0.0], [1.0], [-1.0]]),
        pickups=np.array([1]),
        deliveries=np.array([2]),
        max_ride_time=np.array([np.inf]),
        vehicle_start=np.array([0, 0]),
        vehicle_end=np.array([0, 0]),
        capacity=np.ones((2, 1)),
        shift_start=np.zeros(2),
        shift_end=np.full(2, 10.0),
        max_route_duration=np.full(2, np.inf),
        compatible=np.ones((2, 1), dtype=bool),
    )
    report = check_plan(problem, _plan(([0, 1, 2, 0], [0, 1, 2, 4]), ([0, 0], [0, 0])))
    assert report.feasible, report.summary()
    assert report.cost == 4.0
    bad = check_plan(problem, _plan(([0, 1, 0, 2, 0], [0, 1, 2, 4, 6]), ([0, 0], [0, 0])))
    assert _kinds(bad) == {"route endpoints"}


def test_summary() -> None:
    """The summary gives the verdict, the counts per kind and at most ``limit`` messages."""
    problem = _line_problem(window_close=[100, 0, 0, 0, 0, 100])
    report = check_plan(problem, _plan((FULL, FULL_TIMES), EMPTY))
    text = report.summary(limit=2)
    assert text.startswith("infeasible, 4 violation(s) (window 4)")
    assert len(text.splitlines()) == 4 and text.endswith("... and 2 more")
    ok = check_plan(_line_problem(), _plan((FULL, FULL_TIMES), EMPTY)).summary()
    assert ok == "feasible: cost 8.0000, 1 vehicle(s) used, 2 request(s) served"


def test_violation_is_frozen() -> None:
    """Violations are immutable records."""
    violation = Violation("window", 0, 3, 0, "late")
    with pytest.raises(dataclasses.FrozenInstanceError):
        violation.kind = "shift"  # type: ignore[misc]


def test_earliest_schedule() -> None:
    """Earliest times: leave at max(shift start, depot open), wait at closed windows."""
    assert_allclose(earliest_schedule(_line_problem(), 0, FULL), FULL_TIMES, atol=0)
    problem = _line_problem(
        window_open=[2, 0, 10, 0, 0, 0], shift_start=[4, 0], window_close=[2, 0, 10, 0, 0, 0]
    )
    # leaves at 4 (shift), waits at node 2 until 10; closed windows are not its business
    assert_allclose(earliest_schedule(problem, 0, FULL), [4, 5, 10, 12, 14, 19], atol=0)
    assert_allclose(earliest_schedule(problem, 1, FULL), [2, 3, 10, 12, 14, 19], atol=0)
    assert_allclose(earliest_schedule(problem, 1, [0, 5]), [2, 2], atol=0)


@pytest.mark.parametrize("seed", range(20))
def test_earliest_schedule_matches_a_loop(seed: int) -> None:
    """The prefix-maximum schedule equals the plain stop-by-stop recursion on random routes."""
    rng = np.random.default_rng(seed)
    problem, route = _random_route(rng, n_requests=5)
    times = earliest_schedule(problem, 0, route)
    expected = [max(problem.window_open[route[0]], problem.shift_start[0])]
    for v, w in itertools.pairwise(route):
        arrival = expected[-1] + problem.service_time[v] + problem.travel_time[v, w]
        expected.append(max(arrival, problem.window_open[w]))
    assert_allclose(times, expected, rtol=1e-12)


def test_departure_delay_repairs_ride_time() -> None:
    """A ride broken by waiting at the dropoff is repaired by leaving the depot later."""
    problem = _line_problem(window_open=[0, 0, 0, 20, 0, 0])
    route = [0, 1, 3, 5]
    early = earliest_schedule(problem, 0, route)
    assert_allclose(early, [0, 1, 20, 24])
    plan = _plan((route, list(early)), EMPTY, unserved=(1,))
    assert _kinds(check_plan(problem, plan)) == {"ride time"}
    times = schedule_with_ride_times(problem, 0, route)
    assert times is not None
    assert_allclose(times, [16, 17, 20, 24])
    assert check_plan(problem, _plan((route, list(times)), EMPTY, unserved=(1,))).feasible


def test_pickup_delay_repairs_ride_time() -> None:
    """When a pickup window pins the departure, delaying a later pickup repairs the ride."""
    problem = _line_problem(
        window_close=[100, 2, 100, 100, 100, 100],
        window_open=[0, 0, 0, 0, 30, 0],
        max_ride_time=[30, 10],
    )
    early = earliest_schedule(problem, 0, FULL)
    assert "ride time" in _kinds(check_plan(problem, _plan((FULL, list(early)), EMPTY)))
    times = schedule_with_ride_times(problem, 0, FULL)
    assert times is not None
    assert_allclose(times, [1, 2, 26, 28, 30, 35])
    assert check_plan(problem, _plan((FULL, list(times)), EMPTY)).feasible


def test_pickup_delay_respects_riders_on_board() -> None:
    """Delaying a pickup stops where the rider already on board would exceed the ride limit."""
    problem = _line_problem(
        window_close=[100, 2, 100, 100, 100, 100],
        window_open=[0, 0, 0, 0, 30, 0],
        max_ride_time=[20, 10],
    )
    # node 2 may move by 15..17: 22 (all the waiting) would give request 0 a ride of 25
    times = schedule_with_ride_times(problem, 0, FULL)
    assert times is not None
    assert_allclose(times, [1, 2, 21, 23, 30, 35])
    assert check_plan(problem, _plan((FULL, list(times)), EMPTY)).feasible


@pytest.mark.parametrize(
    ("changes", "route"),
    [
        pytest.param({"max_ride_time": [1, 10]}, [0, 1, 3, 5], id="direct-too-long"),
        pytest.param(
            {"window_close": [100, 2, 100, 100, 100, 100], "window_open": [0, 0, 0, 0, 30, 0]},
            FULL,
            id="rides-conflict",
        ),
        pytest.param({"max_route_duration": [11, 11]}, FULL, id="duration"),
        pytest.param({"shift_end": [11, 100]}, FULL, id="shift-end"),
        pytest.param({"window_close": [100, 100, 100, 4, 100, 100]}, FULL, id="window"),
    ],
)
def test_schedule_with_ride_times_none_when_impossible(
    changes: dict[str, Any], route: list[int]
) -> None:
    """No schedule exists (the LP agrees), and the function says so with None."""
    problem = _line_problem(**changes)
    assert not _lp_feasible(problem, np.asarray(route))
    assert schedule_with_ride_times(problem, 0, route) is None


def test_schedule_rejects_an_empty_route() -> None:
    """An empty route is refused with a ValueError, not an IndexError from numpy."""
    with pytest.raises(ValueError, match="non-empty"):
        earliest_schedule(_line_problem(), 0, [])
    with pytest.raises(ValueError, match="non-empty"):
        schedule_with_ride_times(_line_problem(), 0, [])


def test_schedule_with_ride_times_against_lp() -> None:
    """On 300 random routes: times found pass the checker, and exist iff the LP is feasible.

    The 8-step scheme is a heuristic and could in principle miss a feasible schedule; on
    these seeds it does not, and about a fifth of them are feasible.
    """
    outcomes = []
    for seed in range(300):
        problem, route = _random_route(np.random.default_rng(seed), n_requests=3)
        times = schedule_with_ride_times(problem, 0, route)
        if times is not None:
            report = check_plan(problem, Plan([route], [times]))
            assert report.feasible, f"seed {seed}: {report.summary()}"
        feasible = _lp_feasible(problem, route)
        assert (times is not None) == feasible, f"seed {seed}: LP feasible = {feasible}"
        outcomes.append(feasible)
    assert 0.1 < np.mean(outcomes) < 0.5


CORDEAU_INSTANCES = sorted(CORDEAU.glob("a*.txt"))


@pytest.mark.skipif(not CORDEAU.is_dir(), reason=f"shared data missing: {CORDEAU}")
def test_cordeau_instances_are_found() -> None:
    """Where the Cordeau data is, the instances below are found (an empty glob would pass)."""
    assert CORDEAU_INSTANCES, f"no a*.txt instances in {CORDEAU}"


@pytest.mark.parametrize(
    "path",
    CORDEAU_INSTANCES
    or [pytest.param(None, marks=pytest.mark.skip(reason=f"no Cordeau instances in {CORDEAU}"))],
    ids=lambda path: path.stem if isinstance(path, Path) else "none",
)
def test_single_request_routes_on_cordeau(path: Path) -> None:
    """Every request of a Cordeau instance can be served alone, and the checker agrees."""
    problem = read_cordeau(path)
    end = problem.n_nodes - 1
    idle = [np.array([0, end])] * (problem.n_vehicles - 1)
    for r in range(problem.n_requests):
        route = np.array([0, problem.pickups[r], problem.deliveries[r], end])
        times = schedule_with_ride_times(problem, 0, route)
        assert times is not None, f"{path.stem} request {r}"
        others = np.delete(np.arange(problem.n_requests), r)
        plan = Plan([route, *idle], [times] + [np.zeros(2)] * len(idle), unserved=others)
        report = check_plan(problem, plan)
        assert report.feasible, f"{path.stem} request {r}: {report.summary()}"
        xy = np.loadtxt(path, skiprows=1, usecols=(1, 2))[route]
        assert report.cost == pytest.approx(np.hypot(*np.diff(xy, axis=0).T).sum(), rel=1e-14)


def _random_route(rng: np.random.Generator, n_requests: int) -> tuple[PdpProblem, np.ndarray]:
    """A one-vehicle random problem and a random route with each pickup before its delivery."""
    n_nodes = 2 * n_requests + 2
    xy = rng.uniform(0, 10, (n_nodes, 2))
    xy[[0, -1]] = 5.0
    open_ = rng.uniform(0, 60, n_nodes)
    close = open_ + rng.uniform(5, 30, n_nodes)
    free = rng.random(n_nodes) < 0.5
    open_[free], close[free] = 0.0, 200.0
    open_[[0, -1]], close[[0, -1]] = 0.0, 200.0
    problem = PdpProblem(
        travel_time=np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)),
        service_time=np.r_[0.0, np.ones(2 * n_requests), 0.0],
        window_open=open_,
        window_close=close,
        demand=np.r_[0.0, np.ones(n_requests), -np.ones(n_requests), 0.0][:, None],
        pickups=np.arange(1, n_requests + 1),
        deliveries=np.arange(n_requests + 1, 2 * n_requests + 1),
        max_ride_time=rng.uniform(10, 40, n_requests),
        vehicle_start=np.array([0]),
        vehicle_end=np.array([n_nodes - 1]),
        capacity=np.array([[float(n_requests)]]),
        shift_start=np.array([rng.uniform(0, 5)]),
        shift_end=np.array([200.0]),
        max_route_duration=np.array([rng.uniform(60, 150)]),
        compatible=np.ones((1, n_requests), dtype=bool),
    )
    waiting, onboard, order = list(range(n_requests)), [], []
    while waiting or onboard:
        i = int(rng.integers(len(waiting) + len(onboard)))
        if i < len(waiting):
            r = waiting.pop(i)
            onboard.append(r)
            order.append(int(problem.pickups[r]))
        else:
            order.append(int(problem.deliveries[onboard.pop(i - len(waiting))]))
    return problem, np.array([0, *order, n_nodes - 1])


def _random_priced_problem(rng: np.random.Generator) -> PdpProblem:
    """Four requests, three vehicles, arc costs unlike travel times, lateness and span priced."""
    n_requests, n_vehicles = 4, 3
    n_nodes = 2 * n_requests + 2
    xy = rng.uniform(0, 10, (n_nodes, 2))
    travel = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    open_ = np.zeros(n_nodes)
    open_[1:-1] = rng.uniform(0, 40, n_nodes - 2)
    close = np.full(n_nodes, 300.0)
    close[1:-1] = open_[1:-1] + rng.uniform(30, 120, n_nodes - 2)
    return PdpProblem(
        travel_time=travel,
        service_time=np.r_[rng.uniform(0, 2), rng.uniform(0.5, 2, 2 * n_requests), 0.0],
        window_open=open_,
        window_close=close,
        demand=np.r_[0.0, np.ones(n_requests), -np.ones(n_requests), 0.0][:, None],
        pickups=np.arange(1, n_requests + 1),
        deliveries=np.arange(n_requests + 1, 2 * n_requests + 1),
        max_ride_time=np.full(n_requests, 60.0),
        vehicle_start=np.zeros(n_vehicles, dtype=np.int64),
        vehicle_end=np.full(n_vehicles, n_nodes - 1),
        capacity=np.full((n_vehicles, 1), 2.0),
        shift_start=np.zeros(n_vehicles),
        shift_end=np.full(n_vehicles, 300.0),
        max_route_duration=np.full(n_vehicles, 200.0),
        compatible=rng.random((n_vehicles, n_requests)) < 0.8,
        cost=travel * rng.uniform(0.5, 2) + rng.uniform(0, 3),
        window_due=np.minimum(open_ + rng.uniform(0, 20, n_nodes), close),
        late_cost=float(rng.uniform(1, 5)),
        span_cost=float(rng.uniform(0.1, 2)),
    )


def _random_plan(rng: np.random.Generator, problem: PdpProblem) -> Plan:
    """Stops dealt to random vehicles in random order (some left out); random rising times."""
    stops = rng.permutation(np.r_[problem.pickups, problem.deliveries])
    vehicle = rng.integers(-1, problem.n_vehicles, stops.size)  # -1: left out
    routes, times = [], []
    for k in range(problem.n_vehicles):
        route = np.r_[problem.vehicle_start[k], stops[vehicle == k], problem.vehicle_end[k]]
        routes.append(route.astype(np.int64))
        times.append(np.cumsum(rng.uniform(0, 30, route.size)))
    unserved = np.flatnonzero(~np.isin(problem.pickups, stops[vehicle >= 0]))
    return Plan(routes, times, unserved=unserved)


def _lp_feasible(problem: PdpProblem, route: np.ndarray) -> bool:
    """Whether vehicle 0 can drive ``route`` on time: the timing constraints as an LP (HiGHS)."""
    m, service = route.size, problem.service_time[route]
    rows, bounds = [], []

    def at_most(later: int, earlier: int, gap: float) -> None:
        row = np.zeros(m)
        row[later], row[earlier] = 1.0, -1.0
        rows.append(row)
        bounds.append(gap)

    for p in range(1, m):  # B_{p-1} + s + t <= B_p
        at_most(p - 1, p, -(service[p - 1] + problem.travel_time[route[p - 1], route[p]]))
    position = {int(v): p for p, v in enumerate(route)}
    for r in range(problem.n_requests):
        pick, drop = position.get(int(problem.pickups[r])), position.get(int(problem.deliveries[r]))
        if pick is not None and drop is not None:
            at_most(drop, pick, problem.max_ride_time[r] + service[pick])
    at_most(m - 1, 0, problem.max_route_duration[0] + service[0])
    low, high = problem.window_open[route].copy(), problem.window_close[route].copy()
    low[0], high[-1] = max(low[0], problem.shift_start[0]), min(high[-1], problem.shift_end[0])
    result = linprog(
        np.zeros(m),
        A_ub=np.array(rows),
        b_ub=np.array(bounds),
        bounds=list(zip(low, high, strict=True)),
    )
    assert result.status in (0, 2), result.message
    return bool(result.status == 0)
