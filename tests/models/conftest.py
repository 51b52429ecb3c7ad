"""Session fixtures of the models tests: real simulated trip history, prepared and trained once.

The history comes from the simulator on the Baltimore extract (24 days, 16 vehicles, seed 3:
about 7,000 driven legs). Tests must not modify these objects; copy them first.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import routing
from models.eta import EtaModel
from models.training import PreparedTrips, TrainingResult, prepare_trips, train_eta
from simulations.history import generate_history
from simulations.world import World, WorldParams

HISTORY_DAYS = 24
HISTORY_VEHICLES = 16
HISTORY_SEED = 3
TIMEZONE = "America/New_York"


def small_eta_model(n_estimators: int = 100) -> EtaModel:
    """An EtaModel small and single-threaded enough for tests (two xdist workers share 2 cores)."""
    return EtaModel(n_estimators=n_estimators, n_jobs=1)


@pytest.fixture(scope="session")
def world(baltimore: routing.RoadGraph, baltimore_path: Path) -> World:
    """A small seeded world on the Baltimore graph."""
    params = WorldParams(n_vehicles=HISTORY_VEHICLES, timezone=TIMEZONE)
    return World(
        baltimore, days=HISTORY_DAYS, seed=HISTORY_SEED, params=params, map_path=baltimore_path
    )


@pytest.fixture(scope="session")
def records(world: World) -> pd.DataFrame:
    """The world's trip history in the schema's columns (plus the simulator's extras)."""
    return generate_history(world).records


@pytest.fixture(scope="session")
def prepared(records: pd.DataFrame, baltimore: routing.RoadGraph) -> PreparedTrips:
    """The history cleaned, sorted by time and featurised."""
    return prepare_trips(records, baltimore)


@pytest.fixture(scope="session")
def trained(prepared: PreparedTrips) -> TrainingResult:
    """An EtaModel trained on the first 3/4 of the days and tested on the last quarter."""
    return train_eta(prepared, model=small_eta_model())
