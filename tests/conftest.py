"""Session fixtures: an isolated graph cache, the real OSM extracts (Baltimore, Monaco) and
the store backends (a fresh SQLite file or PostgreSQL database per test)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import routing
from tests.shared_data import SHARED_DATA
from tests.stores import PostgresServer, missing_programs

SHARED_OSM = SHARED_DATA / "osm"


@pytest.fixture(scope="session", autouse=True)
def graph_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point ``ROUTING_CACHE_DIR`` at a session temp dir so no test reads the user's cache."""
    path = tmp_path_factory.mktemp("graph-cache")
    previous = os.environ.get("ROUTING_CACHE_DIR")
    os.environ["ROUTING_CACHE_DIR"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("ROUTING_CACHE_DIR", None)
    else:
        os.environ["ROUTING_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data folder (see :mod:`tests.shared_data`); it may be missing."""
    return SHARED_DATA


@pytest.fixture(scope="session")
def baltimore_path() -> Path:
    """The Baltimore extract of ../shared/data, else the identical copy embedded in the package."""
    shared = SHARED_OSM / "baltimore.osm.pbf"
    if shared.is_file():
        return shared
    embedded = routing.default_map_path()
    if not embedded.is_file():
        pytest.skip(f"no Baltimore extract: neither {shared} nor {embedded} exists")
    return embedded


@pytest.fixture(scope="session")
def monaco_path() -> Path:
    """The Monaco extract of ../shared/data (skips the test when the shared data is missing)."""
    path = SHARED_OSM / "monaco.osm.pbf"
    if not path.is_file():
        pytest.skip(f"shared OSM data missing: {path} (expected beside the repository)")
    return path


@pytest.fixture(scope="session")
def baltimore(baltimore_path: Path, graph_cache_dir: Path) -> routing.RoadGraph:
    """Road graph of central Baltimore, built once per session into the session cache."""
    return routing.load_graph(baltimore_path)


@pytest.fixture(scope="session")
def monaco(monaco_path: Path, graph_cache_dir: Path) -> routing.RoadGraph:
    """Road graph of Monaco, built once per session into the session cache."""
    return routing.load_graph(monaco_path)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """This test process's PostgreSQL server (one per xdist worker), started on first use."""
    missing = missing_programs()
    if missing:
        pytest.skip(f"PostgreSQL server programs not on PATH: {', '.join(missing)}")
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture
def backend() -> str:
    """The store's backend; tests parametrize it with ``tests.stores.BACKENDS``."""
    return "sqlite"


@pytest.fixture
def store_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a fresh, empty store: a SQLite file, or a new PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'dispatch.sqlite'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    url = server.create_database()
    yield url
    server.drop_database(url)
