"""Slow, obvious reference implementations that the routing kernels are checked against.

Shortest paths come from networkx (a MultiDiGraph takes the cheapest of parallel edges)
or scipy's csgraph; CSR arrays are built with plain Python loops; nearest nodes by brute
force over haversine distances. Nothing here is clever, so that it is easy to trust.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import networkx as nx
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

import routing

EARTH_RADIUS_M = 6_371_008.8


# --- graphs ---------------------------------------------------------------------------


def multidigraph(
    n: int, tail: Sequence[int], head: Sequence[int], weights: Sequence[float]
) -> nx.MultiDiGraph:
    """networkx graph of a raw edge list (parallel edges and self-loops kept)."""
    G = nx.MultiDiGraph()
    G.add_nodes_from(range(n))
    for u, v, w in zip(tail, head, weights, strict=True):
        G.add_edge(int(u), int(v), weight=float(w))
    return G


def graph_to_networkx(graph: routing.RoadGraph) -> nx.DiGraph:
    """networkx view of a compiled graph; each edge carries its ``weight`` and edge ``id``."""
    G = nx.DiGraph()
    G.add_nodes_from(range(graph.n_nodes))
    for e in range(graph.n_edges):
        G.add_edge(
            int(graph.edge_tail[e]),
            int(graph.indices[e]),
            weight=float(graph.travel_time_s[e]),
            id=e,
        )
    return G


def distances_from(G: nx.Graph, source: int, n: int) -> NDArray[np.float64]:
    """Dijkstra distance from ``source`` to every node ``0..n-1`` (``inf`` if unreachable)."""
    out = np.full(n, np.inf)
    for node, d in nx.single_source_dijkstra_path_length(G, int(source), weight="weight").items():
        out[node] = d
    return out


def distance_matrix(
    G: nx.Graph, sources: Sequence[int], targets: Sequence[int], n: int
) -> NDArray[np.float64]:
    """``len(sources) x len(targets)`` Dijkstra distances with networkx."""
    rows = {int(s): distances_from(G, int(s), n) for s in set(np.asarray(sources).tolist())}
    return np.array([rows[int(s)][np.asarray(targets, dtype=np.int64)] for s in sources]).reshape(
        len(sources), len(targets)
    )


def scipy_matrix(
    graph: routing.RoadGraph, sources: Sequence[int], targets: Sequence[int]
) -> NDArray[np.float64]:
    """Distance matrix with scipy's csgraph Dijkstra (explicit zeros count as edges)."""
    matrix = sp.csr_array(
        (graph.travel_time_s, (graph.edge_tail, graph.indices)), shape=(graph.n_nodes,) * 2
    )
    full = dijkstra(matrix, directed=True, indices=np.asarray(sources))
    return np.asarray(full)[:, np.asarray(targets)]


# --- CSR arrays for the kernels -------------------------------------------------------


def csr_arrays(
    n: int, tail: Sequence[int], head: Sequence[int], weights: Sequence[float]
) -> dict[str, NDArray[np.generic]]:
    """Forward and reverse CSR arrays of an edge list, in the kernels' dtypes.

    Edges keep their input order within each tail (parallel edges and self-loops stay),
    so forward edge ``e`` of the result is input edge ``order[e]``.
    """
    order = sorted(range(len(tail)), key=lambda e: tail[e])
    indptr = [0] * (n + 1)
    for e in order:
        indptr[tail[e] + 1] += 1
    for u in range(n):
        indptr[u + 1] += indptr[u]
    fwd_tail = [tail[e] for e in order]
    fwd_head = [head[e] for e in order]
    fwd_weight = [float(weights[e]) for e in order]
    rev = sorted(range(len(order)), key=lambda e: fwd_head[e])
    rev_indptr = [0] * (n + 1)
    for e in rev:
        rev_indptr[fwd_head[e] + 1] += 1
    for u in range(n):
        rev_indptr[u + 1] += rev_indptr[u]
    return {
        "indptr": np.array(indptr, dtype=np.int64),
        "indices": np.array(fwd_head, dtype=np.int32),
        "weights": np.array(fwd_weight, dtype=np.float64),
        "edge_tail": np.array(fwd_tail, dtype=np.int32),
        "rev_indptr": np.array(rev_indptr, dtype=np.int64),
        "rev_indices": np.array([fwd_tail[e] for e in rev], dtype=np.int32),
        "rev_edge": np.array(rev, dtype=np.int32),
    }


def random_edge_list(
    rng: np.random.Generator, n: int, m: int, zero_share: float = 0.2
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """``m`` random directed edges on ``n`` nodes; about ``zero_share`` of weights are 0."""
    tail = rng.integers(0, n, m)
    head = rng.integers(0, n, m)
    weights = np.round(rng.uniform(0.0, 10.0, m), 1)
    weights[rng.random(m) < zero_share] = 0.0
    return tail, head, weights


# --- paths ----------------------------------------------------------------------------


def check_path(
    edge_tail: NDArray[np.int32],
    indices: NDArray[np.int32],
    weights: NDArray[np.float64],
    source: int,
    target: int,
    edges: NDArray[np.int32],
) -> float:
    """Assert ``edges`` is a contiguous walk from ``source`` to ``target``; return its time."""
    edges = np.asarray(edges)
    if source == target:
        assert edges.size == 0, f"path from a node to itself has edges {edges}"
        return 0.0
    assert edges.size > 0, f"empty path from {source} to {target}"
    assert np.all((edges >= 0) & (edges < indices.size)), f"invalid edge ids {edges}"
    assert edge_tail[edges[0]] == source, "path does not start at the source"
    assert indices[edges[-1]] == target, "path does not end at the target"
    np.testing.assert_array_equal(
        indices[edges[:-1]], edge_tail[edges[1:]], "path is not contiguous"
    )
    return float(math.fsum(weights[edges]))


# --- geometry -------------------------------------------------------------------------


def haversine_m(
    lat1: NDArray[np.float64] | float,
    lon1: NDArray[np.float64] | float,
    lat2: NDArray[np.float64] | float,
    lon2: NDArray[np.float64] | float,
) -> NDArray[np.float64]:
    """Great-circle distance in metres."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.subtract(lon2, lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a)))


def nearest_by_brute_force(
    graph: routing.RoadGraph, lat: NDArray[np.float64], lon: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Nearest node of each point and its haversine distance, by checking every node."""
    d = haversine_m(lat[:, None], lon[:, None], graph.lat[None, :], graph.lon[None, :])
    best = np.argmin(d, axis=1)
    return best, d[np.arange(lat.size), best]
