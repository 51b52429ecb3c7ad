"""Loading maps: OSM XML/bz2/pbf and GraphML inputs, bad inputs, speed tags, cache, determinism."""

from __future__ import annotations

import bz2
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import routing
from routing.graph import ARRAY_FIELDS

from . import reference

ARRAYS = ARRAY_FIELDS
RESIDENTIAL_DEFAULT_KPH = 35.0  # osmnx imputes this class default when no tag is usable

# Four corners of a ~170 x 170 m block in Baltimore, plus node 6, a traffic signal halfway
# along (and slightly off) the south side.
NODES = {
    1: (39.2900, -76.6100),
    2: (39.2900, -76.6080),
    3: (39.2915, -76.6080),
    4: (39.2915, -76.6100),
    6: (39.2901, -76.6090),
}
SIGNAL = {6: {"highway": "traffic_signals"}}
# Two-way residential streets joining every pair of corners: each corner has three
# neighbours, so osmnx keeps all four and merges only node 6 into the 1 <-> 2 edges.
BLOCK = [
    (10, [1, 6, 2], {"highway": "residential", "name": "South Street"}),
    (11, [2, 3], {"highway": "residential"}),
    (12, [3, 4], {"highway": "residential"}),
    (13, [4, 1], {"highway": "residential"}),
    (14, [1, 3], {"highway": "residential", "bridge": "yes", "layer": "1"}),
    (15, [2, 4], {"highway": "residential"}),
    (16, [4, 6], {"highway": "footway"}),
]


def write_osm(
    path: Path,
    ways: list[tuple[int, list[int], dict[str, str]]],
    nodes: dict[int, tuple[float, float]] = NODES,
    node_tags: dict[int, dict[str, str]] | None = None,
) -> Path:
    """Write a small OSM XML file."""
    node_tags = node_tags or {}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="tests">']
    for node_id, (lat, lon) in nodes.items():
        tags = node_tags.get(node_id, {})
        lines.append(f'  <node id="{node_id}" version="1" lat="{lat}" lon="{lon}">')
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </node>")
    for way_id, refs, tags in ways:
        lines.append(f'  <way id="{way_id}" version="1">')
        lines += [f'    <nd ref="{ref}"/>' for ref in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def block_osm(tmp_path: Path) -> Path:
    """The block network as OSM XML."""
    return write_osm(tmp_path / "block.osm", BLOCK, node_tags=SIGNAL)


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache directory of this test's own."""
    path = tmp_path / "cache"
    monkeypatch.setenv("ROUTING_CACHE_DIR", str(path))
    return path


def _assert_same_arrays(a: routing.RoadGraph, b: routing.RoadGraph) -> None:
    for name in ARRAYS:
        assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def _edge(graph: routing.RoadGraph, u: int, v: int) -> int:
    """Edge index from OSM node ``u`` to OSM node ``v``."""
    iu, iv = graph.index_of([u, v])
    (e,) = np.flatnonzero((graph.edge_tail == iu) & (graph.indices == iv))
    return int(e)


# --- inputs that load -----------------------------------------------------------------


def test_osm_xml_loads(block_osm: Path) -> None:
    """A small .osm file gives the drivable block: 4 corners, 12 edges, lengths, times, signals."""
    g = routing.load_graph(block_osm, use_cache=False)
    assert (g.n_nodes, g.n_edges) == (4, 12)
    assert sorted(g.node_id.tolist()) == [1, 2, 3, 4]
    matrix = routing.travel_time_matrix(g, range(4))
    assert np.all(np.isfinite(matrix)), "the block is strongly connected"
    lat = {k: v[0] for k, v in NODES.items()}
    lon = {k: v[1] for k, v in NODES.items()}
    south = _edge(g, 1, 2)
    expected = reference.haversine_m(lat[1], lon[1], lat[6], lon[6]) + reference.haversine_m(
        lat[6], lon[6], lat[2], lon[2]
    )
    assert_allclose(g.length_m[south], expected, rtol=2e-3)
    assert_allclose(
        g.length_m[_edge(g, 2, 3)], reference.haversine_m(lat[2], lon[2], lat[3], lon[3]), rtol=2e-3
    )
    # the south street keeps its curve through node 6 as geometry
    geom_lat, geom_lon = g.edge_geometry(south)
    assert_allclose(geom_lat, [lat[1], lat[6], lat[2]])
    assert_allclose(geom_lon, [lon[1], lon[6], lon[2]])
    assert_allclose(g.length_m / g.travel_time_s * 3.6, RESIDENTIAL_DEFAULT_KPH, rtol=1e-6)
    assert np.all(g.road_class == routing.ROAD_CLASSES.index("residential"))
    assert g.metadata["source"] == "block.osm"
    assert g.metadata["source_sha256"] == hashlib.sha256(block_osm.read_bytes()).hexdigest()


def test_traffic_signals_inside_merged_edges_are_counted(block_osm: Path) -> None:
    """A signal on a node merged away by simplification counts on both directions of its street."""
    g = routing.load_graph(block_osm, use_cache=False)
    assert g.signals[_edge(g, 1, 2)] == 1
    assert g.signals[_edge(g, 2, 1)] == 1
    assert int(g.signals.sum()) == 2


def test_osm_bz2_loads_the_same_graph(block_osm: Path) -> None:
    """A bz2-compressed .osm file gives the same graph as the plain XML."""
    compressed = block_osm.with_name("block.osm.bz2")
    compressed.write_bytes(bz2.compress(block_osm.read_bytes()))
    _assert_same_arrays(
        routing.load_graph(compressed, use_cache=False),
        routing.load_graph(block_osm, use_cache=False),
    )


def test_graphml_round_trip(tmp_path: Path) -> None:
    """An osmnx graph saved with save_graphml loads to the same graph as its OSM source."""
    import osmnx as ox

    drivable = [way for way in BLOCK if way[2]["highway"] != "footway"]
    xml = write_osm(tmp_path / "block.osm", drivable, node_tags=SIGNAL)
    graphml = tmp_path / "block.graphml"
    ox.save_graphml(ox.graph_from_xml(xml, simplify=False), graphml)
    from_graphml = routing.load_graph(graphml, use_cache=False)
    from_osm = routing.load_graph(xml, use_cache=False)
    _assert_same_arrays(from_graphml, from_osm)
    assert from_graphml.metadata["source"] == "block.graphml"


def test_simplified_graphml_loads(tmp_path: Path) -> None:
    """osmnx's default (simplified) GraphML loads with the same streets, lengths and times."""
    import osmnx as ox

    drivable = [way for way in BLOCK if way[2]["highway"] != "footway"]
    xml = write_osm(tmp_path / "block.osm", drivable)
    graphml = tmp_path / "block.graphml"
    ox.save_graphml(ox.graph_from_xml(xml), graphml)
    from_graphml = routing.load_graph(graphml, use_cache=False)
    from_osm = routing.load_graph(xml, use_cache=False)
    for name in ("node_id", "indptr", "indices", "road_class", "geom_indptr"):
        assert_array_equal(getattr(from_graphml, name), getattr(from_osm, name), err_msg=name)
    assert_allclose(from_graphml.length_m, from_osm.length_m, rtol=1e-6)
    assert_allclose(from_graphml.travel_time_s, from_osm.travel_time_s, rtol=1e-6)


def test_compiled_npz_loads_without_the_cache(
    tmp_path: Path, block_osm: Path, private_cache: Path
) -> None:
    """A .npz written by RoadGraph.save loads directly and is not copied into the cache."""
    g = routing.load_graph(block_osm, use_cache=False)
    path = g.save(tmp_path / "compiled.npz")
    _assert_same_arrays(routing.load_graph(path), g)
    assert not private_cache.exists() or not list(private_cache.iterdir())


def test_default_map_is_the_embedded_baltimore(baltimore: routing.RoadGraph) -> None:
    """load_graph() with no argument loads the embedded Baltimore extract, offline."""
    assert routing.default_map_path().is_file()
    g = routing.load_graph()
    embedded_sha = hashlib.sha256(routing.default_map_path().read_bytes()).hexdigest()
    assert g.metadata["source_sha256"] == embedded_sha
    if baltimore.metadata["source_sha256"] == embedded_sha:
        _assert_same_arrays(g, baltimore)
    assert g.n_nodes > 1000


# --- bad inputs -----------------------------------------------------------------------


def test_missing_file_raises(tmp_path: Path) -> None:
    """A path that does not exist raises GraphSourceError naming it."""
    with pytest.raises(routing.GraphSourceError, match=r"map file not found: .*nowhere\.osm\.pbf"):
        routing.load_graph(tmp_path / "nowhere.osm.pbf")


def test_directory_raises(tmp_path: Path) -> None:
    """A directory raises GraphSourceError saying a file was expected."""
    folder = tmp_path / "maps.osm"
    folder.mkdir()
    with pytest.raises(
        routing.GraphSourceError, match=r"is a directory, expected a file: .*maps\.osm"
    ):
        routing.load_graph(folder)


def test_truncated_pbf_raises(tmp_path: Path, baltimore_path: Path) -> None:
    """The first 1000 bytes of a .osm.pbf raise GraphSourceError: corrupt or truncated."""
    path = tmp_path / "cut.osm.pbf"
    path.write_bytes(baltimore_path.read_bytes()[:1000])
    with pytest.raises(
        routing.GraphSourceError, match=r"cannot read OSM file .*cut\.osm\.pbf.*truncated"
    ):
        routing.load_graph(path)


def test_empty_pbf_raises(tmp_path: Path) -> None:
    """An empty .osm.pbf raises GraphSourceError naming it."""
    path = tmp_path / "empty.osm.pbf"
    path.write_bytes(b"")
    with pytest.raises(routing.GraphSourceError, match=r"cannot read OSM file .*empty\.osm\.pbf"):
        routing.load_graph(path)


def test_corrupt_xml_raises(tmp_path: Path, block_osm: Path) -> None:
    """A cut-off .osm XML file raises GraphSourceError naming it."""
    path = tmp_path / "cut.osm"
    path.write_text(block_osm.read_text(encoding="utf-8")[:300], encoding="utf-8")
    with pytest.raises(routing.GraphSourceError, match=r"cannot read OSM file .*cut\.osm"):
        routing.load_graph(path)


def test_corrupt_bz2_raises(tmp_path: Path) -> None:
    """A .osm.bz2 that is not bzip2 data raises GraphSourceError naming it."""
    path = tmp_path / "bad.osm.bz2"
    path.write_bytes(b"this is not bzip2")
    with pytest.raises(routing.GraphSourceError, match=r"cannot read OSM file .*bad\.osm\.bz2"):
        routing.load_graph(path)


def test_file_without_drivable_roads_raises(tmp_path: Path) -> None:
    """An OSM file holding only a footway raises GraphSourceError: no drivable roads."""
    path = write_osm(tmp_path / "park.osm", [(20, [1, 2, 3], {"highway": "footway"})])
    with pytest.raises(routing.GraphSourceError, match=r"park\.osm contains no drivable roads"):
        routing.load_graph(path)


def test_file_without_a_cycle_raises(tmp_path: Path) -> None:
    """Only one-way streets that never lead back: GraphSourceError, no connected network."""
    oneway = {"highway": "residential", "oneway": "yes"}
    path = write_osm(tmp_path / "oneway.osm", [(30, [1, 2], oneway), (31, [2, 3], oneway)])
    with pytest.raises(routing.GraphSourceError, match=r"oneway\.osm has no two-way connected"):
        routing.load_graph(path)


@pytest.mark.parametrize("name", ["roads.txt", "roads.csv", "roads.shp", "roads"])
def test_unknown_file_type_raises(tmp_path: Path, name: str) -> None:
    """A file of an unknown type raises GraphSourceError naming it and the known types."""
    path = tmp_path / name
    path.write_text("1,2,3\n")
    with pytest.raises(
        routing.GraphSourceError, match=rf"unknown map file type '{name}': .*\.osm\.pbf"
    ):
        routing.load_graph(path)


def test_corrupt_graphml_raises(tmp_path: Path) -> None:
    """A .graphml that is not XML raises GraphSourceError naming it."""
    path = tmp_path / "broken.graphml"
    path.write_text("<graphml><graph")
    with pytest.raises(
        routing.GraphSourceError, match=r"cannot read GraphML file .*broken\.graphml"
    ):
        routing.load_graph(path)


def test_graphml_that_is_not_an_osmnx_graph_raises(tmp_path: Path) -> None:
    """A plain networkx GraphML (no crs, coordinates, lengths) raises GraphSourceError naming it."""
    import networkx as nx

    G = nx.MultiDiGraph()
    G.add_edge(1, 2)
    G.add_edge(2, 1)
    path = tmp_path / "plain.graphml"
    nx.write_graphml(G, path)
    with pytest.raises(routing.GraphSourceError, match=r"plain\.graphml"):
        routing.load_graph(path, use_cache=False)


def test_ring_shaped_network_loads(tmp_path: Path) -> None:
    """A map whose drivable network is one loop (no junction) still gives a routable graph."""
    ring = [
        (40, [1, 2], {"highway": "residential"}),
        (41, [2, 3], {"highway": "residential"}),
        (42, [3, 4, 1], {"highway": "residential"}),
    ]
    g = routing.load_graph(write_osm(tmp_path / "ring.osm", ring), use_cache=False)
    assert g.n_nodes >= 2
    assert np.all(np.isfinite(routing.travel_time_matrix(g, range(g.n_nodes))))


def test_graph_source_errors_are_value_errors(tmp_path: Path) -> None:
    """GraphSourceError can be caught as RoutingError and as ValueError."""
    with pytest.raises(routing.RoutingError):
        routing.load_graph(tmp_path / "missing.osm")
    with pytest.raises(ValueError, match="not found"):
        routing.load_graph(tmp_path / "missing.osm")


# --- speed tags -----------------------------------------------------------------------


def _speed_kph(graph: routing.RoadGraph, u: int, v: int) -> float:
    e = _edge(graph, u, v)
    return float(graph.length_m[e] / graph.travel_time_s[e] * 3.6)


def test_implausible_and_unparseable_maxspeeds_are_replaced(tmp_path: Path) -> None:
    """Residential "120 mph" and "fast" tags are counted and replaced by a plausible speed."""
    ways = [
        (50, [1, 2], {"highway": "residential", "oneway": "yes", "maxspeed": "120 mph"}),
        (51, [2, 3], {"highway": "residential", "oneway": "yes", "maxspeed": "fast"}),
        (52, [3, 4], {"highway": "residential"}),
        (53, [4, 1], {"highway": "residential"}),
        (54, [1, 3], {"highway": "residential"}),
        (55, [2, 4], {"highway": "residential"}),
    ]
    g = routing.load_graph(write_osm(tmp_path / "speeds.osm", ways), use_cache=False)
    assert g.metadata["speed_tags_corrected"] == {"implausible for road class": 1, "unparseable": 1}
    assert g.summary()["speed_tags_corrected"] == g.metadata["speed_tags_corrected"]
    untagged = _speed_kph(g, 3, 4)
    for u, v in [(1, 2), (2, 3)]:
        speed = _speed_kph(g, u, v)
        assert 5.0 <= speed <= 70.0, (
            f"{u}->{v} at {speed:.1f} km/h is not a plausible residential speed"
        )
        assert_allclose(speed, untagged, rtol=1e-6)
    assert_allclose(untagged, RESIDENTIAL_DEFAULT_KPH, rtol=1e-6)
    # 120 mph would be 193 km/h: the 1 -> 2 block would take about 3 s instead of about 17 s
    assert g.travel_time_s[_edge(g, 1, 2)] > 2 * g.length_m[_edge(g, 1, 2)] / (120 * 1.609344 / 3.6)


@pytest.mark.parametrize(
    ("tag", "kph"),
    [
        ("25 mph", 25 * 1.609344),
        ("50", 50.0),
        ("30;40", 35.0),
        ("40 km/h", 40.0),
        ("20 knots", 37.04),
    ],
)
def test_plausible_maxspeeds_are_used(tmp_path: Path, tag: str, kph: float) -> None:
    """Plausible maxspeed tags in mph, km/h, knots or "a;b" set the edge's speed, uncounted."""
    ways = [(60, [1, 2], {"highway": "residential", "maxspeed": tag})] + [
        (61 + i, refs, {"highway": "residential"})
        for i, refs in enumerate([[2, 3], [3, 4], [4, 1], [1, 3], [2, 4]])
    ]
    g = routing.load_graph(write_osm(tmp_path / "speeds.osm", ways), use_cache=False)
    assert g.metadata["speed_tags_corrected"] == {}
    assert_allclose(_speed_kph(g, 1, 2), kph, rtol=1e-4)
    assert_allclose(_speed_kph(g, 2, 1), kph, rtol=1e-4)


# --- the cache ------------------------------------------------------------------------


def _sentinel(path: Path) -> None:
    """Overwrite a cached graph with a recognisable two-node graph."""
    routing.RoadGraph.from_edges(
        [0.0, 0.001], [0.0, 0.0], [0, 1], [1, 0], [7.0, 7.0], metadata={"sentinel": True}
    ).save(path)


def test_cache_dir_follows_the_environment(private_cache: Path) -> None:
    """cache_dir() is $ROUTING_CACHE_DIR when set."""
    assert routing.cache_dir() == private_cache


def test_second_load_reads_the_cache(block_osm: Path, private_cache: Path) -> None:
    """The first load writes <content hash>.npz to the cache; the second reads it, not the map."""
    built: list[str] = []
    first = routing.load_graph(block_osm, progress=built.append)
    assert built, "the first load should build the graph"
    (cached,) = private_cache.glob("*.npz")
    assert cached.name.startswith(hashlib.sha256(block_osm.read_bytes()).hexdigest()[:32])
    again: list[str] = []
    second = routing.load_graph(block_osm, progress=again.append)
    assert again == [], f"the second load rebuilt the graph: {again}"
    _assert_same_arrays(first, second)
    _sentinel(cached)
    assert routing.load_graph(block_osm).metadata.get("sentinel") is True


def test_copied_file_hits_the_same_cache_entry(
    tmp_path: Path, block_osm: Path, private_cache: Path
) -> None:
    """A copy of a map under another name and folder is found in the cache by its content."""
    routing.load_graph(block_osm)
    (cached,) = private_cache.glob("*.npz")
    _sentinel(cached)
    copy = tmp_path / "elsewhere" / "renamed.osm"
    copy.parent.mkdir()
    shutil.copyfile(block_osm, copy)
    assert routing.load_graph(copy).metadata.get("sentinel") is True
    assert list(private_cache.glob("*.npz")) == [cached]


def test_changed_file_gets_a_new_cache_entry(block_osm: Path, private_cache: Path) -> None:
    """Editing the map changes its cache key, so a stale graph is never served."""
    first = routing.load_graph(block_osm)
    write_osm(block_osm, [*BLOCK[:-2], (17, [2, 4], {"highway": "tertiary"})], node_tags=SIGNAL)
    second = routing.load_graph(block_osm)
    assert len(list(private_cache.glob("*.npz"))) == 2
    assert routing.ROAD_CLASSES.index("tertiary") in second.road_class
    assert routing.ROAD_CLASSES.index("tertiary") not in first.road_class


def test_corrupt_cache_file_is_rebuilt(block_osm: Path, private_cache: Path) -> None:
    """An unreadable cache entry is rebuilt from the map and replaced by a good one."""
    first = routing.load_graph(block_osm)
    (cached,) = private_cache.glob("*.npz")
    cached.write_bytes(b"not a numpy archive at all")
    messages: list[str] = []
    rebuilt = routing.load_graph(block_osm, progress=messages.append)
    assert any("rebuilding" in m for m in messages), messages
    _assert_same_arrays(rebuilt, first)
    _assert_same_arrays(routing.RoadGraph.load(cached), first)


def test_use_cache_false_writes_nothing(block_osm: Path, private_cache: Path) -> None:
    """use_cache=False neither reads nor writes the cache."""
    routing.load_graph(block_osm, use_cache=False)
    assert not private_cache.exists() or not list(private_cache.iterdir())


def test_session_cache_holds_the_extracts(
    baltimore: routing.RoadGraph, graph_cache_dir: Path
) -> None:
    """The session fixtures build into the session's temp cache, never the user's."""
    assert routing.cache_dir() == graph_cache_dir
    key = baltimore.metadata["source_sha256"][:32]
    assert list(graph_cache_dir.glob(f"{key}-*.npz"))


# --- determinism ----------------------------------------------------------------------

_BUILD = "import sys, routing; routing.load_graph(sys.argv[1], use_cache=False).save(sys.argv[2])"


def test_build_is_identical_whatever_the_hash_seed(
    tmp_path: Path, monaco_path: Path, monaco: routing.RoadGraph
) -> None:
    """Monaco built in two processes with different PYTHONHASHSEED gives identical arrays."""
    outputs = [tmp_path / f"seed-{seed}.npz" for seed in ("0", "4242")]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _BUILD, str(monaco_path), str(out)],
            env={
                **os.environ,
                "PYTHONHASHSEED": out.stem.split("-")[1],
                "ROUTING_CACHE_DIR": str(tmp_path),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for out in outputs
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr.decode(errors="replace")
    first, second = (routing.RoadGraph.load(out) for out in outputs)
    _assert_same_arrays(first, second)
    _assert_same_arrays(first, monaco)
    assert first.metadata == second.metadata
