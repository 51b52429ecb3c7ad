"""Fixtures of the service tests: a small default model, settings on a fresh store, the app.

The model is the default-model path of ``dispatch serve`` on a small world (6 days, 10
vehicles) in a temporary cache, so the tests exercise it and stay quick. Every app gets a
fresh store (``store_url`` of the root conftest): a SQLite file, or, where a test is
parametrized over :data:`tests.stores.BACKENDS`, a new database on this process's own
PostgreSQL server. The app answers ETAs in its own process (``eta_workers=0``): worker
processes are tested in ``test_batching`` and by the real ``dispatch serve`` process of
``test_serve``. The clients send an admin API key made in their store by default
(``helpers.grant`` makes keys of other roles).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import routing
from dispatch.api import ServiceSettings, Store
from dispatch.cli.default_model import CACHE_ENV, default_model

from .helpers import PAST_DAY_WINDOW, started

MODEL_DAYS, MODEL_VEHICLES, MODEL_SEED = 6, 10, 1


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``$DISPATCH_MODEL_CACHE`` pointed at a session folder."""
    path = tmp_path_factory.mktemp("model-cache")
    previous = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(path)
    yield path
    if previous is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = previous


@pytest.fixture(scope="session")
def model_dir(model_cache: Path, baltimore: routing.RoadGraph) -> Path:
    """The default model of a small world, trained once per session (graph cache built first)."""
    return default_model(days=MODEL_DAYS, vehicles=MODEL_VEHICLES, seed=MODEL_SEED)


@pytest.fixture
def settings(tmp_path: Path, model_dir: Path, store_url: str, backend: str) -> ServiceSettings:
    """Settings with the small model and a fresh store; a PostgreSQL one is upgraded first,
    as its operator does (the service upgrades only SQLite files itself)."""
    if backend != "sqlite":
        store = Store(store_url)
        store.upgrade()
        store.close()
    return ServiceSettings(
        model=str(model_dir),
        db=store_url,
        models_dir=str(tmp_path / "models"),
        eta_workers=0,
        **PAST_DAY_WINDOW,
    )


@pytest.fixture
def client(settings: ServiceSettings) -> Iterator[TestClient]:
    """The real app, started (graph, model and store loaded) on a fresh store."""
    with started(settings) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def shared_client(
    tmp_path_factory: pytest.TempPathFactory, model_dir: Path
) -> Iterator[TestClient]:
    """One started app for a module's tests that do not depend on the store's content."""
    folder = tmp_path_factory.mktemp("shared-app")
    settings = ServiceSettings(
        model=str(model_dir),
        db=f"sqlite:///{folder / 'dispatch.sqlite'}",
        models_dir=str(folder / "models"),
        eta_workers=0,
        **PAST_DAY_WINDOW,
    )
    with started(settings) as test_client:
        yield test_client
