"""Contraction hierarchies against Dijkstra: the shared OSM maps and random directed graphs."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import routing
from routing import _ch_kernels
from routing.contraction import PAIRS_PER_BLOCK
from tests.shared_data import SHARED_DATA

from . import reference

RTOL = 1e-6


@pytest.fixture(scope="module")
def san_francisco(graph_cache_dir: Path) -> routing.RoadGraph:
    """Road graph of north San Francisco (skips when the shared data is missing)."""
    path = SHARED_DATA / "osm" / "san-francisco-north.osm.bz2"
    if not path.is_file():
        pytest.skip(f"shared map missing: {path}")
    return routing.load_graph(path)


@pytest.fixture(scope="module", params=["baltimore", "monaco", "san_francisco"])
def osm_graph(request: pytest.FixtureRequest) -> routing.RoadGraph:
    """Each shared real road graph."""
    graph: routing.RoadGraph = request.getfixturevalue(request.param)
    return graph


def _check_path(
    graph: routing.RoadGraph, weights: np.ndarray, path: routing.Path, s: int, t: int
) -> None:
    """A valid walk from ``s`` to ``t`` of the path's own travel time and length."""
    summed = reference.check_path(graph.edge_tail, graph.indices, weights, s, t, path.edges)
    assert_allclose(summed, path.travel_time_s, rtol=RTOL)
    assert_allclose(graph.length_m[path.edges].sum(), path.length_m, rtol=RTOL)
    assert_array_equal(path.nodes, np.concatenate(([s], graph.indices[path.edges])))


def test_matrix_and_pairs_equal_dijkstra_on_the_shared_maps(osm_graph: routing.RoadGraph) -> None:
    """Matrix, pair times, unpacked paths (length, road-class totals, signals) and the
    route statistics batch equal Dijkstra's on random pairs of each map."""
    g = osm_graph
    rng = np.random.default_rng(7)
    sources = rng.integers(0, g.n_nodes, 60)
    targets = rng.integers(0, g.n_nodes, 70)
    ch = routing.contraction_hierarchy(g)
    expected = routing.travel_time_matrix(g, sources, targets)
    got = ch.travel_time_matrix(sources, targets)
    assert_array_equal(np.isinf(got), np.isinf(expected))
    assert_allclose(got, expected, rtol=RTOL)
    for i, (s, t) in enumerate(zip(sources, targets, strict=False)):
        assert_allclose(ch.travel_time(s, t), expected[i, i], rtol=RTOL)
        if np.isfinite(expected[i, i]):
            path = ch.shortest_path(s, t)
            _check_path(g, g.travel_time_s, path, int(s), int(t))
            dijkstra = routing.shortest_path(g, s, t)
            assert_allclose(path.length_m, dijkstra.length_m, rtol=RTOL)
            ours, theirs = routing.route_statistics(g, path), routing.route_statistics(g, dijkstra)
            assert_allclose(ours.length_by_class_m, theirs.length_by_class_m, rtol=RTOL)
            assert ours.n_signals == theirs.n_signals
    pairs = (sources, targets[: sources.size])
    batch, searched = ch.route_statistics_batch(*pairs), routing.route_statistics_batch(g, *pairs)
    for name in ("travel_time_s", "length_m", "length_by_class_m"):
        assert_allclose(getattr(batch, name), getattr(searched, name), rtol=RTOL, err_msg=name)
    for name in ("n_signals", "n_left_turns", "n_right_turns", "n_u_turns"):
        assert_array_equal(getattr(batch, name), getattr(searched, name), err_msg=name)


def test_matrices_of_every_size_reuse_the_workspace(baltimore: routing.RoadGraph) -> None:
    """Large (parallel) and small (one thread) matrices in turn, in one reused workspace,
    equal Dijkstra's."""
    g = baltimore
    rng = np.random.default_rng(11)
    ch = routing.contraction_hierarchy(g)
    for k in (600, 5, 600, 40):
        sources, targets = rng.integers(0, g.n_nodes, (2, k))
        got = ch.travel_time_matrix(sources, targets)
        assert_allclose(got, routing.travel_time_matrix(g, sources, targets), rtol=RTOL)


def test_bucket_kernel_grows_its_buckets_and_resets_its_workspace(
    baltimore: routing.RoadGraph,
) -> None:
    """Buckets that overflow the guessed room are searched again with more; the workspace
    comes back as it was given (distances inf, predecessors and buckets -1)."""
    g = baltimore
    ch = routing.contraction_hierarchy(g)
    nodes = np.random.default_rng(5).integers(0, g.n_nodes, 80)
    n, m = g.n_nodes, ch.other.size
    search = _ch_kernels.new_workspace(n, m, 2)
    space_node, space_dist = np.empty((2, n), np.int32), np.empty((2, n))
    bucket_of, guess = np.full(n, -1, np.int32), np.array([1])
    got = _ch_kernels.many_to_many(
        ch.indptr,
        ch.mid,
        ch.other,
        ch.weight,
        ch.arc,
        ch.rank[nodes],
        ch.rank[nodes[::-1]],
        2,
        *search,
        space_node,
        space_dist,
        bucket_of,
        guess,
    )
    assert_allclose(got, routing.travel_time_matrix(g, nodes, nodes[::-1]), rtol=RTOL)
    assert guess[0] > 1
    assert np.isinf(search[0]).all()
    assert (search[1] == -1).all()
    assert (bucket_of == -1).all()


def test_route_statistics_of_many_blocks_equal_the_searches(
    baltimore: routing.RoadGraph,
) -> None:
    """More pairs than one block of unpacked routes holds: the same floats as the searches."""
    g = baltimore
    ch = routing.contraction_hierarchy(g)
    pairs = np.random.default_rng(17).integers(0, g.n_nodes, (2, PAIRS_PER_BLOCK + 100))
    got, expected = ch.route_statistics_batch(*pairs), routing.route_statistics_batch(g, *pairs)
    for f in dataclasses.fields(routing.RouteBatch):
        assert_array_equal(getattr(got, f.name), getattr(expected, f.name), err_msg=f.name)
    empty = ch.route_statistics_batch([], [])
    assert empty.travel_time_s.shape == (0,)
    assert empty.length_by_class_m.shape == (0, len(routing.ROAD_CLASSES))


def test_custom_weights_and_customization_equal_dijkstra(baltimore: routing.RoadGraph) -> None:
    """Hierarchies of other weights, built or customised from the free-flow order, are exact."""
    g = baltimore
    rng = np.random.default_rng(3)
    weights = g.travel_time_s * rng.uniform(0.5, 3.0, g.n_edges)
    nodes = rng.integers(0, g.n_nodes, 50)
    expected = routing.travel_time_matrix(g, nodes, weights=weights)
    free_flow = routing.contraction_hierarchy(g)
    for ch in (routing.contraction_hierarchy(g, weights), free_flow.customize(weights)):
        assert_allclose(ch.travel_time_matrix(nodes), expected, rtol=RTOL)
        path = ch.shortest_path(nodes[0], nodes[1])
        _check_path(g, weights, path, int(nodes[0]), int(nodes[1]))
        assert_allclose(path.travel_time_s, expected[0, 1], rtol=RTOL)
    assert_array_equal(free_flow.customize(weights).rank, free_flow.rank)


def test_hierarchy_is_cached_by_graph_and_weights(baltimore: routing.RoadGraph) -> None:
    """A second build reads the cache; other weights get another cache entry."""
    first = routing.contraction_hierarchy(baltimore)
    again = routing.contraction_hierarchy(baltimore)
    assert_array_equal(again.rank, first.rank)
    assert_array_equal(again.other, first.other)
    doubled = routing.contraction_hierarchy(baltimore, 2 * baltimore.travel_time_s)
    assert_allclose(doubled.travel_time(5, 900), 2 * first.travel_time(5, 900), rtol=RTOL)
    assert len(list(routing.cache_dir().glob("ch-*.npz"))) >= 2


def test_simultaneous_saves_leave_one_whole_file(
    baltimore: routing.RoadGraph, tmp_path: Path
) -> None:
    """Threads saving one hierarchy to one path at once (as ETA workers on a fresh cache
    do) all succeed, and the file reads back whole."""
    ch = routing.contraction_hierarchy(baltimore)
    path = tmp_path / "ch.npz"
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: ch.save(path), range(12)))
    loaded = routing.ContractionHierarchy.load(path, baltimore)
    assert_array_equal(loaded.other, ch.other)
    assert [p.name for p in tmp_path.iterdir()] == ["ch.npz"]


def test_invalid_input_is_rejected(baltimore: routing.RoadGraph) -> None:
    """Bad weights and node indices raise the package's errors."""
    with pytest.raises(routing.InvalidWeightsError):
        routing.contraction_hierarchy(baltimore, np.ones(3), use_cache=False)
    ch = routing.contraction_hierarchy(baltimore)
    with pytest.raises(routing.NodeIndexError):
        ch.travel_time(0, baltimore.n_nodes)
    with pytest.raises(routing.NodeIndexError):
        ch.travel_time_matrix([-1])


# --- random directed graphs -----------------------------------------------------------


@st.composite
def graphs(draw: st.DrawFn) -> tuple[routing.RoadGraph, np.ndarray]:
    """Random directed graphs of 1-25 nodes: one-way edges, parallel edges, self-loops,
    zero weights, disconnected parts; with a second set of random weights."""
    n = draw(st.integers(1, 25))
    m = draw(st.integers(0, 4 * n))
    node = st.integers(0, n - 1)
    tail = draw(st.lists(node, min_size=m, max_size=m))
    head = draw(st.lists(node, min_size=m, max_size=m))
    weight = st.one_of(st.sampled_from([0.0, 1.0, 2.0]), st.floats(0.0, 1e4, allow_subnormal=False))
    weights = draw(st.lists(weight, min_size=m, max_size=m))
    coordinates = np.linspace(0.0, 0.01, n)
    graph = routing.RoadGraph.from_edges(coordinates, coordinates, tail, head, weights)
    other = draw(st.lists(weight, min_size=graph.n_edges, max_size=graph.n_edges))
    return graph, np.array(other, dtype=np.float64)


@settings(max_examples=60, deadline=None)
@given(graphs())
def test_random_graphs_equal_dijkstra(case: tuple[routing.RoadGraph, np.ndarray]) -> None:
    """All pairs: matrix, pair queries and paths equal Dijkstra, under both weight sets."""
    g, other = case
    nodes = np.arange(g.n_nodes)
    free_flow = routing.contraction_hierarchy(g, use_cache=False)
    for weights, ch in (
        (g.travel_time_s, free_flow),
        (other, routing.contraction_hierarchy(g, other, use_cache=False)),
        (other, free_flow.customize(other, use_cache=False)),
    ):
        expected = routing.travel_time_matrix(g, nodes, weights=weights)
        got = ch.travel_time_matrix(nodes)
        assert_array_equal(np.isinf(got), np.isinf(expected))
        assert_allclose(got, expected, rtol=RTOL, atol=1e-9)
        for s in nodes:
            for t in nodes:
                cost = ch.travel_time(s, t)
                assert_allclose(cost, expected[s, t], rtol=RTOL, atol=1e-9)
                if np.isinf(cost):
                    with pytest.raises(routing.UnreachableError):
                        ch.shortest_path(s, t)
                else:
                    _check_path(g, weights, ch.shortest_path(s, t), int(s), int(t))


@settings(max_examples=40, deadline=None)
@given(graphs())
def test_route_statistics_follow_the_fastest_paths(
    case: tuple[routing.RoadGraph, np.ndarray],
) -> None:
    """All pairs: the batch's times equal Dijkstra's; with ties (frequent here) the route may
    differ from Dijkstra's, so its statistics are those of the hierarchy's own path."""
    g, _ = case
    ch = routing.contraction_hierarchy(g, use_cache=False)
    sources, targets = (
        np.repeat(np.arange(g.n_nodes), g.n_nodes),
        np.tile(np.arange(g.n_nodes), g.n_nodes),
    )
    got = ch.route_statistics_batch(sources, targets)
    expected = routing.route_statistics_batch(g, sources, targets)
    assert_array_equal(np.isinf(got.travel_time_s), np.isinf(expected.travel_time_s))
    assert_allclose(got.travel_time_s, expected.travel_time_s, rtol=RTOL, atol=1e-9)
    for i, (s, t) in enumerate(zip(sources, targets, strict=True)):
        if np.isinf(got.travel_time_s[i]):
            assert got.length_m[i] == got.n_signals[i] == got.n_u_turns[i] == 0
            continue
        path = ch.shortest_path(s, t)
        assert_allclose(got.length_m[i], path.length_m, rtol=RTOL)
        own = routing.route_statistics(g, path)
        assert_allclose(got.length_by_class_m[i], own.length_by_class_m, rtol=RTOL)
        assert got.n_signals[i] == own.n_signals
