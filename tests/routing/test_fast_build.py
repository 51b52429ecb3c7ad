"""The fast OSM build (routing.osm_build) against the osmnx pipeline (routing.build).

Both pipelines end in one call of ``RoadGraph.from_edges``; the tests record its arguments
and ask them to be equal, so self-loops and slower parallel edges, which ``from_edges``
drops, are compared too, with their order (the MultiDiGraph keys).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import routing
from routing.build import compile_network, network_from_osm_file
from routing.graph import RoadGraph
from routing.osm_build import graph_from_osm_file

from .test_loading import write_osm

SHARED_MAPS = ["monaco.osm.pbf", "baltimore.osm.pbf", "san-francisco-north.osm.bz2"]

# A 4 x 3 lattice of nodes about 100 m apart (ids 1..12, row by row), plus spare nodes.
NODES = {
    row * 4 + col + 1: (39.2900 + 0.0009 * row, -76.6100 + 0.0012 * col)
    for row in range(3)
    for col in range(4)
}
NODES |= {
    20: (39.2905, -76.6094),  # between 1 and 6
    21: (39.2895, -76.6094),  # south of the lattice, between 1 and 2
    22: (39.2896, -76.6082),
    30: (39.2930, -76.6100),  # a loop north of node 9
    31: (39.2935, -76.6090),
    32: (39.2925, -76.6055),  # a roundabout east of node 12
    33: (39.2922, -76.6050),
    1005: (39.2950, -76.6100),  # a street whose ids a set lists out of order: 1009, 1005, 1006
    1006: (39.2950, -76.6090),
    1009: (39.2950, -76.6080),
    **{1010 + k: (39.2955 + 0.0005 * k, -76.6080) for k in range(5)},
    40: (39.3100, -76.6300),  # a separate street far away
    41: (39.3105, -76.6300),
    42: (39.3110, -76.6300),
}
SIGNALS = {6: {"highway": "traffic_signals"}, 20: {"highway": "traffic_signals"}}
RESIDENTIAL = {"highway": "residential"}


def _ways(
    *extra: tuple[int, list[int], dict[str, str]],
) -> list[tuple[int, list[int], dict[str, str]]]:
    """Two-way residential streets along every row and column of the lattice, plus ``extra``."""
    rows = [(100 + r, [r * 4 + c + 1 for c in range(4)], RESIDENTIAL) for r in range(3)]
    cols = [(200 + c, [r * 4 + c + 1 for r in range(3)], RESIDENTIAL) for c in range(4)]
    return [*rows, *cols, *extra]


CASES: dict[str, list[tuple[int, list[int], dict[str, str]]]] = {
    "one-way streets": _ways(
        (1, [1, 20, 6], {"highway": "secondary", "oneway": "yes", "maxspeed": "40"}),
        (2, [6, 20, 1], {"highway": "tertiary", "oneway": "true"}),
        (3, [2, 21, 22, 3], {"highway": "primary", "oneway": "1", "lanes": "2"}),
    ),
    "reversed one-way streets": _ways(
        (1, [1, 20, 6], {"highway": "secondary", "oneway": "-1"}),
        (2, [2, 21, 22, 3], {"highway": "tertiary", "oneway": "reverse"}),
        (3, [5, 20, 2], {"highway": "unclassified", "oneway": "T"}),
        (4, [3, 22, 8], {"highway": "unclassified", "oneway": "F"}),
        (5, [7, 22, 4], {"highway": "unclassified", "oneway": "no"}),
    ),
    "self-loop and roundabout": _ways(
        (1, [9, 30, 31, 9], RESIDENTIAL),
        (2, [12, 32, 33, 12], {"highway": "tertiary", "junction": "roundabout"}),
    ),
    "junction-less ring": [
        (1, [1, 2, 3], RESIDENTIAL),
        (2, [3, 7, 6, 1], {"highway": "residential", "maxspeed": "30"}),
    ],
    "junction-less one-way ring": [
        (1, [1, 2, 3, 7, 6, 1], {"highway": "primary", "junction": "roundabout"}),
    ],
    "parallel ways": _ways(
        (1, [1, 2], {"highway": "primary", "maxspeed": "50"}),
        (2, [1, 2], {"highway": "residential", "maxspeed": "20"}),
        (3, [1, 22, 2], {"highway": "secondary"}),
        (4, [1, 22, 2], {"highway": "trunk", "oneway": "yes"}),
        (5, [2, 22, 1], {"highway": "residential", "oneway": "yes"}),
        (6, [6, 20, 1], RESIDENTIAL),  # two streets from 1 to 6 merged into parallel edges
        (7, [6, 21, 1], {"highway": "living_street"}),
    ),
    "missing and repeated nodes": _ways(
        (1, [1, 20, 99, 6], {"highway": "tertiary"}),
        (2, [2, 2, 21, 98, 97, 22, 22, 3], {"highway": "secondary"}),
        (3, [5, 96, 6, 95], {"highway": "tertiary"}),
        (4, [7, 7], RESIDENTIAL),
    ),
    "maxspeed lists": _ways(
        (1, [1, 20, 6], {"highway": "secondary", "maxspeed": "30;40"}),
        (2, [2, 21, 22, 3], {"highway": "primary", "maxspeed": "30|40"}),
        (3, [5, 20, 2], {"highway": "tertiary", "maxspeed": "25 mph;200"}),
        (4, [3, 22, 8], {"highway": "residential", "maxspeed": "signals"}),
        (5, [7, 22, 4], {"highway": "residential", "maxspeed": "20 knots"}),
        (6, [9, 30, 31, 12], {"highway": "motorway", "maxspeed": "100;110;120"}),
    ),
    "disconnected pieces dropped": _ways(
        (1, [40, 41, 42], {"highway": "primary"}),
        (2, [12, 30, 31], {"highway": "tertiary", "oneway": "yes"}),
        (3, [31, 9], {"highway": "service"}),
    ),
    "strong component smaller than half the nodes": [
        (1, [1005, 1006], {"highway": "residential", "maxspeed": "fast"}),
        (2, [1006, 1009], {"highway": "residential", "maxspeed": "500"}),
        (3, [1009, *range(1010, 1015)], {"highway": "primary", "oneway": "yes"}),
    ],
    "equally large strong components": [
        (1, [1, 2, 3], RESIDENTIAL),
        (2, [9, 10, 11], {"highway": "primary"}),
        (3, [3, 9], {"highway": "primary", "oneway": "yes"}),
    ],
}


def _from_edges_arguments(
    monkeypatch: pytest.MonkeyPatch, build: Any, path: Path
) -> dict[str, np.ndarray]:
    """Build the graph and return what the pipeline passed to ``RoadGraph.from_edges``."""
    calls: list[dict[str, Any]] = []
    original = RoadGraph.from_edges

    def recording(_: type[RoadGraph], *args: Any, **kwargs: Any) -> RoadGraph:
        names = ("lat", "lon", "tail", "head", "travel_time_s", "length_m")
        calls.append({**dict(zip(names, args, strict=False)), **kwargs})
        return original(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(RoadGraph, "from_edges", classmethod(recording))
        graph = build(path)
    (call,) = calls
    if call.get("geometry_csr") is None:
        geometry = call.pop("geometry")
        sizes = [len(lat) for lat, _ in geometry]
        call["geometry_csr"] = (
            np.concatenate(([0], np.cumsum(sizes, dtype=np.int64))),
            np.array([v for lat, _ in geometry for v in lat], dtype=np.float64),
            np.array([v for _, lon in geometry for v in lon], dtype=np.float64),
        )
    call.pop("geometry", None)
    ptr, lat, lon = call.pop("geometry_csr")
    arrays = {name: np.asarray(value) for name, value in call.items() if name != "metadata"}
    arrays |= {
        "geom_indptr": np.asarray(ptr),
        "geom_lat": np.asarray(lat),
        "geom_lon": np.asarray(lon),
    }
    arrays["graph_node_id"] = graph.node_id
    arrays["metadata"] = np.array(json.dumps(graph.metadata))  # in order, as saved
    return arrays


def _old(path: Path) -> RoadGraph:
    return compile_network(network_from_osm_file(path), path.name)


def _assert_builds_equal(
    monkeypatch: pytest.MonkeyPatch, path: Path
) -> dict[str, np.ndarray] | None:
    """Both builds pass equal arrays to ``from_edges`` (returned), or raise the same error."""
    try:
        slow = _from_edges_arguments(monkeypatch, _old, path)
    except routing.GraphSourceError as error:
        with pytest.raises(routing.GraphSourceError) as fast_error:
            graph_from_osm_file(path)
        assert str(fast_error.value) == str(error)
        return None
    fast = _from_edges_arguments(monkeypatch, graph_from_osm_file, path)
    assert sorted(fast) == sorted(slow)
    for name, expected in slow.items():
        assert fast[name].dtype.kind == expected.dtype.kind or expected.size == 0, name
        assert_array_equal(fast[name], expected, err_msg=name, strict=False)
    return slow


def test_embedded_map_builds_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded Baltimore map: the same nodes, edges, lengths and times, bit for bit."""
    _assert_builds_equal(monkeypatch, routing.default_map_path())


@pytest.mark.parametrize("name", SHARED_MAPS)
def test_shared_maps_build_the_same(
    monkeypatch: pytest.MonkeyPatch, shared_data: Path, name: str
) -> None:
    """The shared OSM extracts build to the same graph both ways."""
    path = shared_data / "osm" / name
    if not path.is_file():
        pytest.skip(f"shared map missing: {path}")
    _assert_builds_equal(monkeypatch, path)


@pytest.mark.parametrize("case", CASES)
def test_small_maps_build_the_same(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, case: str
) -> None:
    """Hand-made maps of one-way, ring, parallel, split and tagged ways build the same."""
    path = write_osm(tmp_path / "case.osm", CASES[case], NODES, SIGNALS)
    built = _assert_builds_equal(monkeypatch, path)
    assert built is not None
    assert built["tail"].size > 0


def _random_map(seed: int) -> tuple[dict[int, tuple[float, float]], list[Any], dict[int, Any]]:
    """Nodes, ways and signals of a small random map: repeated, missing and shared nodes,
    closed ways, every oneway value osmnx reads, roundabouts and maxspeed forms."""
    rng = random.Random(seed)
    nodes = {
        1000 + 37 * i + rng.randint(0, 30): (
            39.29 + rng.random() / 100,
            -76.61 + rng.random() / 100,
        )
        for i in range(rng.randint(4, 16))
    }
    ids = list(nodes)
    ways = []
    for w in range(rng.randint(1, 14)):
        refs: list[int] = []
        for _ in range(rng.randint(2, 6)):
            draw = rng.random()
            refs.append(
                99 if draw < 0.05 else refs[-1] if draw < 0.12 and refs else rng.choice(ids)
            )
        if rng.random() < 0.15:
            refs.append(refs[0])
        highway = rng.choice(["residential", "primary", "tertiary", "motorway", "weird", "footway"])
        tags = {"highway": highway}
        oneway = rng.choice([None, None, "yes", "-1", "reverse", "T", "F", "no", "1", "true"])
        maxspeed = rng.choice([None, None, "30", "50 mph", "30;40", "x", "200", "20|30"])
        tags |= {"oneway": oneway} if oneway else {}
        tags |= {"maxspeed": maxspeed} if maxspeed else {}
        tags |= {"junction": "roundabout"} if rng.random() < 0.1 else {}
        ways.append((10 * rng.randint(1, 500) + w, refs, tags))
    signals = {i: {"highway": "traffic_signals"} for i in ids if rng.random() < 0.2}
    return nodes, list({way[0]: way for way in ways}.values()), signals


@pytest.mark.parametrize("seed", range(20))
def test_random_small_maps_build_the_same(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seed: int
) -> None:
    """Random tangles of ways build the same, or fail with the same error."""
    nodes, ways, signals = _random_map(seed)
    _assert_builds_equal(monkeypatch, write_osm(tmp_path / "random.osm", ways, nodes, signals))


def test_small_maps_exercise_the_special_cases(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The cases hold what they are named for: a self-loop, parallel edges, a split way."""
    built = {
        case: _from_edges_arguments(
            monkeypatch, graph_from_osm_file, write_osm(tmp_path / "c.osm", ways, NODES, SIGNALS)
        )
        for case, ways in CASES.items()
    }
    loop = built["self-loop and roundabout"]
    assert np.count_nonzero(loop["tail"] == loop["head"]) == 3, "two ways round 9, one round 12"
    parallel = built["parallel ways"]
    pairs = list(zip(parallel["tail"].tolist(), parallel["head"].tolist(), strict=True))
    assert len(pairs) > len(set(pairs))
    ring = built["junction-less ring"]
    assert ring["tail"].size == 10, "no endpoint: every segment of the ring stays"
    dropped = built["disconnected pieces dropped"]
    assert not {40, 41, 42, 30, 31} & set(dropped["node_id"].tolist())
    split = built["missing and repeated nodes"]
    assert {1, 20, 6} <= set(split["node_id"].tolist())
    metadata = json.loads(str(built["maxspeed lists"]["metadata"]))
    # per edge: "30|40" on 3 two-way segments, "signals" on 2; "25 mph;200" on 2
    assert metadata["speed_tags_corrected"] == {"unparseable": 10, "implausible for road class": 4}


def test_files_without_a_network_raise_the_same(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No drivable way, or no strongly connected part: the same errors both ways."""
    footway = write_osm(tmp_path / "park.osm", [(1, [1, 2], {"highway": "footway"})], NODES)
    one_way = write_osm(
        tmp_path / "oneway.osm", [(1, [1, 2, 3], {"highway": "primary", "oneway": "yes"})], NODES
    )
    assert _assert_builds_equal(monkeypatch, footway) is None
    assert _assert_builds_equal(monkeypatch, one_way) is None
