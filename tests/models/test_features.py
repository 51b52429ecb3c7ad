"""Trip features: the column contract, agreement with routing, time encodings, missing inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import routing
from models.cleaning import straight_line_m
from models.features import FEATURE_COLUMNS, ZONE_GRID, build_features, time_feature_values
from models.training import PreparedTrips

from .conftest import TIMEZONE

SHARES = ["share_motorway", "share_arterial", "share_collector", "share_local"]
OBSERVED = ["precipitation_mm", "snow", "rain", "temperature_c", "congestion_index"]


@pytest.fixture(scope="module")
def sample_index(prepared: PreparedTrips) -> np.ndarray:
    """40 trips spread over the history."""
    return np.random.default_rng(1).choice(prepared.trips.index, size=40, replace=False)


def test_exact_feature_columns(prepared: PreparedTrips, baltimore: routing.RoadGraph) -> None:
    """Features are exactly FEATURE_COLUMNS, float, one row per trip on the trips' index."""
    trips = prepared.trips.head(300)
    X = build_features(trips, baltimore)
    assert tuple(X.columns) == FEATURE_COLUMNS
    assert X.index.equals(trips.index)
    assert all(dtype == np.float64 for dtype in X.dtypes)
    assert np.isfinite(X.drop(columns=OBSERVED).to_numpy()).all()
    pd.testing.assert_frame_equal(X, prepared.X.head(300))


def test_free_flow_equals_routing_travel_time(
    prepared: PreparedTrips, baltimore: routing.RoadGraph, sample_index: np.ndarray
) -> None:
    """free_flow_s is routing.travel_time between the snapped endpoints, row by row."""
    trips, X = prepared.trips.loc[sample_index], prepared.X.loc[sample_index]
    expected = [
        routing.travel_time(baltimore, int(o), int(d))
        for o, d in zip(trips["origin_node"], trips["dest_node"], strict=True)
    ]
    np.testing.assert_allclose(X["free_flow_s"], expected, rtol=1e-9)
    np.testing.assert_allclose(X["log_free_flow_s"], np.log1p(expected), rtol=1e-12)


def test_route_statistics_match_the_fastest_path(
    prepared: PreparedTrips, baltimore: routing.RoadGraph, sample_index: np.ndarray
) -> None:
    """Distance, signals and turns come from the fastest path of each trip."""
    trips, X = prepared.trips.loc[sample_index], prepared.X.loc[sample_index]
    for i, o, d in zip(sample_index, trips["origin_node"], trips["dest_node"], strict=True):
        path = routing.shortest_path(baltimore, int(o), int(d))
        stats = routing.route_statistics(baltimore, path)
        row = X.loc[i]
        assert row["distance_m"] == pytest.approx(path.length_m, rel=1e-9)
        assert row["n_signals"] == stats.n_signals
        assert row["n_left_turns"] == stats.n_left_turns
        assert row["n_right_turns"] == stats.n_right_turns
        assert row["n_u_turns"] == stats.n_u_turns
        assert row["signals_per_km"] == pytest.approx(stats.n_signals / path.length_m * 1000)


def test_free_flow_agrees_with_the_simulator(prepared: PreparedTrips) -> None:
    """The simulator logged the same free-flow time for each leg (rounded to 0.1 s)."""
    np.testing.assert_allclose(
        prepared.X["free_flow_s"], prepared.trips["free_flow_s"], rtol=0, atol=0.051
    )


def test_straight_distance_and_detour(prepared: PreparedTrips) -> None:
    """straight_m is the great-circle distance and detour_ratio is network over straight."""
    X = prepared.X
    np.testing.assert_allclose(X["straight_m"], straight_line_m(prepared.trips))
    assert (X["distance_m"] >= X["straight_m"] * 0.95).all()
    np.testing.assert_allclose(
        X["detour_ratio"], X["distance_m"] / np.maximum(X["straight_m"], 1.0)
    )


def test_road_class_shares_sum_to_one(prepared: PreparedTrips) -> None:
    """The four road-class shares lie in [0, 1] and sum to 1 on every route."""
    shares = prepared.X[SHARES]
    assert ((shares >= -1e-12) & (shares <= 1 + 1e-9)).all().all()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, atol=1e-6)
    assert (shares.mean() > 0).sum() >= 3  # the city's routes really mix classes


def test_hour_features_match_local_time(prepared: PreparedTrips) -> None:
    """hour is the local clock time in hours, and its sine/cosine encode the same angle."""
    local = prepared.trips["pickup_time"].dt.tz_convert(TIMEZONE)
    expected = local.dt.hour + local.dt.minute / 60
    X = prepared.X
    np.testing.assert_allclose(X["hour"], expected)
    np.testing.assert_allclose(X["hour_sin"] ** 2 + X["hour_cos"] ** 2, 1.0)
    decoded = np.mod(np.arctan2(X["hour_sin"], X["hour_cos"]) / (2 * np.pi) * 24, 24)
    np.testing.assert_allclose(decoded, X["hour"], atol=1e-9)


def test_day_of_week_and_weekend(prepared: PreparedTrips) -> None:
    """dow_sin/dow_cos encode the local weekday and is_weekend marks Saturday and Sunday."""
    dow = prepared.trips["pickup_time"].dt.tz_convert(TIMEZONE).dt.day_of_week.to_numpy()
    X = prepared.X
    decoded = np.round(np.mod(np.arctan2(X["dow_sin"], X["dow_cos"]) / (2 * np.pi) * 7, 7)) % 7
    np.testing.assert_array_equal(decoded, dow)
    np.testing.assert_array_equal(X["is_weekend"], (dow >= 5).astype(float))
    assert set(np.unique(X["is_weekend"])) == {0.0, 1.0}


def test_clock_features_match_pandas_across_daylight_saving_and_missing_times() -> None:
    """Hour and weekday computed from epoch seconds equal pandas' local clock fields, on
    both sides of the daylight-saving changes, before 1970 and with a missing time."""
    rng = np.random.default_rng(7)
    seconds = rng.integers(-40 * 86_400, 400 * 86_400, 2_000) + 1_772_000_000  # 2026-ish
    times = pd.Series(pd.to_datetime(seconds, unit="s", utc=True))
    times = pd.concat([times, pd.Series(pd.to_datetime(["1969-12-31T23:59:00Z", None], utc=True))])
    got = time_feature_values(times, TIMEZONE, {})
    local = times.dt.tz_convert(TIMEZONE)
    expected_hour = (local.dt.hour + local.dt.minute / 60.0).to_numpy(dtype=float, na_value=np.nan)
    dow = local.dt.day_of_week.to_numpy(dtype=float, na_value=np.nan)
    np.testing.assert_array_equal(got["hour"], expected_hour)
    np.testing.assert_array_equal(got["dow_sin"], np.sin(2 * np.pi * dow / 7))
    assert np.isnan(got["is_weekend"][-1]) and np.isnan(got["precipitation_mm"]).all()


def test_features_do_not_depend_on_the_zone_times_are_written_in(
    prepared: PreparedTrips, baltimore: routing.RoadGraph
) -> None:
    """The same instants written in UTC give the same features (hour is the map's local hour)."""
    trips = prepared.trips.head(500)
    in_utc = trips.assign(pickup_time=trips["pickup_time"].dt.tz_convert("UTC"))
    pd.testing.assert_frame_equal(build_features(in_utc, baltimore), prepared.X.head(500))


def test_weather_and_congestion_features(prepared: PreparedTrips) -> None:
    """Weather features copy the record: precipitation, snow and rain flags, temperature."""
    trips, X = prepared.trips, prepared.X
    np.testing.assert_array_equal(X["precipitation_mm"], trips["precipitation_mm"])
    np.testing.assert_array_equal(X["temperature_c"], trips["temperature_c"])
    np.testing.assert_array_equal(X["congestion_index"], trips["congestion_index"])
    np.testing.assert_array_equal(X["snow"], trips["snow"].astype(float))
    np.testing.assert_array_equal(X["rain"], (trips["weather_condition"] == "rain").astype(float))


def test_missing_weather_gives_nan_features(
    prepared: PreparedTrips, baltimore: routing.RoadGraph
) -> None:
    """Absent or missing weather and congestion become NaN features, and nothing else changes."""
    trips = prepared.trips.head(200)
    bare = trips.drop(columns=["precipitation_mm", "snow", "temperature_c", "weather_condition"])
    bare = bare.assign(congestion_index=np.nan)
    X = build_features(bare, baltimore)
    assert X[OBSERVED].isna().all().all()
    others = [c for c in FEATURE_COLUMNS if c not in OBSERVED]
    pd.testing.assert_frame_equal(X[others], prepared.X.head(200)[others])

    partial = trips.astype({"snow": "boolean", "weather_condition": object}).copy()
    partial.loc[partial.index[:5], ["precipitation_mm", "snow", "weather_condition"]] = None
    X = build_features(partial, baltimore)
    assert X.loc[partial.index[:5], ["precipitation_mm", "snow", "rain"]].isna().all().all()
    assert X.loc[partial.index[5:], ["precipitation_mm", "snow", "rain"]].notna().all().all()


def test_zones_are_grid_cells(prepared: PreparedTrips, baltimore: routing.RoadGraph) -> None:
    """Origin and destination zones are integer cells of the grid over the map."""
    for column, lat in (("origin_zone", "origin_lat"), ("dest_zone", "dest_lat")):
        zone = prepared.X[column].to_numpy()
        assert np.array_equal(zone, np.round(zone))
        assert zone.min() >= 0 and zone.max() < ZONE_GRID**2
        row = zone // ZONE_GRID
        south, north = baltimore.lat.min(), baltimore.lat.max()
        expected_row = np.clip(
            ((prepared.trips[lat] - south) / (north - south) * ZONE_GRID).astype(int),
            0,
            ZONE_GRID - 1,
        )
        np.testing.assert_array_equal(row, expected_row)
    assert prepared.X["origin_zone"].nunique() >= 4


def test_row_order_is_kept(prepared: PreparedTrips, baltimore: routing.RoadGraph) -> None:
    """Shuffled trips give the same features, shuffled the same way (per-origin batching)."""
    shuffled = prepared.trips.sample(frac=1.0, random_state=7)
    X = build_features(shuffled, baltimore)
    pd.testing.assert_frame_equal(X, prepared.X.loc[shuffled.index])


def test_hundred_thousand_trips(prepared: PreparedTrips, baltimore: routing.RoadGraph) -> None:
    """About 100,000 trips (the history repeated) featurise, each copy like the original."""
    copies = -(-100_000 // len(prepared.trips))
    many = pd.concat([prepared.trips] * copies, ignore_index=True)
    assert len(many) >= 100_000
    X = build_features(many, baltimore)
    assert X.shape == (len(many), len(FEATURE_COLUMNS))
    expected = np.tile(prepared.X.to_numpy(), (copies, 1))
    np.testing.assert_array_equal(X.to_numpy(), expected)
