"""Features of a trip for the ETA model: from the record and from its fastest route on the graph.

Column contract: the input is a cleaned trip frame (:func:`models.cleaning.clean_trips`:
canonical columns plus ``origin_node`` and ``dest_node``); the output has exactly
:data:`FEATURE_COLUMNS`, one row per trip, in the same order. Optional inputs that are
absent (weather, congestion) become NaN features, which the models tolerate (and
:class:`models.eta.EtaModel` leaves out when they never vary).

Location is carried at the resolution of the coordinates: both ends' latitude and
longitude, the same points in metres from the map's centre rotated by
:data:`ROTATIONS_DEG` (so that trees can cut along street grids of any orientation),
the bearing and an axis-aligned ("Manhattan") distance. All are functions of the
trip's two points, so they belong to the route features that callers cache per pair.
Statistics of durations by zone depend on labels, so they are learned by the model
(:mod:`models.zones`), never here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

import routing

from .cleaning import EARTH_RADIUS_M, haversine_m

ZONE_GRID = 4
ROTATIONS_DEG = (15, 30, 45, 60)
"""Angles (degrees, counter-clockwise) by which both ends' coordinates are also given."""

# Road classes pooled into groups, by share of route length.
_CLASS_GROUPS = {
    "motorway": ("motorway", "motorway_link", "trunk", "trunk_link"),
    "arterial": ("primary", "primary_link", "secondary", "secondary_link"),
    "collector": ("tertiary", "tertiary_link", "unclassified"),
}

_TIME_FEATURES = (
    "hour",
    "hour_sin",
    "hour_cos",
    "dow_sin",
    "dow_cos",
    "is_weekend",
    "precipitation_mm",
    "snow",
    "rain",
    "temperature_c",
    "congestion_index",
)
"""The features that depend on the time (and its weather), not on the route."""
FEATURE_COLUMNS = (
    "free_flow_s",
    "log_free_flow_s",
    "distance_m",
    "straight_m",
    "detour_ratio",
    "share_motorway",
    "share_arterial",
    "share_collector",
    "share_local",
    "n_signals",
    "signals_per_km",
    "n_left_turns",
    "n_right_turns",
    "n_u_turns",
    "free_flow_speed_mps",
    *_TIME_FEATURES,
    "origin_zone",
    "dest_zone",
    "origin_lat",
    "origin_lon",
    "dest_lat",
    "dest_lon",
    *(
        f"{end}_rot{angle}_{axis}"
        for angle in ROTATIONS_DEG
        for end in ("origin", "dest")
        for axis in ("x", "y")
    ),
    "bearing_deg",
    "manhattan_m",
)


@dataclass(frozen=True)
class ZoneGrid:
    """A coarse ``ZONE_GRID x ZONE_GRID`` grid over the graph's bounding box."""

    south: float
    west: float
    north: float
    east: float

    @classmethod
    def of(cls, graph: routing.RoadGraph) -> ZoneGrid:
        """The grid covering a graph."""
        return cls(
            float(graph.lat.min()),
            float(graph.lon.min()),
            float(graph.lat.max()),
            float(graph.lon.max()),
        )

    def zone(self, lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.int64]:
        """Zone index (row-major) of each point, clipped to the grid."""
        row = np.clip(
            ((lat - self.south) / max(self.north - self.south, 1e-9) * ZONE_GRID).astype(np.int64),
            0,
            ZONE_GRID - 1,
        )
        col = np.clip(
            ((lon - self.west) / max(self.east - self.west, 1e-9) * ZONE_GRID).astype(np.int64),
            0,
            ZONE_GRID - 1,
        )
        return row * ZONE_GRID + col


ROUTE_FEATURES = tuple(c for c in FEATURE_COLUMNS if c not in _TIME_FEATURES)
"""The features that depend only on the route (origin and destination), not on the time."""


def node_pairs(graph: routing.RoadGraph, origin: np.ndarray, dest: np.ndarray) -> pd.DataFrame:
    """Origin and destination graph nodes with their coordinates, as the features read them."""
    return pd.DataFrame(
        {
            "origin_node": origin,
            "dest_node": dest,
            "origin_lat": graph.lat[origin],
            "origin_lon": graph.lon[origin],
            "dest_lat": graph.lat[dest],
            "dest_lon": graph.lon[dest],
        }
    )


@dataclass(frozen=True, eq=False)
class RouteTotals:
    """What the route features read of each pair's fastest route, as arrays in pair order.

    ``group_length_m`` has one column per road-class group (motorway, arterial, collector);
    ``counts`` the signals, left, right and U-turns. Unreachable pairs have ``inf`` time.
    """

    travel_time_s: NDArray[np.float64]
    length_m: NDArray[np.float64]
    group_length_m: NDArray[np.float64]
    counts: NDArray[np.float64]

    @classmethod
    def search(cls, graph: routing.RoadGraph, origin: ArrayLike, dest: ArrayLike) -> RouteTotals:
        """Totals of the fastest routes (one route search per distinct origin)."""
        return cls.of(routing.router(graph).route_statistics_batch(origin, dest))

    @classmethod
    def of(cls, routes: routing.RouteBatch) -> RouteTotals:
        """Totals of routes found by any search."""
        groups = [
            routes.length_by_class_m[:, [routing.ROAD_CLASSES.index(c) for c in classes]].sum(
                axis=1
            )
            for classes in _CLASS_GROUPS.values()
        ]
        turns = (routes.n_signals, routes.n_left_turns, routes.n_right_turns, routes.n_u_turns)
        return cls(
            routes.travel_time_s, routes.length_m, np.column_stack(groups), np.column_stack(turns)
        )


class RouteTotalsSource(Protocol):
    """Where route totals come from instead of a search (e.g. a :class:`RouteTable`)."""

    def lookup(self, origin: ArrayLike, dest: ArrayLike) -> RouteTotals: ...


Columns = pd.DataFrame | Mapping[str, Any]
"""Named columns of equal length: a trip frame, or a dict of arrays."""


def route_feature_values(
    graph: routing.RoadGraph,
    origin: NDArray[np.integer],
    dest: NDArray[np.integer],
    ends: Columns,
    table: RouteTotalsSource | None = None,
) -> dict[str, NDArray[np.float64]]:
    """The :data:`ROUTE_FEATURES` of pairs of graph nodes, one array each.

    ``ends`` holds each pair's ``origin_lat``, ``origin_lon``, ``dest_lat`` and ``dest_lon``
    (a trip frame, or arrays); route totals come from ``table`` if given, else from route
    searches.
    """
    routes = (
        RouteTotals.search(graph, origin, dest) if table is None else table.lookup(origin, dest)
    )
    lat = {end: np.asarray(ends[f"{end}_lat"], dtype=float) for end in ("origin", "dest")}
    lon = {end: np.asarray(ends[f"{end}_lon"], dtype=float) for end in ("origin", "dest")}
    length = np.maximum(routes.length_m, 1.0)
    straight = haversine_m(lat["origin"], lon["origin"], lat["dest"], lon["dest"])
    grid = ZoneGrid.of(graph)
    n_signals, n_left, n_right, n_u = routes.counts.T
    return {
        "free_flow_s": routes.travel_time_s,
        "log_free_flow_s": np.log1p(routes.travel_time_s),
        "distance_m": routes.length_m,
        "straight_m": straight,
        "detour_ratio": routes.length_m / np.maximum(straight, 1.0),
        **_class_shares(routes.group_length_m, length),
        "n_signals": n_signals,
        "signals_per_km": n_signals / length * 1000,
        "n_left_turns": n_left,
        "n_right_turns": n_right,
        "n_u_turns": n_u,
        "free_flow_speed_mps": routes.length_m / np.maximum(routes.travel_time_s, 1.0),
        "origin_zone": grid.zone(lat["origin"], lon["origin"]).astype(float),
        "dest_zone": grid.zone(lat["dest"], lon["dest"]).astype(float),
        **_location_features(lat, lon, grid),
    }


def route_features(
    trips: pd.DataFrame, graph: routing.RoadGraph, table: RouteTotalsSource | None = None
) -> pd.DataFrame:
    """The :data:`ROUTE_FEATURES` of each trip: from ``table`` if given, else by route search."""
    origin, dest = trips["origin_node"].to_numpy(), trips["dest_node"].to_numpy()
    values = route_feature_values(graph, origin, dest, trips, table)
    return _frame(values, ROUTE_FEATURES, trips.index)


def time_feature_values(
    pickup_time: pd.Series | pd.DatetimeIndex, timezone: str, conditions: Columns
) -> dict[str, NDArray[np.float64]]:
    """The time features (hour and weekday of the map's local time, whatever zone the times
    are in) and the weather and congestion features, one array each.

    ``conditions`` holds the optional observed columns (a trip frame, or arrays); those
    absent become NaN.
    """
    local = pd.DatetimeIndex(pickup_time).tz_convert(timezone).tz_localize(None)
    seconds = local.to_numpy(dtype="datetime64[s]")
    missing = np.isnat(seconds)
    stamp = np.where(missing, 0, seconds.astype(np.int64))
    minutes = stamp // 60 % 1440
    hour = np.where(missing, np.nan, minutes // 60 + minutes % 60 / 60.0)
    dow = np.where(missing, np.nan, (stamp // 86_400 + 3) % 7)  # 1970-01-01 was a Thursday
    n = len(hour)
    return {
        "hour": hour,
        "hour_sin": np.sin(2 * np.pi * hour / 24),
        "hour_cos": np.cos(2 * np.pi * hour / 24),
        "dow_sin": np.sin(2 * np.pi * dow / 7),
        "dow_cos": np.cos(2 * np.pi * dow / 7),
        "is_weekend": np.where(missing, np.nan, (dow >= 5).astype(float)),
        "precipitation_mm": _optional(conditions, "precipitation_mm", n),
        "snow": _optional(conditions, "snow", n),
        "rain": _condition(conditions, "rain", n),
        "temperature_c": _optional(conditions, "temperature_c", n),
        "congestion_index": _optional(conditions, "congestion_index", n),
    }


def build_features(
    trips: pd.DataFrame, graph: routing.RoadGraph, routes: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The :data:`FEATURE_COLUMNS` of each cleaned trip.

    ``routes`` (optional) are the trips' :func:`route_features`, computed earlier: a caller
    pricing the same pairs at many times computes them once.
    """
    if routes is None:
        routes = route_features(trips, graph)
    out = {
        **dict(
            zip(ROUTE_FEATURES, routes[list(ROUTE_FEATURES)].to_numpy(dtype=float).T, strict=True)
        ),
        **time_feature_values(trips["pickup_time"], graph.timezone, trips),
    }
    return _frame(out, FEATURE_COLUMNS, trips.index)


def feature_frame(values: Mapping[str, ArrayLike], n_rows: int) -> pd.DataFrame:
    """The :data:`FEATURE_COLUMNS` of ``values`` (one array of ``n_rows`` each) as a frame."""
    return _frame(values, FEATURE_COLUMNS, pd.RangeIndex(n_rows))


def _frame(
    values: Mapping[str, ArrayLike], columns: tuple[str, ...], index: pd.Index
) -> pd.DataFrame:
    """``columns`` of ``values`` as one float block (cheap to build and to slice)."""
    block = np.empty((len(index), len(columns)))
    for k, column in enumerate(columns):
        block[:, k] = values[column]
    return pd.DataFrame(block, columns=_column_index(columns), index=index, copy=False)


@functools.cache
def _column_index(columns: tuple[str, ...]) -> pd.Index:
    """The column labels of ``columns``, made once (building an index of labels is slow)."""
    return pd.Index(columns)


def _location_features(
    lat: dict[str, NDArray[np.float64]], lon: dict[str, NDArray[np.float64]], grid: ZoneGrid
) -> dict[str, NDArray[np.float64]]:
    """Both ends' coordinates, raw and rotated about the map's centre, bearing, Manhattan."""
    centre_lat, centre_lon = (grid.south + grid.north) / 2, (grid.west + grid.east) / 2
    metres_per_deg = np.radians(1.0) * EARTH_RADIUS_M
    # east (x) and north (y) metres from the centre: a local equirectangular projection
    x = {e: (lon[e] - centre_lon) * metres_per_deg * np.cos(np.radians(centre_lat)) for e in lat}
    y = {e: (lat[e] - centre_lat) * metres_per_deg for e in lat}
    out: dict[str, NDArray[np.float64]] = {}
    for end in ("origin", "dest"):
        out[f"{end}_lat"], out[f"{end}_lon"] = lat[end], lon[end]
    for angle in ROTATIONS_DEG:
        cos, sin = np.cos(np.radians(angle)), np.sin(np.radians(angle))
        for end in ("origin", "dest"):
            out[f"{end}_rot{angle}_x"] = x[end] * cos - y[end] * sin
            out[f"{end}_rot{angle}_y"] = x[end] * sin + y[end] * cos
    dx, dy = x["dest"] - x["origin"], y["dest"] - y["origin"]
    out["bearing_deg"] = np.degrees(np.arctan2(dx, dy)) % 360.0
    out["manhattan_m"] = np.abs(dx) + np.abs(dy)
    return out


def _class_shares(group_length: np.ndarray, length: np.ndarray) -> dict[str, np.ndarray]:
    shares = {}
    grouped = np.zeros(len(length))
    for k, group in enumerate(_CLASS_GROUPS):
        part = group_length[:, k]
        grouped += part
        shares[f"share_{group}"] = part / length
    shares["share_local"] = np.clip(1.0 - grouped / length, 0.0, 1.0)
    return shares


def _optional(conditions: Columns, column: str, n_rows: int) -> NDArray[np.float64]:
    if column not in conditions:
        return np.full(n_rows, np.nan)
    values = pd.Series(conditions[column])
    return pd.to_numeric(values.astype("Float64"), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )


def _condition(conditions: Columns, condition: str, n_rows: int) -> NDArray[np.float64]:
    if "weather_condition" not in conditions:
        return np.full(n_rows, np.nan)
    values = pd.Series(conditions["weather_condition"])
    return np.where(values.isna(), np.nan, (values == condition).astype(float))
