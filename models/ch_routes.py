"""Route totals from a contraction hierarchy: the route features on maps too large for a
:class:`~models.route_table.RouteTable`.

A table answers in constant time but takes memory quadratic in the nodes; a hierarchy takes
memory linear in the edges and answers a pair in tens of microseconds, with the same
totals as :meth:`RouteTotals.search` (exact fastest routes, unpacked to their edges).
"""

from __future__ import annotations

from dataclasses import dataclass

from numpy.typing import ArrayLike

import routing

from .features import RouteTotals


@dataclass(frozen=True, eq=False)
class ContractionRouteTotals:
    """:class:`RouteTotals` of any node pairs, by queries on a contraction hierarchy."""

    hierarchy: routing.ContractionHierarchy

    @classmethod
    def of(cls, graph: routing.RoadGraph) -> ContractionRouteTotals:
        """The source of ``graph`` under free-flow times (hierarchy read from the cache or
        built)."""
        return cls(routing.contraction_hierarchy(graph))

    def lookup(self, origin: ArrayLike, dest: ArrayLike) -> RouteTotals:
        """Totals of the pairs ``(origin[i], dest[i])``, as :meth:`RouteTotals.search` gives."""
        graph = self.hierarchy.graph
        o, d = graph.check_nodes(origin, "origin"), graph.check_nodes(dest, "destination")
        if o.size != d.size:
            msg = f"origins and destinations must pair up, got {o.size} and {d.size}"
            raise ValueError(msg)
        return RouteTotals.of(self.hierarchy.route_statistics_batch(o, d))
