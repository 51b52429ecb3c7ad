"""Travel-time matrices for a problem's stops: routing, corrected by the ETA model.

The cost provider snaps the stops to the road graph once, computes free-flow times
between all of them (one parallel many-to-many search), and, with a model, corrects each
pair for the departure hour: the P50 for the plan and the P90 for feasibility when
risk-aware. Without a model the free-flow times are used. A caller may also bring its
own matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

import routing
from models import EtaModel, build_features, predict_durations
from models.features import ROUTE_FEATURES, node_pairs, route_features


@dataclass(frozen=True, eq=False)
class TravelTimes:
    """Seconds between stops: ``plan`` (P50) and ``feasibility`` (P90 if risk-aware, else P50)."""

    plan: NDArray[np.float64]
    feasibility: NDArray[np.float64]
    nodes: NDArray[np.int32]
    model_version: str | None


_MAX_BUCKETS = 128
_MAX_ROUTES = 1_000_000  # node pairs whose route features are kept (about 130 MB)

Reading = float | bool | str
Observations = Mapping[str, Reading] | Callable[[datetime], Mapping[str, Reading]]
"""Weather and congestion readings: one set for every drive, or a set per departure time."""


class CostProvider:
    """Builds :class:`TravelTimes` on one road graph, with an optional ETA model.

    With a model, departures are rounded down to ``bucket_s`` and each corrected pair is
    kept per (departure bucket, observations), so repeated calls on a growing set of stops
    (live insertion, re-optimisation) only predict the pairs they have not seen.
    """

    def __init__(
        self,
        graph: routing.RoadGraph,
        model: EtaModel | None = None,
        *,
        model_version: str | None = None,
        risk_aware: bool = False,
        max_snap_m: float = routing.DEFAULT_MAX_SNAP_M,
        bucket_s: float = 900.0,
    ) -> None:
        if bucket_s <= 0:
            msg = f"bucket_s must be positive, got {bucket_s}"
            raise ValueError(msg)
        self.graph = graph
        self.model = model
        self.model_version = model_version if model is not None else None
        self.risk_aware = risk_aware
        self.max_snap_m = max_snap_m
        self.bucket_s = bucket_s
        self._cache: dict[tuple[datetime, tuple[tuple[str, Reading], ...]], _PairCache] = {}
        self._routes = _RouteFeatureCache(graph)

    def travel_times(
        self,
        lat: ArrayLike,
        lon: ArrayLike,
        departure: datetime,
        observations: Observations | None = None,
        *,
        row_departures: Sequence[datetime] | None = None,
    ) -> TravelTimes:
        """Matrix between the points (lat[i], lon[i]) for drives starting at ``departure``.

        ``row_departures[i]`` (optional) is when drives from point ``i`` start, so that a
        day's matrix prices each leg at its own hour. ``observations`` are the weather and
        congestion readings (the model's optional features: ``precipitation_mm``, ``snow``,
        ``temperature_c``, ``congestion_index``), or a function giving them for a departure
        time; missing ones are left to the model.
        """
        nodes = np.asarray(
            routing.nearest_nodes(self.graph, lat, lon, max_distance_m=self.max_snap_m)
        )
        if row_departures is not None and len(row_departures) != nodes.size:
            msg = (
                f"row_departures must have one time per point ({nodes.size}), "
                f"got {len(row_departures)}"
            )
            raise ValueError(msg)
        # stops sharing a graph node (a depot, a clinic) share their rows and columns
        unique, inverse = np.unique(nodes, return_inverse=True)
        if self.model is None:
            free_flow = routing.router(self.graph).travel_time_matrix(unique, unique)[
                np.ix_(inverse, inverse)
            ]
            return TravelTimes(free_flow, free_flow, nodes, None)
        starts = [self._bucket(t) for t in (row_departures or [departure] * nodes.size)]
        blocks = []
        for start in sorted(set(starts)):
            rows = np.flatnonzero([s == start for s in starts])
            blocks.append((rows, self._pair_cache(start, observations)))
        self._predict_missing([(cache, nodes[rows]) for rows, cache in blocks], unique)
        p50, p90 = np.empty((nodes.size, nodes.size)), np.empty((nodes.size, nodes.size))
        for rows, cache in blocks:
            p50[rows], p90[rows] = cache.lookup(nodes[rows], unique, inverse)
        upper = p90 if self.risk_aware else p50
        return TravelTimes(p50, upper, nodes, self.model_version)

    def _bucket(self, moment: datetime) -> datetime:
        stamp = moment.timestamp()
        return moment + timedelta(seconds=stamp // self.bucket_s * self.bucket_s - stamp)

    def _pair_cache(self, start: datetime, observations: Observations | None) -> _PairCache:
        readings = observations(start) if callable(observations) else observations or {}
        key = (start, tuple(sorted(readings.items())))
        if key not in self._cache:
            if len(self._cache) >= _MAX_BUCKETS:
                self._cache.pop(next(iter(self._cache)))  # the oldest
            self._cache[key] = _PairCache(start, dict(readings))
        return self._cache[key]

    def _predict_missing(
        self, wanted: list[tuple[_PairCache, NDArray[np.int32]]], cols: NDArray[np.int32]
    ) -> None:
        """Fill every cache's missing pairs with one call to the model."""
        gaps = [(cache, *cache.missing(rows, cols)) for cache, rows in wanted]
        gaps = [g for g in gaps if g[1].size]
        if not gaps:
            return
        origin = np.concatenate([g[1] for g in gaps])
        dest = np.concatenate([g[2] for g in gaps])
        trips = node_pairs(self.graph, origin, dest)
        trips["pickup_time"] = np.repeat(
            [pd.Timestamp(g[0].departure) for g in gaps], [g[1].size for g in gaps]
        )
        for name in {name for g in gaps for name in g[0].readings}:
            values = [g[0].readings.get(name) for g in gaps]
            trips[name] = np.repeat(np.asarray(values, dtype=object), [g[1].size for g in gaps])
        p50, p90 = np.zeros(origin.size), np.zeros(origin.size)
        moving = origin != dest
        if moving.any():
            routes = self._routes.features(origin[moving], dest[moving])
            features = build_features(trips[moving].reset_index(drop=True), self.graph, routes)
            p50[moving], p90[moving] = predict_durations(self.model, features)
        at = 0
        for cache, o, d in gaps:
            cache.fill(o, d, p50[at : at + o.size], p90[at : at + o.size])
            at += o.size


class _RouteFeatureCache:
    """Route features (time-independent) of node pairs, each pair computed once."""

    def __init__(self, graph: routing.RoadGraph) -> None:
        self._graph = graph
        self._row: dict[int, int] = {}
        self._rows = np.empty((0, len(ROUTE_FEATURES)))

    def features(self, origin: NDArray[np.int32], dest: NDArray[np.int32]) -> pd.DataFrame:
        """The :data:`models.features.ROUTE_FEATURES` of each pair ``origin[k] -> dest[k]``."""
        keys = origin.astype(np.int64) * self._graph.n_nodes + dest
        if len(self._row) + keys.size > _MAX_ROUTES:  # a long-lived service starts afresh
            self._row, self._rows = {}, self._rows[:0]
        missing = np.unique(keys[[int(k) not in self._row for k in keys.tolist()]])
        if missing.size:
            o, d = np.divmod(missing, self._graph.n_nodes)
            new = route_features(node_pairs(self._graph, o, d), self._graph)
            for k in missing.tolist():
                self._row[k] = len(self._row)
            self._rows = np.vstack([self._rows, new[list(ROUTE_FEATURES)].to_numpy()])
        rows = np.fromiter((self._row[k] for k in keys.tolist()), dtype=np.int64, count=keys.size)
        return pd.DataFrame(self._rows[rows], columns=list(ROUTE_FEATURES))


class _PairCache:
    """Corrected times between graph nodes for one departure bucket and readings."""

    def __init__(self, departure: datetime, readings: dict[str, Reading]) -> None:
        self.departure = departure
        self.readings = readings
        self._index: dict[int, int] = {}
        self._p50 = np.full((0, 0), np.nan)
        self._p90 = np.full((0, 0), np.nan)

    def missing(
        self, row_nodes: NDArray[np.int32], cols: NDArray[np.int32]
    ) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
        """(origin, destination) node pairs from ``row_nodes`` to ``cols`` not known yet."""
        self._grow(np.concatenate([row_nodes, cols]))
        rows = np.unique(self._positions(row_nodes))
        at = self._positions(cols)
        gap = np.argwhere(np.isnan(self._p50[np.ix_(rows, at)]))
        nodes = np.fromiter(self._index, dtype=np.int32, count=len(self._index))
        return nodes[rows[gap[:, 0]]], nodes[at[gap[:, 1]]]

    def fill(
        self,
        origin: NDArray[np.int32],
        dest: NDArray[np.int32],
        p50: NDArray[np.float64],
        p90: NDArray[np.float64],
    ) -> None:
        """Store predictions of the pairs ``origin[k] -> dest[k]``."""
        rows, cols = self._positions(origin), self._positions(dest)
        self._p50[rows, cols], self._p90[rows, cols] = p50, p90

    def lookup(
        self, row_nodes: NDArray[np.int32], unique: NDArray[np.int32], inverse: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """P50 and P90 from each of ``row_nodes`` to every ``unique[inverse]`` node."""
        wanted = np.ix_(self._positions(row_nodes), self._positions(unique)[inverse])
        return self._p50[wanted], self._p90[wanted]

    def _positions(self, nodes: NDArray[np.int32]) -> NDArray[np.int64]:
        return np.fromiter((self._index[int(n)] for n in nodes), dtype=np.int64, count=len(nodes))

    def _grow(self, nodes: NDArray[np.int32]) -> None:
        new = [int(n) for n in np.unique(nodes) if int(n) not in self._index]
        if not new:
            return
        for node in new:
            self._index[node] = len(self._index)
        size = len(self._index)
        for name in ("_p50", "_p90"):
            old = getattr(self, name)
            grown = np.full((size, size), np.nan)
            grown[: old.shape[0], : old.shape[1]] = old
            setattr(self, name, grown)


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
