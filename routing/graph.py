"""The compiled road graph: CSR arrays, node coordinates, edge attributes, npz persistence."""

from __future__ import annotations

import json
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .exceptions import GraphSourceError, NodeIndexError
from .npz_maps import load_npz
from .ordering import hilbert_order
from .road_classes import OTHER_CODE, ROAD_CLASSES

FORMAT_VERSION = 1

ARRAY_FIELDS = (
    "node_id",
    "lat",
    "lon",
    "indptr",
    "indices",
    "travel_time_s",
    "length_m",
    "road_class",
    "signals",
    "bearing_start",
    "bearing_end",
    "edge_tail",
    "rev_indptr",
    "rev_indices",
    "rev_edge",
    "geom_indptr",
    "geom_lat",
    "geom_lon",
)


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """A directed road network in compressed sparse row (CSR) form.

    Nodes are numbered ``0..n_nodes-1`` (ordered along a space-filling curve); the edges
    leaving node ``u`` are ``indptr[u]:indptr[u+1]``, with heads ``indices``. Per edge:
    free-flow ``travel_time_s``, ``length_m``, ``road_class`` (code into
    :data:`routing.road_classes.ROAD_CLASSES`), ``signals`` (traffic signals passed,
    including one at the head), compass bearings at both ends, the tail node, and the
    interior points of its geometry (``geom_indptr`` into ``geom_lat``/``geom_lon``).
    ``rev_*`` is the same graph with edges reversed; ``rev_edge`` maps to forward edges.
    ``node_id`` holds the source's ids (OSM ids for OSM maps).
    """

    node_id: NDArray[np.int64]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    indptr: NDArray[np.int64]
    indices: NDArray[np.int32]
    travel_time_s: NDArray[np.float64]
    length_m: NDArray[np.float64]
    road_class: NDArray[np.uint8]
    signals: NDArray[np.uint8]
    bearing_start: NDArray[np.float32]
    bearing_end: NDArray[np.float32]
    edge_tail: NDArray[np.int32]
    rev_indptr: NDArray[np.int64]
    rev_indices: NDArray[np.int32]
    rev_edge: NDArray[np.int32]
    geom_indptr: NDArray[np.int64]
    geom_lat: NDArray[np.float64]
    geom_lon: NDArray[np.float64]
    metadata: dict[str, Any] = field(default_factory=dict)
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False)  # its router

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.lat.size)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return int(self.indices.size)

    def __repr__(self) -> str:
        source = self.metadata.get("source", "?")
        return f"RoadGraph({self.n_nodes:,} nodes, {self.n_edges:,} edges, source={source!r})"

    @cached_property
    def timezone(self) -> str:
        """IANA time zone at the graph's centre (e.g. "America/New_York"), found offline."""
        from timezonefinder import TimezoneFinder

        lat, lon = float(np.median(self.lat)), float(np.median(self.lon))
        return TimezoneFinder().timezone_at(lat=lat, lng=lon) or "UTC"

    def check_nodes(self, nodes: ArrayLike, name: str = "node") -> NDArray[np.int32]:
        """Validate node indices and return them as a contiguous int32 array."""
        arr = np.asarray(nodes)
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            if not np.issubdtype(arr.dtype, np.floating) or not np.all(arr == np.round(arr)):
                msg = f"{name} indices must be integers, got dtype {arr.dtype}"
                raise NodeIndexError(msg)
        bad = np.flatnonzero((arr < 0) | (arr >= self.n_nodes)) if arr.size else np.empty(0, int)
        if len(bad):
            shown = ", ".join(str(arr.flat[i]) for i in bad[:5])
            msg = (
                f"{name} index out of range [0, {self.n_nodes}): {shown}"
                f"{' ...' if len(bad) > 5 else ''} ({len(bad)} in all)"
            )
            raise NodeIndexError(msg)
        return np.ascontiguousarray(arr, dtype=np.int32).reshape(-1)

    def index_of(self, node_ids: ArrayLike) -> NDArray[np.int32]:
        """Map source node ids (e.g. OSM ids) to node indices; raises for unknown ids."""
        ids = np.asarray(node_ids, dtype=np.int64).reshape(-1)
        order = np.argsort(self.node_id)
        pos = np.searchsorted(self.node_id, ids, sorter=order)
        pos = np.minimum(pos, self.n_nodes - 1)
        found = order[pos]
        missing = ids[self.node_id[found] != ids]
        if missing.size:
            msg = f"node ids not in the graph: {missing[:5].tolist()}"
            raise NodeIndexError(msg)
        return found.astype(np.int32)

    def edge_geometry(self, edge: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Latitudes and longitudes of an edge's polyline, tail to head."""
        lo, hi = self.geom_indptr[edge], self.geom_indptr[edge + 1]
        tail, head = self.edge_tail[edge], self.indices[edge]
        lat = np.concatenate(([self.lat[tail]], self.geom_lat[lo:hi], [self.lat[head]]))
        lon = np.concatenate(([self.lon[tail]], self.geom_lon[lo:hi], [self.lon[head]]))
        return lat, lon

    # --- construction -------------------------------------------------------------------

    @classmethod
    def from_edges(
        cls,
        lat: ArrayLike,
        lon: ArrayLike,
        tail: ArrayLike,
        head: ArrayLike,
        travel_time_s: ArrayLike,
        length_m: ArrayLike | None = None,
        *,
        road_class: ArrayLike | None = None,
        signals: ArrayLike | None = None,
        geometry: Sequence[tuple[ArrayLike, ArrayLike]] | None = None,
        geometry_csr: tuple[ArrayLike, ArrayLike, ArrayLike] | None = None,
        node_id: ArrayLike | None = None,
        metadata: dict[str, Any] | None = None,
        reorder: bool = True,
    ) -> RoadGraph:
        """Compile an edge list into a :class:`RoadGraph`.

        Parallel edges keep the fastest; self-loops are dropped (they never shorten a
        path). ``geometry`` gives per edge the interior (lat, lon) points of its polyline.
        With ``reorder`` the nodes are renumbered along a Hilbert curve for locality.
        """
        lat_a = np.asarray(lat, dtype=np.float64)
        lon_a = np.asarray(lon, dtype=np.float64)
        n = lat_a.size
        tail_a = np.asarray(tail, dtype=np.int64)
        head_a = np.asarray(head, dtype=np.int64)
        time_a = np.asarray(travel_time_s, dtype=np.float64)
        m = tail_a.size
        length_a = np.zeros(m) if length_m is None else np.asarray(length_m, dtype=np.float64)
        class_a = (
            np.full(m, OTHER_CODE, np.uint8)
            if road_class is None
            else np.asarray(road_class, dtype=np.uint8)
        )
        signal_a = np.zeros(m, np.uint8) if signals is None else np.asarray(signals, np.uint8)
        ids = np.arange(n, dtype=np.int64) if node_id is None else np.asarray(node_id, np.int64)
        _check_edge_arrays(n, tail_a, head_a, time_a, length_a)
        if lon_a.size != n or ids.size != n:
            msg = f"lat, lon and node_id need one value per node; got {n}, {lon_a.size}, {ids.size}"
            raise GraphSourceError(msg)

        if geometry_csr is None:
            interior_lat, interior_lon, interior_ptr = _flatten_geometry(geometry, m)
        else:
            interior_ptr = np.asarray(geometry_csr[0], dtype=np.int64)
            interior_lat = np.asarray(geometry_csr[1], dtype=np.float64)
            interior_lon = np.asarray(geometry_csr[2], dtype=np.float64)
        keep = _fastest_parallel_edges(tail_a, head_a, time_a)
        perm = hilbert_order(lat_a, lon_a) if reorder and n else np.arange(n)
        new_index = np.empty(n, dtype=np.int64)
        new_index[perm] = np.arange(n)
        tail_k, head_k = new_index[tail_a[keep]], new_index[head_a[keep]]
        order = keep[np.lexsort((head_k, tail_k))]
        tails, heads = new_index[tail_a[order]], new_index[head_a[order]]

        lat_n, lon_n = lat_a[perm], lon_a[perm]
        g_ptr, g_lat, g_lon = _select_geometry(interior_ptr, interior_lat, interior_lon, order)
        b_start, b_end = _edge_bearings(lat_n, lon_n, tails, heads, g_ptr, g_lat, g_lon)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(tails, minlength=n), out=indptr[1:])
        rev_edge = np.lexsort((tails, heads)).astype(np.int32)
        rev_indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(heads, minlength=n), out=rev_indptr[1:])
        return cls(
            node_id=ids[perm],
            lat=lat_n,
            lon=lon_n,
            indptr=indptr,
            indices=heads.astype(np.int32),
            travel_time_s=time_a[order],
            length_m=length_a[order],
            road_class=class_a[order],
            signals=signal_a[order],
            bearing_start=b_start,
            bearing_end=b_end,
            edge_tail=tails.astype(np.int32),
            rev_indptr=rev_indptr,
            rev_indices=tails[rev_edge].astype(np.int32),
            rev_edge=rev_edge,
            geom_indptr=g_ptr,
            geom_lat=g_lat,
            geom_lon=g_lon,
            metadata=dict(metadata or {}),
        )

    # --- persistence --------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the graph to an uncompressed ``.npz`` file (fast to load)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        meta = json.dumps({**self.metadata, "format_version": FORMAT_VERSION})
        np.savez(tmp, metadata=np.array(meta), **{f: getattr(self, f) for f in ARRAY_FIELDS})
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> RoadGraph:
        """Read a graph written by :meth:`save`, its arrays memory-mapped (shared between
        processes that load the same file); raises :class:`GraphSourceError` if invalid."""
        path = Path(path)
        if not path.is_file():
            msg = f"graph file not found: {path}"
            raise GraphSourceError(msg)
        try:
            arrays = load_npz(path, ("metadata", *ARRAY_FIELDS))
            meta = json.loads(str(arrays.pop("metadata")))
        except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            msg = f"cannot read compiled graph {path}: {exc}"
            raise GraphSourceError(msg) from exc
        if meta.get("format_version") != FORMAT_VERSION:
            found = meta.get("format_version")
            msg = f"compiled graph {path} has format {found}, expected {FORMAT_VERSION}"
            raise GraphSourceError(msg)
        meta.pop("format_version")
        return cls(**arrays, metadata=meta)

    def summary(self) -> dict[str, Any]:
        """Counts and extents a person checks first: nodes, edges, bounding box, road mix."""
        km_by_class = np.bincount(
            self.road_class, weights=self.length_m, minlength=len(ROAD_CLASSES)
        )
        return {
            "source": self.metadata.get("source"),
            "nodes": self.n_nodes,
            "edges": self.n_edges,
            "road_km": round(float(self.length_m.sum()) / 1000, 1),
            "signals": int(self.signals.sum()),
            "bbox": {
                "south": float(self.lat.min()),
                "west": float(self.lon.min()),
                "north": float(self.lat.max()),
                "east": float(self.lon.max()),
            },
            "km_by_class": {
                ROAD_CLASSES[i]: round(float(km) / 1000, 1)
                for i, km in enumerate(km_by_class)
                if km > 0
            },
            "speed_tags_corrected": self.metadata.get("speed_tags_corrected", {}),
        }


def _check_edge_arrays(
    n: int,
    tail: NDArray[np.int64],
    head: NDArray[np.int64],
    time: NDArray[np.float64],
    length: NDArray[np.float64],
) -> None:
    if n == 0:
        msg = "a road graph needs at least one node"
        raise GraphSourceError(msg)
    if not tail.size == head.size == time.size == length.size:
        msg = "tail, head, travel_time_s and length_m must have the same length"
        raise GraphSourceError(msg)
    if tail.size and (min(tail.min(), head.min()) < 0 or max(tail.max(), head.max()) >= n):
        msg = f"edge endpoints must be node indices in [0, {n})"
        raise GraphSourceError(msg)
    if not np.all(np.isfinite(time)) or np.any(time < 0):
        msg = "travel_time_s must be finite and non-negative on every edge"
        raise GraphSourceError(msg)


def _fastest_parallel_edges(
    tail: NDArray[np.int64], head: NDArray[np.int64], time: NDArray[np.float64]
) -> NDArray[np.int64]:
    """Indices of the edges to keep: no self-loops, the fastest of each parallel group."""
    candidates = np.flatnonzero(tail != head)
    order = candidates[np.lexsort((time[candidates], head[candidates], tail[candidates]))]
    pairs = np.stack((tail[order], head[order]))
    first = np.ones(order.size, dtype=bool)
    first[1:] = np.any(pairs[:, 1:] != pairs[:, :-1], axis=0)
    return order[first]


def _flatten_geometry(
    geometry: Sequence[tuple[ArrayLike, ArrayLike]] | None, m: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    if geometry is None:
        return np.empty(0), np.empty(0), np.zeros(m + 1, dtype=np.int64)
    counts = np.array([np.size(g[0]) for g in geometry], dtype=np.int64)
    ptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    lat = np.concatenate([np.asarray(g[0], np.float64) for g in geometry] or [np.empty(0)])
    lon = np.concatenate([np.asarray(g[1], np.float64) for g in geometry] or [np.empty(0)])
    return lat, lon, ptr


def _select_geometry(
    ptr: NDArray[np.int64],
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
    edges: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    counts = ptr[edges + 1] - ptr[edges]
    new_ptr = np.zeros(edges.size + 1, dtype=np.int64)
    np.cumsum(counts, out=new_ptr[1:])
    # index of every kept point: start of its edge's run + offset within the run
    starts = np.repeat(ptr[edges], counts)
    offsets = np.arange(int(new_ptr[-1])) - np.repeat(new_ptr[:-1], counts)
    points = starts + offsets
    return new_ptr, lat[points], lon[points]


def _edge_bearings(
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
    tails: NDArray[np.int64],
    heads: NDArray[np.int64],
    g_ptr: NDArray[np.int64],
    g_lat: NDArray[np.float64],
    g_lon: NDArray[np.float64],
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Compass bearing (degrees clockwise from north) leaving the tail and entering the head."""
    has_points = g_ptr[1:] > g_ptr[:-1]
    first = np.minimum(g_ptr[:-1], max(g_lat.size - 1, 0))
    last = np.maximum(g_ptr[1:] - 1, 0)
    second_lat = np.where(has_points, g_lat[first] if g_lat.size else 0.0, lat[heads])
    second_lon = np.where(has_points, g_lon[first] if g_lon.size else 0.0, lon[heads])
    before_lat = np.where(has_points, g_lat[last] if g_lat.size else 0.0, lat[tails])
    before_lon = np.where(has_points, g_lon[last] if g_lon.size else 0.0, lon[tails])
    start = _bearing(lat[tails], lon[tails], second_lat, second_lon)
    end = _bearing(before_lat, before_lon, lat[heads], lon[heads])
    return start.astype(np.float32), end.astype(np.float32)


def _bearing(
    lat1: NDArray[np.float64],
    lon1: NDArray[np.float64],
    lat2: NDArray[np.float64],
    lon2: NDArray[np.float64],
) -> NDArray[np.float64]:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlon = np.radians(lon2 - lon1)
    x = np.sin(dlon) * np.cos(p2)
    y = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dlon)
    bearing: NDArray[np.float64] = np.degrees(np.arctan2(x, y)) % 360.0
    return bearing
