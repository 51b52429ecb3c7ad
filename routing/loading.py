"""Load a road graph from a file, a place name or the embedded default, with an on-disk cache."""

from __future__ import annotations

import hashlib
import os
from importlib import resources
from pathlib import Path

import platformdirs

from .build import (
    BUILD_VERSION,
    Progress,
    compile_network,
    network_from_graphml,
    network_from_place,
    silent,
)
from .exceptions import GraphSourceError
from .graph import RoadGraph
from .osm_build import graph_from_osm_file
from .osm_file import OSM_SUFFIXES, is_osm_file

CACHE_ENV = "ROUTING_CACHE_DIR"
DEFAULT_MAP = "baltimore.osm.pbf"


def cache_dir() -> Path:
    """Folder of compiled graphs: ``$ROUTING_CACHE_DIR``, else the user's cache directory."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    return Path(platformdirs.user_cache_dir("nemt-dispatch")) / "graphs"


def default_map_path() -> Path:
    """Path of the embedded OSM extract of central Baltimore (c) OpenStreetMap contributors."""
    return Path(str(resources.files("routing") / "data" / DEFAULT_MAP))


def load_graph(
    source: str | os.PathLike[str] | None = None,
    *,
    use_cache: bool = True,
    progress: Progress = silent,
) -> RoadGraph:
    """Load a road graph; with no ``source``, the embedded Baltimore map (offline).

    ``source`` is an OSM file (.osm.pbf, .osm, .osm.bz2), an osmnx .graphml file, or a
    compiled .npz graph. OSM and GraphML sources are compiled once and cached under
    :func:`cache_dir`, keyed by the file's content hash, so later loads are fast.
    """
    path = default_map_path() if source is None else Path(source)
    if not path.exists():
        msg = f"map file not found: {path}"
        raise GraphSourceError(msg)
    if path.is_dir():
        msg = f"map source is a directory, expected a file: {path}"
        raise GraphSourceError(msg)
    if path.suffix.lower() == ".npz":
        return RoadGraph.load(path)
    if not (is_osm_file(path) or path.suffix.lower() == ".graphml"):
        known = ", ".join((*OSM_SUFFIXES, ".graphml", ".npz"))
        msg = f"unknown map file type {path.name!r}: expected one of {known}"
        raise GraphSourceError(msg)
    cached = cache_dir() / f"{cache_key(path)}.npz"
    if use_cache and cached.is_file():
        try:
            graph = RoadGraph.load(cached)
            graph.metadata["source"] = path.name
            return graph
        except GraphSourceError:
            progress("cached graph unreadable, rebuilding")
    graph = build_graph(path, progress=progress)
    if use_cache:
        graph.save(cached)
    return graph


def build_graph(path: Path, *, progress: Progress = silent) -> RoadGraph:
    """Compile an OSM or GraphML file into a :class:`RoadGraph`, without the cache."""
    if path.suffix.lower() == ".graphml":
        graph = compile_network(network_from_graphml(path), path.name, progress)
    else:
        graph = graph_from_osm_file(path, progress)
    graph.metadata["source_sha256"] = file_sha256(path)
    return graph


def graph_from_place(place: str, *, progress: Progress = silent) -> RoadGraph:
    """Download and compile the drivable network of a place name (needs network access)."""
    progress(f"downloading {place!r} through osmnx")
    return compile_network(network_from_place(place), place, progress)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's content."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_key(path: Path) -> str:
    """Cache file stem: content hash plus the build pipeline's version."""
    return f"{file_sha256(path)[:32]}-v{BUILD_VERSION}"
