"""OpenStreetMap road graphs and fast free-flow travel times (numba shortest paths).

Data of the embedded map: (c) OpenStreetMap contributors, ODbL.
"""

from .contraction import ContractionHierarchy, contraction_hierarchy
from .exceptions import (
    GraphSourceError,
    InvalidWeightsError,
    NodeIndexError,
    RoutingError,
    SnapError,
    UnreachableError,
)
from .graph import RoadGraph
from .loading import build_graph, cache_dir, default_map_path, graph_from_place, load_graph
from .osm_file import PointOfInterest, is_osm_file, read_points_of_interest
from .road_classes import ROAD_CLASSES
from .routers import CONTRACTION_MIN_NODES, GraphSearch, Router, router
from .shortest_paths import (
    Path,
    edge_weights,
    path_from_tree,
    shortest_path,
    shortest_path_tree,
    travel_time,
    travel_time_matrix,
    travel_times_from,
    travel_times_to,
)
from .snapping import DEFAULT_MAX_SNAP_M, nearest_nodes
from .statistics import RouteBatch, RouteStatistics, route_statistics, route_statistics_batch
from .warmup import warm_up

__all__ = [
    "CONTRACTION_MIN_NODES",
    "DEFAULT_MAX_SNAP_M",
    "ROAD_CLASSES",
    "ContractionHierarchy",
    "GraphSearch",
    "GraphSourceError",
    "InvalidWeightsError",
    "NodeIndexError",
    "Path",
    "PointOfInterest",
    "RoadGraph",
    "RouteBatch",
    "RouteStatistics",
    "Router",
    "RoutingError",
    "SnapError",
    "UnreachableError",
    "build_graph",
    "cache_dir",
    "contraction_hierarchy",
    "default_map_path",
    "edge_weights",
    "graph_from_place",
    "is_osm_file",
    "load_graph",
    "nearest_nodes",
    "path_from_tree",
    "read_points_of_interest",
    "route_statistics",
    "route_statistics_batch",
    "router",
    "shortest_path",
    "shortest_path_tree",
    "travel_time",
    "travel_time_matrix",
    "travel_times_from",
    "travel_times_to",
    "warm_up",
]
