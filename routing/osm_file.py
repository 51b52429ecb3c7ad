"""Read the drivable ways of an OSM file (.osm.pbf, .osm, .osm.bz2) with pyosmium.

Only the ways a car may use (osmnx's own "drive" rules) are kept. :func:`read_drivable_ways`
returns them as arrays for the fast build; :func:`write_drivable_xml` writes them and their
nodes to a small OSM XML file that :func:`osmnx.graph_from_xml` can read (the reference
build, which osmnx filters by network type no other way).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import osmium
from numpy.typing import NDArray

from .exceptions import GraphSourceError

OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz")

# The tag rules of osmnx's "drive" network type (osmnx/_overpass.py), as value sets.
_EXCLUDED_HIGHWAY = frozenset(
    "abandoned bridleway bus_guideway construction corridor cycleway elevator escalator "
    "footway no path pedestrian planned platform proposed raceway razed rest_area service "
    "services steps track".split()
)
_EXCLUDED_SERVICE = frozenset(
    "alley driveway emergency_access parking parking_aisle private".split()
)


def is_drivable(tags: dict[str, str]) -> bool:
    """Whether a way with these tags belongs to the public drivable network."""
    highway = tags.get("highway")
    if highway is None or highway in _EXCLUDED_HIGHWAY:
        return False
    if tags.get("area") == "yes" or tags.get("access") == "private":
        return False
    if tags.get("motor_vehicle") == "no" or tags.get("motorcar") == "no":
        return False
    return tags.get("service") not in _EXCLUDED_SERVICE


def is_osm_file(path: Path) -> bool:
    """Whether the file name has one of the OSM extensions pyosmium reads."""
    name = path.name.lower()
    return any(name.endswith(suffix) for suffix in OSM_SUFFIXES)


@dataclass(frozen=True)
class DrivableWays:
    """The drivable ways of an OSM file, in file order, with their nodes' locations.

    Way ``w`` has the nodes ``ref[ptr[w]:ptr[w + 1]]`` at the fixed-point locations ``x``
    (longitude) and ``y`` (latitude) in units of 1e-7 degree; ``valid`` is False where a
    node is missing from the extract. The tags osmnx keeps for a drive network's edges are
    given per way, None where absent; ``signals`` are the ids of the traffic-signal nodes.
    """

    ptr: NDArray[np.int64]
    ref: NDArray[np.int64]
    x: NDArray[np.int64]
    y: NDArray[np.int64]
    valid: NDArray[np.bool_]
    highway: list[str]
    oneway: list[str | None]
    junction: list[str | None]
    maxspeed: list[str | None]
    signals: NDArray[np.int64]


def read_drivable_ways(source: Path) -> DrivableWays:
    """Read the drivable ways of ``source`` and their nodes' locations in one pass."""
    processor = osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY)
    processor = processor.with_locations().with_filter(osmium.filter.KeyFilter("highway"))
    sizes: list[int] = []
    refs: list[int] = []
    xs: list[int] = []
    ys: list[int] = []
    highway: list[str] = []
    oneway: list[str | None] = []
    junction: list[str | None] = []
    maxspeed: list[str | None] = []
    signals: list[int] = []
    try:
        for item in processor:
            obj = cast(osmium.osm.Node | osmium.osm.Way, item)  # the processor reads no other
            if obj.is_node():
                if obj.tags.get("highway") == "traffic_signals":
                    signals.append(obj.id)
                continue
            tags = dict(obj.tags)
            if not is_drivable(tags):
                continue
            size = 0
            for node in cast(osmium.osm.Way, obj).nodes:
                refs.append(node.ref)
                xs.append(node.x)
                ys.append(node.y)
                size += 1
            sizes.append(size)
            highway.append(tags["highway"])
            oneway.append(tags.get("oneway"))
            junction.append(tags.get("junction"))
            maxspeed.append(tags.get("maxspeed"))
    except RuntimeError as exc:
        msg = f"cannot read OSM file {source}: {exc} (is it corrupt or truncated?)"
        raise GraphSourceError(msg) from exc
    ptr = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=ptr[1:])
    x = np.array(xs, dtype=np.int64)
    y = np.array(ys, dtype=np.int64)
    valid = (np.abs(x) <= 1_800_000_000) & (np.abs(y) <= 900_000_000)
    return DrivableWays(
        ptr,
        np.array(refs, dtype=np.int64),
        x,
        y,
        valid,
        highway,
        oneway,
        junction,
        maxspeed,
        np.array(signals, dtype=np.int64),
    )


def write_drivable_xml(source: Path, target: Path) -> int:
    """Write the drivable ways of ``source`` and their nodes to the OSM XML file ``target``.

    Ways whose nodes are partly missing from the extract are split at the gaps.
    Returns the number of ways written; raises :class:`GraphSourceError` if the file
    cannot be read or holds no drivable way.
    """
    try:
        ways = _read_drivable_ways(source)
        needed = {ref for _, refs, _ in ways for ref in refs}
        locations: dict[int, tuple[float, float, dict[str, str]]] = {}
        node_filter = osmium.filter.IdFilter(needed)
        for obj in osmium.FileProcessor(str(source), osmium.osm.NODE).with_filter(node_filter):
            node = cast(osmium.osm.Node, obj)  # the processor reads nodes only
            if node.location.valid():
                locations[node.id] = (node.location.lon, node.location.lat, dict(node.tags))
    except RuntimeError as exc:
        msg = f"cannot read OSM file {source}: {exc} (is it corrupt or truncated?)"
        raise GraphSourceError(msg) from exc
    pieces = [
        (way_id, piece, tags)
        for way_id, refs, tags in ways
        for piece in _split_at_missing(refs, locations)
    ]
    if not pieces:
        msg = f"OSM file {source} contains no drivable roads"
        raise GraphSourceError(msg)
    _write_xml(target, pieces, locations)
    return len(pieces)


def _read_drivable_ways(source: Path) -> list[tuple[int, list[int], dict[str, str]]]:
    processor = osmium.FileProcessor(str(source), osmium.osm.WAY)
    processor = processor.with_filter(osmium.filter.KeyFilter("highway"))
    ways = []
    for obj in processor:
        way = cast(osmium.osm.Way, obj)  # the processor reads ways only
        tags = dict(way.tags)
        if is_drivable(tags):
            ways.append((way.id, [n.ref for n in way.nodes], tags))
    return ways


def _split_at_missing(refs: list[int], present: Mapping[int, object]) -> list[list[int]]:
    runs: list[list[int]] = [[]]
    for ref in refs:
        if ref in present:
            runs[-1].append(ref)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if len(run) >= 2]


def _write_xml(
    target: Path,
    ways: list[tuple[int, list[int], dict[str, str]]],
    locations: dict[int, tuple[float, float, dict[str, str]]],
) -> None:
    used = sorted({ref for _, refs, _ in ways for ref in refs})
    with osmium.SimpleWriter(str(target), overwrite=True) as writer:
        for node_id in used:
            lon, lat, tags = locations[node_id]
            writer.add_node(osmium.osm.mutable.Node(id=node_id, location=(lon, lat), tags=tags))
        # A way split at a gap keeps its id on the first piece; later pieces get fresh
        # negative ids so that osmnx does not merge them.
        seen: set[int] = set()
        next_id = -1
        for way_id, refs, tags in ways:
            if way_id in seen:
                way_id, next_id = next_id, next_id - 1
            seen.add(way_id)
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=refs, tags=tags))


@dataclass(frozen=True)
class PointOfInterest:
    """A tagged OSM node or way (placed at the mean of its nodes), e.g. a hospital."""

    osm_id: int
    osm_type: str
    lat: float
    lon: float
    key: str
    value: str
    name: str


def read_points_of_interest(
    source: Path, wanted: Mapping[str, Collection[str]]
) -> list[PointOfInterest]:
    """Nodes and ways of an OSM file whose tag ``key`` has one of the ``wanted[key]`` values."""
    found: list[PointOfInterest] = []
    processor = osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY)
    processor = processor.with_locations().with_filter(osmium.filter.KeyFilter(*wanted))
    try:
        for item in processor:
            obj = cast(osmium.osm.Node | osmium.osm.Way, item)  # the processor reads no other
            match = next(((k, obj.tags[k]) for k in wanted if obj.tags.get(k) in wanted[k]), None)
            location = _location(obj)
            if match is None or location is None:
                continue
            osm_type = "node" if obj.is_node() else "way"
            name = obj.tags.get("name") or ""
            found.append(PointOfInterest(obj.id, osm_type, *location, *match, name))
    except RuntimeError as exc:
        msg = f"cannot read OSM file {source}: {exc} (is it corrupt or truncated?)"
        raise GraphSourceError(msg) from exc
    return found


def _location(obj: Any) -> tuple[float, float] | None:
    if obj.is_node():
        loc = obj.location
        return (loc.lat, loc.lon) if loc.valid() else None
    points = [(n.location.lat, n.location.lon) for n in obj.nodes if n.location.valid()]
    if not points:
        return None
    lat, lon = zip(*points, strict=True)
    return sum(lat) / len(lat), sum(lon) / len(lon)
