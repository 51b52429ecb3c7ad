"""Travel-time queries on a :class:`RoadGraph`: validate, call the numba kernels, wrap results."""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _kernels
from .exceptions import InvalidWeightsError, UnreachableError
from .graph import RoadGraph


@dataclass(frozen=True)
class Path:
    """A shortest path: nodes and edges in order, node coordinates, and its totals."""

    nodes: NDArray[np.int32]
    edges: NDArray[np.int32]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    travel_time_s: float
    length_m: float

    @classmethod
    def along(
        cls, graph: RoadGraph, source: int, edges: NDArray[np.int32], travel_time_s: float
    ) -> Path:
        """The path from node ``source`` along ``edges`` (original edge ids, in order)."""
        nodes = np.concatenate(([int(source)], graph.indices[edges])).astype(np.int32)
        return cls(
            nodes=nodes,
            edges=edges,
            lat=graph.lat[nodes],
            lon=graph.lon[nodes],
            travel_time_s=travel_time_s,
            length_m=float(graph.length_m[edges].sum()),
        )

    def geometry(self, graph: RoadGraph) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Latitudes and longitudes of the full road polyline, including curved edges."""
        if self.edges.size == 0:
            return self.lat.copy(), self.lon.copy()
        parts = [graph.edge_geometry(int(e)) for e in self.edges]
        lat = np.concatenate([parts[0][0]] + [p[0][1:] for p in parts[1:]])
        lon = np.concatenate([parts[0][1]] + [p[1][1:] for p in parts[1:]])
        return lat, lon


class _Workspace:
    """Per-thread search arrays for one graph (see :mod:`routing._kernels`)."""

    def __init__(self, n: int, m: int) -> None:
        self.forward = _kernels.new_workspace(n, m)
        self.backward = _kernels.new_workspace(n, m)
        self.mark = np.zeros(n, dtype=np.uint8)
        self.path = np.empty(max(n - 1, 1), dtype=np.int32)


def _workspace(graph: RoadGraph) -> _Workspace:
    local = graph._local
    ws: _Workspace | None = getattr(local, "workspace", None)
    if ws is None:
        ws = _Workspace(graph.n_nodes, graph.n_edges)
        local.workspace = ws
    return ws


def _node(graph: RoadGraph, node: int, name: str) -> int:
    return int(graph.check_nodes(np.array([node]), name)[0])


def edge_weights(graph: RoadGraph, weights: ArrayLike | None) -> NDArray[np.float64]:
    """The edge costs of a query: free-flow ``travel_time_s``, or caller-given per-edge costs.

    Custom weights (e.g. congested travel times) must be finite, non-negative, one per edge.
    """
    if weights is None:
        return graph.travel_time_s
    w = np.ascontiguousarray(weights, dtype=np.float64)
    if w.shape != (graph.n_edges,):
        msg = f"weights must have one value per edge, shape ({graph.n_edges},), got {w.shape}"
        raise InvalidWeightsError(msg)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        bad = int(np.flatnonzero(~np.isfinite(w) | (w < 0))[0])
        msg = f"weights must be finite and non-negative; edge {bad} has {w[bad]}"
        raise InvalidWeightsError(msg)
    return w


def travel_time(
    graph: RoadGraph, source: int, target: int, *, weights: ArrayLike | None = None
) -> float:
    """Travel time in seconds from node ``source`` to node ``target``.

    Free-flow unless per-edge ``weights`` are given; ``inf`` when the target is unreachable.
    """
    s, t = _node(graph, source, "source"), _node(graph, target, "target")
    cost, _ = _bidirectional(graph, s, t, edge_weights(graph, weights))
    return cost


def shortest_path(
    graph: RoadGraph, source: int, target: int, *, weights: ArrayLike | None = None
) -> Path:
    """Fastest path between two nodes; raises :class:`UnreachableError` if there is none.

    ``travel_time_s`` is the path's cost under ``weights`` (default: free flow).
    """
    s, t = _node(graph, source, "source"), _node(graph, target, "target")
    cost, edges = _bidirectional(graph, s, t, edge_weights(graph, weights))
    if not np.isfinite(cost):
        msg = f"no path from node {s} to node {t}"
        raise UnreachableError(msg)
    return Path.along(graph, s, edges, cost)


def _bidirectional(
    graph: RoadGraph, source: int, target: int, weights: NDArray[np.float64]
) -> tuple[float, NDArray[np.int32]]:
    ws = _workspace(graph)
    cost, n_edges = _kernels.bidirectional(
        graph.indptr,
        graph.indices,
        weights,
        graph.rev_indptr,
        graph.rev_indices,
        graph.rev_edge,
        graph.edge_tail,
        source,
        target,
        *ws.forward,
        *ws.backward,
        ws.path,
    )
    return float(cost), ws.path[:n_edges].copy()


def travel_times_from(
    graph: RoadGraph, source: int, targets: ArrayLike, *, weights: ArrayLike | None = None
) -> NDArray[np.float64]:
    """Travel times (s) from one node to many, in the order of ``targets``; ``inf`` if unreachable.

    The search stops once every target is settled.
    """
    s = _node(graph, source, "source")
    t = graph.check_nodes(targets, "target")
    if t.size == 0:
        return np.empty(0)
    ws = _workspace(graph)
    out: NDArray[np.float64] = _kernels.one_to_many(
        graph.indptr, graph.indices, edge_weights(graph, weights), s, t, *ws.forward, ws.mark
    )
    return out


def travel_times_to(
    graph: RoadGraph, target: int, sources: ArrayLike, *, weights: ArrayLike | None = None
) -> NDArray[np.float64]:
    """Travel times (s) from many nodes to one, in the order of ``sources``; ``inf`` if unreachable.

    One search on the reversed graph, e.g. to find the vehicle closest to a pickup.
    """
    t = _node(graph, target, "target")
    s = graph.check_nodes(sources, "source")
    if s.size == 0:
        return np.empty(0)
    reversed_weights = np.ascontiguousarray(edge_weights(graph, weights)[graph.rev_edge])
    ws = _workspace(graph)
    out: NDArray[np.float64] = _kernels.one_to_many(
        graph.rev_indptr, graph.rev_indices, reversed_weights, t, s, *ws.forward, ws.mark
    )
    return out


def travel_time_matrix(
    graph: RoadGraph,
    sources: ArrayLike,
    targets: ArrayLike | None = None,
    *,
    weights: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Travel-time matrix (s) of shape ``(len(sources), len(targets))``; ``inf`` if unreachable.

    ``targets`` defaults to ``sources``. Searches run in parallel over sources on all
    numba threads, each stopping once all targets are settled.
    """
    s = graph.check_nodes(sources, "source")
    t = s if targets is None else graph.check_nodes(targets, "target")
    if s.size == 0 or t.size == 0:
        return np.empty((s.size, t.size))
    n_chunks = min(s.size, 4 * numba.get_num_threads())
    out: NDArray[np.float64] = _kernels.many_to_many(
        graph.indptr, graph.indices, edge_weights(graph, weights), s, t, n_chunks
    )
    return out


def shortest_path_tree(
    graph: RoadGraph, source: int, *, weights: ArrayLike | None = None
) -> tuple[NDArray[np.float64], NDArray[np.int32]]:
    """Travel time to every node from ``source`` and the predecessor edge of each (-1 if none)."""
    s = _node(graph, source, "source")
    w = edge_weights(graph, weights)
    dist, pred = _kernels.shortest_path_tree(graph.indptr, graph.indices, w, s)
    return dist, pred


def path_from_tree(
    graph: RoadGraph, pred: NDArray[np.int32], source: int, target: int
) -> NDArray[np.int32]:
    """Edge ids from ``source`` to ``target`` in a tree returned by :func:`shortest_path_tree`."""
    s, t = _node(graph, source, "source"), _node(graph, target, "target")
    pred_edges = np.ascontiguousarray(pred, dtype=np.int32)
    if pred_edges.shape != (graph.n_nodes,):
        msg = f"pred must have one entry per node, shape ({graph.n_nodes},), got {pred_edges.shape}"
        raise InvalidWeightsError(msg)
    edges, found = _kernels.path_edges(pred_edges, graph.edge_tail, s, t)
    if not found:
        msg = f"tree has no path from node {s} to node {t} (unreachable, or {s} is not its root)"
        raise UnreachableError(msg)
    result: NDArray[np.int32] = edges
    return result
