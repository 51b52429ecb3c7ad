"""Contraction hierarchies: fast exact travel times, paths and matrices on large road graphs.

:func:`contraction_hierarchy` contracts the nodes of a :class:`RoadGraph` one by one (in
an order chosen by priority: edge difference and level, updated lazily), adding a
shortcut wherever a bounded witness search finds no path as fast as the one through the
contracted node. Queries then search upward only, from both ends. Answers are exact:
equal to Dijkstra's on the same weights.

Custom weights (e.g. learned per-edge times) get their own hierarchy;
:meth:`ContractionHierarchy.customize` reuses the node order of an existing one and only
recomputes the shortcuts under the new weights (about half the cost of a full build). A
hierarchy is cached in :func:`routing.cache_dir`, keyed by the hash of the graph's
topology and of the weights.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import zipfile
from dataclasses import dataclass, field, fields
from pathlib import Path as FilePath

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _ch_kernels
from .exceptions import GraphSourceError, UnreachableError
from .graph import RoadGraph
from .loading import cache_dir
from .npz_maps import load_npz
from .shortest_paths import Path, edge_weights
from .statistics import RouteBatch, routes_along

CH_VERSION = 2
SIMULATE_SETTLE_LIMIT = 40
CONTRACT_SETTLE_LIMIT = 200
# a matrix takes one more thread per this many searches (one per source and per target):
# below, waking and waiting for threads costs more than it saves, and far more on a busy
# machine, where a parallel region waits for its slowest thread
SEARCHES_PER_THREAD = 500
PAIRS_PER_BLOCK = 8192  # route statistics: pairs unpacked at once

_ARRAYS = (
    "rank",
    "arc_tail",
    "arc_head",
    "arc_first",
    "arc_second",
    "arc_weight",
    "indptr",
    "mid",
    "other",
    "weight",
    "arc",
)


class _Workspace:
    """Per-thread search arrays of one hierarchy, made once and reused by every query.

    One row (slot) per parallel block of a matrix, at least two: a pair query searches
    forward on row 0 and backward on row 1.
    """

    def __init__(self, n: int, m: int, slots: int) -> None:
        self.slots = slots
        self.search = _ch_kernels.new_workspace(n, m, slots)
        dist, pred, touched, heap_key, heap_node = self.search
        self.forward = (dist[0], pred[0], touched[0], heap_key[0], heap_node[0])
        self.backward = (dist[1], pred[1], touched[1], heap_key[1], heap_node[1])
        self.arcs = np.empty(max(n - 1, 1), dtype=np.int32)
        self.space_node = np.empty((slots, n), dtype=np.int32)
        self.space_dist = np.empty((slots, n))
        self.bucket_of = np.full(n, -1, dtype=np.int32)
        self.guess = np.array([256], dtype=np.int64)


@dataclass(frozen=True, eq=False)
class ContractionHierarchy:
    """The contracted graph of a :class:`RoadGraph` under one set of edge ``weights``.

    ``rank`` is each node's contraction order; the hierarchy numbers nodes by rank (node
    ``v`` of the graph is ``rank[v]`` here), so that the top of the hierarchy, where every
    search ends, is contiguous in memory. Arcs run from ``arc_tail`` to ``arc_head`` (in
    rank numbering) at cost ``arc_weight``; a shortcut has two child arcs ``arc_first``
    and ``arc_second``, an original edge ``arc_first == -1`` and its edge id in
    ``arc_second``. The searches run on one CSR graph (``indptr``, ``other``, ``weight``,
    ``arc`` the arc id of each entry): at node ``u``, ``indptr[u]:mid[u]`` are the arcs
    to higher ranks (``other`` their heads), ``mid[u]:indptr[u + 1]`` the arcs from higher
    ranks (``other`` their tails).
    """

    graph: RoadGraph
    weights: NDArray[np.float64]
    rank: NDArray[np.int32]
    arc_tail: NDArray[np.int32]
    arc_head: NDArray[np.int32]
    arc_first: NDArray[np.int32]
    arc_second: NDArray[np.int32]
    arc_weight: NDArray[np.float64]
    indptr: NDArray[np.int64]
    mid: NDArray[np.int64]
    other: NDArray[np.int32]
    weight: NDArray[np.float64]
    arc: NDArray[np.int32]
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def __repr__(self) -> str:
        shortcuts = int(np.count_nonzero(self.arc_first >= 0))
        return (
            f"ContractionHierarchy({self.rank.size:,} nodes, {self.other.size:,} arcs, "
            f"{shortcuts:,} shortcuts made)"
        )

    def travel_time(self, source: int, target: int) -> float:
        """Travel time (s) from node ``source`` to node ``target``; ``inf`` if unreachable."""
        cost, _ = self._query(source, target)
        return cost

    def shortest_path(self, source: int, target: int) -> Path:
        """Fastest path, unpacked to original edges; raises :class:`UnreachableError`."""
        cost, arcs = self._query(source, target)
        if not np.isfinite(cost):
            msg = f"no path from node {source} to node {target}"
            raise UnreachableError(msg)
        edges = _ch_kernels.unpack(self.arc_first, self.arc_second, arcs)
        return Path.along(self.graph, source, edges, cost)

    def travel_times_from(self, source: int, targets: ArrayLike) -> NDArray[np.float64]:
        """Travel times (s) from one node to each of ``targets``; ``inf`` if unreachable."""
        out: NDArray[np.float64] = self.travel_time_matrix([source], targets)[0]
        return out

    def travel_times_to(self, target: int, sources: ArrayLike) -> NDArray[np.float64]:
        """Travel times (s) from each of ``sources`` to one node; ``inf`` if unreachable."""
        out: NDArray[np.float64] = self.travel_time_matrix(sources, [target])[:, 0]
        return out

    def travel_time_matrix(
        self, sources: ArrayLike, targets: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """Travel-time matrix (s), ``(len(sources), len(targets))``; ``inf`` if unreachable.

        ``targets`` defaults to ``sources``. Bucket many-to-many: one upward search per
        target and per source, on all numba threads, in this thread's reused workspace.
        """
        s = self.rank[self.graph.check_nodes(sources, "source")]
        t = s if targets is None else self.rank[self.graph.check_nodes(targets, "target")]
        if s.size == 0 or t.size == 0:
            return np.empty((s.size, t.size))
        ws = self._workspace()
        threads = numba.get_num_threads()
        chunks = min(threads, ws.slots, -(-(s.size + t.size) // SEARCHES_PER_THREAD))
        numba.set_num_threads(chunks)  # this thread's parallel regions only
        try:
            out: NDArray[np.float64] = _ch_kernels.many_to_many(
                self.indptr,
                self.mid,
                self.other,
                self.weight,
                self.arc,
                s,
                t,
                chunks,
                *ws.search,
                ws.space_node,
                ws.space_dist,
                ws.bucket_of,
                ws.guess,
            )
        finally:
            numba.set_num_threads(threads)
        return out

    def route_statistics_batch(self, sources: ArrayLike, targets: ArrayLike) -> RouteBatch:
        """Time and statistics of the fastest routes of pairs ``(sources[i], targets[i])``,
        as :func:`routing.route_statistics_batch` (one query and unpacking per pair, in
        blocks of :data:`PAIRS_PER_BLOCK` pairs to bound the unpacked edges held)."""
        s = self.graph.check_nodes(sources, "source")
        t = self.graph.check_nodes(targets, "target")
        if s.size != t.size:
            msg = f"sources and targets must pair up, got {s.size} and {t.size}"
            raise ValueError(msg)
        ws = self._workspace()
        blocks = []
        for start in range(0, max(s.size, 1), PAIRS_PER_BLOCK):
            time, edges, route_ptr = _ch_kernels.paths(
                self.indptr,
                self.mid,
                self.other,
                self.weight,
                self.arc,
                self.arc_tail,
                self.arc_head,
                self.arc_first,
                self.arc_second,
                self.weights,
                self.rank[s[start : start + PAIRS_PER_BLOCK]],
                self.rank[t[start : start + PAIRS_PER_BLOCK]],
                *ws.forward,
                *ws.backward,
                ws.arcs,
            )
            blocks.append(routes_along(self.graph, time, edges, route_ptr))
        if len(blocks) == 1:
            return blocks[0]
        return RouteBatch(
            **{
                f.name: np.concatenate([getattr(b, f.name) for b in blocks])
                for f in fields(RouteBatch)
            }
        )

    def customize(self, weights: ArrayLike, *, use_cache: bool = True) -> ContractionHierarchy:
        """The hierarchy of the same graph under new ``weights``, reusing this node order.

        The shortcuts are recomputed (witness searches under the new weights) but no
        priorities, which makes it about twice as fast as :func:`contraction_hierarchy`.
        """
        order = np.argsort(self.rank).astype(np.int32)
        return _cached(self.graph, edge_weights(self.graph, weights), order, use_cache)

    def save(self, path: str | FilePath) -> FilePath:
        """Write the hierarchy's arrays to an uncompressed ``.npz`` file.

        Written aside, then renamed: processes saving the same hierarchy at once (ETA
        workers starting on a fresh cache) each replace the file whole.
        """
        path = FilePath(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp.npz")
        meta = json.dumps({"ch_version": CH_VERSION, "n_nodes": self.graph.n_nodes})
        np.savez(tmp, metadata=np.array(meta), **{f: getattr(self, f) for f in _ARRAYS})
        tmp.replace(path)
        return path

    @classmethod
    def load(
        cls, path: str | FilePath, graph: RoadGraph, weights: ArrayLike | None = None
    ) -> ContractionHierarchy:
        """Read a hierarchy of ``graph`` written by :meth:`save`, its arrays memory-mapped."""
        try:
            arrays = load_npz(FilePath(path), ("metadata", *_ARRAYS))
            meta = json.loads(str(arrays.pop("metadata")))
        except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            msg = f"cannot read contraction hierarchy {path}: {exc}"
            raise GraphSourceError(msg) from exc
        if meta.get("ch_version") != CH_VERSION or meta.get("n_nodes") != graph.n_nodes:
            msg = f"contraction hierarchy {path} does not fit this graph or version"
            raise GraphSourceError(msg)
        return cls(graph=graph, weights=edge_weights(graph, weights), **arrays)

    def _workspace(self) -> _Workspace:
        ws: _Workspace | None = getattr(self._local, "workspace", None)
        if ws is None:
            ws = _Workspace(self.rank.size, self.other.size, max(2, numba.get_num_threads()))
            self._local.workspace = ws
        return ws

    def _query(self, source: int, target: int) -> tuple[float, NDArray[np.int32]]:
        n = self.rank.size
        if not (isinstance(source, int | np.integer) and 0 <= source < n):
            source = int(self.graph.check_nodes(np.array([source]), "source")[0])
        if not (isinstance(target, int | np.integer) and 0 <= target < n):
            target = int(self.graph.check_nodes(np.array([target]), "target")[0])
        ws = self._workspace()
        cost, n_arcs = _ch_kernels.query(
            self.indptr,
            self.mid,
            self.other,
            self.weight,
            self.arc,
            self.arc_tail,
            self.arc_head,
            int(self.rank[source]),
            int(self.rank[target]),
            *ws.forward,
            *ws.backward,
            ws.arcs,
        )
        return float(cost), ws.arcs[:n_arcs]


def contraction_hierarchy(
    graph: RoadGraph, weights: ArrayLike | None = None, *, use_cache: bool = True
) -> ContractionHierarchy:
    """Contract ``graph`` under ``weights`` (default: free-flow ``travel_time_s``).

    With ``use_cache`` the hierarchy is read from, or written to, :func:`routing.cache_dir`
    under the hash of the graph's topology and of the weights.
    """
    return _cached(graph, edge_weights(graph, weights), np.empty(0, np.int32), use_cache)


def _cached(
    graph: RoadGraph, weights: NDArray[np.float64], order: NDArray[np.int32], use_cache: bool
) -> ContractionHierarchy:
    path = cache_dir() / f"ch-{_key(graph, weights, order)}.npz"
    if use_cache and path.is_file():
        try:
            return ContractionHierarchy.load(path, graph, weights)
        except GraphSourceError:
            pass  # rebuild below
    hierarchy = _build(graph, weights, order)
    if use_cache:
        hierarchy.save(path)
    return hierarchy


def _key(graph: RoadGraph, weights: NDArray[np.float64], order: NDArray[np.int32]) -> str:
    """Hash of the graph's topology, the weights and the given node order (if any)."""
    digest = hashlib.sha256()
    for array in (graph.indptr, graph.indices, weights, order):
        digest.update(np.ascontiguousarray(array).data)
    return f"{digest.hexdigest()[:32]}-v{CH_VERSION}"


def _build(
    graph: RoadGraph, weights: NDArray[np.float64], order: NDArray[np.int32]
) -> ContractionHierarchy:
    tail, head = graph.edge_tail, graph.indices
    # one arc per (tail, head): the fastest of parallel edges; no self-loops
    candidates = np.flatnonzero(tail != head)
    sort = candidates[np.lexsort((weights[candidates], head[candidates], tail[candidates]))]
    first = np.ones(sort.size, dtype=bool)
    first[1:] = (tail[sort][1:] != tail[sort][:-1]) | (head[sort][1:] != head[sort][:-1])
    keep = sort[first].astype(np.int32)
    rank, arcs, arc_weight, alive = _ch_kernels.contract(
        graph.n_nodes,
        np.ascontiguousarray(tail[keep]),
        np.ascontiguousarray(head[keep]),
        np.ascontiguousarray(weights[keep]),
        keep,
        order,
        SIMULATE_SETTLE_LIMIT,
        CONTRACT_SETTLE_LIMIT,
    )
    # number the nodes by rank
    arc_tail, arc_head = rank[arcs[:, 0]], rank[arcs[:, 1]]
    ids = np.flatnonzero(alive).astype(np.int32)
    up = ids[arc_tail[ids] < arc_head[ids]]
    down = ids[arc_tail[ids] > arc_head[ids]]
    # one CSR graph: at each node its upward arcs, then its (reversed) downward arcs
    node = np.concatenate((arc_tail[up], arc_head[down]))
    side = np.concatenate((np.zeros(up.size, np.int8), np.ones(down.size, np.int8)))
    entries = np.lexsort((side, node))
    arc = np.concatenate((up, down))[entries]
    other = np.concatenate((arc_head[up], arc_tail[down]))[entries]
    n = graph.n_nodes
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(node, minlength=n), out=indptr[1:])
    mid = indptr[:-1] + np.bincount(arc_tail[up], minlength=n)
    return ContractionHierarchy(
        graph=graph,
        weights=weights,
        rank=rank,
        arc_tail=arc_tail,
        arc_head=arc_head,
        arc_first=np.ascontiguousarray(arcs[:, 2]),
        arc_second=np.ascontiguousarray(arcs[:, 3]),
        arc_weight=arc_weight,
        indptr=indptr,
        mid=mid,
        other=other,
        weight=arc_weight[arc],
        arc=arc,
    )
