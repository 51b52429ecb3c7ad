"""numba kernel of topology simplification: the paths between endpoints, as osmnx walks them.

Private: arrays in, arrays out. The graph is given by its distinct successors: node ``u``
has the successors ``succ_to[succ_ptr[u]:succ_ptr[u + 1]]`` in osmnx's adjacency order
(first insertion), and ``succ_edge`` names the first of the parallel edges to each, whose
attributes osmnx aggregates. Node and edge ids are int64.

All kernels live in this one file: numba's cache does not see edits in other modules.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

# Annotations only (numba infers its own types from the arguments).
Ints = NDArray[np.int64]
Floats = NDArray[np.float64]


@njit(cache=True, nogil=True)
def _build_path(
    succ_ptr: Ints,
    succ_to: Ints,
    succ_edge: Ints,
    endpoint: NDArray[np.bool_],
    start: int,
    first_slot: int,
    mark: Ints,
    stamp: int,
    nodes: Ints,
    edges: Ints,
) -> int:
    """osmnx's ``_build_path`` from ``start`` through its successor slot ``first_slot``.

    Writes the path's nodes to ``nodes`` and the edge of each step to ``edges``; returns
    the number of nodes, or -1 on osmnx's "impossible simplify pattern".
    """
    second = succ_to[first_slot]
    nodes[0], nodes[1], edges[0] = start, second, succ_edge[first_slot]
    mark[start] = stamp
    mark[second] = stamp
    size = 2
    for slot in range(succ_ptr[second], succ_ptr[second + 1]):
        node = succ_to[slot]
        if mark[node] == stamp:
            continue
        nodes[size], edges[size - 1] = node, succ_edge[slot]
        mark[node] = stamp
        size += 1
        while not endpoint[node]:
            found, step = 0, -1
            for s in range(succ_ptr[node], succ_ptr[node + 1]):
                if mark[succ_to[s]] != stamp:
                    found += 1
                    step = s
            if found > 1:
                return -1
            if found == 1:
                node = succ_to[step]
                nodes[size], edges[size - 1] = node, succ_edge[step]
                mark[node] = stamp
                size += 1
                continue
            for s in range(succ_ptr[node], succ_ptr[node + 1]):
                if succ_to[s] == start:  # back to the start: a loop
                    nodes[size], edges[size - 1] = start, succ_edge[s]
                    return size + 1
            return size  # osmnx's "unexpected simplify pattern": ends where it stopped
        return size
    return size


@njit(cache=True, nogil=True)
def simplify_paths(
    succ_ptr: Ints,
    succ_to: Ints,
    succ_edge: Ints,
    endpoint: NDArray[np.bool_],
    length: Floats,
    time: Floats,
    signals: Ints,
    rank: Ints,
) -> tuple[Ints, Ints, Floats, Floats, Ints, Ints]:
    """Every path osmnx simplifies into one edge, from each endpoint in node order.

    Returns the paths' nodes (``path_ptr``, ``path_nodes``), and per path the sums of
    ``length``, ``time`` and ``signals`` over its steps in order (as Python's ``sum``)
    and the smallest ``rank``. Raises ValueError where osmnx would fail.
    """
    n = endpoint.size
    mark = np.full(n, -1, dtype=np.int64)
    nodes = np.empty(n + 1, dtype=np.int64)
    edges = np.empty(n + 1, dtype=np.int64)
    n_paths, n_nodes = 0, 0
    for u in range(n):
        if endpoint[u]:
            for slot in range(succ_ptr[u], succ_ptr[u + 1]):
                if not endpoint[succ_to[slot]]:
                    size = _build_path(
                        succ_ptr, succ_to, succ_edge, endpoint, u, slot, mark, n_paths, nodes, edges
                    )
                    if size < 0:
                        raise ValueError("impossible simplify pattern")
                    n_paths += 1
                    n_nodes += size
    path_ptr = np.zeros(n_paths + 1, dtype=np.int64)
    path_nodes = np.empty(n_nodes, dtype=np.int64)
    path_length = np.zeros(n_paths)
    path_time = np.zeros(n_paths)
    path_signals = np.zeros(n_paths, dtype=np.int64)
    path_rank = np.zeros(n_paths, dtype=np.int64)
    mark[:] = -1
    p = 0
    for u in range(n):
        if endpoint[u]:
            for slot in range(succ_ptr[u], succ_ptr[u + 1]):
                if not endpoint[succ_to[slot]]:
                    size = _build_path(
                        succ_ptr, succ_to, succ_edge, endpoint, u, slot, mark, p, nodes, edges
                    )
                    begin = path_ptr[p]
                    path_nodes[begin : begin + size] = nodes[:size]
                    path_ptr[p + 1] = begin + size
                    total_length, total_time, total_signals = 0.0, 0.0, 0
                    best = rank[edges[0]]
                    for i in range(size - 1):
                        e = edges[i]
                        total_length += length[e]
                        total_time += time[e]
                        total_signals += signals[e]
                        best = min(best, rank[e])
                    path_length[p] = total_length
                    path_time[p] = total_time
                    path_signals[p] = total_signals
                    path_rank[p] = best
                    p += 1
    return path_ptr, path_nodes, path_length, path_time, path_signals, path_rank
