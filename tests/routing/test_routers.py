"""The free-flow router: plain searches on city maps, the contraction hierarchy on large
ones, the same answers either way."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import routing

from . import reference

RTOL = 1e-9


def _grid(side: int, seed: int) -> routing.RoadGraph:
    """A ``side`` x ``side`` grid of two-way streets with random edge times, some one-way."""
    rng = np.random.default_rng(seed)
    node = np.arange(side * side).reshape(side, side)
    pairs = [
        (node[:, :-1].ravel(), node[:, 1:].ravel()),
        (node[:-1, :].ravel(), node[1:, :].ravel()),
    ]
    tails, heads = [], []
    for a, b in pairs:
        one_way = rng.random(a.size) < 0.1
        tails += [a, b[~one_way]]
        heads += [b, a[~one_way]]
    tail, head = np.concatenate(tails), np.concatenate(heads)
    lat, lon = np.divmod(np.arange(side * side), side)
    return routing.RoadGraph.from_edges(
        39.0 + lat * 1e-3,
        -76.0 + lon * 1e-3,
        tail,
        head,
        rng.uniform(5.0, 60.0, tail.size),
        reorder=False,
    )


def _assert_answers_equal_dijkstra(graph: routing.RoadGraph, router: routing.Router) -> None:
    rng = np.random.default_rng(3)
    sources, targets = rng.integers(0, graph.n_nodes, (2, 40))
    expected = routing.travel_time_matrix(graph, sources, targets)
    assert_allclose(router.travel_time_matrix(sources, targets), expected, rtol=RTOL)
    assert_allclose(router.travel_times_from(int(sources[0]), targets), expected[0], rtol=RTOL)
    assert_allclose(router.travel_times_to(int(targets[0]), sources), expected[:, 0], rtol=RTOL)
    for k in range(10):
        s, t = int(sources[k]), int(targets[k])
        assert router.travel_time(s, t) == pytest.approx(expected[k, k], rel=RTOL)
        if np.isfinite(expected[k, k]):
            path = router.shortest_path(s, t)
            summed = reference.check_path(
                graph.edge_tail, graph.indices, graph.travel_time_s, s, t, path.edges
            )
            assert summed == pytest.approx(expected[k, k], rel=RTOL)
    batch = router.route_statistics_batch(sources, targets)
    searched = routing.route_statistics_batch(graph, sources, targets)
    assert_allclose(batch.travel_time_s, searched.travel_time_s, rtol=RTOL)
    reachable = np.isfinite(searched.travel_time_s)
    assert_allclose(batch.length_m[reachable], searched.length_m[reachable], rtol=1e-6)


def test_city_maps_get_plain_searches(baltimore: routing.RoadGraph) -> None:
    """Below the threshold: Dijkstra searches on the graph, a new light object each time."""
    router = routing.router(baltimore)
    assert isinstance(router, routing.GraphSearch)
    _assert_answers_equal_dijkstra(baltimore, router)


def test_large_maps_get_their_hierarchy_once(graph_cache_dir: Path) -> None:
    """From the threshold on: the graph's contraction hierarchy, made once per graph (the
    same object on every call), cached on disk, with Dijkstra's answers."""
    side = int(np.ceil(np.sqrt(routing.CONTRACTION_MIN_NODES)))
    graph = _grid(side, seed=1)
    assert graph.n_nodes >= routing.CONTRACTION_MIN_NODES
    router = routing.router(graph)
    assert isinstance(router, routing.ContractionHierarchy)
    assert routing.router(graph) is router
    assert list(graph_cache_dir.glob("ch-*.npz"))
    _assert_answers_equal_dijkstra(graph, router)


def test_hierarchy_one_to_many_answers_unreachable_as_inf() -> None:
    """The hierarchy's one-to-many and many-to-one answers, on a graph with a node nothing
    reaches: ``inf`` there, Dijkstra's elsewhere."""
    graph = routing.RoadGraph.from_edges(
        [0.0, 0.001, 0.002], [0.0, 0.001, 0.002], [0, 1, 2], [1, 0, 0], [1.0, 2.0, 3.0]
    )
    hierarchy = routing.contraction_hierarchy(graph, use_cache=False)
    assert_array_equal(hierarchy.travel_times_from(0, [1, 2]), [1.0, np.inf])
    assert_array_equal(hierarchy.travel_times_to(0, [1, 2]), [2.0, 3.0])
