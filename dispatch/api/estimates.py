"""Travel-time estimates for batches of (origin, destination, departure) on the road graph.

Points are snapped to the graph (a point beyond the snap distance is refused naming its
field), each pair's fastest route gives the free-flow time and the route features, and
the ETA model corrects them: P50 and P90 seconds. Without a model both are free flow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

import routing
from models import EtaModel, build_features, predict_durations
from models.features import node_pairs

from ..domain import Location
from .errors import ApiError, FieldError


@dataclass(frozen=True, eq=False)
class Estimates:
    """Seconds per pair (P50, P90, free flow), route lengths, and the model's features."""

    p50_s: NDArray[np.float64]
    p90_s: NDArray[np.float64]
    free_flow_s: NDArray[np.float64]
    distance_m: NDArray[np.float64]
    features: pd.DataFrame


def snap(
    graph: routing.RoadGraph, places: Sequence[tuple[str, Location]], max_snap_m: float
) -> NDArray[np.int32]:
    """Graph node of each (field, place); 422 naming every field farther than ``max_snap_m``."""
    if not places:
        return np.empty(0, dtype=np.int32)
    nodes, distance = routing.nearest_nodes(
        graph,
        [p.lat for _, p in places],
        [p.lon for _, p in places],
        max_distance_m=np.inf,
        return_distance=True,
    )
    far = [
        FieldError(
            field,
            f"({place.lat:.6f}, {place.lon:.6f}) is {d:,.0f} m from the road network of the "
            f"map (limit {max_snap_m:g} m)",
        )
        for (field, place), d in zip(places, distance.tolist(), strict=True)
        if d > max_snap_m
    ]
    if far:
        raise ApiError(422, far)
    return np.asarray(nodes, dtype=np.int32)


def estimate(
    graph: routing.RoadGraph,
    model: EtaModel | None,
    origin: NDArray[np.int32],
    dest: NDArray[np.int32],
    departure: Sequence[datetime],
    observations: Sequence[dict[str, Any]] | None = None,
) -> Estimates:
    """Estimates for pairs of graph nodes ``(origin[i], dest[i])`` leaving at ``departure[i]``."""
    trips = node_pairs(graph, origin, dest)
    trips["pickup_time"] = pd.to_datetime(list(departure), utc=True)
    observed = pd.DataFrame(list(observations or []), index=range(len(origin)))
    for column in observed.columns:
        trips[column] = observed[column].to_numpy()
    features = build_features(trips, graph)
    p50, p90 = predict_durations(model, features)
    return Estimates(
        p50_s=p50,
        p90_s=p90,
        free_flow_s=features["free_flow_s"].to_numpy(),
        distance_m=features["distance_m"].to_numpy(),
        features=features,
    )
