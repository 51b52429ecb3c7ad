"""Zone statistics: out of fold by day (no leakage), smoothing, levels read from the data."""

from __future__ import annotations

import numpy as np
import pytest

from models.training import PreparedTrips
from models.zones import COORDINATE_COLUMNS, ZONE_STAT_COLUMNS, ZoneStatistics


@pytest.fixture(scope="module")
def inputs(prepared: PreparedTrips) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates, log-ratio targets and day numbers of the simulated history."""
    coordinates = prepared.X[list(COORDINATE_COLUMNS)].to_numpy()
    target = np.log(prepared.y / prepared.X["free_flow_s"].to_numpy())
    _, period = np.unique(prepared.local_dates(), return_inverse=True)
    return coordinates, target, period.astype(np.int64)


def test_out_of_fold_statistics_ignore_the_row_its_day_and_later_days(
    inputs: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """Changing a row's label moves no statistic of its own day or earlier days, only later."""
    coordinates, target, period = inputs
    _, oof = ZoneStatistics.fit(coordinates, target, period)
    middle = int(np.flatnonzero(period == period.max() // 2)[0])
    changed = target.copy()
    changed[middle] += 3.0
    _, moved = ZoneStatistics.fit(coordinates, changed, period)
    same_or_earlier = period <= period[middle]
    np.testing.assert_array_equal(moved[same_or_earlier], oof[same_or_earlier])
    assert not np.array_equal(moved[~same_or_earlier], oof[~same_or_earlier])


def test_first_day_has_no_statistics_and_later_days_do(
    inputs: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """Rows of the first day see no earlier rows (NaN); every later row has finite statistics."""
    coordinates, target, period = inputs
    _, oof = ZoneStatistics.fit(coordinates, target, period)
    assert oof.shape == (len(target), len(ZONE_STAT_COLUMNS))
    assert np.isnan(oof[period == 0]).all()
    assert np.isfinite(oof[period > 0]).all()


def test_transform_uses_every_training_row(
    inputs: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """At prediction, the finest-level statistic follows the formula over all training rows."""
    coordinates, target, period = inputs
    zones, _ = ZoneStatistics.fit(coordinates, target, period)
    stats = zones.transform(coordinates[:50])
    assert np.isfinite(stats).all()
    global_mean = target.mean()
    assert zones.global_sum / zones.global_count == pytest.approx(global_mean)
    shifted, _ = ZoneStatistics.fit(coordinates, target + 1.0, period)
    np.testing.assert_allclose(shifted.transform(coordinates[:50]), stats + 1.0, rtol=1e-9)


def test_rare_zones_shrink_to_the_global_mean() -> None:
    """A cell with one trip gets a value near the mean of the rest, not its own label."""
    rng = np.random.default_rng(0)
    n = 4000
    coordinates = np.column_stack(
        [
            rng.uniform(0, 0.1, n),
            rng.uniform(0, 0.1, n),
            rng.uniform(0, 0.1, n),
            rng.uniform(0, 0.1, n),
        ]
    )
    target = rng.normal(0.0, 0.1, n)
    coordinates[0] = [0.0999, 0.0999, 0.0999, 0.0999]
    target[0] = 5.0
    period = np.arange(n) * 5 // n
    zones, _ = ZoneStatistics.fit(coordinates, target, period, smoothing=20.0, min_count=30)
    value = zones.transform(coordinates[:1])
    assert np.all(value < 1.0)
    assert zones.end_levels and zones.pair_levels


def test_levels_follow_the_density_of_trips() -> None:
    """More trips over the same area support finer cells."""
    rng = np.random.default_rng(1)

    def levels(n: int) -> tuple[int, int]:
        coordinates = rng.uniform(0, 0.1, (n, 4))
        zones, _ = ZoneStatistics.fit(coordinates, np.zeros(n), np.arange(n) * 3 // n)
        return max(zones.end_levels), max(zones.pair_levels)

    few, many = levels(2_000), levels(200_000)
    assert many[0] > few[0] and many[1] >= few[1]


def _reference_transform(zones: ZoneStatistics, row: np.ndarray) -> list[float]:
    """The documented statistics of one trip, cell by cell in plain Python (slow, obvious)."""

    def cell(lat: float, lon: float, level: int) -> int:
        n = 2**level
        r = np.floor((lat - zones.south) / zones.side_deg[0] * n)
        c = np.floor((lon - zones.west) / zones.side_deg[1] * n)
        r, c = (0 if np.isnan(v) else int(min(max(v, 0), n - 1)) for v in (r, c))
        return r * n + c

    def shrink(stat: float, kind: str, level: int, key: int) -> float:
        table = zones.tables[(kind, level)]
        found = np.flatnonzero(table.keys == key)
        total, count = (table.sums[found[0]], table.counts[found[0]]) if found.size else (0, 0)
        return float((total + zones.smoothing * stat) / (count + zones.smoothing))

    mean = zones.global_sum / zones.global_count
    origin = dest = pair = mean
    for level in zones.end_levels:
        origin = shrink(origin, "end", level, cell(row[0], row[1], level))
        dest = shrink(dest, "end", level, cell(row[2], row[3], level))
    for level in zones.pair_levels:
        key = cell(row[0], row[1], level) * 4**level + cell(row[2], row[3], level)
        pair = shrink(pair, "pair", level, key)
    return [origin, dest, pair]


def test_compiled_transform_matches_a_plain_reference(
    inputs: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """The compiled pass gives the reference's numbers, also off the grid and for NaN/inf."""
    coordinates, target, period = inputs
    zones, _ = ZoneStatistics.fit(coordinates, target, period)
    rng = np.random.default_rng(2)
    rows = coordinates[rng.choice(len(coordinates), 300, replace=False)].copy()
    rows[:100] += rng.normal(0.0, 0.02, (100, 4))  # off the training cells, some off the grid
    rows[100, 0], rows[101, 3], rows[102, 1] = np.nan, np.inf, -np.inf
    expected = np.array([_reference_transform(zones, row) for row in rows])
    np.testing.assert_allclose(zones.transform(rows), expected, rtol=1e-12)
