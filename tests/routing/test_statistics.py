"""Route statistics (length by road class, signals, turns) on hand-built and real graphs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import routing

RESIDENTIAL = routing.ROAD_CLASSES.index("residential")
PRIMARY = routing.ROAD_CLASSES.index("primary")
TERTIARY = routing.ROAD_CLASSES.index("tertiary")

# A staircase near the equator (where degrees of lat and lon are equally long):
#
#        3 -> 4        north is up; 0 -> 1 -> 2 -> 3 -> 4 turns right, left, right,
#        ^             4 -> 3 turns back (U-turn), 1 -> 5 bends 30 degrees (no turn).
#   5    |
#    \   |
#     1 -> 2
#     ^
#     0
LAT = [0.0, 0.001, 0.001, 0.002, 0.002, 0.001 + 0.001 * np.cos(np.radians(30))]
LON = [0.0, 0.0, 0.001, 0.001, 0.002, 0.001 * np.sin(np.radians(30))]
#        tail, head, length, class, signals
EDGES = [
    (0, 1, 100.0, RESIDENTIAL, 1),
    (1, 2, 200.0, PRIMARY, 0),
    (2, 3, 50.0, RESIDENTIAL, 2),
    (3, 4, 70.0, TERTIARY, 0),
    (4, 3, 70.0, TERTIARY, 1),
    (1, 5, 30.0, RESIDENTIAL, 0),
]


@pytest.fixture(scope="module")
def stairs() -> routing.RoadGraph:
    """The staircase graph above, with node numbers kept."""
    tail, head, length, road_class, signals = zip(*EDGES, strict=True)
    return routing.RoadGraph.from_edges(
        LAT,
        LON,
        tail,
        head,
        np.asarray(length) / 10.0,
        length,
        road_class=road_class,
        signals=signals,
        reorder=False,
    )


def _route(graph: routing.RoadGraph, *nodes: int) -> np.ndarray:
    """Edge ids of the walk through ``nodes``."""
    return np.array(
        [
            np.flatnonzero((graph.edge_tail == u) & (graph.indices == v))[0]
            for u, v in itertools.pairwise(nodes)
        ],
        dtype=np.int32,
    )


def _by_class(**metres: float) -> np.ndarray:
    out = np.zeros(len(routing.ROAD_CLASSES))
    for name, value in metres.items():
        out[routing.ROAD_CLASSES.index(name)] = value
    return out


@pytest.mark.parametrize(
    ("nodes", "length", "signals", "left", "right", "u_turns"),
    [
        ((0, 1, 2, 3, 4), _by_class(residential=150, primary=200, tertiary=70), 3, 1, 2, 0),
        ((2, 3, 4, 3), _by_class(residential=50, tertiary=140), 3, 0, 1, 1),
        ((0, 1, 5), _by_class(residential=130), 1, 0, 0, 0),
        ((1, 2), _by_class(primary=200), 0, 0, 0, 0),
    ],
    ids=["right-left-right", "right then U-turn", "30-degree bend", "one edge"],
)
def test_staircase_routes(
    stairs: routing.RoadGraph,
    nodes: tuple[int, ...],
    length: np.ndarray,
    signals: int,
    left: int,
    right: int,
    u_turns: int,
) -> None:
    """Known routes give their length per class, signals, and left/right/U-turn counts."""
    stats = routing.route_statistics(stairs, _route(stairs, *nodes))
    assert_allclose(stats.length_by_class_m, length)
    assert stats.n_signals == signals
    assert (stats.n_left_turns, stats.n_right_turns, stats.n_u_turns) == (left, right, u_turns)
    assert stats.n_turns == left + right + u_turns


def test_path_and_edge_list_give_the_same_statistics(stairs: routing.RoadGraph) -> None:
    """route_statistics accepts a Path from shortest_path as well as edge ids."""
    path = routing.shortest_path(stairs, 0, 4)
    assert_array_equal(path.nodes, [0, 1, 2, 3, 4])
    from_path = routing.route_statistics(stairs, path)
    from_edges = routing.route_statistics(stairs, path.edges.tolist())
    assert from_path.as_dict() == from_edges.as_dict()
    assert from_path.n_right_turns == 2 and from_path.n_left_turns == 1


def test_empty_route(stairs: routing.RoadGraph) -> None:
    """A route without edges (source == target) has zero length, signals and turns."""
    stats = routing.route_statistics(stairs, routing.shortest_path(stairs, 3, 3))
    assert_array_equal(stats.length_by_class_m, np.zeros(len(routing.ROAD_CLASSES)))
    assert (stats.n_signals, stats.n_turns) == (0, 0)


def test_as_dict_is_a_flat_feature_row(stairs: routing.RoadGraph) -> None:
    """as_dict has one length column per road class plus the counts."""
    row = routing.route_statistics(stairs, _route(stairs, 0, 1, 2, 3, 4)).as_dict()
    assert set(row) == {f"length_m_{c}" for c in routing.ROAD_CLASSES} | {
        "n_signals",
        "n_turns",
        "n_left_turns",
        "n_right_turns",
        "n_u_turns",
    }
    assert row["length_m_primary"] == 200.0 and row["length_m_motorway"] == 0.0
    assert (row["n_signals"], row["n_turns"], row["n_left_turns"], row["n_right_turns"]) == (
        3,
        3,
        1,
        2,
    )


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        (0.0, None),
        (30.0, None),
        (-44.0, None),
        (44.0, None),
        (46.0, "right"),
        (-46.0, "left"),
        (90.0, "right"),
        (-90.0, "left"),
        (149.0, "right"),
        (-149.0, "left"),
        (151.0, "u"),
        (-151.0, "u"),
        (180.0, "u"),
    ],
)
def test_turn_thresholds(heading: float, kind: str | None) -> None:
    """Heading changes under 45 degrees are no turn, 45-150 left/right by sign, 150+ a U-turn."""
    rad = np.radians(heading)
    g = routing.RoadGraph.from_edges(
        [-0.001, 0.0, 0.001 * np.cos(rad)],
        [0.0, 0.0, 0.001 * np.sin(rad)],
        [0, 1],
        [1, 2],
        [1.0, 1.0],
        reorder=False,
    )
    stats = routing.route_statistics(g, [0, 1])
    counts = {"left": stats.n_left_turns, "right": stats.n_right_turns, "u": stats.n_u_turns}
    assert counts == {k: int(k == kind) for k in counts}


def test_turns_follow_the_road_geometry_not_the_chord() -> None:
    """A curved edge that leaves straight ahead is no turn, although its chord bends 45+ degrees."""
    # 0 -> 1 heads north; 1 -> 2 goes north first, then curves east to end north-east of 1.
    geometry = [([], []), ([0.0005], [0.0])]
    g = routing.RoadGraph.from_edges(
        [-0.001, 0.0, 0.0006],
        [0.0, 0.0, 0.001],
        [0, 1],
        [1, 2],
        [1.0, 1.0],
        geometry=geometry,
        reorder=False,
    )
    assert routing.route_statistics(g, [0, 1]).n_turns == 0


def test_signals_sum_over_merged_edges(stairs: routing.RoadGraph) -> None:
    """The signal count is the sum of the edges' signal counts, repeated edges counted again."""
    edges = _route(stairs, 2, 3, 4, 3, 4)
    assert routing.route_statistics(stairs, edges).n_signals == 2 + 0 + 1 + 0


@pytest.mark.parametrize("city", ["baltimore", "monaco"])
def test_statistics_are_consistent_on_real_routes(
    city: str, request: pytest.FixtureRequest
) -> None:
    """On real routes the class lengths sum to the path length and counts stay within bounds."""
    graph: routing.RoadGraph = request.getfixturevalue(city)
    rng = np.random.default_rng(0)
    turns = 0
    for s, t in rng.integers(0, graph.n_nodes, (40, 2)):
        path = routing.shortest_path(graph, s, t)
        stats = routing.route_statistics(graph, path)
        assert_allclose(stats.length_by_class_m.sum(), path.length_m, rtol=1e-9)
        assert stats.n_signals == int(graph.signals[path.edges].sum())
        assert 0 <= stats.n_turns <= max(path.edges.size - 1, 0)
        assert np.all(stats.length_by_class_m >= 0)
        turns += stats.n_turns
    assert turns > 0, "40 city routes without a single turn"


@pytest.mark.parametrize("graph_name", ["baltimore", "monaco"])
def test_batch_statistics_equal_per_path_statistics(
    graph_name: str, request: pytest.FixtureRequest
) -> None:
    """route_statistics_batch equals route_statistics on each pair's tree path, in pair order."""
    graph: routing.RoadGraph = request.getfixturevalue(graph_name)
    rng = np.random.default_rng(5)
    sources = rng.integers(0, graph.n_nodes, 120)
    sources[60:] = sources[:60]  # repeated sources share one search
    targets = rng.integers(0, graph.n_nodes, 120)
    batch = routing.route_statistics_batch(graph, sources, targets)
    for i, (s, t) in enumerate(zip(sources, targets, strict=True)):
        dist, pred = routing.shortest_path_tree(graph, int(s))
        one = routing.route_statistics(graph, routing.path_from_tree(graph, pred, int(s), int(t)))
        assert batch.travel_time_s[i] == pytest.approx(dist[t], rel=1e-12)
        np.testing.assert_allclose(batch.length_by_class_m[i], one.length_by_class_m, rtol=1e-12)
        assert batch.length_m[i] == pytest.approx(one.length_by_class_m.sum(), rel=1e-12)
        counts = (
            batch.n_signals[i],
            batch.n_left_turns[i],
            batch.n_right_turns[i],
            batch.n_u_turns[i],
        )
        assert counts == (one.n_signals, one.n_left_turns, one.n_right_turns, one.n_u_turns)


def test_batch_statistics_mark_unreachable_pairs() -> None:
    """An unreachable pair gets inf time and zero statistics; mismatched lengths are refused."""
    graph = routing.RoadGraph.from_edges(
        [0, 0, 0.01], [0, 0.01, 0.02], [0], [1], [5.0], [100.0], reorder=False
    )
    batch = routing.route_statistics_batch(graph, [0, 1], [1, 0])
    assert batch.travel_time_s[0] == 5.0
    assert batch.length_m[0] == 100.0
    assert np.isinf(batch.travel_time_s[1])
    assert batch.length_m[1] == 0.0
    with pytest.raises(ValueError, match="pair up"):
        routing.route_statistics_batch(graph, [0, 1], [1])
