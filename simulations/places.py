"""Where riders live and where they go: residential nodes and medical facilities of the map."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

import routing

MEDICAL_TAGS: dict[str, set[str]] = {
    "amenity": {"hospital", "clinic", "doctors", "dialysis"},
    "healthcare": {"hospital", "clinic", "doctor", "dialysis", "centre"},
}
_RESIDENTIAL = ("residential", "living_street", "unclassified", "tertiary")


@dataclass(frozen=True)
class Facility:
    """A destination of medical trips, snapped to the road graph."""

    node: int
    name: str
    kind: str
    is_fallback: bool


def residential_nodes(
    graph: routing.RoadGraph, facilities: Sequence[Facility] = ()
) -> NDArray[np.int32]:
    """Nodes where riders can live: tails of residential-type streets (all nodes if none),
    never a facility's node (a ride home from there would go nowhere)."""
    codes = [routing.ROAD_CLASSES.index(c) for c in _RESIDENTIAL]
    edges = np.flatnonzero(np.isin(graph.road_class, codes))
    nodes = np.unique(graph.edge_tail[edges])
    if not nodes.size:
        nodes = np.arange(graph.n_nodes, dtype=np.int32)
    homes = np.setdiff1d(nodes, [f.node for f in facilities])
    return homes if homes.size else nodes


def medical_facilities(
    graph: routing.RoadGraph, map_path: Path | None, minimum: int, rng: np.random.Generator
) -> list[Facility]:
    """Medical facilities tagged in the OSM extract, topped up with spread-out fallback nodes.

    Facilities farther than 500 m from the network, or snapping to the same node as
    another, are dropped. When fewer than ``minimum`` remain, fallback facilities are
    placed by farthest-point sampling so that destinations cover the map.
    """
    found: list[Facility] = []
    if map_path is not None and routing.is_osm_file(map_path):
        points = routing.read_points_of_interest(map_path, MEDICAL_TAGS)
        if points:
            nodes, dist = routing.nearest_nodes(
                graph,
                [p.lat for p in points],
                [p.lon for p in points],
                max_distance_m=np.inf,
                return_distance=True,
            )
            seen: set[int] = set()
            for point, node, d in zip(points, nodes, dist, strict=True):
                if d <= routing.DEFAULT_MAX_SNAP_M and int(node) not in seen:
                    seen.add(int(node))
                    found.append(Facility(int(node), point.name or point.value, point.value, False))
    missing = max(minimum - len(found), 0)
    taken = [f.node for f in found]
    for node in spread_nodes(graph, taken, missing, rng):
        found.append(Facility(node, f"fallback facility at node {node}", "clinic", True))
    return found


def spread_nodes(
    graph: routing.RoadGraph, taken: list[int], count: int, rng: np.random.Generator
) -> list[int]:
    """Farthest-point sampling of ``count`` nodes, away from ``taken`` and from each other."""
    if count == 0:
        return []
    xy = np.column_stack((graph.lat, graph.lon * np.cos(np.radians(graph.lat.mean()))))
    chosen = list(taken) or [int(rng.integers(graph.n_nodes))]
    nearest = np.min(np.linalg.norm(xy[:, None, :] - xy[None, chosen, :], axis=2), axis=1)
    picked: list[int] = [] if taken else chosen[:]
    while len(picked) < count:
        node = int(np.argmax(nearest))
        picked.append(node)
        nearest = np.minimum(nearest, np.linalg.norm(xy - xy[node], axis=1))
    return picked
