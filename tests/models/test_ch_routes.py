"""Route totals from a contraction hierarchy against route searches: the same totals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

import routing
from models import ContractionRouteTotals
from models.features import RouteTotals, node_pairs, route_features


@pytest.fixture(scope="module", params=["baltimore", "monaco"])
def source(request: pytest.FixtureRequest) -> ContractionRouteTotals:
    """The hierarchy source of the embedded map (Baltimore) and of a shared one (Monaco)."""
    graph: routing.RoadGraph = request.getfixturevalue(request.param)
    return ContractionRouteTotals.of(graph)


def assert_same_totals(got: RouteTotals, expected: RouteTotals) -> None:
    """The same floats: times summed from the origin, lengths from the destination, along
    the same routes, as the searches sum them."""
    for name in ("travel_time_s", "length_m", "group_length_m", "counts"):
        assert_array_equal(getattr(got, name), getattr(expected, name), name)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_pairs=st.integers(0, 300))
def test_random_pairs_equal_their_route_search(
    source: ContractionRouteTotals, seed: int, n_pairs: int
) -> None:
    """Random pairs (a node to itself included) get the totals of a Dijkstra search."""
    graph = source.hierarchy.graph
    rng = np.random.default_rng(seed)
    origin, dest = rng.integers(0, graph.n_nodes, (2, n_pairs))
    dest[: n_pairs // 10] = origin[: n_pairs // 10]
    assert_same_totals(source.lookup(origin, dest), RouteTotals.search(graph, origin, dest))


def test_features_from_the_hierarchy_equal_features_from_searches(
    baltimore: routing.RoadGraph,
) -> None:
    """The route features of 2,000 trips, by either source."""
    rng = np.random.default_rng(12)
    trips = node_pairs(
        baltimore,
        rng.integers(0, baltimore.n_nodes, 2000),
        rng.integers(0, baltimore.n_nodes, 2000),
    )
    trips.index = pd.RangeIndex(7, 2007)
    pd.testing.assert_frame_equal(
        route_features(trips, baltimore, ContractionRouteTotals.of(baltimore)),
        route_features(trips, baltimore),
        check_exact=True,
    )


def test_unreachable_pairs_have_infinite_time_and_zero_totals() -> None:
    """On a graph of one-way edges 0 -> 1 -> 2 and an isolated node 3."""
    coordinates = np.linspace(0.0, 0.01, 4)
    graph = routing.RoadGraph.from_edges(coordinates, coordinates, [0, 1], [1, 2], [5.0, 7.0])
    source = ContractionRouteTotals(routing.contraction_hierarchy(graph, use_cache=False))
    origin, dest = np.array([0, 2, 3, 1, 0]), np.array([2, 0, 0, 1, 3])
    got = source.lookup(origin, dest)
    assert_array_equal(got.travel_time_s, [12.0, np.inf, np.inf, 0.0, np.inf])
    assert_same_totals(got, RouteTotals.search(graph, origin, dest))
    assert not got.counts[1:].any()


def test_lookup_refuses_bad_pairs(baltimore: routing.RoadGraph) -> None:
    """Nodes outside the graph and unpaired arrays raise, in a route table's words."""
    source = ContractionRouteTotals.of(baltimore)
    with pytest.raises(routing.NodeIndexError, match="destination index out of range"):
        source.lookup([0], [baltimore.n_nodes])
    with pytest.raises(routing.NodeIndexError, match="origin index out of range"):
        source.lookup([-1], [0])
    with pytest.raises(ValueError, match="origins and destinations must pair up"):
        source.lookup([0, 1], [2])
