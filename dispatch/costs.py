"""Travel-time matrices for a problem's stops: routing, corrected by the ETA model.

The cost provider snaps the stops to the road graph once, computes free-flow times
between all of them (one parallel many-to-many search), and, with a model, corrects each
pair for the departure hour: the P50 for the plan and the P90 for feasibility when
risk-aware. Without a model the free-flow times are used. A caller may also bring its
own matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

import routing
from models import EtaModel, build_features, predict_durations


@dataclass(frozen=True, eq=False)
class TravelTimes:
    """Seconds between stops: ``plan`` (P50) and ``feasibility`` (P90 if risk-aware, else P50)."""

    plan: NDArray[np.float64]
    feasibility: NDArray[np.float64]
    nodes: NDArray[np.int32]
    model_version: str | None


class CostProvider:
    """Builds :class:`TravelTimes` on one road graph, with an optional ETA model."""

    def __init__(
        self,
        graph: routing.RoadGraph,
        model: EtaModel | None = None,
        *,
        model_version: str | None = None,
        risk_aware: bool = False,
        max_snap_m: float = 500.0,
    ) -> None:
        self.graph = graph
        self.model = model
        self.model_version = model_version if model is not None else None
        self.risk_aware = risk_aware
        self.max_snap_m = max_snap_m

    def travel_times(
        self,
        lat: ArrayLike,
        lon: ArrayLike,
        departure: datetime,
        observations: dict[str, float] | None = None,
    ) -> TravelTimes:
        """Matrix between the points (lat[i], lon[i]) for drives starting at ``departure``.

        ``observations`` are the current weather and congestion readings (the model's
        optional features: ``precipitation_mm``, ``snow``, ``temperature_c``,
        ``congestion_index``); missing ones are left to the model.
        """
        nodes = np.asarray(
            routing.nearest_nodes(self.graph, lat, lon, max_distance_m=self.max_snap_m)
        )
        # stops sharing a graph node (a depot, a clinic) share their rows and columns
        unique, inverse = np.unique(nodes, return_inverse=True)
        expand = np.ix_(inverse, inverse)
        if self.model is None:
            free_flow = routing.travel_time_matrix(self.graph, unique, unique)[expand]
            return TravelTimes(free_flow, free_flow, nodes, None)
        p50, p90 = self._corrected(unique, departure, observations or {})
        upper = p90 if self.risk_aware else p50
        return TravelTimes(p50[expand], upper[expand], nodes, self.model_version)

    def _corrected(
        self,
        nodes: NDArray[np.int32],
        departure: datetime,
        observations: dict[str, float],
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        n = nodes.size
        origin, dest = np.repeat(np.arange(n), n), np.tile(np.arange(n), n)
        moving = nodes[origin] != nodes[dest]
        trips = pd.DataFrame(
            {
                "pickup_time": pd.Timestamp(departure),
                "origin_node": nodes[origin][moving],
                "dest_node": nodes[dest][moving],
                "origin_lat": self.graph.lat[nodes[origin][moving]],
                "origin_lon": self.graph.lon[nodes[origin][moving]],
                "dest_lat": self.graph.lat[nodes[dest][moving]],
                "dest_lon": self.graph.lon[nodes[dest][moving]],
                **observations,
            }
        )
        p50, p90 = np.zeros(n * n), np.zeros(n * n)
        if moving.any():
            p50[moving], p90[moving] = predict_durations(
                self.model, build_features(trips, self.graph)
            )
        return p50.reshape(n, n), p90.reshape(n, n)


def own_matrix(matrix: ArrayLike, n_points: int) -> TravelTimes:
    """Travel times brought by the caller (seconds, ``n_points x n_points``), validated."""
    values = np.asarray(matrix, dtype=np.float64)
    if values.shape != (n_points, n_points):
        msg = f"matrix must have shape ({n_points}, {n_points}), got {values.shape}"
        raise ValueError(msg)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        msg = "matrix must hold finite, non-negative seconds"
        raise ValueError(msg)
    return TravelTimes(values, values, np.arange(n_points, dtype=np.int32), None)
