"""Build a :class:`RoadGraph` from an OSM file with numpy: the osmnx pipeline without osmnx.

The same steps and rules as :mod:`routing.build` (osmnx 2.1.1's ``graph_from_xml``,
``largest_component``, ``add_edge_speeds``, ``add_edge_travel_times`` and
``simplify_graph``), on arrays instead of a networkx graph, so that a metropolitan map
builds in seconds and little memory. Every edge of osmnx's unsimplified graph is a row:
its *insertion* index is the order osmnx adds it, its *key* the MultiDiGraph key, and
osmnx's adjacency order (which decides how paths are walked and floats summed) follows
from these. The result equals the osmnx pipeline's, float for float.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from ._simplify_kernels import simplify_paths
from .build import BUILD_VERSION, Progress, silent
from .exceptions import GraphSourceError
from .graph import RoadGraph
from .osm_file import DrivableWays, read_drivable_ways
from .road_classes import DEFAULT_SPEED_KPH, ROAD_CLASSES, canonical_class
from .speeds import sanitised_maxspeed

EARTH_RADIUS_M = 6_371_009  # osmnx.distance.EARTH_RADIUS_M
COORDINATE_PRECISION = 1e7  # osmium's fixed-point locations per degree
# osmnx's oneway tag values (graph._add_paths): all one-way, and one-way against the nodes.
ONEWAY_VALUES = frozenset({"yes", "true", "1", "-1", "reverse", "T", "F"})
REVERSED_VALUES = frozenset({"-1", "reverse", "T"})
SPEED_REASONS = ("unparseable", "implausible for road class")
# Class codes from fastest to slowest, as road_classes.fastest_class picks one.
_BY_SPEED = sorted(
    range(len(ROAD_CLASSES)), key=lambda c: (-DEFAULT_SPEED_KPH[ROAD_CLASSES[c]], ROAD_CLASSES[c])
)
_RANK = np.argsort(np.array(_BY_SPEED))


@dataclass
class _Edges:
    """Edges of osmnx's unsimplified graph in insertion order, with their attributes."""

    tail: NDArray[np.int64]
    head: NDArray[np.int64]
    key: NDArray[np.int64]
    way: NDArray[np.int64]


def graph_from_osm_file(path: Path, progress: Progress = silent) -> RoadGraph:
    """Compile the drivable network of an OSM file (.osm.pbf, .osm, .osm.bz2)."""
    progress("reading drivable ways")
    ways = read_drivable_ways(path)
    return graph_from_ways(ways, f"OSM file {path}", path.name, progress)


def graph_from_ways(
    ways: DrivableWays, file_label: str, source: str, progress: Progress = silent
) -> RoadGraph:
    """Compile drivable ways as the osmnx pipeline does (see the module docstring).

    ``file_label`` names the file in the error for no drivable way; ``source`` is the
    graph's ``source`` metadata.
    """
    progress("building network")
    piece_ptr, piece_way, piece_ref, piece_x, piece_y = _pieces(ways)
    if piece_way.size == 0:
        msg = f"{file_label} contains no drivable roads"
        raise GraphSourceError(msg)
    node_id, first = np.unique(piece_ref, return_index=True)
    lon = piece_x[first] / COORDINATE_PRECISION
    lat = piece_y[first] / COORDINATE_PRECISION
    node = np.searchsorted(node_id, piece_ref)
    edges = _edges(ways, piece_ptr, piece_way, node)
    if edges.tail.size == 0:
        msg = f"{source} contains no drivable roads"
        raise GraphSourceError(msg)
    progress("largest strongly connected component")
    keep, node_order = _largest_strong_component(node_id, edges)
    edges = _Edges(edges.tail[keep], edges.head[keep], edges.key[keep], edges.way[keep])
    if edges.tail.size == 0:
        msg = f"{source} has no two-way connected drivable network"
        raise GraphSourceError(msg)
    progress("speeds, travel times and topology")
    listed = _osmnx_edge_order(edges, node_order)
    road_class, speed, corrected = _way_speeds(ways)
    edge_class = road_class[edges.way]
    length = _great_circle(lat[edges.tail], lon[edges.tail], lat[edges.head], lon[edges.head])
    speed_kph = _impute_speeds(edge_class, speed[edges.way], listed)
    travel_time = (length / 1000) / (speed_kph / (60 * 60))
    signals = np.isin(node_id, ways.signals)[edges.head].astype(np.int64)
    return _simplified(
        edges,
        node_id,
        lat,
        lon,
        (length, travel_time, signals, edge_class),
        metadata={
            "source": source,
            "build_version": BUILD_VERSION,
            "speed_tags_corrected": _reason_counts(corrected[edges.way], listed),
        },
    )


def _pieces(
    ways: DrivableWays,
) -> tuple[
    NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]
]:
    """Ways split at missing nodes (runs of 2+ present nodes), minus repeated nodes.

    Returns the pieces' node ranges, their ways, and their nodes' ids and locations.
    """
    n_ways = ways.ptr.size - 1
    way_of = np.repeat(np.arange(n_ways), np.diff(ways.ptr))
    valid = ways.valid
    starts = np.zeros(valid.size, dtype=bool)
    starts[ways.ptr[:-1][ways.ptr[:-1] < ways.ptr[1:]]] = True
    run_start = valid & (starts | ~np.concatenate(([False], valid[:-1])))
    run = np.cumsum(run_start) - 1
    run_size = np.bincount(run[valid], minlength=int(run_start.sum()))
    in_piece = valid & (run_size[np.maximum(run, 0)] >= 2)
    if not in_piece.any():
        none = np.zeros(0, dtype=np.int64)
        return np.zeros(1, dtype=np.int64), none, none, none, none
    ref, x, y, piece = ways.ref[in_piece], ways.x[in_piece], ways.y[in_piece], run[in_piece]
    # osmnx drops consecutive repeats of a node within a way's node list
    new_piece = np.concatenate(([True], piece[1:] != piece[:-1]))
    kept = new_piece | np.concatenate(([True], ref[1:] != ref[:-1]))
    piece_first = np.flatnonzero(new_piece)
    piece_way = way_of[in_piece][piece_first]
    ref, x, y, piece = ref[kept], x[kept], y[kept], piece[kept]
    _, sizes = np.unique(piece, return_counts=True)
    ptr = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=ptr[1:])
    return ptr, piece_way, ref, x, y


def _edges(
    ways: DrivableWays,
    piece_ptr: NDArray[np.int64],
    piece_way: NDArray[np.int64],
    node: NDArray[np.int64],
) -> _Edges:
    """osmnx's ``_add_paths``: each piece's edges along it, then back if it is two-way."""
    one_way = np.array(
        [
            o in ONEWAY_VALUES or j == "roundabout"
            for o, j in zip(ways.oneway, ways.junction, strict=True)
        ],
        dtype=bool,
    )
    reverse = one_way & np.array([o in REVERSED_VALUES for o in ways.oneway], dtype=bool)
    steps = np.diff(piece_ptr) - 1
    piece_one_way = one_way[piece_way]
    piece_reverse = reverse[piece_way]
    count = np.where(piece_one_way, steps, 2 * steps)
    base = np.zeros(count.size, dtype=np.int64)
    np.cumsum(count[:-1], out=base[1:])
    m = int(count.sum())
    step_piece = np.repeat(np.arange(steps.size), steps)
    step_in_piece = np.arange(step_piece.size) - np.repeat(np.cumsum(steps) - steps, steps)
    a = node[piece_ptr[step_piece] + step_in_piece]
    b = node[piece_ptr[step_piece] + step_in_piece + 1]
    rev = piece_reverse[step_piece]
    forward_at = base[step_piece] + np.where(
        rev, steps[step_piece] - 1 - step_in_piece, step_in_piece
    )
    tail = np.empty(m, dtype=np.int64)
    head = np.empty(m, dtype=np.int64)
    way = np.empty(m, dtype=np.int64)
    tail[forward_at] = np.where(rev, b, a)
    head[forward_at] = np.where(rev, a, b)
    way[forward_at] = piece_way[step_piece]
    two_way = ~piece_one_way[step_piece]
    back_at = (base[step_piece] + steps[step_piece] + step_in_piece)[two_way]
    tail[back_at] = b[two_way]
    head[back_at] = a[two_way]
    way[back_at] = piece_way[step_piece][two_way]
    key, _ = _rank_among_parallel(tail, head)
    return _Edges(tail, head, key, way)


def _rank_among_parallel(
    tail: NDArray[np.int64], head: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per edge: how many edges with its (tail, head) come before it, and the first's index."""
    m = tail.size
    order = np.lexsort((head, tail))  # stable: given order within each (tail, head)
    starts = np.ones(m, dtype=bool)
    starts[1:] = (tail[order][1:] != tail[order][:-1]) | (head[order][1:] != head[order][:-1])
    start_at = np.maximum.accumulate(np.where(starts, np.arange(m), 0))
    rank = np.empty(m, dtype=np.int64)
    rank[order] = np.arange(m) - start_at
    first = np.empty(m, dtype=np.int64)
    first[order] = order[start_at]
    return rank, first


def _largest_strong_component(
    node_id: NDArray[np.int64], edges: _Edges
) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
    """osmnx's ``largest_component(strongly=True)``: the edges kept and the nodes' new order.

    networkx lists the nodes of a subgraph in the parent's order unless the subgraph has
    fewer than half its nodes, then in the order of a set; and ``max`` keeps the first of
    equally large components in networkx's order. Those two cases, rare on real maps, are
    left to networkx itself.
    """
    n = node_id.size
    matrix = csr_matrix(
        (np.ones(edges.tail.size, dtype=np.int8), (edges.tail, edges.head)), shape=(n, n)
    )
    count, label = connected_components(matrix, directed=True, connection="strong")
    if count == 1:
        return np.ones(edges.tail.size, dtype=bool), np.arange(n)
    size = np.bincount(label)
    largest = int(np.argmax(size))
    if np.count_nonzero(size == size[largest]) == 1 and 2 * size[largest] >= n:
        in_component = label == largest
        return in_component[edges.tail] & in_component[edges.head], np.flatnonzero(in_component)
    return _largest_strong_component_networkx(node_id, edges)


def _largest_strong_component_networkx(
    node_id: NDArray[np.int64], edges: _Edges
) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(node_id.tolist())
    graph.add_edges_from(
        zip(node_id[edges.tail].tolist(), node_id[edges.head].tolist(), strict=True)
    )
    component = max(nx.strongly_connected_components(graph), key=len)
    members = set(graph.nbunch_iter(component))
    listed = list(members) if 2 * len(members) < len(graph) else [v for v in graph if v in members]
    order = np.searchsorted(node_id, np.array(listed, dtype=np.int64))
    in_component = np.zeros(node_id.size, dtype=bool)
    in_component[order] = True
    return in_component[edges.tail] & in_component[edges.head], order


def _osmnx_edge_order(edges: _Edges, node_order: NDArray[np.int64]) -> NDArray[np.int64]:
    """The order networkx lists the edges: by tail, head in adjacency order, key."""
    position = np.empty(int(node_order.max()) + 1, dtype=np.int64)
    position[node_order] = np.arange(node_order.size)
    _, first = _rank_among_parallel(edges.tail, edges.head)
    return np.lexsort((edges.key, first, position[edges.tail]))


def _way_speeds(
    ways: DrivableWays,
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]:
    """Per way: road class code, sanitised maxspeed (NaN if none), reason code (-1 if none)."""
    n = len(ways.highway)
    road_class = np.empty(n, dtype=np.int64)
    speed = np.full(n, np.nan)
    reason = np.full(n, -1, dtype=np.int64)
    cache: dict[tuple[str, str], tuple[float, int]] = {}
    for w, (highway, raw) in enumerate(zip(ways.highway, ways.maxspeed, strict=True)):
        name = canonical_class(highway)
        road_class[w] = ROAD_CLASSES.index(name)
        if raw is None:
            continue
        if (raw, name) not in cache:
            value, why = sanitised_maxspeed(raw, name)
            cache[raw, name] = (
                np.nan if value is None else float(value),
                -1 if why is None else SPEED_REASONS.index(why),
            )
        speed[w], reason[w] = cache[raw, name]
    return road_class, speed, reason


def _great_circle(
    lat1: NDArray[np.float64],
    lon1: NDArray[np.float64],
    lat2: NDArray[np.float64],
    lon2: NDArray[np.float64],
) -> NDArray[np.float64]:
    """osmnx's ``add_edge_lengths``: haversine metres, from the same array layout."""
    c = np.empty((lat1.size, 4))
    c[:, 0], c[:, 1], c[:, 2], c[:, 3] = lat1, lon1, lat2, lon2
    y1 = np.deg2rad(c[:, 0])
    y2 = np.deg2rad(c[:, 2])
    delta_y = y2 - y1
    x1 = np.deg2rad(c[:, 1])
    x2 = np.deg2rad(c[:, 3])
    delta_x = x2 - x1
    h = np.sin(delta_y / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin(delta_x / 2) ** 2
    h = np.minimum(1, h)
    arc = 2 * np.arcsin(np.sqrt(h))
    dist: NDArray[np.float64] = arc * EARTH_RADIUS_M
    dist[np.isnan(dist)] = 0
    return dist


def _impute_speeds(
    edge_class: NDArray[np.int64], edge_speed: NDArray[np.float64], listed: NDArray[np.int64]
) -> NDArray[np.float64]:
    """osmnx's ``add_edge_speeds``: a class without speed gets its tagged edges' mean.

    The mean is pandas' (NaN as 0 in a pairwise sum over the class's edges in networkx's
    order, over the count of tagged edges); classes with no tagged edge get their default.
    """
    by_class = np.zeros(len(ROAD_CLASSES))
    listed_class, listed_speed = edge_class[listed], edge_speed[listed]
    for code in np.unique(edge_class):
        speeds = listed_speed[listed_class == code]
        tagged = ~np.isnan(speeds)
        if tagged.any():
            by_class[code] = np.where(tagged, speeds, 0.0).sum() / float(np.count_nonzero(tagged))
        else:
            by_class[code] = DEFAULT_SPEED_KPH[ROAD_CLASSES[code]]
    return np.where(np.isnan(edge_speed), by_class[edge_class], edge_speed)


def _reason_counts(reason: NDArray[np.int64], listed: NDArray[np.int64]) -> dict[str, int]:
    """Corrected maxspeed tags by reason, in the order networkx's edge list first meets them."""
    ordered = reason[listed]
    counts = {}
    for code in sorted(
        np.unique(ordered[ordered >= 0]), key=lambda c: int(np.argmax(ordered == c))
    ):
        counts[SPEED_REASONS[int(code)]] = int(np.count_nonzero(ordered == code))
    return counts


def _simplified(
    edges: _Edges,
    node_id: NDArray[np.int64],
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
    attributes: tuple[
        NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]
    ],
    metadata: dict[str, object],
) -> RoadGraph:
    """osmnx's ``simplify_graph(remove_rings=False)``, then ``_to_road_graph``'s arrays.

    Each path between endpoints becomes a new edge keyed after the pair's existing ones;
    the paths' interior nodes go, with their edges; edges are sorted by (tail, head, key).
    """
    length, travel_time, signals, edge_class = attributes
    n = node_id.size
    tail, head = edges.tail, edges.head
    first = np.flatnonzero(edges.key == 0)  # one per (tail, head), in insertion order
    by_tail = first[np.argsort(tail[first], kind="stable")]
    succ_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail[by_tail], minlength=n), out=succ_ptr[1:])
    try:
        path_ptr, path_nodes, p_length, p_time, p_signals, p_rank = simplify_paths(
            succ_ptr,
            head[by_tail],
            by_tail,
            _endpoints(tail, head, n),
            length,
            travel_time,
            signals,
            _RANK[edge_class],
        )
    except ValueError as exc:  # the kernel's "impossible simplify pattern", as osmnx's
        msg = f"{metadata['source']}: {exc}"
        raise GraphSourceError(msg) from exc
    interior = np.ones(path_nodes.size, dtype=bool)
    interior[path_ptr[:-1]] = False
    interior[path_ptr[1:] - 1] = False
    alive = np.zeros(n, dtype=bool)
    alive[tail] = True
    alive[path_nodes[interior]] = False
    new_tail, new_head = path_nodes[path_ptr[:-1]], path_nodes[path_ptr[1:] - 1]
    old = np.flatnonzero(alive[tail] & alive[head])
    new = np.flatnonzero(alive[new_tail] & alive[new_head])
    key = np.concatenate((edges.key[old], _new_keys(tail, head, new_tail, new_head)[new]))
    all_tail = np.concatenate((tail[old], new_tail[new]))
    all_head = np.concatenate((head[old], new_head[new]))
    order = np.lexsort((key, all_head, all_tail))
    points = np.concatenate((np.zeros(old.size, dtype=np.int64), np.diff(path_ptr)[new] - 2))
    first_point = np.concatenate((np.zeros(old.size, dtype=np.int64), path_ptr[new] + 1))
    geometry_ptr, inner = _interior_nodes(path_nodes, first_point[order], points[order])
    nodes = np.flatnonzero(alive)
    index = np.full(n, -1, dtype=np.int64)
    index[nodes] = np.arange(nodes.size)
    return RoadGraph.from_edges(
        lat[nodes],
        lon[nodes],
        index[all_tail[order]],
        index[all_head[order]],
        np.concatenate((travel_time[old], p_time[new]))[order],
        np.concatenate((length[old], p_length[new]))[order],
        road_class=np.concatenate((edge_class[old], np.array(_BY_SPEED)[p_rank[new]]))[order],
        signals=np.minimum(np.concatenate((signals[old], p_signals[new]))[order], 255),
        geometry_csr=(geometry_ptr, lat[inner], lon[inner]),
        node_id=node_id[nodes],
        metadata=metadata,
    )


def _new_keys(
    tail: NDArray[np.int64],
    head: NDArray[np.int64],
    new_tail: NDArray[np.int64],
    new_head: NDArray[np.int64],
) -> NDArray[np.int64]:
    """networkx's keys for edges added in order: after the pair's existing keys 0..k-1."""
    n = int(max(tail.max(), head.max())) + 1  # new edges join existing nodes
    existing = np.sort(tail * n + head)
    added = new_tail * n + new_head
    before, _ = _rank_among_parallel(new_tail, new_head)
    count = np.searchsorted(existing, added, side="right") - np.searchsorted(existing, added)
    return count + before


def _interior_nodes(
    path_nodes: NDArray[np.int64], first: NDArray[np.int64], count: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """CSR of ``count[e]`` path nodes from ``first[e]`` per edge: pointers and nodes."""
    ptr = np.zeros(count.size + 1, dtype=np.int64)
    np.cumsum(count, out=ptr[1:])
    offset = np.arange(int(ptr[-1])) - np.repeat(ptr[:-1], count)
    return ptr, path_nodes[np.repeat(first, count) + offset]


def _endpoints(tail: NDArray[np.int64], head: NDArray[np.int64], n: int) -> NDArray[np.bool_]:
    """osmnx's ``_is_endpoint`` with no node or edge attribute rules, for every node."""
    out_degree = np.bincount(tail, minlength=n)
    in_degree = np.bincount(head, minlength=n)
    self_loop = np.zeros(n, dtype=bool)
    self_loop[tail[tail == head]] = True
    pairs = np.sort(np.concatenate((tail * n + head, head * n + tail)))
    pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
    neighbours = np.bincount(pairs // n, minlength=n)
    degree = out_degree + in_degree
    through = (neighbours == 2) & ((degree == 2) | (degree == 4))
    endpoint: NDArray[np.bool_] = self_loop | (out_degree == 0) | (in_degree == 0) | ~through
    return endpoint
