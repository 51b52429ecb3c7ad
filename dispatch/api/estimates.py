"""Travel-time estimates for batches of (origin, destination, departure) on the road graph.

Points are snapped to the graph (a point beyond the snap distance is refused naming its
field), each pair's fastest route gives the free-flow time and the route features, and
the ETA model corrects them: P50 and P90 seconds. Without a model both are free flow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

import routing
from models import EtaModel, predict_durations
from models.features import (
    Columns,
    RouteTotalsSource,
    feature_frame,
    route_feature_values,
    time_feature_values,
)

from ..domain import Location
from ..exceptions import OffMapError


@dataclass(frozen=True, eq=False)
class Estimates:
    """Seconds per pair (P50, P90, free flow), route lengths, and the model's features."""

    p50_s: NDArray[np.float64]
    p90_s: NDArray[np.float64]
    free_flow_s: NDArray[np.float64]
    distance_m: NDArray[np.float64]
    features: pd.DataFrame


def nearest(
    graph: routing.RoadGraph, lat: ArrayLike, lon: ArrayLike
) -> tuple[NDArray[np.int32], NDArray[np.float64]]:
    """Nearest graph node of each point and its distance in metres."""
    nodes, distance = routing.nearest_nodes(
        graph, lat, lon, max_distance_m=np.inf, return_distance=True
    )
    return np.asarray(nodes, dtype=np.int32), np.asarray(distance, dtype=float)


def far_from_roads(
    field_of: Callable[[int], str],
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
    distance: NDArray[np.float64],
    max_snap_m: float,
) -> list[tuple[str, str]]:
    """The field (``field_of(i)``) of each point beyond ``max_snap_m``, with the reason."""
    return [
        (
            field_of(i),
            f"({lat[i]:.6f}, {lon[i]:.6f}) is {distance[i]:,.0f} m from the road network of "
            f"the map (limit {max_snap_m:g} m)",
        )
        for i in np.flatnonzero(distance > max_snap_m).tolist()
    ]


def snap(
    graph: routing.RoadGraph, places: Sequence[tuple[str, Location]], max_snap_m: float
) -> NDArray[np.int32]:
    """Graph node of each (field, place); :class:`OffMapError` naming every field farther than
    ``max_snap_m``."""
    if not places:
        return np.empty(0, dtype=np.int32)
    lat = np.array([p.lat for _, p in places])
    lon = np.array([p.lon for _, p in places])
    nodes, distance = nearest(graph, lat, lon)
    far = far_from_roads(lambda i: places[i][0], lat, lon, distance, max_snap_m)
    if far:
        raise OffMapError(far)
    return nodes


def estimate(
    graph: routing.RoadGraph,
    model: EtaModel | None,
    origin: NDArray[np.int32],
    dest: NDArray[np.int32],
    departure: Sequence[datetime] | pd.DatetimeIndex,
    observations: Sequence[dict[str, Any]] | None = None,
    table: RouteTotalsSource | None = None,
) -> Estimates:
    """Estimates for pairs of graph nodes ``(origin[i], dest[i])`` leaving at ``departure[i]``.

    ``table`` (the graph's route table or hierarchy, if the service holds one) replaces
    route searches.
    """
    ends = {
        "origin_lat": graph.lat[origin],
        "origin_lon": graph.lon[origin],
        "dest_lat": graph.lat[dest],
        "dest_lon": graph.lon[dest],
    }
    conditions: Columns = {}
    if observations is not None and any(observations):
        conditions = pd.DataFrame(list(observations), index=range(len(origin)))
    features = feature_frame(
        {
            **route_feature_values(graph, origin, dest, ends, table),
            **time_feature_values(pd.to_datetime(departure, utc=True), graph.timezone, conditions),
        },
        len(origin),
    )
    p50, p90 = predict_durations(model, features)
    return Estimates(
        p50_s=p50,
        p90_s=p90,
        free_flow_s=features["free_flow_s"].to_numpy(),
        distance_m=features["distance_m"].to_numpy(),
        features=features,
    )
