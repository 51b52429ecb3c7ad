"""Compile every numba kernel ahead of the first real query (services call this at start-up)."""

from __future__ import annotations

import numpy as np

from .contraction import contraction_hierarchy
from .graph import RoadGraph
from .osm_build import graph_from_ways
from .osm_file import DrivableWays
from .shortest_paths import (
    path_from_tree,
    shortest_path,
    shortest_path_tree,
    travel_time_matrix,
    travel_times_from,
    travel_times_to,
)
from .statistics import route_statistics_batch


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel, on a street and a two-node graph."""
    graph_from_ways(_one_street(), "warm-up street", "warm-up")
    graph = RoadGraph.from_edges(
        [0.0, 0.001], [0.0, 0.001], [0, 1], [1, 0], [1.0, 1.0], reorder=False
    )
    shortest_path(graph, 0, 1)
    travel_times_from(graph, 0, [1])
    travel_times_to(graph, 1, [0])
    travel_time_matrix(graph, [0, 1])
    _, pred = shortest_path_tree(graph, 0)
    path_from_tree(graph, pred, 0, 1)
    route_statistics_batch(graph, [0, 1], [1, 0])
    hierarchy = contraction_hierarchy(graph, use_cache=False)
    hierarchy.shortest_path(0, 1)
    hierarchy.travel_time_matrix([0, 1])
    hierarchy.route_statistics_batch([0, 1], [1, 0])
    hierarchy.customize([2.0, 2.0], use_cache=False)


def _one_street() -> DrivableWays:
    """A two-way street of three nodes, whose middle node the build merges away."""
    x = np.array([0, 10_000, 20_000], dtype=np.int64)
    return DrivableWays(
        ptr=np.array([0, 3], dtype=np.int64),
        ref=np.array([1, 2, 3], dtype=np.int64),
        x=x,
        y=x,
        valid=np.ones(3, dtype=bool),
        highway=["residential"],
        oneway=[None],
        junction=[None],
        maxspeed=[None],
        signals=np.zeros(0, dtype=np.int64),
    )
