"""The hidden ground truth of driving times."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

import routing
from simulations.truth import GroundTruth, TruthParams
from simulations.weather import DayWeather

MONDAY = date(2026, 1, 5)


def _day(condition: str, mm: float = 0.0) -> DayWeather:
    regime = {"clear": "dry", "rain": "rain", "snow": "snow"}[condition]
    return DayWeather(regime, (condition,) * 24, np.full(24, mm), np.zeros(24))


@pytest.fixture(scope="module")
def truth(baltimore: routing.RoadGraph) -> GroundTruth:
    """A truth without incidents over a dry, a rainy and a snowy Monday-Wednesday."""
    params = TruthParams(incidents_per_day=0.0)
    days = [_day("clear"), _day("rain", 2.0), _day("snow", 1.0)]
    return GroundTruth(baltimore, days, MONDAY, params, np.random.default_rng(0))


def _arterial_pairs(graph: routing.RoadGraph, n: int) -> list[tuple[int, int]]:
    """Endpoints of primary-road edges far apart: drives that use arterials."""
    primary = routing.ROAD_CLASSES.index("primary")
    edges = np.flatnonzero(graph.road_class == primary)
    rng = np.random.default_rng(1)
    picks = rng.choice(edges, size=(n, 2))
    return [(int(graph.edge_tail[a]), int(graph.indices[b])) for a, b in picks]


def test_rush_hour_slower_than_night_on_arterials(
    baltimore: routing.RoadGraph, truth: GroundTruth
) -> None:
    """On a dry weekday, drives between arterials take longer at 08:00 than at 03:00."""
    ratios = []
    for origin, dest in _arterial_pairs(baltimore, 20):
        if origin == dest:
            continue
        night = truth.drive(origin, dest, 0, 3 * 3600, noise=0.0)
        rush = truth.drive(origin, dest, 0, 8 * 3600, noise=0.0)
        assert rush > night
        ratios.append(rush / night)
    assert np.median(ratios) > 1.3


def test_snow_slower_than_rain_slower_than_dry(
    baltimore: routing.RoadGraph, truth: GroundTruth
) -> None:
    """The same drive at the same hour is slowest in snow and slower in rain than dry."""
    for origin, dest in _arterial_pairs(baltimore, 10):
        if origin == dest:
            continue
        dry, rain, snow = (truth.drive(origin, dest, d, 11 * 3600, noise=0.0) for d in range(3))
        assert dry < rain < snow


def test_never_faster_than_floor_times_free_flow(
    baltimore: routing.RoadGraph, truth: GroundTruth
) -> None:
    """Even with extreme negative noise, a drive takes at least noise_floor x free-flow time."""
    floor = TruthParams().noise_floor
    for origin, dest in _arterial_pairs(baltimore, 10):
        free_flow = routing.travel_time(baltimore, origin, dest)
        night = truth.drive(origin, dest, 0, 3 * 3600, noise=-10.0)
        assert night >= floor * free_flow - 1e-9


def test_congestion_index_tracks_the_hidden_factors(truth: GroundTruth) -> None:
    """The observed index is higher at the morning peak than at night, and higher in snow."""
    assert truth.congestion_index(0, 8 * 3600) > truth.congestion_index(0, 3 * 3600) + 0.1
    assert truth.congestion_index(2, 3 * 3600) > truth.congestion_index(0, 3 * 3600) + 0.2


def test_incidents_slow_some_drives(baltimore: routing.RoadGraph) -> None:
    """With many incidents a day, the total true time of a fixed set of drives goes up."""
    days = [_day("clear")]
    calm = GroundTruth(
        baltimore, days, MONDAY, TruthParams(incidents_per_day=0.0), np.random.default_rng(0)
    )
    busy = GroundTruth(
        baltimore, days, MONDAY, TruthParams(incidents_per_day=200.0), np.random.default_rng(0)
    )
    pairs = _arterial_pairs(baltimore, 30)
    hour = 13 * 3600
    total_calm = sum(calm.drive(o, d, 0, hour, 0.0) for o, d in pairs)
    total_busy = sum(busy.drive(o, d, 0, hour, 0.0) for o, d in pairs)
    assert total_busy > total_calm
