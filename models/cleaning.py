"""Clean trip records against the road graph, counting every row dropped, filled or flagged."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

import routing

from .schema import REQUIRED_COLUMNS

EARTH_RADIUS_M = 6_371_008.8
WEATHER_COLUMNS = ("precipitation_mm", "snow", "temperature_c", "weather_condition")
WEATHER_FILL_TOLERANCE = pd.Timedelta(hours=2)
CONGESTION_FILL_TOLERANCE = pd.Timedelta(minutes=30)


@dataclass(frozen=True)
class CleaningParams:
    """Limits of a believable drive."""

    max_snap_m: float = routing.DEFAULT_MAX_SNAP_M
    min_duration_s: float = 30.0
    max_duration_s: float = 4 * 3600.0
    max_straight_speed_kmh: float = 110.0
    max_network_speed_kmh: float = 130.0
    min_network_speed_kmh: float = 2.0


@dataclass
class CleaningReport:
    """What cleaning did: rows in and out, rows dropped by reason, values filled or flagged."""

    rows_in: int = 0
    rows_out: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    filled: dict[str, int] = field(default_factory=dict)
    flagged: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict, for JSON."""
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "dropped": self.dropped,
            "filled": self.filled,
            "flagged": self.flagged,
        }

    def __str__(self) -> str:
        lines = [f"cleaning: {self.rows_in:,} rows in, {self.rows_out:,} rows kept"]
        lines += [f"  dropped  {n:>8,}  {reason}" for reason, n in self.dropped.items()]
        lines += [f"  filled   {n:>8,}  {what}" for what, n in self.filled.items()]
        lines += [f"  flagged  {n:>8,}  {what}" for what, n in self.flagged.items()]
        return "\n".join(lines)

    def save(self, path: str | Path) -> Path:
        """Write the report as JSON."""
        path = Path(path)
        path.write_text(json.dumps(self.as_dict(), indent=2))
        return path


def clean_trips(
    trips: pd.DataFrame, graph: routing.RoadGraph, params: CleaningParams | None = None
) -> tuple[pd.DataFrame, CleaningReport]:
    """Drop unusable rows, fill missing observations, and snap endpoints to the graph.

    Drop reasons, applied in order: unparseable required value, duplicate, non-positive
    duration, absurd duration, point beyond the snap distance, identical endpoints,
    implausible straight-line speed, implausible network speed. Missing weather is filled
    from the nearest observation in time (within 2 h), missing congestion index within
    30 min; what stays missing is flagged. The result has ``origin_node`` and ``dest_node``.
    """
    p = params or CleaningParams()
    report = CleaningReport(rows_in=len(trips))
    frame = trips.reset_index(drop=True)

    def drop(mask: pd.Series | np.ndarray, reason: str) -> None:
        nonlocal frame
        mask = np.asarray(mask, dtype=bool)
        report.dropped[reason] = int(mask.sum())
        frame = frame.loc[~mask].reset_index(drop=True)

    drop(frame[list(REQUIRED_COLUMNS)].isna().any(axis=1), "unparseable required value")
    drop(frame.duplicated(subset=list(REQUIRED_COLUMNS)), "duplicate")
    drop(frame["duration_s"] <= 0, "non-positive duration")
    drop(
        (frame["duration_s"] < p.min_duration_s) | (frame["duration_s"] > p.max_duration_s),
        f"absurd duration (outside {p.min_duration_s:g}-{p.max_duration_s:g} s)",
    )
    origin, origin_m = _snap(graph, frame["origin_lat"], frame["origin_lon"])
    dest, dest_m = _snap(graph, frame["dest_lat"], frame["dest_lon"])
    frame = frame.assign(origin_node=origin, dest_node=dest)
    drop(
        (origin_m > p.max_snap_m) | (dest_m > p.max_snap_m), f"beyond {p.max_snap_m:g} m of the map"
    )
    drop(frame["origin_node"] == frame["dest_node"], "identical endpoints")
    straight_kmh = straight_line_m(frame) / frame["duration_s"] * 3.6
    drop(
        straight_kmh > p.max_straight_speed_kmh,
        f"straight-line speed over {p.max_straight_speed_kmh:g} km/h",
    )
    routes = routing.router(graph).route_statistics_batch(frame["origin_node"], frame["dest_node"])
    network_kmh = routes.length_m / frame["duration_s"].to_numpy() * 3.6
    drop(
        (network_kmh > p.max_network_speed_kmh) | (network_kmh < p.min_network_speed_kmh),
        f"network speed outside {p.min_network_speed_kmh:g}-{p.max_network_speed_kmh:g} km/h",
    )
    frame = _fill_observations(frame, report)
    report.rows_out = len(frame)
    return frame, report


def straight_line_m(frame: pd.DataFrame) -> NDArray[np.float64]:
    """Great-circle distance (m) between each row's origin and destination."""
    ends = (
        frame[c].to_numpy(dtype=float) for c in ("origin_lat", "origin_lon", "dest_lat", "dest_lon")
    )
    return haversine_m(*ends)


def haversine_m(
    lat1: NDArray[np.float64],
    lon1: NDArray[np.float64],
    lat2: NDArray[np.float64],
    lon2: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Great-circle distance (m) between points 1 and 2 (degrees)."""
    lat1, lon1, lat2, lon2 = (np.radians(v) for v in (lat1, lon1, lat2, lon2))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    distance: NDArray[np.float64] = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))
    return distance


def _snap(
    graph: routing.RoadGraph, lat: pd.Series, lon: pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    nodes, distance = routing.nearest_nodes(
        graph, lat.to_numpy(), lon.to_numpy(), max_distance_m=np.inf, return_distance=True
    )
    return np.asarray(nodes), np.asarray(distance)


def _fill_observations(frame: pd.DataFrame, report: CleaningReport) -> pd.DataFrame:
    """Fill missing weather and congestion from the nearest observation in time; flag the rest."""
    frame = frame.copy()
    for column in (*WEATHER_COLUMNS, "congestion_index"):
        if column not in frame.columns:
            report.flagged[f"{column} absent from the data"] = len(frame)
            continue
        missing = frame[column].isna()
        if not missing.any():
            continue
        tolerance = (
            CONGESTION_FILL_TOLERANCE if column == "congestion_index" else WEATHER_FILL_TOLERANCE
        )
        known = frame.loc[~missing, ["pickup_time", column]].sort_values("pickup_time")
        wanted = frame.loc[missing, ["pickup_time"]].reset_index().sort_values("pickup_time")
        if known.empty:
            filled = wanted.assign(**{column: np.nan})
        else:
            filled = pd.merge_asof(
                wanted, known, on="pickup_time", direction="nearest", tolerance=tolerance
            )
        values = filled.set_index("index")[column]
        frame.loc[values.index, column] = values
        n_filled = int(values.notna().sum())
        if n_filled:
            report.filled[f"{column} from nearest observation"] = n_filled
        if n_filled < len(values):
            report.flagged[f"{column} still missing"] = len(values) - n_filled
    return frame
