"""Smoothed mean of the ETA target by zone, learned from training labels without leakage.

Zones are the cells of square grids over the training trips' endpoints, at several
resolutions: each level halves the cell side of the one before. How fine the grids go
is read from the data: the finest level is the finest at which the median training trip
still shares its cell with at least ``min_count`` others (for origins and destinations;
likewise for the (origin cell, destination cell) pairs, which run out of trips sooner).

A cell's statistic is the mean target of its trips shrunk toward its parent cell's
statistic, ``(sum + smoothing * parent) / (count + smoothing)``, and the coarsest level
toward the global mean: a rare cell takes a coarser cell's value. Three statistics are
given per trip: its origin cell's, its destination cell's and its cell pair's.

Leakage: :meth:`ZoneStatistics.fit` also returns the statistics of the training rows
themselves *out of fold*: a row of period ``p`` (a day) sees only the rows of earlier
periods, never its own period (so never itself) nor later ones. Rows of the first period
get NaN. :meth:`ZoneStatistics.transform` (prediction) uses every training row.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from numba import njit
from numpy.typing import NDArray

from .cleaning import EARTH_RADIUS_M

ZONE_STAT_COLUMNS = ("zone_origin_mean", "zone_dest_mean", "zone_pair_mean")
"""The statistics :class:`ZoneStatistics` adds to a trip, in this order."""
COORDINATE_COLUMNS = ("origin_lat", "origin_lon", "dest_lat", "dest_lon")
"""The feature columns the zones are read from."""
MAX_LEVEL = 10  # cells of 1/1024 of the extent: finer than any trip record supports


@dataclass(frozen=True, eq=False)
class _Table:
    """Sum and count of the target per cell key (sorted keys) of one grid level."""

    keys: NDArray[np.int64]
    sums: NDArray[np.float64]
    counts: NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class _PackedTables:
    """Several tables as hash tables in flat arrays: table ``t`` has the slots
    ``[starts[t]:starts[t + 1]]`` (a power of two of them, at most half full; an empty
    slot has key -1), found by :func:`_slot`."""

    end_levels: NDArray[np.int64]
    pair_levels: NDArray[np.int64]
    starts: NDArray[np.int64]
    keys: NDArray[np.int64]
    sums: NDArray[np.float64]
    counts: NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class ZoneStatistics:
    """Per-zone smoothed target means at the resolutions the training trips support.

    ``south``/``west`` and ``side_deg`` (cell side at level 0, in degrees of latitude and
    longitude) place the grids; ``end_levels`` and ``pair_levels`` are the levels used for
    single ends and for pairs; ``tables`` their statistics, keyed ``(kind, level)``.
    """

    south: float
    west: float
    side_deg: tuple[float, float]
    end_levels: tuple[int, ...]
    pair_levels: tuple[int, ...]
    smoothing: float
    global_sum: float
    global_count: float
    tables: dict[tuple[str, int], _Table]

    @classmethod
    def fit(
        cls,
        coordinates: NDArray[np.float64],
        target: NDArray[np.float64],
        period: NDArray[np.int64],
        *,
        smoothing: float = 20.0,
        min_count: int = 30,
    ) -> tuple[ZoneStatistics, NDArray[np.float64]]:
        """The statistics of all rows, and the out-of-fold statistics of each row.

        ``coordinates`` has columns :data:`COORDINATE_COLUMNS`; ``period`` numbers each
        row's period (day) so that a row's out-of-fold statistics use earlier periods only.
        """
        lat = coordinates[:, [0, 2]].ravel()
        lon = coordinates[:, [1, 3]].ravel()
        south, north = float(np.min(lat)), float(np.max(lat))
        west, east = float(np.min(lon)), float(np.max(lon))
        metres_per_deg = np.radians(1.0) * EARTH_RADIUS_M
        lon_scale = np.cos(np.radians((south + north) / 2))
        extent_m = max((north - south) * metres_per_deg, (east - west) * metres_per_deg * lon_scale)
        extent_m = max(extent_m, 1.0)
        side = (extent_m / metres_per_deg, extent_m / metres_per_deg / lon_scale)
        grid = cls(south, west, side, (), (), smoothing, 0.0, 0.0, {})
        keys = {
            ("end", level): np.concatenate(grid._cells(coordinates, level))
            for level in range(1, MAX_LEVEL + 1)
        }
        n_side = {level: 1 << level for level in range(MAX_LEVEL + 1)}
        end_levels = _supported_levels({k[1]: v for k, v in keys.items()}, min_count)
        pair_keys = {}
        for level in range(1, MAX_LEVEL + 1):
            origin, dest = np.split(keys[("end", level)], 2)
            pair_keys[level] = origin * n_side[level] ** 2 + dest
        pair_levels = _supported_levels(pair_keys, min_count)

        period = np.asarray(period, dtype=np.int64)
        target = np.asarray(target, dtype=np.float64)
        tables: dict[tuple[str, int], _Table] = {}
        prior_sums: dict[tuple[str, int], NDArray[np.float64]] = {}
        prior_counts: dict[tuple[str, int], NDArray[np.float64]] = {}
        row_keys: dict[tuple[str, int], NDArray[np.int64]] = {}
        for level in end_levels:
            origin, dest = np.split(keys[("end", level)], 2)
            row_keys[("origin", level)], row_keys[("dest", level)] = origin, dest
        for level in pair_levels:
            row_keys[("pair", level)] = pair_keys[level]
        for (kind, level), k in row_keys.items():
            table_kind = "pair" if kind == "pair" else "end"
            if (table_kind, level) not in tables:
                both = k if kind == "pair" else keys[("end", level)]
                y = target if kind == "pair" else np.concatenate([target, target])
                tables[(table_kind, level)] = _table(both, y)
            prior_sums[(kind, level)], prior_counts[(kind, level)] = _earlier(k, period, target)
        zero = np.zeros(len(target), dtype=np.int64)
        global_sums, global_counts = _earlier(zero, period, target)
        fitted = cls(
            south,
            west,
            side,
            tuple(end_levels),
            tuple(pair_levels),
            smoothing,
            float(np.sum(target)),
            float(len(target)),
            tables,
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            global_mean = global_sums / global_counts  # NaN in the first period
        oof = fitted._smoothed(global_mean, prior_sums, prior_counts)
        return fitted, oof

    def transform(self, coordinates: NDArray[np.float64]) -> NDArray[np.float64]:
        """Statistics (columns :data:`ZONE_STAT_COLUMNS`) of each row, from all training rows.

        One compiled pass over the rows (this is on the path of every live estimate): the
        same cells, lookups and shrinkage as :meth:`fit` uses, level by level.
        """
        packed = self._hashed
        result: NDArray[np.float64] = _transform_kernel(
            np.ascontiguousarray(coordinates, dtype=np.float64),
            np.array([self.south, self.west, *self.side_deg]),
            self.smoothing,
            self.global_sum / max(self.global_count, 1.0),
            packed.end_levels,
            packed.pair_levels,
            packed.starts,
            packed.keys,
            packed.sums,
            packed.counts,
        )
        return result

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_hashed", None)  # rebuilt from the tables when needed
        return state

    @cached_property
    def _hashed(self) -> _PackedTables:
        """The tables of the levels in use, end levels first, as hash tables in flat arrays."""
        order = [("end", level) for level in self.end_levels]
        order += [("pair", level) for level in self.pair_levels]
        tables = [self.tables[key] for key in order]
        slots = [1 << max(int(2 * t.keys.size - 1).bit_length(), 1) for t in tables]
        starts = np.concatenate([[0], np.cumsum(slots)]).astype(np.int64)
        keys = np.full(starts[-1], -1, dtype=np.int64)
        sums, counts = np.zeros(starts[-1]), np.zeros(starts[-1])
        for t, table in enumerate(tables):
            _fill_slots(
                table.keys.astype(np.int64),
                table.sums.astype(np.float64),
                table.counts.astype(np.float64),
                keys[starts[t] : starts[t + 1]],
                sums[starts[t] : starts[t + 1]],
                counts[starts[t] : starts[t + 1]],
            )
        return _PackedTables(
            end_levels=np.asarray(self.end_levels, dtype=np.int64),
            pair_levels=np.asarray(self.pair_levels, dtype=np.int64),
            starts=starts,
            keys=keys,
            sums=sums,
            counts=counts,
        )

    def _cells(
        self, coordinates: NDArray[np.float64], level: int
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Cell keys ``row * 2**level + col`` of the origins and destinations at ``level``."""
        n = 1 << level
        out = []
        for lat_col, lon_col in ((0, 1), (2, 3)):
            row = np.floor((coordinates[:, lat_col] - self.south) / self.side_deg[0] * n)
            col = np.floor((coordinates[:, lon_col] - self.west) / self.side_deg[1] * n)
            row = np.clip(np.nan_to_num(row), 0, n - 1).astype(np.int64)
            col = np.clip(np.nan_to_num(col), 0, n - 1).astype(np.int64)
            out.append(row * n + col)
        return out[0], out[1]

    def _smoothed(
        self,
        global_mean: NDArray[np.float64],
        sums: dict[tuple[str, int], NDArray[np.float64]],
        counts: dict[tuple[str, int], NDArray[np.float64]],
    ) -> NDArray[np.float64]:
        """Each kind's statistic shrunk level by level from the global mean."""
        columns = []
        for kind, levels in (
            ("origin", self.end_levels),
            ("dest", self.end_levels),
            ("pair", self.pair_levels),
        ):
            stat = global_mean
            for level in levels:
                s, c = sums[(kind, level)], counts[(kind, level)]
                stat = (s + self.smoothing * stat) / (c + self.smoothing)
            columns.append(stat)
        return np.column_stack(columns)


def _supported_levels(keys: dict[int, NDArray[np.int64]], min_count: int) -> list[int]:
    """Levels 1.. up to the finest where the median row's cell holds ``min_count`` rows."""
    levels = []
    for level in sorted(keys):
        _, inverse, count = np.unique(keys[level], return_inverse=True, return_counts=True)
        if np.median(count[inverse]) < min_count:
            break
        levels.append(level)
    return levels or [1]


def _table(keys: NDArray[np.int64], target: NDArray[np.float64]) -> _Table:
    unique, inverse = np.unique(keys, return_inverse=True)
    sums = np.bincount(inverse, weights=target, minlength=unique.size).astype(np.float64)
    counts = np.bincount(inverse, minlength=unique.size).astype(np.float64)
    return _Table(unique, sums, counts)


def _earlier(
    keys: NDArray[np.int64], period: NDArray[np.int64], target: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Sum and count of the target over the rows of the same key in earlier periods."""
    frame = pd.DataFrame({"key": keys, "period": period, "target": target})
    grouped = frame.groupby(["key", "period"], sort=True)["target"].agg(["sum", "count"])
    # the running total up to the period before (not the total minus the period: a later
    # row's value would then move an earlier statistic by a rounding error)
    running = grouped.groupby(level="key").cumsum()
    earlier = running.groupby(level="key").shift(1, fill_value=0)
    at = grouped.index.get_indexer(pd.MultiIndex.from_arrays([keys, period]))
    return (
        earlier["sum"].to_numpy(dtype=np.float64)[at],
        earlier["count"].to_numpy(dtype=np.float64)[at],
    )


@njit(cache=True, nogil=True)
def _cell(value: float, origin: float, side: float, n: int) -> int:
    """Cell index along one axis, as :meth:`ZoneStatistics._cells` computes it."""
    x = np.floor((value - origin) / side * n)
    if np.isnan(x):
        return 0
    return int(min(max(x, 0.0), n - 1.0))


_HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: 2**64 / golden ratio


@njit(cache=True, nogil=True)
def _slot(keys: NDArray[np.int64], lo: int, hi: int, key: int) -> int:
    """Slot of ``key`` in the hash table ``keys[lo:hi]``, or of the empty slot ending its
    probe (the table is never full)."""
    mask = hi - lo - 1
    at = int((np.uint64(key) * _HASH_MULTIPLIER) >> np.uint64(32)) & mask
    while keys[lo + at] != key and keys[lo + at] != -1:
        at = (at + 1) & mask
    return lo + at


@njit(cache=True, nogil=True)
def _fill_slots(
    keys: NDArray[np.int64],
    sums: NDArray[np.float64],
    counts: NDArray[np.float64],
    slot_keys: NDArray[np.int64],
    slot_sums: NDArray[np.float64],
    slot_counts: NDArray[np.float64],
) -> None:
    """Put each (distinct) key with its sum and count into the empty hash table ``slot_*``."""
    for k in range(keys.size):
        at = _slot(slot_keys, 0, slot_keys.size, keys[k])
        slot_keys[at], slot_sums[at], slot_counts[at] = keys[k], sums[k], counts[k]


@njit(cache=True, nogil=True)
def _shrunk(
    stat: float,
    keys: NDArray[np.int64],
    sums: NDArray[np.float64],
    counts: NDArray[np.float64],
    lo: int,
    hi: int,
    key: int,
    smoothing: float,
) -> float:
    """``stat`` shrunk toward the cell ``key`` of the hash table ``[lo:hi]`` (unseen:
    unchanged weight, as a cell of zero sum and count)."""
    at = _slot(keys, lo, hi, key)
    s, c = sums[at], counts[at]  # zero in an empty slot
    return float((s + smoothing * stat) / (c + smoothing))


@njit(cache=True, nogil=True)
def _transform_kernel(
    coordinates: NDArray[np.float64],
    grid: NDArray[np.float64],
    smoothing: float,
    global_mean: float,
    end_levels: NDArray[np.int64],
    pair_levels: NDArray[np.int64],
    starts: NDArray[np.int64],
    keys: NDArray[np.int64],
    sums: NDArray[np.float64],
    counts: NDArray[np.float64],
) -> NDArray[np.float64]:
    """The three statistics of each row (see :meth:`ZoneStatistics.transform`)."""
    south, west, side_lat, side_lon = grid[0], grid[1], grid[2], grid[3]
    out = np.empty((coordinates.shape[0], 3))
    n_end = end_levels.size
    finest = max(end_levels.max() if n_end else 0, pair_levels.max() if pair_levels.size else 0)
    n_finest = 1 << finest
    for i in range(coordinates.shape[0]):
        # a cell of a coarser level is its finest cell shifted: scaling by 2**level is exact
        rows = (
            _cell(coordinates[i, 0], south, side_lat, n_finest),
            _cell(coordinates[i, 2], south, side_lat, n_finest),
        )
        cols = (
            _cell(coordinates[i, 1], west, side_lon, n_finest),
            _cell(coordinates[i, 3], west, side_lon, n_finest),
        )
        origin_stat, dest_stat, pair_stat = global_mean, global_mean, global_mean
        for t in range(n_end + pair_levels.size):
            level = end_levels[t] if t < n_end else pair_levels[t - n_end]
            n, shift = 1 << level, finest - level
            origin = (rows[0] >> shift) * n + (cols[0] >> shift)
            dest = (rows[1] >> shift) * n + (cols[1] >> shift)
            lo, hi = starts[t], starts[t + 1]
            if t < n_end:
                origin_stat = _shrunk(origin_stat, keys, sums, counts, lo, hi, origin, smoothing)
                dest_stat = _shrunk(dest_stat, keys, sums, counts, lo, hi, dest, smoothing)
            else:
                pair = origin * n * n + dest
                pair_stat = _shrunk(pair_stat, keys, sums, counts, lo, hi, pair, smoothing)
        out[i, 0], out[i, 1], out[i, 2] = origin_stat, dest_stat, pair_stat
    return out
