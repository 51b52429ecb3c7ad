"""Snapping coordinates to graph nodes, against brute-force haversine search."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import routing

from . import reference


@pytest.fixture(scope="module")
def grid() -> routing.RoadGraph:
    """A 3 x 3 grid of nodes 0.001 degrees apart near Baltimore, two-way edges to neighbours."""
    lat, lon = np.meshgrid(
        39.29 + 0.001 * np.arange(3), -76.61 + 0.001 * np.arange(3), indexing="ij"
    )
    tail, head = [], []
    for i in range(9):
        for j in (i + 1, i + 3):
            if j < 9 and (j == i + 3 or j % 3):
                tail += [i, j]
                head += [j, i]
    return routing.RoadGraph.from_edges(lat.ravel(), lon.ravel(), tail, head, np.ones(len(tail)))


def test_nodes_snap_to_themselves_on_a_grid(grid: routing.RoadGraph) -> None:
    """Each node's own coordinates snap to that node at distance 0."""
    nodes, distance = routing.nearest_nodes(grid, grid.lat, grid.lon, return_distance=True)
    assert_array_equal(nodes, np.arange(grid.n_nodes))
    assert_allclose(distance, 0.0, atol=1e-6)
    assert nodes.dtype == np.int32


def test_points_near_a_grid_node_snap_to_it(grid: routing.RoadGraph) -> None:
    """A point 20 m north of a node snaps to it, reporting about 20 m."""
    target = 4
    lat = grid.lat[target] + 20.0 / 111_195.0
    nodes, distance = routing.nearest_nodes(grid, [lat], [grid.lon[target]], return_distance=True)
    assert_array_equal(nodes, [target])
    assert_allclose(distance, [20.0], rtol=1e-3)


@pytest.mark.parametrize("city", ["baltimore", "monaco"])
def test_random_points_match_brute_force(city: str, request: pytest.FixtureRequest) -> None:
    """On real graphs the KD-tree finds the haversine-nearest node (up to ties) and its distance."""
    graph = request.getfixturevalue(city)
    rng = np.random.default_rng(0)
    lat = rng.uniform(graph.lat.min(), graph.lat.max(), 500)
    lon = rng.uniform(graph.lon.min(), graph.lon.max(), 500)
    nodes, distance = routing.nearest_nodes(
        graph, lat, lon, max_distance_m=np.inf, return_distance=True
    )
    _, best = reference.nearest_by_brute_force(graph, lat, lon)
    got = reference.haversine_m(lat, lon, graph.lat[nodes], graph.lon[nodes])
    # a locally flat projection may pick a different node only when both are equally near
    assert_allclose(got, best, rtol=1e-3, atol=0.05)
    assert_allclose(distance, got, rtol=5e-3, atol=0.05)


@pytest.mark.parametrize("city", ["baltimore", "monaco"])
def test_real_nodes_snap_to_themselves(city: str, request: pytest.FixtureRequest) -> None:
    """Every node of a real graph snaps to a node at exactly its own coordinates."""
    graph = request.getfixturevalue(city)
    nodes = routing.nearest_nodes(graph, graph.lat, graph.lon)
    assert_array_equal(graph.lat[nodes], graph.lat)
    assert_array_equal(graph.lon[nodes], graph.lon)


def test_scalar_and_empty_inputs(grid: routing.RoadGraph) -> None:
    """A scalar point gives a one-element array; no points give an empty array."""
    assert_array_equal(routing.nearest_nodes(grid, grid.lat[2], grid.lon[2]), [2])
    assert routing.nearest_nodes(grid, [], []).shape == (0,)


def test_far_point_raises_naming_its_index(grid: routing.RoadGraph) -> None:
    """A point beyond the snap limit raises SnapError naming its position and distance."""
    lat = [grid.lat[0], grid.lat[0] + 0.1, grid.lat[1]]
    lon = [grid.lon[0], grid.lon[0], grid.lon[1]]
    with pytest.raises(routing.SnapError, match=r"1 point\(s\) farther than 500 m .*#1 \(") as info:
        routing.nearest_nodes(grid, lat, lon)
    assert info.value.indices == [1]


def test_max_distance_is_honoured(grid: routing.RoadGraph) -> None:
    """A point 50 m away snaps under a 100 m limit and fails under a 10 m limit."""
    lat = grid.lat[0] - 50.0 / 111_195.0
    assert_array_equal(routing.nearest_nodes(grid, lat, grid.lon[0], max_distance_m=100), [0])
    with pytest.raises(routing.SnapError, match="farther than 10 m") as info:
        routing.nearest_nodes(
            grid, [grid.lat[0], lat], [grid.lon[0], grid.lon[0]], max_distance_m=10
        )
    assert info.value.indices == [1]


def test_many_far_points_are_counted(grid: routing.RoadGraph) -> None:
    """With many bad points the message shows five and counts the rest."""
    lat = np.full(8, 0.0)
    lon = np.full(8, 0.0)
    with pytest.raises(routing.SnapError, match=r"8 point.* and 3 more") as info:
        routing.nearest_nodes(grid, lat, lon)
    assert info.value.indices == list(range(8))


@pytest.mark.parametrize(
    ("lat", "lon", "bad"),
    [
        ([39.29, np.nan], [-76.61, -76.61], 1),
        ([39.29, 39.29, 39.29], [-76.61, -76.61, np.nan], 2),
        ([np.inf], [-76.61], 0),
    ],
)
def test_nan_coordinates_raise(
    grid: routing.RoadGraph, lat: list[float], lon: list[float], bad: int
) -> None:
    """NaN or infinite coordinates raise SnapError naming the point and saying NaN."""
    with pytest.raises(
        routing.SnapError, match=rf"invalid or missing \(NaN\) coordinates: #{bad} "
    ) as info:
        routing.nearest_nodes(grid, lat, lon)
    assert info.value.indices == [bad]


@pytest.mark.parametrize(
    ("lat", "lon"), [(91.0, -76.61), (-90.5, -76.61), (39.29, 180.5), (39.29, -200.0)]
)
def test_coordinates_outside_the_globe_raise(
    grid: routing.RoadGraph, lat: float, lon: float
) -> None:
    """Latitudes beyond +-90 or longitudes beyond +-180 raise SnapError naming the point."""
    with pytest.raises(routing.SnapError, match=r"invalid .* #0 ") as info:
        routing.nearest_nodes(grid, [lat], [lon])
    assert info.value.indices == [0]


def test_coordinates_outside_the_map_raise(baltimore: routing.RoadGraph) -> None:
    """Points far outside the Baltimore map (e.g. in Monaco) raise SnapError naming each index."""
    lat = [baltimore.lat[0], 43.7384, baltimore.lat[5], 43.74]
    lon = [baltimore.lon[0], 7.4246, baltimore.lon[5], 7.42]
    with pytest.raises(routing.SnapError, match=r"2 point\(s\) farther .*#1 .*#3 ") as info:
        routing.nearest_nodes(baltimore, lat, lon)
    assert info.value.indices == [1, 3]


def test_mismatched_shapes_raise(grid: routing.RoadGraph) -> None:
    """lat and lon of different lengths raise SnapError stating both shapes."""
    with pytest.raises(
        routing.SnapError, match=r"lat and lon must be 1-d .*equal length.*\(2,\) and \(3,\)"
    ):
        routing.nearest_nodes(grid, [39.29, 39.29], [-76.61, -76.61, -76.61])


def test_snap_error_is_a_routing_value_error(grid: routing.RoadGraph) -> None:
    """SnapError can be caught as RoutingError and as ValueError."""
    with pytest.raises(routing.RoutingError):
        routing.nearest_nodes(grid, [np.nan], [0.0])
    with pytest.raises(ValueError, match="NaN"):
        routing.nearest_nodes(grid, [np.nan], [0.0])
