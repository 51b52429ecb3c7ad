"""Per-route statistics that explain travel time beyond free flow (features of the ETA model)."""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _kernels
from .graph import RoadGraph
from .road_classes import ROAD_CLASSES
from .shortest_paths import Path, edge_weights

TURN_DEGREES = 45.0
U_TURN_DEGREES = 150.0


@dataclass(frozen=True)
class RouteStatistics:
    """Length per road class (metres, aligned with :data:`ROAD_CLASSES`), signals and turns.

    A turn is a change of heading of at least 45 degrees between consecutive edges
    (left or right by its sign); at least 150 degrees is a U-turn, counted apart.
    """

    length_by_class_m: NDArray[np.float64]
    n_signals: int
    n_left_turns: int
    n_right_turns: int
    n_u_turns: int

    @property
    def n_turns(self) -> int:
        """All turns, U-turns included."""
        return self.n_left_turns + self.n_right_turns + self.n_u_turns

    def as_dict(self) -> dict[str, float]:
        """Flat mapping, e.g. for a feature table: ``length_m_<class>``, ``n_signals``, ..."""
        out: dict[str, float] = {
            f"length_m_{name}": float(v)
            for name, v in zip(ROAD_CLASSES, self.length_by_class_m, strict=True)
        }
        out |= {
            "n_signals": self.n_signals,
            "n_turns": self.n_turns,
            "n_left_turns": self.n_left_turns,
            "n_right_turns": self.n_right_turns,
            "n_u_turns": self.n_u_turns,
        }
        return out


def heading_changes(graph: RoadGraph, edges: NDArray[np.int32]) -> NDArray[np.float64]:
    """Signed heading change (degrees, positive = right) at each node between consecutive edges."""
    if edges.size < 2:
        return np.empty(0)
    out_bearing = graph.bearing_start[edges[1:]].astype(np.float64)
    in_bearing = graph.bearing_end[edges[:-1]].astype(np.float64)
    return (out_bearing - in_bearing + 180.0) % 360.0 - 180.0


def route_statistics(graph: RoadGraph, route: Path | ArrayLike) -> RouteStatistics:
    """Statistics of a :class:`Path` or of a sequence of edge ids."""
    edges = route.edges if isinstance(route, Path) else np.asarray(route, dtype=np.int32)
    time = np.zeros(1)
    batch = routes_along(graph, time, edges, np.array([0, edges.size], dtype=np.int64))
    return RouteStatistics(
        length_by_class_m=batch.length_by_class_m[0],
        n_signals=int(batch.n_signals[0]),
        n_left_turns=int(batch.n_left_turns[0]),
        n_right_turns=int(batch.n_right_turns[0]),
        n_u_turns=int(batch.n_u_turns[0]),
    )


@dataclass(frozen=True)
class RouteBatch:
    """Fastest-route time and statistics of many pairs, as arrays in pair order.

    Unreachable pairs have ``travel_time_s = inf`` and zero statistics.
    """

    travel_time_s: NDArray[np.float64]
    length_m: NDArray[np.float64]
    length_by_class_m: NDArray[np.float64]
    n_signals: NDArray[np.float64]
    n_left_turns: NDArray[np.float64]
    n_right_turns: NDArray[np.float64]
    n_u_turns: NDArray[np.float64]


def route_statistics_batch(
    graph: RoadGraph,
    sources: ArrayLike,
    targets: ArrayLike,
    *,
    weights: ArrayLike | None = None,
) -> RouteBatch:
    """:func:`route_statistics` and travel time for pairs ``(sources[i], targets[i])``.

    One search per distinct source, stopping when its targets are settled; sources run
    in parallel. Features for 100,000 trips take seconds.
    """
    s = graph.check_nodes(sources, "source")
    t = graph.check_nodes(targets, "target")
    if s.size != t.size:
        msg = f"sources and targets must pair up, got {s.size} and {t.size}"
        raise ValueError(msg)
    order = np.argsort(s, kind="stable")
    unique, starts = np.unique(s[order], return_index=True)
    group_ptr = np.append(starts, s.size).astype(np.int64)
    n_chunks = max(min(unique.size, 4 * numba.get_num_threads()), 1)
    time, by_class, counts = _kernels.route_statistics_batch(
        graph.indptr,
        graph.indices,
        edge_weights(graph, weights),
        graph.length_m,
        graph.road_class,
        graph.signals,
        graph.bearing_start,
        graph.bearing_end,
        graph.edge_tail,
        unique.astype(np.int32),
        group_ptr,
        np.ascontiguousarray(t[order]),
        len(ROAD_CLASSES),
        TURN_DEGREES,
        U_TURN_DEGREES,
        n_chunks,
    )
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return RouteBatch(
        travel_time_s=time[inverse],
        length_m=counts[inverse, 0],
        length_by_class_m=by_class[inverse],
        n_signals=counts[inverse, 1],
        n_left_turns=counts[inverse, 2],
        n_right_turns=counts[inverse, 3],
        n_u_turns=counts[inverse, 4],
    )


def routes_along(
    graph: RoadGraph,
    travel_time_s: NDArray[np.float64],
    edges: NDArray[np.int32],
    route_ptr: NDArray[np.int64],
) -> RouteBatch:
    """:class:`RouteBatch` of routes given by their edges: route ``i`` takes
    ``travel_time_s[i]`` along ``edges[route_ptr[i]:route_ptr[i + 1]]`` (none if
    unreachable).

    Lengths are summed from each route's end, as :func:`route_statistics_batch` walks its
    routes back: the same route gives the same floats.
    """
    k, n_classes = travel_time_s.size, len(ROAD_CLASSES)
    route = np.repeat(np.arange(k), np.diff(route_ptr))
    back, length = route[::-1], graph.length_m[edges[::-1]]
    by_class = _per_route(back * n_classes + graph.road_class[edges[::-1]], k * n_classes, length)
    change = heading_changes(graph, edges)
    within = route[1:] == route[:-1]  # consecutive edges of one route meet at a node
    u_turn = within & (np.abs(change) >= U_TURN_DEGREES)
    turn = within & (np.abs(change) >= TURN_DEGREES) & ~u_turn
    at = route[1:]  # the route of each pair of consecutive edges
    return RouteBatch(
        travel_time_s=travel_time_s,
        length_m=_per_route(back, k, length),
        length_by_class_m=by_class.reshape(k, n_classes),
        n_signals=_per_route(route, k, graph.signals[edges]),
        n_left_turns=_per_route(at[turn & (change < 0)], k),
        n_right_turns=_per_route(at[turn & (change > 0)], k),
        n_u_turns=_per_route(at[u_turn], k),
    )


def _per_route(
    route: NDArray[np.int64], k: int, values: ArrayLike | None = None
) -> NDArray[np.float64]:
    """Sum of ``values`` (default: 1 each) per route, over ``k`` routes."""
    return np.bincount(route, weights=values, minlength=k).astype(np.float64)
