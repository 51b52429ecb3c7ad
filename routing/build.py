"""Build a :class:`RoadGraph` from OSM data with osmnx: drivable network, speeds, travel times.

Steps: read the drivable ways (pyosmium for OSM files), keep the largest strongly
connected component, sanitise ``maxspeed`` tags, impute speeds and free-flow travel times
per OSM segment (osmnx), count traffic signals, simplify the topology (osmnx, summing
lengths, times and signals along merged segments), pick one road class per edge by a
fixed rule, and compile to CSR.

GraphML files and downloaded places take this path. OSM files take the same steps on
arrays (:mod:`routing.osm_build`), with the same result in a fraction of the time and
memory; :func:`network_from_osm_file` remains as the reference it is tested against.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from .exceptions import GraphSourceError
from .graph import RoadGraph
from .osm_file import is_drivable, write_drivable_xml
from .road_classes import DEFAULT_SPEED_KPH, class_code, fastest_class
from .speeds import sanitise_maxspeeds

# Bump when the build pipeline changes what it produces: cached graphs are keyed on it.
BUILD_VERSION = "1"

Progress = Callable[[str], None]


def silent(_: str) -> None:
    """Progress sink that reports nothing."""


def network_from_osm_file(path: Path, progress: Progress = silent) -> nx.MultiDiGraph:
    """Unsimplified drivable osmnx graph of an OSM file (.osm.pbf, .osm, .osm.bz2).

    The reference for :func:`routing.osm_build.graph_from_osm_file`, which builds OSM
    files without osmnx.
    """
    import osmnx as ox

    progress("reading drivable ways")
    with tempfile.TemporaryDirectory(prefix="routing-") as tmp:
        xml = Path(tmp) / "drivable.osm"
        write_drivable_xml(path, xml)
        progress("building network (osmnx)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ox.graph_from_xml(xml, simplify=False, retain_all=True)


def network_from_graphml(path: Path) -> nx.MultiDiGraph:
    """osmnx graph saved with :func:`osmnx.save_graphml`, without its non-drivable edges."""
    import osmnx as ox

    try:
        G = ox.load_graphml(path)
    except Exception as exc:  # networkx/lxml raise many types for broken XML
        msg = f"cannot read GraphML file {path}: {exc}"
        raise GraphSourceError(msg) from exc
    missing = _missing_osmnx_attributes(G)
    if missing:
        msg = f"GraphML file {path} is not an osmnx road graph: {missing}"
        raise GraphSourceError(msg)
    undrivable = [
        (u, v, k)
        for u, v, k, data in G.edges(keys=True, data=True)
        if not any(is_drivable({**_tags(data), "highway": h}) for h in _values(data["highway"]))
    ]
    G.remove_edges_from(undrivable)
    return G


def _missing_osmnx_attributes(G: nx.MultiDiGraph) -> str | None:
    if "crs" not in G.graph:
        return "no 'crs' graph attribute"
    for node, data in G.nodes(data=True):
        if "x" not in data or "y" not in data:
            return f"node {node} has no 'x'/'y' coordinates"
    for u, v, data in G.edges(data=True):
        if "length" not in data or "highway" not in data:
            return f"edge ({u}, {v}) has no 'length' or 'highway' attribute"
    return None


def _values(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _tags(data: dict[str, Any]) -> dict[str, str]:
    """Single-valued OSM tags of an edge, as :func:`is_drivable` reads them."""
    keys = ("area", "access", "service", "motor_vehicle", "motorcar")
    return {k: str(data[k]) for k in keys if k in data and not isinstance(data[k], list)}


def network_from_place(place: str) -> nx.MultiDiGraph:
    """Unsimplified drivable network of a place name, downloaded through osmnx (needs network)."""
    import osmnx as ox

    try:
        return ox.graph_from_place(place, network_type="drive", simplify=False, retain_all=True)
    except Exception as exc:  # osmnx raises for geocoding misses and network failures alike
        msg = f"cannot download the road network of {place!r}: {exc}"
        raise GraphSourceError(msg) from exc


def compile_network(G: nx.MultiDiGraph, source: str, progress: Progress = silent) -> RoadGraph:
    """Turn an osmnx graph into a :class:`RoadGraph` (the pipeline in the module docstring)."""
    import osmnx as ox

    if G.number_of_edges() == 0:
        msg = f"{source} contains no drivable roads"
        raise GraphSourceError(msg)
    progress("largest strongly connected component")
    G = ox.truncate.largest_component(G, strongly=True)
    if G.number_of_edges() == 0:
        msg = f"{source} has no two-way connected drivable network"
        raise GraphSourceError(msg)
    progress("speeds and travel times")
    corrected = sanitise_maxspeeds(G)
    for _, _, data in G.edges(data=True):
        data["highway"] = fastest_class(data.get("highway", "other"))
    ox.routing.add_edge_speeds(G, hwy_speeds=_defaults_for_untagged_classes(G))
    ox.routing.add_edge_travel_times(G)
    for _, v, data in G.edges(data=True):
        data.setdefault("signals", int(G.nodes[v].get("highway") == "traffic_signals"))
    if not G.graph.get("simplified"):
        progress("simplifying topology (osmnx)")
        G = ox.simplify_graph(
            G,
            remove_rings=False,  # a junction-less loop is still a road
            edge_attr_aggs={"length": sum, "travel_time": sum, "signals": sum},
        )
    progress("compiling CSR arrays")
    return _to_road_graph(G, source, dict(corrected))


def _defaults_for_untagged_classes(G: nx.MultiDiGraph) -> dict[str, float]:
    """Default speeds for road classes where no edge has a usable maxspeed."""
    tagged = {d["highway"] for _, _, d in G.edges(data=True) if "maxspeed" in d}
    present = {d["highway"] for _, _, d in G.edges(data=True)}
    return {c: DEFAULT_SPEED_KPH[fastest_class(c)] for c in present - tagged}


def _to_road_graph(G: nx.MultiDiGraph, source: str, corrected: dict[str, int]) -> RoadGraph:
    nodes = sorted(G.nodes)
    index = {osm_id: i for i, osm_id in enumerate(nodes)}
    lat = np.array([G.nodes[u]["y"] for u in nodes], dtype=np.float64)
    lon = np.array([G.nodes[u]["x"] for u in nodes], dtype=np.float64)
    edges = sorted(G.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2]))
    geometry = [_interior_points(d) for _, _, _, d in edges]
    return RoadGraph.from_edges(
        lat,
        lon,
        [index[u] for u, _, _, _ in edges],
        [index[v] for _, v, _, _ in edges],
        [float(d["travel_time"]) for *_, d in edges],
        [float(d["length"]) for *_, d in edges],
        road_class=[class_code(fastest_class(d["highway"])) for *_, d in edges],
        signals=[min(int(_total(d.get("signals", 0))), 255) for *_, d in edges],
        geometry=geometry,
        node_id=nodes,
        metadata={
            "source": source,
            "build_version": BUILD_VERSION,
            "speed_tags_corrected": corrected,
        },
    )


def _interior_points(data: dict[str, Any]) -> tuple[list[float], list[float]]:
    geometry = data.get("geometry")
    if geometry is None:
        return [], []
    lon, lat = geometry.xy
    return list(lat[1:-1]), list(lon[1:-1])


def _total(value: Any) -> float:
    return float(sum(value)) if isinstance(value, list) else float(value)
