"""Travel-time queries on a :class:`RoadGraph`: validate, call the numba kernels, wrap results."""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _kernels
from .exceptions import UnreachableError
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

    def __init__(self, n: int) -> None:
        self.forward = _search_arrays(n)
        self.backward = _search_arrays(n)
        self.mark = np.zeros(n, dtype=np.uint8)
        self.path = np.empty(max(n - 1, 1), dtype=np.int32)


def _search_arrays(n: int) -> tuple[NDArray[np.generic], ...]:
    return (
        np.full(n, np.inf),
        np.full(n, -1, dtype=np.int32),
        np.full(n, -1, dtype=np.int32),
        np.empty(n, dtype=np.int32),
        np.empty(n),
        np.empty(n, dtype=np.int32),
    )


def _workspace(graph: RoadGraph) -> _Workspace:
    local = graph._local
    ws: _Workspace | None = getattr(local, "workspace", None)
    if ws is None:
        ws = _Workspace(graph.n_nodes)
        local.workspace = ws
    return ws


def _node(graph: RoadGraph, node: int, name: str) -> int:
    return int(graph.check_nodes(np.array([node]), name)[0])


def travel_time(graph: RoadGraph, source: int, target: int) -> float:
    """Free-flow travel time in seconds from node ``source`` to node ``target``.

    Returns ``inf`` when the target cannot be reached.
    """
    cost, _ = _bidirectional(graph, _node(graph, source, "source"), _node(graph, target, "target"))
    return cost


def shortest_path(graph: RoadGraph, source: int, target: int) -> Path:
    """Fastest path between two nodes; raises :class:`UnreachableError` if there is none."""
    s, t = _node(graph, source, "source"), _node(graph, target, "target")
    cost, edges = _bidirectional(graph, s, t)
    if not np.isfinite(cost):
        msg = f"no path from node {s} to node {t}"
        raise UnreachableError(msg)
    nodes = np.concatenate(([s], graph.indices[edges])).astype(np.int32)
    return Path(
        nodes=nodes,
        edges=edges,
        lat=graph.lat[nodes],
        lon=graph.lon[nodes],
        travel_time_s=cost,
        length_m=float(graph.length_m[edges].sum()),
    )


def _bidirectional(graph: RoadGraph, source: int, target: int) -> tuple[float, NDArray[np.int32]]:
    ws = _workspace(graph)
    cost, n_edges = _kernels.bidirectional(
        graph.indptr,
        graph.indices,
        graph.travel_time_s,
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


def travel_times_from(graph: RoadGraph, source: int, targets: ArrayLike) -> NDArray[np.float64]:
    """Travel times (s) from one node to many, in the order of ``targets``; ``inf`` if unreachable.

    The search stops once every target is settled.
    """
    s = _node(graph, source, "source")
    t = graph.check_nodes(targets, "target")
    if t.size == 0:
        return np.empty(0)
    ws = _workspace(graph)
    out: NDArray[np.float64] = _kernels.one_to_many(
        graph.indptr, graph.indices, graph.travel_time_s, s, t, *ws.forward, ws.mark
    )
    return out


def travel_time_matrix(
    graph: RoadGraph, sources: ArrayLike, targets: ArrayLike | None = None
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
        graph.indptr, graph.indices, graph.travel_time_s, s, t, n_chunks
    )
    return out


def shortest_path_tree(
    graph: RoadGraph, source: int
) -> tuple[NDArray[np.float64], NDArray[np.int32]]:
    """Travel time to every node from ``source`` and the predecessor edge of each (-1 if none)."""
    s = _node(graph, source, "source")
    dist, pred = _kernels.shortest_path_tree(graph.indptr, graph.indices, graph.travel_time_s, s)
    return dist, pred


def path_from_tree(
    graph: RoadGraph, pred: NDArray[np.int32], source: int, target: int
) -> NDArray[np.int32]:
    """Edge ids from ``source`` to ``target`` in a tree returned by :func:`shortest_path_tree`."""
    s, t = _node(graph, source, "source"), _node(graph, target, "target")
    if s != t and pred[t] < 0:
        msg = f"no path from node {s} to node {t}"
        raise UnreachableError(msg)
    edges: NDArray[np.int32] = _kernels.path_edges(pred, graph.edge_tail, s, t)
    return edges


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel on a two-node graph."""
    graph = RoadGraph.from_edges(
        [0.0, 0.001], [0.0, 0.001], [0, 1], [1, 0], [1.0, 1.0], reorder=False
    )
    travel_time(graph, 0, 1)
    travel_times_from(graph, 0, [1])
    travel_time_matrix(graph, [0, 1])
    _, pred = shortest_path_tree(graph, 0)
    path_from_tree(graph, pred, 0, 1)
