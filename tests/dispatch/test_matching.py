"""The on-demand matcher against scipy and brute force, its reasons, edges and input errors."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from dispatch.matching import CostScalingWarning, MatchResult, UnmatchedReason, match


def random_instance(
    seed: int, shape: tuple[int, int], *, integer: bool = True, density: float = 0.6
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Random costs (integers by default, so optima compare exactly) and feasible pairs."""
    rng = np.random.default_rng(seed)
    cost = rng.integers(0, 1000, shape).astype(float) if integer else rng.uniform(0, 1000, shape)
    return cost, rng.random(shape) < density


def check_consistent(result: MatchResult, cost: NDArray[np.float64], ok: NDArray[np.bool_]) -> None:
    """Matched pairs are feasible, both index arrays agree, and the total is theirs."""
    n_vehicles, n_requests = ok.shape
    assert result.vehicle_of_request.shape == (n_requests,)
    assert result.request_of_vehicle.shape == (n_vehicles,)
    requests = np.flatnonzero(result.vehicle_of_request >= 0)
    vehicles = result.vehicle_of_request[requests]
    assert ok[vehicles, requests].all()
    np.testing.assert_array_equal(result.request_of_vehicle[vehicles], requests)
    assert np.count_nonzero(result.request_of_vehicle >= 0) == requests.size == result.n_matched
    assert result.total_cost == pytest.approx(cost[vehicles, requests].sum())
    assert set(result.unmatched_reasons) == set(np.flatnonzero(result.vehicle_of_request < 0))
    assert result.status == "optimal"


def scipy_optimum(cost: NDArray[np.float64], ok: NDArray[np.bool_]) -> tuple[int, float]:
    """Matched pairs and their cost: scipy with forbidden pairs at a big M, then dropped."""
    big = cost[ok].sum() + 1.0
    rows, cols = linear_sum_assignment(np.where(ok, cost, big))
    kept = ok[rows, cols]
    return int(kept.sum()), float(cost[rows[kept], cols[kept]].sum())


def partial_matchings(ok: NDArray[np.bool_]) -> Iterator[list[int]]:
    """Every assignment of requests to distinct feasible vehicles or to none (-1)."""
    n_vehicles, n_requests = ok.shape

    def extend(chosen: list[int]) -> Iterator[list[int]]:
        if len(chosen) == n_requests:
            yield chosen
            return
        j = len(chosen)
        yield from extend([*chosen, -1])
        for i in range(n_vehicles):
            if ok[i, j] and i not in chosen:
                yield from extend([*chosen, i])

    yield from extend([])


def brute_force(
    cost: NDArray[np.float64], ok: NDArray[np.bool_], penalty: NDArray[np.float64] | None
) -> tuple[float, ...]:
    """Best (unmatched count, cost) if ``penalty`` is None, else best (cost + penalties,)."""
    best: tuple[float, ...] = (np.inf, np.inf)
    for assignment in partial_matchings(ok):
        matched = [(i, j) for j, i in enumerate(assignment) if i >= 0]
        total = float(sum(cost[i, j] for i, j in matched))
        unmatched = [j for j, i in enumerate(assignment) if i < 0]
        if penalty is None:
            best = min(best, (len(unmatched), total))
        else:
            best = min(best, (total + float(penalty[unmatched].sum()),))
    return best


@pytest.mark.parametrize("shape", [(1, 1), (8, 8), (40, 40), (5, 12), (12, 5), (1, 9), (60, 25)])
@pytest.mark.parametrize("seed", range(3))
def test_same_optimum_as_scipy(shape: tuple[int, int], seed: int) -> None:
    """Square and unbalanced: same matched count and total cost as scipy's assignment."""
    cost, ok = random_instance(seed, shape)
    result = match(cost, ok)
    check_consistent(result, cost, ok)
    assert (result.n_matched, result.total_cost) == scipy_optimum(cost, ok)


@pytest.mark.parametrize("shape", [(30, 30), (20, 45), (45, 20)])
def test_same_optimum_as_scipy_on_real_valued_costs(shape: tuple[int, int]) -> None:
    """Real-valued costs: scipy's optimum up to the rounding to 1/scale seconds."""
    cost, ok = random_instance(7, shape, integer=False, density=0.3)
    result = match(cost, ok, scale=100.0)
    check_consistent(result, cost, ok)
    count, total = scipy_optimum(cost, ok)
    assert result.n_matched == count
    # each pair's cost is off by at most 0.5/scale s, in ours and in scipy's matching
    assert result.total_cost == pytest.approx(total, abs=count / 100.0)


@pytest.mark.parametrize("seed", range(40))
def test_brute_force_on_tiny_instances(seed: int) -> None:
    """Up to 5 x 5 with forbidden pairs, with and without penalties: the enumerated optimum."""
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
    cost, ok = random_instance(seed, shape, density=0.5)
    cost[~ok] = np.inf  # ignored where infeasible
    penalties: list[NDArray[np.float64] | None] = [
        None,
        rng.integers(0, 1200, shape[1]).astype(float),
        np.full(shape[1], 400.0),
    ]
    for penalty in penalties:
        result = match(cost, ok, unmatched_penalty=penalty)
        check_consistent(result, cost, ok)
        unmatched = list(result.unmatched_reasons)
        if penalty is None:
            assert (len(unmatched), result.total_cost) == brute_force(cost, ok, None)
        else:
            objective = result.total_cost + penalty[unmatched].sum()
            assert (objective,) == brute_force(cost, ok, penalty)


def test_scalar_penalty_is_per_request() -> None:
    """A scalar penalty applies to every request, like the same value repeated."""
    cost, ok = random_instance(3, (4, 6))
    scalar = match(cost, ok, unmatched_penalty=300.0)
    repeated = match(cost, ok, unmatched_penalty=np.full(6, 300.0))
    np.testing.assert_array_equal(scalar.vehicle_of_request, repeated.vehicle_of_request)
    assert 0 < scalar.n_matched < match(cost, ok).n_matched


def test_maximum_cardinality_before_cost_without_penalty() -> None:
    """Without a penalty both requests are served at a high cost; with one, the cheap pair wins."""
    cost = np.array([[1.0, 1.0], [1000.0, 0.0]])
    ok = np.array([[True, True], [True, False]])
    served = match(cost, ok)
    np.testing.assert_array_equal(served.vehicle_of_request, [1, 0])
    assert served.total_cost == 1001.0
    priced = match(cost, ok, unmatched_penalty=500.0)
    assert priced.n_matched == 1
    assert priced.total_cost == 1.0
    assert list(priced.unmatched_reasons.values()) == [UnmatchedReason.OUTCOMPETED]


def test_reason_no_feasible_vehicle() -> None:
    """A request whose column is all False is unmatched for want of a feasible vehicle."""
    cost = np.array([[10.0, 5.0, 7.0], [3.0, 9.0, 1.0]])
    ok = np.array([[True, False, True], [True, False, True]])
    result = match(cost, ok)
    assert result.unmatched_reasons == {1: "no feasible vehicle"}
    assert result.unmatched_reasons[1] is UnmatchedReason.NO_FEASIBLE_VEHICLE
    np.testing.assert_array_equal(result.vehicle_of_request, [1, -1, 0])  # 3 + 7 < 10 + 1


def test_reason_outcompeted_by_another_request() -> None:
    """Two requests want the only vehicle: the cheaper pair wins, the other is outcompeted."""
    result = match(np.array([[30.0, 20.0]]), np.array([[True, True]]))
    np.testing.assert_array_equal(result.vehicle_of_request, [-1, 0])
    assert result.unmatched_reasons == {0: "outcompeted"}


def test_reason_outcompeted_by_penalty() -> None:
    """A free vehicle costlier than the penalty stays idle and the request is outcompeted."""
    result = match(np.array([[100.0], [80.0]]), np.ones((2, 1), bool), unmatched_penalty=50.0)
    np.testing.assert_array_equal(result.request_of_vehicle, [-1, -1])
    assert result.unmatched_reasons == {0: "outcompeted"}
    assert result.total_cost == 0.0


def test_infeasible_pair_never_used_even_if_cheapest() -> None:
    """A forbidden pair is left out even at cost 0 and with a huge penalty."""
    cost = np.array([[0.0, 500.0]])
    ok = np.array([[False, True]])
    result = match(cost, ok, unmatched_penalty=1e6)
    np.testing.assert_array_equal(result.vehicle_of_request, [-1, 0])
    assert result.unmatched_reasons == {0: "no feasible vehicle"}


@pytest.mark.parametrize("shape", [(0, 0), (0, 4), (4, 0), (3, 2)])
def test_zero_size_or_nothing_feasible(shape: tuple[int, int]) -> None:
    """Empty sides and all-False feasibility give an empty matching with reasons."""
    result = match(np.zeros(shape), np.zeros(shape, dtype=bool), unmatched_penalty=None)
    np.testing.assert_array_equal(result.vehicle_of_request, np.full(shape[1], -1))
    np.testing.assert_array_equal(result.request_of_vehicle, np.full(shape[0], -1))
    assert result.total_cost == 0.0
    assert result.unmatched_reasons == dict.fromkeys(range(shape[1]), "no feasible vehicle")


def test_result_arrays_are_read_only() -> None:
    """The frozen result cannot be changed through its arrays."""
    result = match(np.ones((2, 2)), np.ones((2, 2), dtype=bool))
    with pytest.raises(ValueError, match="read-only"):
        result.vehicle_of_request[0] = 1


@pytest.mark.parametrize(
    ("cost", "feasible", "kwargs", "message"),
    [
        (np.ones(3), np.ones(3, bool), {}, "cost must be 2-D"),
        ([["a", "b"]], np.ones((1, 2), bool), {}, "cost must be a numeric array"),
        (np.ones((2, 3)), np.ones((3, 2), bool), {}, r"feasible must have the shape of cost"),
        (np.ones((2, 2)), np.ones((2, 2), int), {}, "feasible must be a boolean array"),
        (np.array([[1.0, np.nan]]), np.array([[True, False]]), {}, r"cost has NaN at .* \(0, 1\)"),
        (np.array([[1.0, -2.0]]), np.ones((1, 2), bool), {}, "cost must be >= 0"),
        (np.array([[1.0, np.inf]]), np.ones((1, 2), bool), {}, "cost is infinite at feasible"),
        (
            np.ones((2, 3)),
            np.ones((2, 3), bool),
            {"unmatched_penalty": [1, 2]},
            "of shape \\(3,\\)",
        ),
        (np.ones((2, 3)), np.ones((2, 3), bool), {"unmatched_penalty": -1.0}, "unmatched_penalty"),
        (
            np.ones((1, 1)),
            np.ones((1, 1), bool),
            {"unmatched_penalty": np.nan},
            "unmatched_penalty",
        ),
        (np.ones((1, 1)), np.ones((1, 1), bool), {"unmatched_penalty": "x"}, "unmatched_penalty"),
        (np.ones((1, 1)), np.ones((1, 1), bool), {"scale": 0.0}, "scale must be a positive"),
        (np.array([[1e19]]), np.ones((1, 1), bool), {"scale": 1.0}, "cost too large for int64"),
    ],
)
def test_bad_input_names_the_argument(
    cost: object, feasible: object, kwargs: dict[str, object], message: str
) -> None:
    """Bad shapes, dtypes and values raise ValueError naming the argument."""
    with pytest.raises(ValueError, match=message):
        match(cost, feasible, **kwargs)  # type: ignore[arg-type]


def test_scaling_warning_before_overflow() -> None:
    """Costs near OR-Tools' limit warn but solve; past it they warn and raise ValueError."""
    with pytest.warns(CostScalingWarning, match="lower scale"):
        near = match(np.array([[4e17]]), np.ones((1, 1), bool), scale=1.0)
    assert near.n_matched == 1
    with (
        pytest.warns(CostScalingWarning),
        pytest.raises(ValueError, match="cost: scaled costs too large"),
    ):
        match(np.array([[1e18]]), np.ones((1, 1), bool), scale=1.0)
