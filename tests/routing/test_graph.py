"""RoadGraph: compiling edge lists to CSR, node numbering, geometry, npz persistence, ids."""

from __future__ import annotations

import gc
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import routing
from routing.graph import ARRAY_FIELDS

ARRAYS = ARRAY_FIELDS
DTYPES = {
    "node_id": np.int64,
    "lat": np.float64,
    "indptr": np.int64,
    "indices": np.int32,
    "travel_time_s": np.float64,
    "length_m": np.float64,
    "road_class": np.uint8,
    "signals": np.uint8,
    "bearing_start": np.float32,
    "edge_tail": np.int32,
    "rev_indptr": np.int64,
    "rev_indices": np.int32,
    "rev_edge": np.int32,
    "geom_indptr": np.int64,
}

# A 2 x 3 block of nodes 0.001 degrees apart (row 0 south), listed in scrambled order.
LAT = [39.291, 39.290, 39.291, 39.290, 39.290, 39.291]
LON = [-76.610, -76.608, -76.608, -76.610, -76.609, -76.609]
TAIL = [3, 4, 1, 1, 2, 5, 0, 3, 0, 4, 5, 2]
HEAD = [4, 1, 2, 4, 5, 0, 3, 0, 5, 5, 2, 1]
TIME = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0]


def _edges(graph: routing.RoadGraph) -> dict[tuple[int, int], int]:
    """Map (tail node id, head node id) to edge index."""
    ids = graph.node_id
    return {
        (int(ids[graph.edge_tail[e]]), int(ids[graph.indices[e]])): e for e in range(graph.n_edges)
    }


def _check_csr(graph: routing.RoadGraph) -> None:
    """Assert the forward and reverse CSR arrays describe the same edges consistently."""
    n, m = graph.n_nodes, graph.n_edges
    assert graph.indptr[0] == 0 and graph.indptr[-1] == m
    assert np.all(np.diff(graph.indptr) >= 0)
    assert_array_equal(np.repeat(np.arange(n), np.diff(graph.indptr)), graph.edge_tail)
    assert_array_equal(np.sort(graph.rev_edge), np.arange(m), "rev_edge is not a permutation")
    assert graph.rev_indptr[0] == 0 and graph.rev_indptr[-1] == m
    heads = np.repeat(np.arange(n), np.diff(graph.rev_indptr))
    assert_array_equal(graph.indices[graph.rev_edge], heads)
    assert_array_equal(graph.edge_tail[graph.rev_edge], graph.rev_indices)
    assert np.all((graph.indices >= 0) & (graph.indices < n))


@pytest.mark.parametrize("reorder", [True, False])
def test_from_edges_compiles_the_edge_list(reorder: bool) -> None:
    """Every input edge appears once with its time, under either node numbering."""
    g = routing.RoadGraph.from_edges(LAT, LON, TAIL, HEAD, TIME, reorder=reorder)
    assert (g.n_nodes, g.n_edges) == (6, 12)
    _check_csr(g)
    edges = _edges(g)
    assert set(edges) == set(zip(TAIL, HEAD, strict=True))
    for u, v, t in zip(TAIL, HEAD, TIME, strict=True):
        assert g.travel_time_s[edges[u, v]] == t
    for name, dtype in DTYPES.items():
        assert getattr(g, name).dtype == dtype, name


@pytest.mark.parametrize("reorder", [True, False])
def test_node_id_maps_new_indices_to_input_nodes(reorder: bool) -> None:
    """node_id[i] is the input index of node i, and coordinates move with their node."""
    g = routing.RoadGraph.from_edges(LAT, LON, TAIL, HEAD, TIME, reorder=reorder)
    assert_array_equal(np.sort(g.node_id), np.arange(6))
    assert_array_equal(g.lat, np.asarray(LAT)[g.node_id])
    assert_array_equal(g.lon, np.asarray(LON)[g.node_id])
    if not reorder:
        assert_array_equal(g.node_id, np.arange(6))


def test_reorder_uses_given_node_ids() -> None:
    """Given node ids (e.g. OSM ids) follow their nodes through the renumbering."""
    osm_ids = np.array([901, 17, 5_000_000_000, 42, 7, 300])
    g = routing.RoadGraph.from_edges(LAT, LON, TAIL, HEAD, TIME, node_id=osm_ids)
    order = [int(np.flatnonzero(osm_ids == i)[0]) for i in g.node_id]
    assert_array_equal(g.lat, np.asarray(LAT)[order])
    edges = _edges(g)
    assert (int(osm_ids[3]), int(osm_ids[4])) in edges


def test_reorder_keeps_neighbours_close() -> None:
    """Along the new numbering consecutive grid nodes are much closer than in a shuffled order."""
    rng = np.random.default_rng(0)
    lat, lon = np.meshgrid(np.arange(32) * 1e-3, np.arange(32) * 1e-3, indexing="ij")
    shuffle = rng.permutation(lat.size)
    lat, lon = lat.ravel()[shuffle], lon.ravel()[shuffle]
    g = routing.RoadGraph.from_edges(lat, lon, [], [], [])
    step = np.hypot(np.diff(g.lat), np.diff(g.lon)).mean()
    shuffled = np.hypot(np.diff(lat), np.diff(lon)).mean()
    assert step < 0.2 * shuffled
    assert step < 2e-3


def test_parallel_edges_keep_the_fastest() -> None:
    """Of parallel edges only the fastest stays, with its own length, class and signals."""
    g = routing.RoadGraph.from_edges(
        [0.0, 0.001],
        [0.0, 0.0],
        [0, 0, 0, 1],
        [1, 1, 1, 0],
        [9.0, 3.0, 5.0, 2.0],
        [90.0, 30.0, 50.0, 20.0],
        road_class=[1, 2, 3, 4],
        signals=[0, 2, 1, 0],
        reorder=False,
    )
    assert g.n_edges == 2
    e = _edges(g)[0, 1]
    assert (g.travel_time_s[e], g.length_m[e], g.road_class[e], g.signals[e]) == (3.0, 30.0, 2, 2)


def test_parallel_edges_keep_the_geometry_of_the_fastest() -> None:
    """The kept parallel edge brings its own polyline, not its twin's."""
    g = routing.RoadGraph.from_edges(
        [0.0, 0.001],
        [0.0, 0.001],
        [0, 0],
        [1, 1],
        [5.0, 4.0],
        geometry=[([0.0005], [0.0]), ([0.0002, 0.0004], [0.0009, 0.0008])],
        reorder=False,
    )
    lat, lon = g.edge_geometry(0)
    assert_array_equal(lat, [0.0, 0.0002, 0.0004, 0.001])
    assert_array_equal(lon, [0.0, 0.0009, 0.0008, 0.001])


def test_self_loops_are_dropped() -> None:
    """Self-loops are removed; the other edges stay."""
    g = routing.RoadGraph.from_edges(
        [0.0, 0.001, 0.002], [0.0] * 3, [0, 1, 1, 2, 2], [0, 2, 1, 1, 2], [1.0] * 5, reorder=False
    )
    assert set(_edges(g)) == {(1, 2), (2, 1)}
    assert np.all(g.edge_tail != g.indices)


def test_edge_geometry_survives_renumbering() -> None:
    """Interior points stay attached to their edge, from tail to head, after reordering."""
    lat = [39.30, 39.29, 39.31, 39.28]
    lon = [-76.60, -76.62, -76.61, -76.59]
    geometry = [([39.295], [-76.61]), ([], []), ([39.305, 39.306], [-76.605, -76.606])]
    g = routing.RoadGraph.from_edges(
        lat, lon, [0, 1, 0], [1, 0, 2], [1.0, 1.0, 1.0], geometry=geometry
    )
    edges = _edges(g)
    e_lat, e_lon = g.edge_geometry(edges[0, 2])
    assert_array_equal(e_lat, [39.30, 39.305, 39.306, 39.31])
    assert_array_equal(e_lon, [-76.60, -76.605, -76.606, -76.61])
    assert_array_equal(g.edge_geometry(edges[1, 0])[0], [39.29, 39.30])
    assert_array_equal(g.edge_geometry(edges[0, 1])[0], [39.30, 39.295, 39.29])


@pytest.mark.parametrize(
    ("d_lat", "d_lon", "bearing"),
    [(0.001, 0.0, 0.0), (0.0, 0.001, 90.0), (-0.001, 0.0, 180.0), (0.0, -0.001, 270.0)],
)
def test_bearings_point_along_the_edge(d_lat: float, d_lon: float, bearing: float) -> None:
    """A straight edge's start and end bearings are its compass direction (0 = north)."""
    g = routing.RoadGraph.from_edges([0.0, d_lat], [0.0, d_lon], [0], [1], [1.0], reorder=False)
    assert_allclose(g.bearing_start, [bearing], atol=1e-3)
    assert_allclose(g.bearing_end, [bearing], atol=1e-3)


def test_bearings_follow_the_curve() -> None:
    """An edge that leaves north and arrives heading east gets bearings 0 and 90."""
    geometry = [([0.001], [0.0])]
    g = routing.RoadGraph.from_edges(
        [0.0, 0.001], [0.0, 0.001], [0], [1], [1.0], geometry=geometry, reorder=False
    )
    assert_allclose(g.bearing_start, [0.0], atol=1e-3)
    assert_allclose(g.bearing_end, [90.0], atol=1e-3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lat": [], "lon": [], "tail": [], "head": [], "travel_time_s": []}, "at least one node"),
        ({"tail": [0, 1], "head": [1], "travel_time_s": [1.0, 1.0]}, "same length"),
        ({"tail": [0], "head": [2], "travel_time_s": [1.0]}, r"node indices in \[0, 2\)"),
        ({"tail": [-1], "head": [1], "travel_time_s": [1.0]}, r"node indices in \[0, 2\)"),
        ({"travel_time_s": [-1.0]}, "finite and non-negative"),
        ({"travel_time_s": [np.nan]}, "finite and non-negative"),
        ({"travel_time_s": [np.inf]}, "finite and non-negative"),
        ({"lon": [0.0, 0.0, 0.0]}, "lat.*lon"),
    ],
    ids=[
        "no nodes",
        "lengths differ",
        "endpoint too large",
        "negative endpoint",
        "negative time",
        "NaN time",
        "infinite time",
        "lat and lon lengths differ",
    ],
)
def test_from_edges_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    """Invalid edge lists raise GraphSourceError naming the problem."""
    arguments: dict[str, object] = {
        "lat": [0.0, 0.001],
        "lon": [0.0, 0.001],
        "tail": [0],
        "head": [1],
        "travel_time_s": [1.0],
    }
    arguments.update(kwargs)
    with pytest.raises(routing.GraphSourceError, match=message):
        routing.RoadGraph.from_edges(**arguments)  # type: ignore[arg-type]


# --- persistence ----------------------------------------------------------------------


def _assert_same_graph(a: routing.RoadGraph, b: routing.RoadGraph) -> None:
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        assert_array_equal(x, y, err_msg=name)


def test_npz_round_trip(tmp_path: Path) -> None:
    """save then load gives back every array with its dtype, and the metadata."""
    metadata = {"source": "unit", "speed_tags_corrected": {"unparseable": 2}}
    geometry = [([0.0005], [0.0002])] + [([], [])] * 11
    g = routing.RoadGraph.from_edges(
        LAT, LON, TAIL, HEAD, TIME, np.arange(12.0), geometry=geometry, metadata=metadata
    )
    path = g.save(tmp_path / "sub" / "graph.npz")
    assert path == tmp_path / "sub" / "graph.npz"
    loaded = routing.RoadGraph.load(path)
    _assert_same_graph(g, loaded)
    assert loaded.metadata["source"] == "unit"
    assert loaded.metadata["speed_tags_corrected"] == {"unparseable": 2}
    assert routing.travel_time_matrix(loaded, range(6)).tolist() == (
        routing.travel_time_matrix(g, range(6)).tolist()
    )
    assert not list(tmp_path.glob("**/*.tmp*")), "temporary file left behind"


def test_npz_round_trip_of_a_real_graph(tmp_path: Path, monaco: routing.RoadGraph) -> None:
    """A real OSM graph survives save/load unchanged, and loads through load_graph too."""
    path = monaco.save(tmp_path / "monaco.npz")
    _assert_same_graph(monaco, routing.RoadGraph.load(path))
    _assert_same_graph(monaco, routing.load_graph(path))


def test_load_missing_npz_raises(tmp_path: Path) -> None:
    """Loading a compiled graph that does not exist raises GraphSourceError naming the file."""
    with pytest.raises(routing.GraphSourceError, match=r"not found: .*nothing\.npz"):
        routing.RoadGraph.load(tmp_path / "nothing.npz")


def test_load_garbage_npz_raises(tmp_path: Path) -> None:
    """A file that is not a compiled graph raises GraphSourceError naming the file."""
    path = tmp_path / "junk.npz"
    path.write_bytes(b"this is not a numpy archive")
    with pytest.raises(routing.GraphSourceError, match=r"cannot read compiled graph .*junk\.npz"):
        routing.RoadGraph.load(path)


def test_load_truncated_npz_raises_and_closes_the_file(tmp_path: Path) -> None:
    """A truncated npz raises GraphSourceError naming the file and leaves no file handle open."""
    g = routing.RoadGraph.from_edges(LAT, LON, TAIL, HEAD, TIME)
    path = g.save(tmp_path / "graph.npz")
    path.write_bytes(path.read_bytes()[:1000])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(
            routing.GraphSourceError, match=r"cannot read compiled graph .*graph\.npz"
        ):
            routing.RoadGraph.load(path)
        gc.collect()
    leaked = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert not leaked, f"RoadGraph.load left the file open: {leaked}"


def test_load_npz_missing_an_array_raises(tmp_path: Path) -> None:
    """An npz without one of the graph's arrays raises GraphSourceError naming the file."""
    path = tmp_path / "partial.npz"
    np.savez(path, metadata=np.array(json.dumps({"format_version": 1})), lat=np.zeros(2))
    with pytest.raises(
        routing.GraphSourceError, match=r"cannot read compiled graph .*partial\.npz"
    ):
        routing.RoadGraph.load(path)


def test_load_npz_of_another_format_version_raises(tmp_path: Path) -> None:
    """A compiled graph of another format version raises GraphSourceError stating both versions."""
    g = routing.RoadGraph.from_edges(LAT, LON, TAIL, HEAD, TIME)
    path = g.save(tmp_path / "graph.npz")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays.pop("metadata")))
    meta["format_version"] = 999
    np.savez(path, metadata=np.array(json.dumps(meta)), **arrays)
    with pytest.raises(routing.GraphSourceError, match="has format 999, expected 1"):
        routing.RoadGraph.load(path)


# --- ids and indices ------------------------------------------------------------------


def test_index_of_maps_ids_to_indices(baltimore: routing.RoadGraph) -> None:
    """index_of inverts node_id for OSM ids, in the order given, duplicates included."""
    rng = np.random.default_rng(0)
    nodes = rng.integers(0, baltimore.n_nodes, 50)
    nodes = np.concatenate((nodes, nodes[:3]))
    found = baltimore.index_of(baltimore.node_id[nodes])
    assert_array_equal(found, nodes)
    assert found.dtype == np.int32
    assert_array_equal(baltimore.index_of(baltimore.node_id), np.arange(baltimore.n_nodes))


def test_index_of_accepts_a_scalar(baltimore: routing.RoadGraph) -> None:
    """A single id gives a one-element array."""
    assert_array_equal(baltimore.index_of(int(baltimore.node_id[7])), [7])


@pytest.mark.parametrize("unknown", [0, -5, 2**62, "max+1"])
def test_index_of_unknown_id_raises(baltimore: routing.RoadGraph, unknown: int | str) -> None:
    """An id that is not in the graph raises NodeIndexError listing it."""
    if unknown == "max+1":
        unknown = int(baltimore.node_id.max()) + 1
    ids = [int(baltimore.node_id[0]), unknown]
    with pytest.raises(routing.NodeIndexError, match=rf"not in the graph: \[{unknown}\]"):
        baltimore.index_of(ids)


@pytest.mark.parametrize(
    "nodes", [[0, 5, 2], np.array([3], dtype=np.int64), np.array([[1, 2]]), [4.0, 1.0], 3]
)
def test_check_nodes_accepts_integers(nodes: object) -> None:
    """Integer (or integer-valued) indices in range come back as a flat int32 array."""
    g = routing.RoadGraph.from_edges(LAT, LON, TAIL, HEAD, TIME)
    out = g.check_nodes(nodes)
    assert out.dtype == np.int32 and out.ndim == 1 and out.flags.c_contiguous
    assert_array_equal(out, np.ravel(nodes))


@pytest.mark.parametrize(
    ("nodes", "message"),
    [
        ([0, 6], r"site index out of range \[0, 6\): 6 \(1 in all\)"),
        ([-1, 2], r"site index out of range \[0, 6\): -1 \(1 in all\)"),
        (list(range(-7, 0)), r"-7, -6, -5, -4, -3 \.\.\. \(7 in all\)"),
        ([0.5], "site indices must be integers, got dtype float64"),
        ([np.nan], "site indices must be integers, got dtype float64"),
        (["1"], "site indices must be integers, got dtype <U1"),
        ([True], "site indices must be integers, got dtype bool"),
        ([None], "site indices must be integers, got dtype object"),
    ],
)
def test_check_nodes_rejects_bad_indices(nodes: list[object], message: str) -> None:
    """Out-of-range, negative or non-integer indices raise NodeIndexError naming the problem."""
    g = routing.RoadGraph.from_edges(LAT, LON, TAIL, HEAD, TIME)
    with pytest.raises(routing.NodeIndexError, match=message):
        g.check_nodes(nodes, "site")


def test_summary_counts(baltimore: routing.RoadGraph) -> None:
    """summary reports the graph's counts, extent and road mix consistently with its arrays."""
    s = baltimore.summary()
    assert (s["nodes"], s["edges"]) == (baltimore.n_nodes, baltimore.n_edges)
    assert s["signals"] == int(baltimore.signals.sum())
    assert s["bbox"]["south"] == baltimore.lat.min() and s["bbox"]["east"] == baltimore.lon.max()
    assert_allclose(sum(s["km_by_class"].values()), s["road_km"], atol=0.1 * len(s["km_by_class"]))
    assert set(s["km_by_class"]) <= set(routing.ROAD_CLASSES)
    assert "residential" in s["km_by_class"]


def test_repr_names_size_and_source(baltimore: routing.RoadGraph) -> None:
    """repr shows node and edge counts and the source file."""
    text = repr(baltimore)
    assert f"{baltimore.n_nodes:,} nodes" in text and "baltimore.osm.pbf" in text
