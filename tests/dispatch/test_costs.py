"""The cost provider: free-flow matrices from routing, ETA-corrected by the departure hour."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

import routing
from dispatch.costs import CostProvider, own_matrix
from models import EtaModel
from models.training import prepare_trips, train_eta
from simulations.history import generate_history
from simulations.world import World, WorldParams

ZONE = ZoneInfo("America/New_York")
MONDAY_8AM = datetime(2026, 3, 2, 8, 0, tzinfo=ZONE)
MONDAY_3AM = datetime(2026, 3, 2, 3, 0, tzinfo=ZONE)


@pytest.fixture(scope="module")
def model(baltimore: routing.RoadGraph, baltimore_path: Path) -> EtaModel:
    """An ETA model trained on ten simulated days of a small world."""
    world = World(
        baltimore, days=10, seed=5, params=WorldParams(n_vehicles=12), map_path=baltimore_path
    )
    data = prepare_trips(generate_history(world).records, baltimore)
    return train_eta(data, model=EtaModel(n_estimators=80)).model


@pytest.fixture(scope="module")
def points(baltimore: routing.RoadGraph) -> tuple[np.ndarray, np.ndarray]:
    """Forty node locations of the Baltimore graph."""
    idx = np.random.default_rng(0).integers(0, baltimore.n_nodes, 40)
    return baltimore.lat[idx], baltimore.lon[idx]


def test_free_flow_without_a_model(baltimore: routing.RoadGraph, points: tuple) -> None:
    """Without a model both matrices are routing's free-flow matrix between the snapped points."""
    times = CostProvider(baltimore).travel_times(*points, MONDAY_8AM)
    expected = routing.travel_time_matrix(baltimore, times.nodes, times.nodes)
    np.testing.assert_array_equal(times.plan, expected)
    np.testing.assert_array_equal(times.feasibility, expected)
    assert times.model_version is None


def test_model_slows_rush_hour_and_p90_bounds_p50(
    baltimore: routing.RoadGraph, points: tuple, model: EtaModel
) -> None:
    """With a model and the feeds' readings, 8 am drives take longer than 3 am ones; P90 >= P50."""
    provider = CostProvider(baltimore, model, model_version="test", risk_aware=True)
    rush = provider.travel_times(*points, MONDAY_8AM, {"congestion_index": 1.6})
    night = provider.travel_times(*points, MONDAY_3AM, {"congestion_index": 1.0})
    free = CostProvider(baltimore).travel_times(*points, MONDAY_8AM).plan
    moving = free > 0
    assert (
        np.median(rush.plan[moving] / free[moving])
        > np.median(night.plan[moving] / free[moving]) + 0.2
    )
    assert np.all(rush.feasibility >= rush.plan - 1e-9)
    assert np.all(np.diag(rush.plan) == 0)
    assert rush.model_version == "test"


def test_rows_priced_at_their_own_departure_and_cached_pairs_match(
    baltimore: routing.RoadGraph, points: tuple, model: EtaModel
) -> None:
    """Each row uses its own departure; a warm cache on more stops gives the same numbers."""
    lat, lon = points
    half = len(lat) // 2
    departures = [MONDAY_8AM] * half + [MONDAY_3AM] * (len(lat) - half)
    warm = CostProvider(baltimore, model, model_version="test")
    warm.travel_times(lat[:10], lon[:10], MONDAY_8AM, row_departures=departures[:10])
    mixed = warm.travel_times(lat, lon, MONDAY_8AM, row_departures=departures)
    rush = CostProvider(baltimore, model).travel_times(lat, lon, MONDAY_8AM)
    night = CostProvider(baltimore, model).travel_times(lat, lon, MONDAY_3AM)
    np.testing.assert_allclose(mixed.plan[:half], rush.plan[:half])
    np.testing.assert_allclose(mixed.plan[half:], night.plan[half:])
    with pytest.raises(ValueError, match="row_departures"):
        warm.travel_times(lat, lon, MONDAY_8AM, row_departures=departures[:3])


def test_off_map_points_are_refused(baltimore: routing.RoadGraph) -> None:
    """A stop in the Atlantic is refused with a SnapError naming its position."""
    with pytest.raises(routing.SnapError, match="#1"):
        CostProvider(baltimore).travel_times([39.29, 38.0], [-76.61, -70.0], MONDAY_8AM)


def test_own_matrix_is_validated() -> None:
    """A caller's matrix must be square for the points and hold finite non-negative seconds."""
    assert own_matrix([[0, 5], [6, 0]], 2).plan[1, 0] == 6
    with pytest.raises(ValueError, match="shape"):
        own_matrix([[0, 5]], 2)
    with pytest.raises(ValueError, match="non-negative"):
        own_matrix([[0, -5], [6, 0]], 2)
