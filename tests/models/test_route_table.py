"""The route table against route searches: every pair's features must be the same."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import routing
from models import RouteTable
from models.features import RouteTotals, node_pairs, route_features


@pytest.fixture(scope="module")
def table(baltimore: routing.RoadGraph) -> RouteTable:
    return RouteTable.build(baltimore, origins_per_search=500)


def test_every_pair_equals_its_route_search(
    baltimore: routing.RoadGraph, table: RouteTable
) -> None:
    n = baltimore.n_nodes
    origins = np.array([0, 1, n // 2, n - 1], dtype=np.int32)
    origin, dest = np.repeat(origins, n), np.tile(np.arange(n, dtype=np.int32), origins.size)
    searched, looked_up = RouteTotals.search(baltimore, origin, dest), table.lookup(origin, dest)
    for name in ("travel_time_s", "length_m", "group_length_m", "counts"):
        np.testing.assert_array_equal(getattr(looked_up, name), getattr(searched, name), name)
    assert table.travel_time_s.size == n * n
    assert table.travel_time_s[0] == 0.0  # a node to itself


def test_features_from_the_table_equal_features_from_searches(
    baltimore: routing.RoadGraph, table: RouteTable
) -> None:
    rng = np.random.default_rng(11)
    trips = node_pairs(
        baltimore,
        rng.integers(0, baltimore.n_nodes, 5000),
        rng.integers(0, baltimore.n_nodes, 5000),
    )
    trips.index = pd.RangeIndex(100, 5100)  # any index is kept
    pd.testing.assert_frame_equal(
        route_features(trips, baltimore, table), route_features(trips, baltimore)
    )


def test_lookup_refuses_nodes_outside_the_graph(
    baltimore: routing.RoadGraph, table: RouteTable
) -> None:
    with pytest.raises(routing.NodeIndexError, match="destination index out of range"):
        table.lookup([0], [baltimore.n_nodes])
    with pytest.raises(ValueError, match="must pair up"):
        table.lookup([0, 1], [2])


def test_size_is_48_bytes_a_pair(baltimore: routing.RoadGraph, table: RouteTable) -> None:
    held = sum(
        a.nbytes for a in (table.travel_time_s, table.length_m, table.group_length_m, table.counts)
    )
    assert RouteTable.size_bytes(baltimore) == held == baltimore.n_nodes**2 * 48
