"""numba kernels on CSR arrays: shortest paths (one-to-many, many-to-many, bidirectional,
trees), path edges, and the per-route statistics the ETA model reads (length by road
class, signals, turns). Private: arrays in, arrays out.

Callers (``routing.shortest_paths``, ``routing.statistics``) validate; kernels trust their
input. Conventions: ``indptr`` int64, ``indices`` int32, ``weights`` float64
(non-negative), node and edge ids int32. Unreachable distances are ``inf``; missing
predecessors ``-1``.

A search *workspace* is ``dist`` (n, all ``inf``), ``pred`` (n, predecessor edge, all
``-1``), ``touched`` (n, nodes whose ``dist`` was set), and a heap of ``heap_key`` and
``heap_node`` with room for ``n_edges + 1`` entries. Kernels leave a workspace as they
found it, resetting only the entries they touched, so one allocation serves many queries.
``mark`` (n, all 0) flags the targets of a search.

The heap is a 4-ary min-heap with lazy deletion: a node whose distance improves is pushed
again and stale entries are skipped when popped. Each edge is relaxed at most once, so
the heap never holds more than ``n_edges + 1`` entries. On road graphs this beats an
indexed heap with decrease-key: no position array to keep in step, and the four children
of an entry share a cache line.
All kernels live in this one file: numba's cache does not see edits in other modules.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

# Annotations only (numba infers its own types from the arguments).
_Floats = NDArray[np.float64]
_Ids = NDArray[np.int32]  # node or edge ids
_Ptr = NDArray[np.int64]  # CSR row pointers
_Flags = NDArray[np.uint8]
_Bearings = NDArray[np.float32]
_Workspace = tuple[_Floats, _Ids, _Ids, _Floats, _Ids]  # dist, pred, touched, heap key, node


@njit(cache=True, nogil=True)
def _heap_push(heap_key: _Floats, heap_node: _Ids, size: int, key: float, node: int) -> int:
    """Insert an entry; return the new heap size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 2
        if heap_key[parent] <= key:
            break
        heap_key[i] = heap_key[parent]
        heap_node[i] = heap_node[parent]
        i = parent
    heap_key[i] = key
    heap_node[i] = node
    return size + 1


@njit(cache=True, nogil=True)
def _heap_pop(heap_key: _Floats, heap_node: _Ids, size: int) -> int:
    """Remove the minimum entry (read it from index 0 first); return the new heap size."""
    size -= 1
    if size > 0:
        key = heap_key[size]
        node = heap_node[size]
        i = 0
        while True:
            first = 4 * i + 1
            if first >= size:
                break
            best = first
            best_key = heap_key[first]
            for child in range(first + 1, min(first + 4, size)):
                if heap_key[child] < best_key:
                    best_key = heap_key[child]
                    best = child
            if best_key >= key:
                break
            heap_key[i] = best_key
            heap_node[i] = heap_node[best]
            i = best
        heap_key[i] = key
        heap_node[i] = node
    return size


@njit(cache=True, nogil=True)
def _reset(dist: _Floats, pred: _Ids, touched: _Ids, n_touched: int) -> None:
    for k in range(n_touched):
        v = touched[k]
        dist[v] = np.inf
        pred[v] = -1


@njit(cache=True, nogil=True)
def _search(
    indptr: _Ptr,
    indices: _Ids,
    weights: _Floats,
    source: int,
    mark: _Flags,
    n_marked: int,
    dist: _Floats,
    pred: _Ids,
    touched: _Ids,
    heap_key: _Floats,
    heap_node: _Ids,
) -> int:
    """Dijkstra from ``source`` until the ``n_marked`` marked nodes are settled.

    Pass ``n_marked < 0`` to settle every reachable node. Returns the number of touched
    nodes; ``dist`` and ``pred`` hold the search tree until :func:`_reset`.
    """
    dist[source] = 0.0
    touched[0] = source
    n_touched = 1
    size = _heap_push(heap_key, heap_node, 0, 0.0, source)
    remaining = n_marked
    while size > 0:
        du = heap_key[0]
        u = heap_node[0]
        size = _heap_pop(heap_key, heap_node, size)
        if du > dist[u]:
            continue  # stale entry: u was settled with a smaller distance
        if mark[u]:
            remaining -= 1
            if remaining == 0:
                break
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = du + weights[e]
            if nd < dist[v]:
                if dist[v] == np.inf:
                    touched[n_touched] = v
                    n_touched += 1
                dist[v] = nd
                pred[v] = e
                size = _heap_push(heap_key, heap_node, size, nd, v)
    return n_touched


@njit(cache=True, nogil=True)
def _mark_targets(mark: _Flags, targets: _Ids, value: int) -> int:
    """Set ``mark`` at the targets; return how many distinct targets there are."""
    distinct = 0
    for t in targets:
        if value and mark[t] == 0:
            distinct += 1
        mark[t] = value
    return distinct


@njit(cache=True, nogil=True)
def one_to_many(
    indptr: _Ptr,
    indices: _Ids,
    weights: _Floats,
    source: int,
    targets: _Ids,
    dist: _Floats,
    pred: _Ids,
    touched: _Ids,
    heap_key: _Floats,
    heap_node: _Ids,
    mark: _Flags,
) -> _Floats:
    """Travel times from one source to each target (``inf`` if unreachable)."""
    n_marked = _mark_targets(mark, targets, 1)
    n_touched = _search(
        indptr, indices, weights, source, mark, n_marked, dist, pred, touched, heap_key, heap_node
    )
    out = np.empty(targets.size)
    for j in range(targets.size):
        out[j] = dist[targets[j]]
    _mark_targets(mark, targets, 0)
    _reset(dist, pred, touched, n_touched)
    return out


@njit(cache=True, nogil=True)
def new_workspace(n: int, m: int) -> _Workspace:
    """Fresh (dist, pred, touched, heap_key, heap_node) for n nodes and m edges."""
    return (
        np.full(n, np.inf),
        np.full(n, -1, dtype=np.int32),
        np.empty(n, dtype=np.int32),
        np.empty(m + 1),
        np.empty(m + 1, dtype=np.int32),
    )


@njit(cache=True, nogil=True)
def shortest_path_tree(
    indptr: _Ptr, indices: _Ids, weights: _Floats, source: int
) -> tuple[_Floats, _Ids]:
    """Full single-source search: (dist, pred_edge) for every node."""
    n = indptr.size - 1
    dist, pred, touched, heap_key, heap_node = new_workspace(n, indices.size)
    mark = np.zeros(n, dtype=np.uint8)
    _search(indptr, indices, weights, source, mark, -1, dist, pred, touched, heap_key, heap_node)
    return dist, pred


@njit(cache=True, parallel=True, nogil=True)
def many_to_many(
    indptr: _Ptr, indices: _Ids, weights: _Floats, sources: _Ids, targets: _Ids, n_chunks: int
) -> NDArray[np.float64]:
    """Travel-time matrix ``sources x targets``, searches run in parallel over sources.

    Sources are split into ``n_chunks`` blocks; each block owns one workspace, so memory
    is ``n_chunks`` workspaces whatever the number of sources.
    """
    n = indptr.size - 1
    out = np.empty((sources.size, targets.size))
    mark = np.zeros(n, dtype=np.uint8)
    n_marked = _mark_targets(mark, targets, 1)
    chunk = (sources.size + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        dist, pred, touched, heap_key, heap_node = new_workspace(n, indices.size)
        for i in range(c * chunk, min((c + 1) * chunk, sources.size)):
            n_touched = _search(
                indptr,
                indices,
                weights,
                sources[i],
                mark,
                n_marked,
                dist,
                pred,
                touched,
                heap_key,
                heap_node,
            )
            for j in range(targets.size):
                out[i, j] = dist[targets[j]]
            _reset(dist, pred, touched, n_touched)
    return out


@njit(cache=True, nogil=True)
def bidirectional(
    indptr: _Ptr,
    indices: _Ids,
    weights: _Floats,
    rev_indptr: _Ptr,
    rev_indices: _Ids,
    rev_edge: _Ids,
    edge_tail: _Ids,
    source: int,
    target: int,
    f_dist: _Floats,
    f_pred: _Ids,
    f_touched: _Ids,
    f_heap_key: _Floats,
    f_heap_node: _Ids,
    b_dist: _Floats,
    b_pred: _Ids,
    b_touched: _Ids,
    b_heap_key: _Floats,
    b_heap_node: _Ids,
    path_out: _Ids,
) -> tuple[float, int]:
    """Bidirectional Dijkstra for one pair.

    Returns ``(travel_time, n_path_edges)``; the path's forward edge ids are written to
    ``path_out[:n_path_edges]``. ``travel_time`` is ``inf`` (and 0 edges) if unreachable.
    Both workspaces are reset before returning. Stale heap tops only make the stopping
    test (sum of the two tops >= best) more cautious, never wrong.
    """
    if source == target:
        return 0.0, 0
    f_dist[source] = 0.0
    f_touched[0] = source
    nf = 1
    fsize = _heap_push(f_heap_key, f_heap_node, 0, 0.0, source)
    b_dist[target] = 0.0
    b_touched[0] = target
    nb = 1
    bsize = _heap_push(b_heap_key, b_heap_node, 0, 0.0, target)
    best = np.inf
    meet = -1
    while fsize > 0 and bsize > 0:
        if f_heap_key[0] + b_heap_key[0] >= best:
            break
        if f_heap_key[0] <= b_heap_key[0]:
            du = f_heap_key[0]
            u = f_heap_node[0]
            fsize = _heap_pop(f_heap_key, f_heap_node, fsize)
            if du > f_dist[u]:
                continue
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                nd = du + weights[e]
                if nd < f_dist[v]:
                    if f_dist[v] == np.inf:
                        f_touched[nf] = v
                        nf += 1
                    f_dist[v] = nd
                    f_pred[v] = e
                    fsize = _heap_push(f_heap_key, f_heap_node, fsize, nd, v)
                    if nd + b_dist[v] < best:
                        best = nd + b_dist[v]
                        meet = v
        else:
            du = b_heap_key[0]
            u = b_heap_node[0]
            bsize = _heap_pop(b_heap_key, b_heap_node, bsize)
            if du > b_dist[u]:
                continue
            for r in range(rev_indptr[u], rev_indptr[u + 1]):
                v = rev_indices[r]
                e = rev_edge[r]
                nd = du + weights[e]
                if nd < b_dist[v]:
                    if b_dist[v] == np.inf:
                        b_touched[nb] = v
                        nb += 1
                    b_dist[v] = nd
                    b_pred[v] = e
                    bsize = _heap_push(b_heap_key, b_heap_node, bsize, nd, v)
                    if nd + f_dist[v] < best:
                        best = nd + f_dist[v]
                        meet = v
    n_edges = 0
    if meet >= 0:
        v = meet
        while v != source:
            e = f_pred[v]
            path_out[n_edges] = e
            n_edges += 1
            v = edge_tail[e]
        path_out[:n_edges] = path_out[:n_edges][::-1].copy()
        v = meet
        while v != target:
            e = b_pred[v]
            path_out[n_edges] = e
            n_edges += 1
            v = indices[e]
    _reset(f_dist, f_pred, f_touched, nf)
    _reset(b_dist, b_pred, b_touched, nb)
    return best, n_edges


@njit(cache=True, nogil=True)
def path_edges(pred: _Ids, edge_tail: _Ids, source: int, target: int) -> tuple[_Ids, bool]:
    """Edge ids from ``source`` to ``target`` along a predecessor tree.

    Returns ``(edges, found)``; ``found`` is False (and ``edges`` empty) when walking back
    from ``target`` does not reach ``source`` (unreachable, or ``source`` is not the root).
    """
    count = 0
    v = target
    while v != source:
        if pred[v] < 0 or count >= pred.size:
            return np.empty(0, dtype=np.int32), False
        count += 1
        v = edge_tail[pred[v]]
    out = np.empty(count, dtype=np.int32)
    v = target
    for k in range(count - 1, -1, -1):
        out[k] = pred[v]
        v = edge_tail[pred[v]]
    return out, True


@njit(cache=True, nogil=True)
def _walk_route(
    pred: _Ids,
    edge_tail: _Ids,
    length: _Floats,
    road_class: _Flags,
    signals: _Flags,
    bearing_start: _Bearings,
    bearing_end: _Bearings,
    source: int,
    target: int,
    turn_deg: float,
    u_turn_deg: float,
    class_out: _Floats,
    counts_out: _Floats,
) -> None:
    """Accumulate one tree path's statistics, walking back from ``target`` to ``source``.

    ``class_out`` gets metres per road class; ``counts_out`` = (length, signals, left,
    right, U-turns).
    """
    v = target
    next_edge = -1
    while v != source:
        e = pred[v]
        class_out[road_class[e]] += length[e]
        counts_out[0] += length[e]
        counts_out[1] += signals[e]
        if next_edge >= 0:
            change = (bearing_start[next_edge] - bearing_end[e] + 180.0) % 360.0 - 180.0
            if abs(change) >= u_turn_deg:
                counts_out[4] += 1
            elif change <= -turn_deg:
                counts_out[2] += 1
            elif change >= turn_deg:
                counts_out[3] += 1
        next_edge = e
        v = edge_tail[e]


@njit(cache=True, parallel=True, nogil=True)
def route_statistics_batch(
    indptr: _Ptr,
    indices: _Ids,
    weights: _Floats,
    length: _Floats,
    road_class: _Flags,
    signals: _Flags,
    bearing_start: _Bearings,
    bearing_end: _Bearings,
    edge_tail: _Ids,
    sources: _Ids,
    group_ptr: _Ptr,
    targets: _Ids,
    n_classes: int,
    turn_deg: float,
    u_turn_deg: float,
    n_chunks: int,
) -> tuple[_Floats, _Floats, _Floats]:
    """Travel time and route statistics of many (source, target) pairs, one search per source.

    Pairs are grouped by source: the targets of ``sources[i]`` are
    ``targets[group_ptr[i]:group_ptr[i+1]]``. Returns ``(time, class_length, counts)`` in
    pair order, ``counts`` columns as in :func:`_walk_route`; unreachable pairs get ``inf``
    time and zero statistics. Searches run in parallel over sources.
    """
    n = indptr.size - 1
    n_pairs = targets.size
    time = np.empty(n_pairs)
    class_length = np.zeros((n_pairs, n_classes))
    counts = np.zeros((n_pairs, 5))
    chunk = (sources.size + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        dist, pred, touched, heap_key, heap_node = new_workspace(n, indices.size)
        mark = np.zeros(n, dtype=np.uint8)
        for i in range(c * chunk, min((c + 1) * chunk, sources.size)):
            group = targets[group_ptr[i] : group_ptr[i + 1]]
            n_marked = _mark_targets(mark, group, 1)
            n_touched = _search(
                indptr,
                indices,
                weights,
                sources[i],
                mark,
                n_marked,
                dist,
                pred,
                touched,
                heap_key,
                heap_node,
            )
            for k in range(group_ptr[i], group_ptr[i + 1]):
                time[k] = dist[targets[k]]
                if dist[targets[k]] < np.inf:
                    _walk_route(
                        pred,
                        edge_tail,
                        length,
                        road_class,
                        signals,
                        bearing_start,
                        bearing_end,
                        sources[i],
                        targets[k],
                        turn_deg,
                        u_turn_deg,
                        class_length[k],
                        counts[k],
                    )
            _mark_targets(mark, group, 0)
            _reset(dist, pred, touched, n_touched)
    return time, class_length, counts
