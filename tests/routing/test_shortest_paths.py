"""Public travel-time queries against networkx/scipy: real OSM graphs and random small graphs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import routing

from . import reference

RTOL = 1e-9


# --- the real OSM graphs --------------------------------------------------------------


@dataclass(frozen=True)
class OsmCase:
    """A real road graph with its networkx twin."""

    name: str
    graph: routing.RoadGraph
    G: nx.DiGraph


@pytest.fixture(scope="module", params=["baltimore", "monaco"])
def osm(request: pytest.FixtureRequest) -> OsmCase:
    """Each real road graph (Baltimore, Monaco) with its networkx twin."""
    graph = request.getfixturevalue(request.param)
    return OsmCase(request.param, graph, reference.graph_to_networkx(graph))


def _random_nodes(graph: routing.RoadGraph, size: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, graph.n_nodes, size)


def test_travel_time_matches_networkx_on_random_pairs(osm: OsmCase) -> None:
    """One-to-one travel times equal networkx Dijkstra on 200 random pairs."""
    sources = _random_nodes(osm.graph, 40, seed=1)
    targets = _random_nodes(osm.graph, 5, seed=2)
    for s in sources:
        expected = reference.distances_from(osm.G, s, osm.graph.n_nodes)[targets]
        got = [routing.travel_time(osm.graph, s, t) for t in targets]
        assert_allclose(got, expected, rtol=RTOL)


def test_shortest_path_is_a_contiguous_fastest_walk(osm: OsmCase) -> None:
    """Paths start at the source, end at the target, are contiguous, and sum to networkx's time."""
    g = osm.graph
    pairs = zip(_random_nodes(g, 150, seed=3), _random_nodes(g, 150, seed=4), strict=True)
    for s, t in pairs:
        path = routing.shortest_path(g, s, t)
        summed = reference.check_path(g.edge_tail, g.indices, g.travel_time_s, s, t, path.edges)
        expected = nx.dijkstra_path_length(osm.G, int(s), int(t))
        assert_allclose(path.travel_time_s, expected, rtol=RTOL)
        assert_allclose(summed, path.travel_time_s, rtol=RTOL)
        assert_array_equal(path.nodes, np.concatenate(([s], g.indices[path.edges])))
        assert_array_equal(path.lat, g.lat[path.nodes])
        assert_array_equal(path.lon, g.lon[path.nodes])
        assert_allclose(path.length_m, g.length_m[path.edges].sum(), rtol=RTOL)
        assert path.travel_time_s == routing.travel_time(g, s, t)


def test_travel_time_matrix_matches_networkx_on_a_sample(osm: OsmCase) -> None:
    """A 60 x 80 matrix equals networkx single-source Dijkstra, row by row."""
    sources = _random_nodes(osm.graph, 60, seed=5)
    targets = _random_nodes(osm.graph, 80, seed=6)
    matrix = routing.travel_time_matrix(osm.graph, sources, targets)
    expected = reference.distance_matrix(osm.G, sources, targets, osm.graph.n_nodes)
    assert matrix.shape == (60, 80)
    assert_allclose(matrix, expected, rtol=RTOL)


def test_full_travel_time_matrix_matches_scipy(osm: OsmCase) -> None:
    """The all-pairs matrix equals scipy's csgraph Dijkstra and is finite (one strong component)."""
    nodes = np.arange(osm.graph.n_nodes)
    matrix = routing.travel_time_matrix(osm.graph, nodes)
    assert_allclose(matrix, reference.scipy_matrix(osm.graph, nodes, nodes), rtol=RTOL)
    assert np.all(np.isfinite(matrix)), "the build keeps one strongly connected component"
    assert_array_equal(np.diag(matrix), 0.0)


def test_travel_times_from_matches_networkx(osm: OsmCase) -> None:
    """One-to-many equals networkx for all nodes, a small subset, and duplicated targets."""
    g = osm.graph
    every = np.arange(g.n_nodes)
    for s in _random_nodes(g, 8, seed=7):
        expected = reference.distances_from(osm.G, s, g.n_nodes)
        assert_allclose(routing.travel_times_from(g, s, every), expected, rtol=RTOL)
        few = np.concatenate((_random_nodes(g, 3, seed=int(s)), [s, s]))
        assert_allclose(routing.travel_times_from(g, s, few), expected[few], rtol=RTOL)


def test_shortest_path_tree_and_path_from_tree(osm: OsmCase) -> None:
    """The tree's distances equal networkx's and every path read from it costs that distance."""
    g = osm.graph
    for s in _random_nodes(g, 4, seed=8):
        dist, pred = routing.shortest_path_tree(g, s)
        assert_allclose(dist, reference.distances_from(osm.G, s, g.n_nodes), rtol=RTOL)
        assert pred[s] == -1
        for t in _random_nodes(g, 50, seed=int(s) + 1):
            edges = routing.path_from_tree(g, pred, s, t)
            summed = reference.check_path(g.edge_tail, g.indices, g.travel_time_s, s, t, edges)
            assert_allclose(summed, dist[t], rtol=RTOL)


def test_path_geometry_follows_the_road_polylines(osm: OsmCase) -> None:
    """A path's polyline runs from the source to the target through every edge's interior points."""
    g = osm.graph
    for s, t in zip(_random_nodes(g, 20, seed=9), _random_nodes(g, 20, seed=10), strict=True):
        path = routing.shortest_path(g, s, t)
        lat, lon = path.geometry(g)
        interior = int(sum(g.geom_indptr[e + 1] - g.geom_indptr[e] for e in path.edges))
        assert lat.size == lon.size == path.nodes.size + interior
        assert (lat[0], lon[0]) == (g.lat[s], g.lon[s])
        assert (lat[-1], lon[-1]) == (g.lat[t], g.lon[t])


def test_travel_times_to_matches_networkx(osm: OsmCase) -> None:
    """Many-to-one times (one search on the reversed graph) equal networkx on the reversed graph."""
    g = osm.graph
    reverse = osm.G.reverse(copy=False)
    every = np.arange(g.n_nodes)
    for t in _random_nodes(g, 8, seed=13):
        expected = reference.distances_from(reverse, t, g.n_nodes)
        assert_allclose(routing.travel_times_to(g, t, every), expected, rtol=RTOL)
        few = np.concatenate((_random_nodes(g, 3, seed=int(t)), [t, t]))
        assert_allclose(routing.travel_times_to(g, t, few), expected[few], rtol=RTOL)


def test_custom_weights_match_networkx(osm: OsmCase) -> None:
    """Every query honours caller-given per-edge weights (e.g. congested times) like networkx."""
    g = osm.graph
    weights = g.travel_time_s * np.random.default_rng(14).uniform(1.0, 3.0, g.n_edges)
    weights[::17] = 0.0
    G = osm.G.copy()
    for _, _, data in G.edges(data=True):
        data["weight"] = float(weights[data["id"]])
    sources, targets = _random_nodes(g, 12, seed=15), _random_nodes(g, 30, seed=16)
    expected = reference.distance_matrix(G, sources, targets, g.n_nodes)
    matrix = routing.travel_time_matrix(g, sources, targets, weights=weights)
    assert_allclose(matrix, expected, rtol=RTOL)
    reverse = G.reverse(copy=False)
    for i, s in enumerate(sources):
        assert_allclose(
            routing.travel_times_from(g, s, targets, weights=weights), expected[i], rtol=RTOL
        )
        dist, pred = routing.shortest_path_tree(g, s, weights=weights)
        assert_allclose(dist[targets], expected[i], rtol=RTOL)
        for j, t in enumerate(targets[:10]):
            assert_allclose(
                routing.travel_time(g, s, t, weights=weights), expected[i, j], rtol=RTOL
            )
            path = routing.shortest_path(g, s, t, weights=weights)
            summed = reference.check_path(g.edge_tail, g.indices, weights, s, t, path.edges)
            assert_allclose([path.travel_time_s, summed], expected[i, j], rtol=RTOL)
            tree_path = routing.path_from_tree(g, pred, s, t)
            tree_cost = reference.check_path(g.edge_tail, g.indices, weights, s, t, tree_path)
            assert_allclose(tree_cost, expected[i, j], rtol=RTOL)
    for j, t in enumerate(targets[:5]):
        column = reference.distances_from(reverse, t, g.n_nodes)[sources]
        assert_allclose(routing.travel_times_to(g, t, sources, weights=weights), column, rtol=RTOL)
        assert_allclose(column, expected[:, j], rtol=RTOL)
    # and the free-flow answers are unchanged afterwards (the workspaces hold no weights)
    free_flow = reference.distance_matrix(osm.G, sources, targets, g.n_nodes)
    assert_allclose(routing.travel_time_matrix(g, sources, targets), free_flow, rtol=RTOL)


def test_queries_from_several_threads_agree_with_serial(baltimore: routing.RoadGraph) -> None:
    """Concurrent one-to-one and one-to-many queries (per-thread workspaces) give serial results."""
    g = baltimore
    pairs = list(zip(_random_nodes(g, 200, seed=11), _random_nodes(g, 200, seed=12), strict=True))
    serial = [routing.travel_time(g, s, t) for s, t in pairs]
    serial_rows = [routing.travel_times_from(g, s, [t, s]) for s, t in pairs[:50]]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda p: routing.travel_time(g, *p), pairs))
        rows = list(
            pool.map(lambda p: routing.travel_times_from(g, p[0], [p[1], p[0]]), pairs[:50])
        )
    assert_array_equal(threaded, serial)
    assert_array_equal(rows, serial_rows)


# --- random small graphs (hypothesis) -------------------------------------------------


@dataclass(frozen=True)
class EdgeList:
    """A raw edge list (parallel edges, self-loops, zero weights allowed) and its compiled graph."""

    n: int
    tail: list[int]
    head: list[int]
    weights: list[float]
    graph: routing.RoadGraph

    def expected(self) -> np.ndarray:
        """All-pairs networkx distances of the raw edge list, in the compiled graph's numbering."""
        G = reference.multidigraph(self.n, self.tail, self.head, self.weights)
        original = reference.distance_matrix(G, range(self.n), range(self.n), self.n)
        ids = self.graph.node_id  # node i of the graph is node node_id[i] of the edge list
        return original[np.ix_(ids, ids)]


@st.composite
def edge_lists(draw: st.DrawFn) -> EdgeList:
    """Random graphs of 1-10 nodes, often disconnected, with zero-weight and parallel edges."""
    n = draw(st.integers(1, 10))
    m = draw(st.integers(0, 3 * n))
    node = st.integers(0, n - 1)
    tail = draw(st.lists(node, min_size=m, max_size=m))
    head = draw(st.lists(node, min_size=m, max_size=m))
    weight = st.one_of(st.sampled_from([0.0, 1.0, 2.0]), st.floats(0.0, 1e4, allow_subnormal=False))
    weights = draw(st.lists(weight, min_size=m, max_size=m))
    coordinate = st.floats(-0.01, 0.01)
    lat = draw(st.lists(coordinate, min_size=n, max_size=n))
    lon = draw(st.lists(coordinate, min_size=n, max_size=n))
    reorder = draw(st.booleans())
    graph = routing.RoadGraph.from_edges(lat, lon, tail, head, weights, reorder=reorder)
    return EdgeList(n, tail, head, weights, graph)


SMALL = settings(max_examples=80, deadline=None)


@SMALL
@given(edge_lists())
def test_random_graph_matrix_matches_networkx(case: EdgeList) -> None:
    """All-pairs matrix equals networkx on the raw edge list (inf where unreachable)."""
    nodes = np.arange(case.n)
    assert_allclose(routing.travel_time_matrix(case.graph, nodes), case.expected(), rtol=RTOL)


@SMALL
@given(edge_lists())
def test_random_graph_one_to_one_matches_networkx(case: EdgeList) -> None:
    """travel_time and shortest_path match networkx; unreachable: inf and UnreachableError."""
    g, expected = case.graph, case.expected()
    for s in range(case.n):
        for t in range(case.n):
            assert_allclose(routing.travel_time(g, s, t), expected[s, t], rtol=RTOL)
            if np.isinf(expected[s, t]):
                with pytest.raises(
                    routing.UnreachableError, match=f"no path from node {s} to node {t}"
                ):
                    routing.shortest_path(g, s, t)
                continue
            path = routing.shortest_path(g, s, t)
            summed = reference.check_path(g.edge_tail, g.indices, g.travel_time_s, s, t, path.edges)
            assert_allclose(path.travel_time_s, expected[s, t], rtol=RTOL)
            assert_allclose(summed, path.travel_time_s, rtol=RTOL)
            assert path.nodes.size == path.edges.size + 1


@SMALL
@given(edge_lists(), st.data())
def test_random_graph_travel_times_from_matches_networkx(
    case: EdgeList, data: st.DataObject
) -> None:
    """One-to-many equals networkx for arbitrary target lists, duplicates included."""
    expected = case.expected()
    targets = data.draw(st.lists(st.integers(0, case.n - 1), min_size=1, max_size=2 * case.n))
    for s in range(case.n):
        assert_allclose(
            routing.travel_times_from(case.graph, s, targets), expected[s, targets], rtol=RTOL
        )


@SMALL
@given(edge_lists())
def test_random_graph_tree_matches_networkx(case: EdgeList) -> None:
    """The shortest-path tree's distances equal networkx's; its paths cost those distances."""
    g, expected = case.graph, case.expected()
    for s in range(case.n):
        dist, pred = routing.shortest_path_tree(g, s)
        assert_allclose(dist, expected[s], rtol=RTOL)
        for t in range(case.n):
            if np.isinf(dist[t]):
                with pytest.raises(routing.UnreachableError):
                    routing.path_from_tree(g, pred, s, t)
                continue
            edges = routing.path_from_tree(g, pred, s, t)
            summed = reference.check_path(g.edge_tail, g.indices, g.travel_time_s, s, t, edges)
            assert_allclose(summed, dist[t], rtol=RTOL)


@SMALL
@given(edge_lists(), st.data())
def test_random_graph_travel_times_to_matches_networkx(case: EdgeList, data: st.DataObject) -> None:
    """Many-to-one equals networkx for arbitrary source lists, duplicates included."""
    expected = case.expected()
    sources = data.draw(st.lists(st.integers(0, case.n - 1), min_size=1, max_size=2 * case.n))
    for t in range(case.n):
        assert_allclose(
            routing.travel_times_to(case.graph, t, sources), expected[sources, t], rtol=RTOL
        )


@SMALL
@given(edge_lists(), st.data())
def test_random_graph_custom_weights_match_networkx(case: EdgeList, data: st.DataObject) -> None:
    """Random per-edge weights (zeros included) give networkx's distances in every query."""
    g = case.graph
    weight = st.one_of(st.just(0.0), st.floats(0.0, 100.0, allow_subnormal=False))
    weights = np.array(data.draw(st.lists(weight, min_size=g.n_edges, max_size=g.n_edges)))
    G = reference.multidigraph(g.n_nodes, g.edge_tail, g.indices, weights)
    nodes = np.arange(g.n_nodes)
    expected = reference.distance_matrix(G, nodes, nodes, g.n_nodes)
    assert_allclose(routing.travel_time_matrix(g, nodes, weights=weights), expected, rtol=RTOL)
    for s in nodes:
        assert_allclose(
            routing.travel_times_from(g, s, nodes, weights=weights), expected[s], rtol=RTOL
        )
        assert_allclose(
            routing.travel_times_to(g, s, nodes, weights=weights), expected[:, s], rtol=RTOL
        )
        assert_allclose(
            routing.shortest_path_tree(g, s, weights=weights)[0], expected[s], rtol=RTOL
        )
        for t in nodes:
            assert_allclose(
                routing.travel_time(g, s, t, weights=weights), expected[s, t], rtol=RTOL
            )
            if np.isfinite(expected[s, t]):
                path = routing.shortest_path(g, s, t, weights=weights)
                summed = reference.check_path(g.edge_tail, g.indices, weights, s, t, path.edges)
                assert_allclose([path.travel_time_s, summed], expected[s, t], rtol=RTOL)


# --- hand-made edge cases -------------------------------------------------------------


def _graph(n: int, edges: list[tuple[int, int, float]], reorder: bool = False) -> routing.RoadGraph:
    tail, head, weights = zip(*edges, strict=True) if edges else ((), (), ())
    lat = np.linspace(0.0, 0.01, n)
    return routing.RoadGraph.from_edges(lat, lat[::-1], tail, head, weights, reorder=reorder)


# Nodes 0-1-2 form one strongly connected piece, 3 -> 4 another; nothing links them.
TWO_PIECES = [(0, 1, 1.0), (1, 0, 1.0), (1, 2, 2.0), (2, 1, 2.0), (3, 4, 5.0)]


def test_unreachable_pairs() -> None:
    """Between disconnected pieces: inf times, UnreachableError naming both nodes, inf in matrix."""
    g = _graph(5, TWO_PIECES)
    assert routing.travel_time(g, 0, 4) == np.inf
    assert routing.travel_time(g, 4, 3) == np.inf
    with pytest.raises(routing.UnreachableError, match="no path from node 0 to node 4"):
        routing.shortest_path(g, 0, 4)
    assert_array_equal(routing.travel_times_from(g, 0, [2, 3, 4]), [3.0, np.inf, np.inf])
    expected = [[0.0, 3.0, np.inf], [np.inf, np.inf, 5.0]]
    assert_array_equal(routing.travel_time_matrix(g, [0, 3], [0, 2, 4]), expected)
    dist, pred = routing.shortest_path_tree(g, 0)
    assert_array_equal(dist, [0.0, 1.0, 3.0, np.inf, np.inf])
    assert_array_equal(pred[3:], -1)
    with pytest.raises(routing.UnreachableError, match="no path from node 0 to node 3"):
        routing.path_from_tree(g, pred, 0, 3)


def test_unreachable_error_is_a_routing_value_error() -> None:
    """UnreachableError can be caught as RoutingError and as ValueError."""
    g = _graph(5, TWO_PIECES)
    with pytest.raises(routing.RoutingError):
        routing.shortest_path(g, 2, 3)
    with pytest.raises(ValueError, match="no path"):
        routing.shortest_path(g, 2, 3)


def test_zero_weight_edges() -> None:
    """Zero-weight edges give zero travel times and paths over them."""
    g = _graph(4, [(0, 1, 0.0), (1, 2, 0.0), (2, 3, 0.0), (3, 0, 0.0), (0, 3, 9.0)])
    assert_array_equal(routing.travel_time_matrix(g, [0, 1, 2, 3]), np.zeros((4, 4)))
    path = routing.shortest_path(g, 0, 3)
    assert_array_equal(path.nodes, [0, 1, 2, 3])
    assert path.travel_time_s == 0.0


def test_parallel_edges_use_the_fastest() -> None:
    """Of two parallel edges the faster one carries the route."""
    g = _graph(2, [(0, 1, 9.0), (0, 1, 4.0), (1, 0, 1.0), (0, 1, 6.0)])
    assert routing.travel_time(g, 0, 1) == 4.0
    assert routing.shortest_path(g, 0, 1).travel_time_s == 4.0
    assert_array_equal(routing.travel_time_matrix(g, [0, 1]), [[0.0, 4.0], [1.0, 0.0]])


def test_duplicate_sources_and_targets_in_a_matrix() -> None:
    """Repeated sources and targets give repeated rows and columns."""
    g = _graph(5, TWO_PIECES)
    sources, targets = [1, 1, 0, 1], [2, 2, 0, 2, 4]
    matrix = routing.travel_time_matrix(g, sources, targets)
    single = routing.travel_time_matrix(g, [0, 1], [0, 2, 4])
    assert_array_equal(matrix, single[np.ix_([1, 1, 0, 1], [1, 1, 0, 1, 2])])


def test_matrix_targets_default_to_sources() -> None:
    """Without targets the matrix is square over the sources."""
    g = _graph(5, TWO_PIECES)
    assert_array_equal(
        routing.travel_time_matrix(g, [2, 0]), routing.travel_time_matrix(g, [2, 0], [2, 0])
    )


def test_source_equals_target() -> None:
    """From a node to itself: time 0, a one-node path without edges, a zero diagonal."""
    g = _graph(5, TWO_PIECES)
    for node in range(5):
        assert routing.travel_time(g, node, node) == 0.0
        path = routing.shortest_path(g, node, node)
        assert_array_equal(path.nodes, [node])
        assert path.edges.size == 0
        assert path.travel_time_s == 0.0 and path.length_m == 0.0
        assert_array_equal(routing.travel_times_from(g, node, [node]), [0.0])
        _, pred = routing.shortest_path_tree(g, node)
        assert routing.path_from_tree(g, pred, node, node).size == 0
    assert_array_equal(np.diag(routing.travel_time_matrix(g, np.arange(5))), 0.0)


@pytest.mark.parametrize("reorder", [True, False])
def test_single_node_graph(reorder: bool) -> None:
    """A one-node graph: travel time 0, matrix [[0]], a trivial path and tree."""
    g = routing.RoadGraph.from_edges([39.3], [-76.6], [], [], [], reorder=reorder)
    assert g.n_nodes == 1 and g.n_edges == 0
    assert routing.travel_time(g, 0, 0) == 0.0
    assert_array_equal(routing.travel_time_matrix(g, [0]), [[0.0]])
    assert_array_equal(routing.travel_times_from(g, 0, [0, 0]), [0.0, 0.0])
    assert_array_equal(routing.shortest_path(g, 0, 0).nodes, [0])
    dist, pred = routing.shortest_path_tree(g, 0)
    assert_array_equal(dist, [0.0])
    assert_array_equal(pred, [-1])


def test_empty_queries_give_empty_results() -> None:
    """No sources or no targets: empty arrays of the right shape, not errors."""
    g = _graph(5, TWO_PIECES)
    assert routing.travel_time_matrix(g, []).shape == (0, 0)
    assert routing.travel_time_matrix(g, [0, 1], []).shape == (2, 0)
    assert routing.travel_time_matrix(g, [], [0, 1]).shape == (0, 2)
    assert routing.travel_times_from(g, 0, []).shape == (0,)
    assert routing.travel_times_to(g, 0, []).shape == (0,)


def test_path_from_tree_rejects_a_source_that_is_not_the_root() -> None:
    """Reading a path from a tree rooted elsewhere raises instead of returning bogus edge ids."""
    g = _graph(3, [(0, 1, 1.0), (1, 0, 1.0), (1, 2, 1.0), (2, 1, 1.0)])
    _, pred = routing.shortest_path_tree(g, 0)
    # The tree is rooted at 0, so it holds no path from 2. Walking it back from 1 passes the
    # root (pred -1) and reads edge_tail[-1]; on other graphs that walk never ends.
    with pytest.raises(ValueError, match=r"\b2\b"):
        routing.path_from_tree(g, pred, 2, 1)


# Lists the numba kernels of every routing module with their number of compiled signatures.
_COMPILED_AFTER_WARM_UP = """
import importlib, json, pkgutil
from numba.core.dispatcher import Dispatcher
import routing
routing.warm_up()
kernels = {}
for info in pkgutil.iter_modules(routing.__path__):
    module = importlib.import_module(f"routing.{info.name}")
    for name, obj in vars(module).items():
        if isinstance(obj, Dispatcher) and obj.py_func.__module__ == module.__name__:
            kernels[f"{module.__name__}.{name}"] = len(obj.signatures)
print(json.dumps(kernels))
"""


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="no kernels to compile without the JIT")
def test_warm_up_compiles_every_kernel(tmp_path: Path) -> None:
    """After warm_up, in a fresh process with an empty numba cache, every kernel has compiled.

    A kernel that warm_up does not reach (directly or through another kernel) fails this.
    """
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-c", _COMPILED_AFTER_WARM_UP],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    kernels = json.loads(run.stdout)
    assert "routing._kernels.bidirectional" in kernels, "the kernels are found"
    assert [name for name, n in kernels.items() if n == 0] == []


# --- invalid node indices -------------------------------------------------------------

QUERIES = {
    "travel_time": lambda g, node: routing.travel_time(g, 0, node),
    "travel_time source": lambda g, node: routing.travel_time(g, node, 0),
    "shortest_path": lambda g, node: routing.shortest_path(g, node, 0),
    "travel_times_from targets": lambda g, node: routing.travel_times_from(g, 0, [1, node]),
    "travel_times_from source": lambda g, node: routing.travel_times_from(g, node, [1]),
    "travel_time_matrix sources": lambda g, node: routing.travel_time_matrix(g, [0, node]),
    "travel_time_matrix targets": lambda g, node: routing.travel_time_matrix(g, [0], [node]),
    "shortest_path_tree": lambda g, node: routing.shortest_path_tree(g, node),
    "path_from_tree": lambda g, node: routing.path_from_tree(g, np.full(5, -1, np.int32), 0, node),
    "travel_times_to target": lambda g, node: routing.travel_times_to(g, node, [1]),
    "travel_times_to sources": lambda g, node: routing.travel_times_to(g, 0, [1, node]),
}


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
@pytest.mark.parametrize("node", [5, 10**9])
def test_out_of_range_index_raises(query, node: int) -> None:  # type: ignore[no-untyped-def]
    """An index >= n_nodes raises NodeIndexError naming the index and the valid range."""
    g = _graph(5, TWO_PIECES)
    with pytest.raises(routing.NodeIndexError, match=rf"out of range \[0, 5\): {node}\b"):
        query(g, node)


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_negative_index_raises(query) -> None:  # type: ignore[no-untyped-def]
    """A negative index raises NodeIndexError (no wrap-around to the last node)."""
    g = _graph(5, TWO_PIECES)
    with pytest.raises(routing.NodeIndexError, match=r"out of range \[0, 5\): -1\b"):
        query(g, -1)


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
@pytest.mark.parametrize("node", [1.5, "2", None, np.nan])
def test_non_integer_index_raises(query, node: object) -> None:  # type: ignore[no-untyped-def]
    """A non-integer index raises NodeIndexError saying indices must be integers."""
    g = _graph(5, TWO_PIECES)
    with pytest.raises(routing.NodeIndexError, match="must be integers"):
        query(g, node)


def test_node_index_error_is_an_index_error() -> None:
    """NodeIndexError can be caught as RoutingError and as IndexError."""
    g = _graph(5, TWO_PIECES)
    with pytest.raises(IndexError):
        routing.travel_time(g, 0, 7)
    with pytest.raises(routing.RoutingError):
        routing.travel_time(g, 0, 7)


# --- invalid custom weights -----------------------------------------------------------

WEIGHTED = {
    "travel_time": lambda g, w: routing.travel_time(g, 0, 1, weights=w),
    "shortest_path": lambda g, w: routing.shortest_path(g, 0, 1, weights=w),
    "travel_times_from": lambda g, w: routing.travel_times_from(g, 0, [1], weights=w),
    "travel_times_to": lambda g, w: routing.travel_times_to(g, 1, [0], weights=w),
    "travel_time_matrix": lambda g, w: routing.travel_time_matrix(g, [0, 1], weights=w),
    "shortest_path_tree": lambda g, w: routing.shortest_path_tree(g, 0, weights=w),
}


@pytest.mark.parametrize("query", WEIGHTED.values(), ids=WEIGHTED.keys())
@pytest.mark.parametrize("size", [4, 6, 0])
def test_weights_of_the_wrong_length_raise(query, size: int) -> None:  # type: ignore[no-untyped-def]
    """Weights not one per edge raise InvalidWeightsError stating the expected shape."""
    g = _graph(5, TWO_PIECES)
    with pytest.raises(
        routing.InvalidWeightsError, match=rf"one value per edge, shape \(5,\), got \({size},\)"
    ):
        query(g, np.ones(size))


@pytest.mark.parametrize("query", WEIGHTED.values(), ids=WEIGHTED.keys())
@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_negative_or_non_finite_weights_raise(query, bad: float) -> None:  # type: ignore[no-untyped-def]
    """A negative, NaN or infinite weight raises InvalidWeightsError naming the edge and value."""
    g = _graph(5, TWO_PIECES)
    weights = np.ones(5)
    weights[3] = bad
    with pytest.raises(routing.InvalidWeightsError, match=rf"non-negative; edge 3 has {bad}"):
        query(g, weights)


def test_invalid_weights_error_is_a_routing_value_error() -> None:
    """InvalidWeightsError can be caught as RoutingError and as ValueError."""
    g = _graph(5, TWO_PIECES)
    with pytest.raises(routing.RoutingError):
        routing.travel_time(g, 0, 1, weights=[1.0])
    with pytest.raises(ValueError, match="per edge"):
        routing.travel_time(g, 0, 1, weights=[1.0])
