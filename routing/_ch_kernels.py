"""numba kernels of contraction hierarchies: contraction, point-to-point query, path
unpacking (of one pair or many) and the bucket many-to-many matrix. Private: arrays in,
arrays out.

*Arcs* are the edges of the hierarchy: the original edges (``arc_edge`` >= 0, the original
edge id) and shortcuts (``arc_edge`` == -1) that replace the two arcs
``arc_first`` (tail -> middle node) and ``arc_second`` (middle node -> head). Arcs never
change once made, so a shortcut unpacks recursively into original edges.

After contraction every node has a ``rank``; the *upward* graph holds, at each node, the
arcs to higher-ranked heads (the forward search), the *downward* graph holds, at each node,
the arcs from higher-ranked tails (the backward search walks them against their
direction). A shortest path is an upward path from the source and a downward path into the
target, meeting at its highest node.

Witness searches (is there a path from ``u`` to ``w`` avoiding ``v`` no longer than
``u -> v -> w``?) stop after ``settle_limit`` settled nodes or when their heap is full: a
witness missed only adds a shortcut, it never makes an answer wrong.

The heap is the same 4-ary lazy min-heap as in :mod:`routing._kernels`, repeated here
because numba's cache does not see edits in other modules.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

_Floats = NDArray[np.float64]
_Ids = NDArray[np.int32]
_Ptr = NDArray[np.int64]
_Flags = NDArray[np.uint8]

WITNESS_HEAP = 1 << 14


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


# --- contraction ------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _append(
    pool: _Ids, start: _Ptr, length: _Ids, capacity: _Ids, end: int, v: int, value: int
) -> tuple[_Ids, int]:
    """Append ``value`` to node ``v``'s list in ``pool``; return the pool and its used end."""
    if length[v] == capacity[v]:
        new_cap = max(4, 2 * capacity[v])
        if end + new_cap > pool.size:
            grown = np.empty(max(2 * pool.size, end + new_cap), dtype=pool.dtype)
            grown[:end] = pool[:end]
            pool = grown
        pool[end : end + length[v]] = pool[start[v] : start[v] + length[v]]
        start[v] = end
        capacity[v] = new_cap
        end += new_cap
    pool[start[v] + length[v]] = value
    length[v] += 1
    return pool, end


@njit(cache=True, nogil=True)
def _remove(pool: _Ids, start: _Ptr, length: _Ids, v: int, value: int) -> None:
    """Remove ``value`` from node ``v``'s list (order not kept)."""
    last = start[v] + length[v] - 1
    for k in range(start[v], last + 1):
        if pool[k] == value:
            pool[k] = pool[last]
            length[v] -= 1
            return


@njit(cache=True, nogil=True)
def _replace(pool: _Ids, start: _Ptr, length: _Ids, v: int, old: int, new: int) -> None:
    for k in range(start[v], start[v] + length[v]):
        if pool[k] == old:
            pool[k] = new
            return


@njit(cache=True, nogil=True)
def _witness_search(
    source: int,
    skip: int,
    limit: float,
    settle_limit: int,
    out_pool: _Ids,
    out_start: _Ptr,
    out_len: _Ids,
    a_head: _Ids,
    a_w: _Floats,
    dist: _Floats,
    touched: _Ids,
    heap_key: _Floats,
    heap_node: _Ids,
) -> int:
    """Bounded Dijkstra from ``source`` in the remaining graph without ``skip``.

    Every finite ``dist`` is the length of a real path avoiding ``skip`` (an upper bound of
    the witness distance). Returns the number of touched nodes (reset them after use).
    """
    dist[source] = 0.0
    touched[0] = source
    n_touched = 1
    size = _heap_push(heap_key, heap_node, 0, 0.0, source)
    settled = 0
    while size > 0:
        du = heap_key[0]
        u = heap_node[0]
        size = _heap_pop(heap_key, heap_node, size)
        if du > dist[u]:
            continue
        if du > limit or settled >= settle_limit:
            break
        settled += 1
        for k in range(out_start[u], out_start[u] + out_len[u]):
            a = out_pool[k]
            x = a_head[a]
            if x == skip:
                continue
            nd = du + a_w[a]
            if nd < dist[x] and nd <= limit:
                if dist[x] == np.inf:
                    touched[n_touched] = x
                    n_touched += 1
                dist[x] = nd
                if size == heap_key.size:
                    return n_touched
                size = _heap_push(heap_key, heap_node, size, nd, x)
    return n_touched


@njit(cache=True, nogil=True)
def _new_arc(
    arcs_i: NDArray[np.int32],
    arcs_w: _Floats,
    n_arcs: int,
    tail: int,
    head: int,
    w: float,
    first: int,
    second: int,
    edge: int,
) -> tuple[NDArray[np.int32], _Floats]:
    """Store arc ``n_arcs`` (growing the tables if needed); returns the tables."""
    if n_arcs == arcs_w.size:
        grown_i = np.empty((2 * arcs_w.size, 4), dtype=np.int32)
        grown_i[:n_arcs] = arcs_i[:n_arcs]
        grown_w = np.empty(2 * arcs_w.size)
        grown_w[:n_arcs] = arcs_w[:n_arcs]
        arcs_i, arcs_w = grown_i, grown_w
    arcs_i[n_arcs, 0] = tail
    arcs_i[n_arcs, 1] = head
    arcs_i[n_arcs, 2] = first
    arcs_i[n_arcs, 3] = second
    arcs_w[n_arcs] = w
    if edge >= 0:
        arcs_i[n_arcs, 2] = -1
        arcs_i[n_arcs, 3] = edge
    return arcs_i, arcs_w


@njit(cache=True, nogil=True)
def contract(
    n: int,
    tail: _Ids,
    head: _Ids,
    weight: _Floats,
    edge: _Ids,
    order: _Ids,
    simulate_limit: int,
    contract_limit: int,
) -> tuple[_Ids, NDArray[np.int32], _Floats, NDArray[np.bool_]]:
    """Contract every node; returns ``(rank, arcs, arc_weight, alive)``.

    Input arcs have no self-loops nor parallel pairs; ``edge`` is each one's original edge
    id. ``order`` (a permutation of the nodes) fixes the contraction order; empty, the
    order is chosen on the fly by priority (edge difference and level), with lazy
    updates. ``arcs`` rows are ``(tail, head, first, second)``, where a
    shortcut has ``first``/``second`` child arcs and an original arc ``first == -1`` and
    its edge id in ``second``; ``alive`` flags the arcs of the hierarchy (a shortcut that
    found a faster replacement is not).
    """
    m = tail.size
    cap = max(2 * m, 16)
    arcs_i = np.empty((cap, 4), dtype=np.int32)
    arcs_w = np.empty(cap)
    for a in range(m):
        arcs_i, arcs_w = _new_arc(arcs_i, arcs_w, a, tail[a], head[a], weight[a], -1, -1, edge[a])
    n_arcs = m
    alive_list = np.ones(cap, dtype=np.bool_)

    out_len = np.zeros(n, dtype=np.int32)
    in_len = np.zeros(n, dtype=np.int32)
    for a in range(m):
        out_len[tail[a]] += 1
        in_len[head[a]] += 1
    out_cap = out_len + 2
    in_cap = in_len + 2
    out_start = np.zeros(n, dtype=np.int64)
    in_start = np.zeros(n, dtype=np.int64)
    for v in range(1, n):
        out_start[v] = out_start[v - 1] + out_cap[v - 1]
        in_start[v] = in_start[v - 1] + in_cap[v - 1]
    out_end = int(out_start[n - 1] + out_cap[n - 1]) if n else 0
    in_end = int(in_start[n - 1] + in_cap[n - 1]) if n else 0
    out_pool = np.empty(2 * out_end + 16, dtype=np.int32)
    in_pool = np.empty(2 * in_end + 16, dtype=np.int32)
    out_len[:] = 0
    in_len[:] = 0
    for a in range(m):
        u, v = tail[a], head[a]
        out_pool[out_start[u] + out_len[u]] = a
        out_len[u] += 1
        in_pool[in_start[v] + in_len[v]] = a
        in_len[v] += 1

    dist = np.full(n, np.inf)
    touched = np.empty(n, dtype=np.int32)
    w_key = np.empty(WITNESS_HEAP)
    w_node = np.empty(WITNESS_HEAP, dtype=np.int32)

    rank = np.full(n, -1, dtype=np.int32)
    level = np.zeros(n, dtype=np.int32)
    neighbours = np.empty(n, dtype=np.int32)
    seen = np.zeros(n, dtype=np.uint8)

    fixed = order.size == n
    priority = np.zeros(n)
    heap_key = np.empty(16 * n + 16)
    heap_node = np.empty(16 * n + 16, dtype=np.int32)
    size = 0
    if not fixed:
        for v in range(n):
            shortcuts = _simulate(
                v,
                simulate_limit,
                out_pool,
                out_start,
                out_len,
                in_pool,
                in_start,
                in_len,
                arcs_i,
                arcs_w,
                dist,
                touched,
                w_key,
                w_node,
            )
            priority[v] = _priority(shortcuts, in_len[v] + out_len[v], level[v])
            size = _heap_push(heap_key, heap_node, size, priority[v], v)

    next_rank = 0
    step = 0
    while next_rank < n:
        if fixed:
            v = order[step]
            step += 1
        else:
            p = heap_key[0]
            v = heap_node[0]
            size = _heap_pop(heap_key, heap_node, size)
            if rank[v] >= 0 or p != priority[v]:
                continue
            shortcuts = _simulate(
                v,
                simulate_limit,
                out_pool,
                out_start,
                out_len,
                in_pool,
                in_start,
                in_len,
                arcs_i,
                arcs_w,
                dist,
                touched,
                w_key,
                w_node,
            )
            p = _priority(shortcuts, in_len[v] + out_len[v], level[v])
            if size > 0 and p > heap_key[0]:
                priority[v] = p
                size = _heap_push(heap_key, heap_node, size, p, v)
                continue
        # contract v: shortcuts between its remaining in- and out-neighbours
        for i in range(in_start[v], in_start[v] + in_len[v]):
            a_in = in_pool[i]
            u = arcs_i[a_in, 0]
            limit = -1.0
            for j in range(out_start[v], out_start[v] + out_len[v]):
                a_out = out_pool[j]
                if arcs_i[a_out, 1] != u:
                    limit = max(limit, arcs_w[a_in] + arcs_w[a_out])
            if limit < 0:
                continue
            n_touched = _witness_search(
                u,
                v,
                limit,
                contract_limit,
                out_pool,
                out_start,
                out_len,
                arcs_i[:, 1],
                arcs_w,
                dist,
                touched,
                w_key,
                w_node,
            )
            for j in range(out_start[v], out_start[v] + out_len[v]):
                a_out = out_pool[j]
                x = arcs_i[a_out, 1]
                via = arcs_w[a_in] + arcs_w[a_out]
                if x == u or dist[x] <= via:
                    continue
                # no witness: shortcut u -> x, replacing a slower arc u -> x if any
                old = -1
                for k in range(out_start[u], out_start[u] + out_len[u]):
                    if arcs_i[out_pool[k], 1] == x:
                        old = out_pool[k]
                        break
                if old >= 0 and arcs_w[old] <= via:
                    continue
                arcs_i, arcs_w = _new_arc(arcs_i, arcs_w, n_arcs, u, x, via, a_in, a_out, -1)
                if n_arcs == alive_list.size:
                    grown = np.ones(2 * alive_list.size, dtype=np.bool_)
                    grown[:n_arcs] = alive_list[:n_arcs]
                    alive_list = grown
                alive_list[n_arcs] = True
                if old >= 0:
                    alive_list[old] = False
                    _replace(out_pool, out_start, out_len, u, old, n_arcs)
                    _replace(in_pool, in_start, in_len, x, old, n_arcs)
                else:
                    out_pool, out_end = _append(
                        out_pool, out_start, out_len, out_cap, out_end, u, n_arcs
                    )
                    in_pool, in_end = _append(in_pool, in_start, in_len, in_cap, in_end, x, n_arcs)
                n_arcs += 1
            for k in range(n_touched):
                dist[touched[k]] = np.inf
        rank[v] = next_rank
        next_rank += 1
        # take v out of the remaining graph
        n_nb = 0
        for i in range(in_start[v], in_start[v] + in_len[v]):
            a = in_pool[i]
            u = arcs_i[a, 0]
            _remove(out_pool, out_start, out_len, u, a)
            if not seen[u]:
                seen[u] = 1
                neighbours[n_nb] = u
                n_nb += 1
        for j in range(out_start[v], out_start[v] + out_len[v]):
            a = out_pool[j]
            x = arcs_i[a, 1]
            _remove(in_pool, in_start, in_len, x, a)
            if not seen[x]:
                seen[x] = 1
                neighbours[n_nb] = x
                n_nb += 1
        for k in range(n_nb):
            x = neighbours[k]
            seen[x] = 0
            level[x] = max(level[x], level[v] + 1)
            if fixed:
                continue
            shortcuts = _simulate(
                x,
                simulate_limit,
                out_pool,
                out_start,
                out_len,
                in_pool,
                in_start,
                in_len,
                arcs_i,
                arcs_w,
                dist,
                touched,
                w_key,
                w_node,
            )
            priority[x] = _priority(shortcuts, in_len[x] + out_len[x], level[x])
            if size == heap_key.size:
                size = _compact_heap(heap_key, heap_node, size, priority, rank)
            size = _heap_push(heap_key, heap_node, size, priority[x], x)
    return rank, arcs_i[:n_arcs].copy(), arcs_w[:n_arcs].copy(), alive_list[:n_arcs].copy()


@njit(cache=True, nogil=True)
def _compact_heap(
    heap_key: _Floats, heap_node: _Ids, size: int, priority: _Floats, rank: _Ids
) -> int:
    """Drop stale entries from the lazy node-order heap (rebuilt from scratch)."""
    nodes = np.empty(size, dtype=np.int32)
    count = 0
    for k in range(size):
        v = heap_node[k]
        if rank[v] < 0 and heap_key[k] == priority[v]:
            nodes[count] = v
            count += 1
    new_size = 0
    for k in range(count):
        new_size = _heap_push(heap_key, heap_node, new_size, priority[nodes[k]], nodes[k])
    return new_size


@njit(cache=True, nogil=True)
def _priority(shortcuts: int, removed: int, level: int) -> float:
    """Contract first the nodes that add few arcs (edge difference) and lie low (level)."""
    return 2.0 * (shortcuts - removed) + level


@njit(cache=True, nogil=True)
def _simulate(
    v: int,
    settle_limit: int,
    out_pool: _Ids,
    out_start: _Ptr,
    out_len: _Ids,
    in_pool: _Ids,
    in_start: _Ptr,
    in_len: _Ids,
    arcs_i: NDArray[np.int32],
    arcs_w: _Floats,
    dist: _Floats,
    touched: _Ids,
    w_key: _Floats,
    w_node: _Ids,
) -> int:
    """Number of shortcuts contracting ``v`` now would add."""
    count = 0
    heads = arcs_i[:, 1]
    for i in range(in_start[v], in_start[v] + in_len[v]):
        a_in = in_pool[i]
        u = arcs_i[a_in, 0]
        limit = -1.0
        for j in range(out_start[v], out_start[v] + out_len[v]):
            a_out = out_pool[j]
            if arcs_i[a_out, 1] != u:
                limit = max(limit, arcs_w[a_in] + arcs_w[a_out])
        if limit < 0:
            continue
        n_touched = _witness_search(
            u,
            v,
            limit,
            settle_limit,
            out_pool,
            out_start,
            out_len,
            heads,
            arcs_w,
            dist,
            touched,
            w_key,
            w_node,
        )
        for j in range(out_start[v], out_start[v] + out_len[v]):
            a_out = out_pool[j]
            x = arcs_i[a_out, 1]
            if x != u and dist[x] > arcs_w[a_in] + arcs_w[a_out]:
                count += 1
        for k in range(n_touched):
            dist[touched[k]] = np.inf
    return count


# --- queries ----------------------------------------------------------------------------
#
# The hierarchy is one CSR graph over nodes numbered by rank: at node ``u``,
# ``indptr[u]:mid[u]`` are its upward arcs (to higher heads) and ``mid[u]:indptr[u+1]`` its
# downward arcs (from higher tails, stored reversed: ``other`` is the tail). A forward
# search relaxes the upward half and stalls on the downward one; a backward search the
# reverse. Both halves of a node share cache lines.


@njit(cache=True, nogil=True)
def _settle(
    indptr: _Ptr,
    mid: _Ptr,
    other: _Ids,
    weight: _Floats,
    arc: _Ids,
    forward: bool,
    u: int,
    du: float,
    dist: _Floats,
    pred: _Ids,
    touched: _Ids,
    n_touched: int,
    heap_key: _Floats,
    heap_node: _Ids,
    size: int,
) -> tuple[int, int, bool]:
    """Relax ``u``'s arcs unless stalled; returns ``(n_touched, heap size, stalled)``.

    Stall-on-demand: ``u`` is not on a shortest up-path if a higher neighbour reaches it
    faster through an arc of the other half.
    """
    if forward:
        lo, hi, stall_lo, stall_hi = indptr[u], mid[u], mid[u], indptr[u + 1]
    else:
        lo, hi, stall_lo, stall_hi = mid[u], indptr[u + 1], indptr[u], mid[u]
    for k in range(stall_lo, stall_hi):
        if dist[other[k]] + weight[k] < du:
            return n_touched, size, True
    for k in range(lo, hi):
        v = other[k]
        nd = du + weight[k]
        if nd < dist[v]:
            if dist[v] == np.inf:
                touched[n_touched] = v
                n_touched += 1
            dist[v] = nd
            pred[v] = arc[k]
            size = _heap_push(heap_key, heap_node, size, nd, v)
    return n_touched, size, False


@njit(cache=True, nogil=True)
def query(
    indptr: _Ptr,
    mid: _Ptr,
    other: _Ids,
    weight: _Floats,
    arc: _Ids,
    arc_tail: _Ids,
    arc_head: _Ids,
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
    arcs_out: _Ids,
) -> tuple[float, int]:
    """Bidirectional CH search for one pair, with stall-on-demand.

    Returns ``(travel_time, n_arcs)``: the hierarchy arcs of the path, in order, are
    written to ``arcs_out[:n_arcs]`` (``inf`` and 0 if unreachable). Workspaces are reset.
    """
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
    if source == target:
        best = 0.0
        meet = source
    forward = True
    while fsize > 0 or bsize > 0:
        if fsize > 0 and f_heap_key[0] >= best:
            fsize = 0
        if bsize > 0 and b_heap_key[0] >= best:
            bsize = 0
        if fsize == 0 and bsize == 0:
            break
        forward = fsize > 0 and (bsize == 0 or not forward)
        if forward:
            du = f_heap_key[0]
            u = f_heap_node[0]
            fsize = _heap_pop(f_heap_key, f_heap_node, fsize)
            if du > f_dist[u]:
                continue
            if b_dist[u] + du < best:
                best = b_dist[u] + du
                meet = u
            nf, fsize, _ = _settle(
                indptr,
                mid,
                other,
                weight,
                arc,
                True,
                u,
                du,
                f_dist,
                f_pred,
                f_touched,
                nf,
                f_heap_key,
                f_heap_node,
                fsize,
            )
        else:
            du = b_heap_key[0]
            u = b_heap_node[0]
            bsize = _heap_pop(b_heap_key, b_heap_node, bsize)
            if du > b_dist[u]:
                continue
            if f_dist[u] + du < best:
                best = f_dist[u] + du
                meet = u
            nb, bsize, _ = _settle(
                indptr,
                mid,
                other,
                weight,
                arc,
                False,
                u,
                du,
                b_dist,
                b_pred,
                b_touched,
                nb,
                b_heap_key,
                b_heap_node,
                bsize,
            )
    n_arcs = 0
    if meet >= 0:
        v = meet
        while v != source:
            a = f_pred[v]
            arcs_out[n_arcs] = a
            n_arcs += 1
            v = arc_tail[a]
        arcs_out[:n_arcs] = arcs_out[:n_arcs][::-1].copy()
        v = meet
        while v != target:
            a = b_pred[v]
            arcs_out[n_arcs] = a
            n_arcs += 1
            v = arc_head[a]
    _reset(f_dist, f_pred, f_touched, nf)
    _reset(b_dist, b_pred, b_touched, nb)
    return best, n_arcs


@njit(cache=True, nogil=True)
def _reset(dist: _Floats, pred: _Ids, touched: _Ids, n_touched: int) -> None:
    for k in range(n_touched):
        v = touched[k]
        dist[v] = np.inf
        pred[v] = -1


@njit(cache=True, nogil=True)
def unpack(arc_first: _Ids, arc_second: _Ids, path_arcs: _Ids) -> _Ids:
    """Original edge ids of a sequence of hierarchy arcs, in order."""
    stack = np.empty(64, dtype=np.int32)
    edges = np.empty(4 * path_arcs.size + 16, dtype=np.int32)
    count = 0
    for i in range(path_arcs.size):
        stack[0] = path_arcs[i]
        top = 1
        while top > 0:
            top -= 1
            a = stack[top]
            if arc_first[a] < 0:
                if count == edges.size:
                    longer = np.empty(2 * edges.size, dtype=np.int32)
                    longer[:count] = edges
                    edges = longer
                edges[count] = arc_second[a]
                count += 1
            else:
                if top + 2 > stack.size:
                    grown = np.empty(2 * stack.size, dtype=np.int32)
                    grown[:top] = stack[:top]
                    stack = grown
                stack[top] = arc_second[a]
                stack[top + 1] = arc_first[a]
                top += 2
    return edges[:count].copy()


@njit(cache=True, nogil=True)
def paths(
    indptr: _Ptr,
    mid: _Ptr,
    other: _Ids,
    weight: _Floats,
    arc: _Ids,
    arc_tail: _Ids,
    arc_head: _Ids,
    arc_first: _Ids,
    arc_second: _Ids,
    edge_weight: _Floats,
    sources: _Ids,
    targets: _Ids,
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
    arcs_out: _Ids,
) -> tuple[_Floats, _Ids, _Ptr]:
    """Fastest paths of the pairs ``(sources[i], targets[i])``, unpacked to original edges.

    Returns ``(time, edges, ptr)``: pair ``i`` takes ``time[i]`` (``inf`` if unreachable,
    then no edges) along ``edges[ptr[i]:ptr[i + 1]]``. The time is the sum of
    ``edge_weight`` along the edges from the source, as Dijkstra adds it up: the same
    route gives the same float.
    """
    n_pairs = sources.size
    time = np.empty(n_pairs)
    ptr = np.zeros(n_pairs + 1, dtype=np.int64)
    edges = np.empty(64 * n_pairs + 16, dtype=np.int32)
    count = 0
    for i in range(n_pairs):
        cost, n_arcs = query(
            indptr,
            mid,
            other,
            weight,
            arc,
            arc_tail,
            arc_head,
            sources[i],
            targets[i],
            f_dist,
            f_pred,
            f_touched,
            f_heap_key,
            f_heap_node,
            b_dist,
            b_pred,
            b_touched,
            b_heap_key,
            b_heap_node,
            arcs_out,
        )
        path = unpack(arc_first, arc_second, arcs_out[:n_arcs])
        time[i] = cost
        if cost < np.inf:
            time[i] = 0.0
            for e in path:
                time[i] += edge_weight[e]
        if count + path.size > edges.size:
            longer = np.empty(2 * (count + path.size), dtype=np.int32)
            longer[:count] = edges[:count]
            edges = longer
        edges[count : count + path.size] = path
        count += path.size
        ptr[i + 1] = count
    return time, edges[:count].copy(), ptr


@njit(cache=True, nogil=True)
def new_workspace(n: int, m: int, slots: int) -> tuple[_Floats, _Ids, _Ids, _Floats, _Ids]:
    """Fresh (dist, pred, touched, heap_key, heap_node), one row per search slot, for
    searches on ``n`` nodes and ``m`` arcs (reset after each search: made once, reused).

    Each arc is relaxed at most once, so the heap never holds more than ``m + 1`` entries
    (memory reserved, but only the pages a search reaches are ever touched).
    """
    return (
        np.full((slots, n), np.inf),
        np.full((slots, n), -1, dtype=np.int32),
        np.empty((slots, n), dtype=np.int32),
        np.empty((slots, m + 1)),
        np.empty((slots, m + 1), dtype=np.int32),
    )


@njit(cache=True, nogil=True)
def _search_space(
    indptr: _Ptr,
    mid: _Ptr,
    other: _Ids,
    weight: _Floats,
    arc: _Ids,
    forward: bool,
    source: int,
    dist: _Floats,
    pred: _Ids,
    touched: _Ids,
    heap_key: _Floats,
    heap_node: _Ids,
    space_node: _Ids,
    space_dist: _Floats,
) -> int:
    """Complete one-direction CH search from ``source``.

    Returns how many nodes it settled without stalling, written (node, distance) to
    ``space_node``/``space_dist`` as far as they fit. The workspace is reset.
    """
    dist[source] = 0.0
    touched[0] = source
    n_touched = 1
    size = _heap_push(heap_key, heap_node, 0, 0.0, source)
    count = 0
    while size > 0:
        du = heap_key[0]
        u = heap_node[0]
        size = _heap_pop(heap_key, heap_node, size)
        if du > dist[u]:
            continue
        n_touched, size, stalled = _settle(
            indptr,
            mid,
            other,
            weight,
            arc,
            forward,
            u,
            du,
            dist,
            pred,
            touched,
            n_touched,
            heap_key,
            heap_node,
            size,
        )
        if not stalled:
            if count < space_node.size:
                space_node[count] = u
                space_dist[count] = du
            count += 1
    _reset(dist, pred, touched, n_touched)
    return count


@njit(cache=True, parallel=True, nogil=True)
def many_to_many(
    indptr: _Ptr,
    mid: _Ptr,
    other: _Ids,
    weight: _Floats,
    arc: _Ids,
    sources: _Ids,
    targets: _Ids,
    n_chunks: int,
    dist: _Floats,
    pred: _Ids,
    touched: _Ids,
    heap_key: _Floats,
    heap_node: _Ids,
    space_node: _Ids,
    space_dist: _Floats,
    bucket_of: _Ids,
    guess: _Ptr,
) -> _Floats:
    """Travel-time matrix ``sources x targets`` by buckets, in parallel.

    Backward searches from the targets leave ``(target, distance)`` in a bucket at each
    node they settle; a forward search from each source scans the buckets of the nodes it
    settles. Both phases run over up to ``n_chunks`` blocks in parallel, block ``c`` on
    row ``c`` of the workspace (``new_workspace`` rows, ``space_node``/``space_dist``
    rows of ``n``). ``bucket_of`` (all -1, left so) maps a node to its bucket;
    ``guess[0]`` is the bucket entries expected per target, raised when they overflow.
    Nothing here is proportional to the number of nodes.
    """
    n_t = targets.size
    t_chunks = min(n_chunks, n_t)
    t_chunk = (n_t + t_chunks - 1) // t_chunks
    while True:
        region = guess[0] * t_chunk
        e_node = np.empty(t_chunks * region, dtype=np.int32)
        e_dist = np.empty(t_chunks * region)
        e_target = np.empty(t_chunks * region, dtype=np.int32)
        used = np.zeros(t_chunks, dtype=np.int64)
        for c in prange(t_chunks):
            at = c * region
            end = at + region
            for j in range(c * t_chunk, min((c + 1) * t_chunk, n_t)):
                free = min(at, end)
                count = _search_space(
                    indptr,
                    mid,
                    other,
                    weight,
                    arc,
                    False,
                    targets[j],
                    dist[c],
                    pred[c],
                    touched[c],
                    heap_key[c],
                    heap_node[c],
                    e_node[free:end],
                    e_dist[free:end],
                )
                if at + count <= end:
                    e_target[at : at + count] = j
                at += count
            used[c] = at - c * region
        if used.max() <= region:
            break
        guess[0] = (used.max() + t_chunk - 1) // t_chunk * 5 // 4 + 1
    bucket_node = np.empty(used.sum(), dtype=np.int32)
    n_buckets = 0
    for c in range(t_chunks):
        for k in range(c * region, c * region + used[c]):
            v = e_node[k]
            if bucket_of[v] < 0:
                bucket_of[v] = n_buckets
                bucket_node[n_buckets] = v
                n_buckets += 1
    bucket_ptr = np.zeros(n_buckets + 1, dtype=np.int64)
    for c in range(t_chunks):
        for k in range(c * region, c * region + used[c]):
            bucket_ptr[bucket_of[e_node[k]] + 1] += 1
    for b in range(n_buckets):
        bucket_ptr[b + 1] += bucket_ptr[b]
    fill = bucket_ptr[:-1].copy()
    bucket_target = np.empty(bucket_ptr[n_buckets], dtype=np.int32)
    bucket_dist = np.empty(bucket_ptr[n_buckets])
    for c in range(t_chunks):
        for k in range(c * region, c * region + used[c]):
            b = bucket_of[e_node[k]]
            bucket_target[fill[b]] = e_target[k]
            bucket_dist[fill[b]] = e_dist[k]
            fill[b] += 1

    n_s = sources.size
    out = np.full((n_s, n_t), np.inf)
    s_chunks = min(n_chunks, n_s)
    s_chunk = (n_s + s_chunks - 1) // s_chunks
    for c in prange(s_chunks):
        nodes = space_node[c]
        dists = space_dist[c]
        for i in range(c * s_chunk, min((c + 1) * s_chunk, n_s)):
            count = _search_space(
                indptr,
                mid,
                other,
                weight,
                arc,
                True,
                sources[i],
                dist[c],
                pred[c],
                touched[c],
                heap_key[c],
                heap_node[c],
                nodes,
                dists,
            )
            row = out[i]
            for k in range(count):
                b = bucket_of[nodes[k]]
                if b < 0:
                    continue
                d = dists[k]
                for e in range(bucket_ptr[b], bucket_ptr[b + 1]):
                    total = d + bucket_dist[e]
                    if total < row[bucket_target[e]]:
                        row[bucket_target[e]] = total
    for b in range(n_buckets):
        bucket_of[bucket_node[b]] = -1
    return out
