"""Free-flow queries answered the fastest way for the graph's size.

:func:`router` gives every layer one object for a graph's free-flow travel times, paths,
matrices and route statistics: plain searches (:class:`GraphSearch`) on city maps, where
they take microseconds to milliseconds, and the graph's contraction hierarchy on maps of
:data:`CONTRACTION_MIN_NODES` nodes or more, where a search per question would dominate
whatever asks it (a metro map: milliseconds per pair, seconds per matrix). Both answer the
same: a hierarchy's times equal Dijkstra's (paths may differ only between routes of equal
time).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .contraction import contraction_hierarchy
from .graph import RoadGraph
from .shortest_paths import (
    Path,
    shortest_path,
    travel_time,
    travel_time_matrix,
    travel_times_from,
    travel_times_to,
)
from .statistics import RouteBatch, route_statistics_batch

CONTRACTION_MIN_NODES = 20_000

_LOCK = threading.Lock()  # one hierarchy built per graph, whichever thread asks first


class Router(Protocol):
    """Free-flow questions about one graph's nodes (see :mod:`routing.shortest_paths`)."""

    @property
    def graph(self) -> RoadGraph:
        """The graph whose nodes the questions name."""
        ...

    def travel_time(self, source: int, target: int) -> float:
        """Travel time (s) from ``source`` to ``target``; ``inf`` if unreachable."""
        ...

    def shortest_path(self, source: int, target: int) -> Path:
        """Fastest path; raises :class:`~routing.UnreachableError` if there is none."""
        ...

    def travel_times_from(self, source: int, targets: ArrayLike) -> NDArray[np.float64]:
        """Travel times (s) from one node to each of ``targets``."""
        ...

    def travel_times_to(self, target: int, sources: ArrayLike) -> NDArray[np.float64]:
        """Travel times (s) from each of ``sources`` to one node."""
        ...

    def travel_time_matrix(
        self, sources: ArrayLike, targets: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """Travel-time matrix (s), ``(len(sources), len(targets))``."""
        ...

    def route_statistics_batch(self, sources: ArrayLike, targets: ArrayLike) -> RouteBatch:
        """Time and statistics of the fastest routes of pairs ``(sources[i], targets[i])``."""
        ...


@dataclass(frozen=True, eq=False)
class GraphSearch:
    """:class:`Router` by Dijkstra searches on the graph itself."""

    graph: RoadGraph

    def travel_time(self, source: int, target: int) -> float:
        """Travel time (s) from ``source`` to ``target``; ``inf`` if unreachable."""
        return travel_time(self.graph, source, target)

    def shortest_path(self, source: int, target: int) -> Path:
        """Fastest path; raises :class:`~routing.UnreachableError` if there is none."""
        return shortest_path(self.graph, source, target)

    def travel_times_from(self, source: int, targets: ArrayLike) -> NDArray[np.float64]:
        """Travel times (s) from one node to each of ``targets``."""
        return travel_times_from(self.graph, source, targets)

    def travel_times_to(self, target: int, sources: ArrayLike) -> NDArray[np.float64]:
        """Travel times (s) from each of ``sources`` to one node."""
        return travel_times_to(self.graph, target, sources)

    def travel_time_matrix(
        self, sources: ArrayLike, targets: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """Travel-time matrix (s), ``(len(sources), len(targets))``."""
        return travel_time_matrix(self.graph, sources, targets)

    def route_statistics_batch(self, sources: ArrayLike, targets: ArrayLike) -> RouteBatch:
        """Time and statistics of the fastest routes of pairs ``(sources[i], targets[i])``."""
        return route_statistics_batch(self.graph, sources, targets)


def router(graph: RoadGraph) -> Router:
    """The graph's free-flow :class:`Router`, made once per graph object.

    From :data:`CONTRACTION_MIN_NODES` nodes on, its contraction hierarchy (read from
    :func:`routing.cache_dir`, or built and cached there on first use: tens of seconds on
    a 250,000-node map); below, :class:`GraphSearch`.
    """
    if graph.n_nodes < CONTRACTION_MIN_NODES:
        return GraphSearch(graph)
    with _LOCK:
        if "router" not in graph._memo:
            graph._memo["router"] = contraction_hierarchy(graph)
        hierarchy: Router = graph._memo["router"]
        return hierarchy
