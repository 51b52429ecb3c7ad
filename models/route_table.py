"""Route totals of every node pair of a small graph, computed once.

A service answering ETAs for arbitrary pairs spends most of its time searching routes.
On a city-sized extract (the embedded Baltimore map has 2,073 nodes, 4.3 million pairs)
the totals the route features read fit in memory: 48 bytes a pair, about 200 MB. The
table holds exactly what :meth:`RouteTotals.search` returns, so features from the table
equal features from a search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

import routing

from .features import RouteTotals

_COUNT_DTYPE = np.uint16
_N_GROUPS, _N_COUNTS = 3, 4
BYTES_PER_PAIR = 8 * (2 + _N_GROUPS) + np.dtype(_COUNT_DTYPE).itemsize * _N_COUNTS


@dataclass(frozen=True, eq=False)
class RouteTable:
    """:class:`RouteTotals` of all ``n x n`` node pairs, origin-major (pair ``o * n + d``)."""

    graph: routing.RoadGraph
    travel_time_s: NDArray[np.float64]
    length_m: NDArray[np.float64]
    group_length_m: NDArray[np.float64]
    counts: NDArray[np.uint16]

    @staticmethod
    def size_bytes(graph: routing.RoadGraph) -> int:
        """Memory the table of ``graph`` takes."""
        return graph.n_nodes**2 * BYTES_PER_PAIR

    @classmethod
    def build(cls, graph: routing.RoadGraph, origins_per_search: int = 64) -> RouteTable:
        """Search every origin's routes to all nodes, ``origins_per_search`` origins at a time."""
        n = graph.n_nodes
        time, length = np.empty(n * n), np.empty(n * n)
        groups = np.empty((n * n, _N_GROUPS))
        counts = np.empty((n * n, _N_COUNTS), dtype=_COUNT_DTYPE)
        limit = np.iinfo(_COUNT_DTYPE).max
        every_node = np.arange(n, dtype=np.int32)
        for start in range(0, n, origins_per_search):
            origins = every_node[start : start + origins_per_search]
            totals = RouteTotals.search(
                graph, np.repeat(origins, n), np.tile(every_node, origins.size)
            )
            rows = slice(start * n, (start + origins.size) * n)
            if totals.counts.max(initial=0) > limit:
                msg = f"a route has more than {limit} signals or turns: too long for the table"
                raise ValueError(msg)
            time[rows], length[rows] = totals.travel_time_s, totals.length_m
            groups[rows], counts[rows] = totals.group_length_m, totals.counts
        return cls(graph, time, length, groups, counts)

    def lookup(self, origin: ArrayLike, dest: ArrayLike) -> RouteTotals:
        """Totals of the pairs ``(origin[i], dest[i])``, as :meth:`RouteTotals.search` gives."""
        o = self.graph.check_nodes(origin, "origin").astype(np.int64)
        d = self.graph.check_nodes(dest, "destination")
        if o.size != d.size:
            msg = f"origins and destinations must pair up, got {o.size} and {d.size}"
            raise ValueError(msg)
        pair = o * self.graph.n_nodes + d
        return RouteTotals(
            self.travel_time_s[pair],
            self.length_m[pair],
            self.group_length_m[pair],
            self.counts[pair].astype(np.float64),
        )
