"""Fleet sizing: demand independent of the fleet, and the search against a brute-force scan."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

import routing
from simulations.engine import run_day
from simulations.exceptions import ScenarioError
from simulations.fleet_sizing import RATE_KPI, size_fleets, smallest_reaching
from simulations.kpis import day_kpis
from simulations.scenario import Scenario, build_world, make_policy

SMALL = Scenario(vehicles=4, riders=60, history_days=3)
SEEDS = (0, 2)
SIZES = range(1, 9)


@pytest.fixture(scope="module")
def scanned(baltimore: routing.RoadGraph) -> dict[int, float]:
    """Brute force: the mean greedy rate over the seeds of every fleet size of the range."""
    rates = {}
    for size in SIZES:
        values = []
        for seed in SEEDS:
            sized = replace(SMALL, seed=seed, vehicles=size)
            world = build_world(sized, baltimore)
            policy = make_policy("greedy/free-flow", world, sized, None)
            values.append(day_kpis(run_day(world, sized.day, policy))[RATE_KPI])
        rates[size] = round(float(np.mean(values)), 4)
    return rates


def test_demand_does_not_depend_on_the_fleet(baltimore: routing.RoadGraph) -> None:
    """A fleet of 3 or 80 vehicles faces the same riders and trips; the mix keeps its shares."""
    small, large = (build_world(replace(SMALL, vehicles=n), baltimore) for n in (3, 80))
    assert len(small.riders) == len(large.riders) == SMALL.riders
    assert small.riders == large.riders
    assert small.trips(SMALL.day) == large.trips(SMALL.day)
    mix = {n: Counter(v.vehicle_type.name for v in w.fleet) for n, w in ((3, small), (80, large))}
    assert mix[3] == {"sedan": 1, "wheelchair_van": 1, "stretcher_van": 1}
    assert mix[80] == {"sedan": 40, "wheelchair_van": 30, "stretcher_van": 10}


def test_default_scenario_keeps_its_800_riders(baltimore: routing.RoadGraph) -> None:
    """The default day is the one of the old 20 riders per vehicle of the 40-vehicle fleet."""
    assert len(build_world(replace(Scenario(), history_days=2), baltimore).riders) == 800


def test_search_finds_the_smallest_fleet_of_the_scan(
    baltimore: routing.RoadGraph, scanned: dict[int, float]
) -> None:
    """The size found is the smallest of the brute-force scan reaching the target; the one
    below it was tried and misses; every rate reported is the scan's."""
    target = 0.7
    (sizing,) = size_fleets(
        SMALL,
        ["greedy/free-flow"],
        target,
        seeds=SEEDS,
        low=SIZES[0],
        high=SIZES[-1],
        graph=baltimore,
    )
    expected = min(n for n, rate in scanned.items() if rate >= target)
    assert sizing.smallest == expected
    assert sizing.rates[expected - 1] < target <= sizing.rates[expected]
    assert sizing.rates == {n: scanned[n] for n in sizing.rates}
    assert len(sizing.rates) < len(SIZES)


def test_search_says_when_the_largest_fleet_falls_short(
    baltimore: routing.RoadGraph, scanned: dict[int, float]
) -> None:
    """A target beyond the range's largest fleet gives no size, that fleet's rate reported."""
    target = scanned[5] + 0.01
    (sizing,) = size_fleets(
        SMALL, ["greedy/free-flow"], target, seeds=SEEDS, low=2, high=5, graph=baltimore
    )
    assert sizing.smallest is None
    assert sizing.rates[5] == scanned[5]


@pytest.mark.parametrize("start", [1, 7, 20, 64, 100])
@pytest.mark.parametrize("target", [0.0, 0.05, 0.5, 0.93, 0.99])
def test_bracketing_and_bisection_match_a_scan(start: int, target: float) -> None:
    """On a monotone rate, every start and target gives the scan's answer, each size once."""
    calls: list[int] = []

    def rate(n: int) -> float:
        calls.append(n)
        return 1 - 4 / (n + 3)

    found, rates = smallest_reaching(rate, target, 2, 64, start)
    reaching = [n for n in range(2, 65) if 1 - 4 / (n + 3) >= target]
    assert found == (min(reaching) if reaching else None)
    assert len(calls) == len(set(calls)) == len(rates) <= 16
    if found is not None and found > 2:
        assert rates[found - 1] < target


def test_bad_targets_and_ranges_are_refused(baltimore: routing.RoadGraph) -> None:
    """A target outside (0, 1] or an empty range is a ScenarioError, before any day is run."""
    with pytest.raises(ScenarioError, match="target"):
        size_fleets(SMALL, ["greedy/free-flow"], 1.5, graph=baltimore)
    with pytest.raises(ScenarioError, match="min <= max"):
        size_fleets(SMALL, ["greedy/free-flow"], 0.9, low=6, high=5, graph=baltimore)
