"""Service settings: environment variables, flags over them, defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from dispatch.api import ServiceSettings
from dispatch.cli.default_model import default_model

from .conftest import MODEL_DAYS, MODEL_SEED, MODEL_VEHICLES


def test_settings_from_environment_and_flags() -> None:
    """DISPATCH_* variables set the fields; flags given (not None) override them."""
    env = {
        "DISPATCH_MAP": "city.osm.pbf",
        "DISPATCH_DB": "postgresql://dispatch@db/dispatch",
        "DISPATCH_PORT": "9000",
        "DISPATCH_HOST": "",
    }
    settings = ServiceSettings.from_env(env)
    assert (settings.map, settings.db, settings.port) == (
        "city.osm.pbf",
        "postgresql://dispatch@db/dispatch",
        9000,
    )
    assert settings.host == "127.0.0.1"
    flags = settings.override(port=9100, db=None, model="model-dir")
    assert (flags.port, flags.db, flags.model) == (9100, settings.db, "model-dir")
    assert flags.database_url() == "postgresql://dispatch@db/dispatch"


def test_bad_environment_value_names_the_variable() -> None:
    """A port that is not a number is refused naming the variable."""
    with pytest.raises(ValueError, match="DISPATCH_PORT"):
        ServiceSettings.from_env({"DISPATCH_PORT": "eighty"})


def test_route_table_budget_is_read_and_checked() -> None:
    """DISPATCH_ROUTE_TABLE_MB sets the route table's memory; a negative budget is refused."""
    assert ServiceSettings.from_env({"DISPATCH_ROUTE_TABLE_MB": "0"}).route_table_mb == 0
    with pytest.raises(ValueError, match="route_table_mb must be a number >= 0, got -1"):
        ServiceSettings.from_env({"DISPATCH_ROUTE_TABLE_MB": "-1"})
    with pytest.raises(ValueError, match="DISPATCH_ROUTE_TABLE_MB must be a float"):
        ServiceSettings.from_env({"DISPATCH_ROUTE_TABLE_MB": "lots"})


def test_default_database_is_a_sqlite_file() -> None:
    """Without a URL the store is a SQLite file in the user's data folder."""
    url = ServiceSettings().database_url()
    assert url.startswith("sqlite:///")
    assert url.endswith("dispatch.sqlite")


def test_default_model_is_trained_once_then_reused(model_dir: Path) -> None:
    """The default model is cached: asking again returns the same directory, untouched."""
    before = (model_dir / "model.joblib").stat().st_mtime_ns
    again = default_model(days=MODEL_DAYS, vehicles=MODEL_VEHICLES, seed=MODEL_SEED)
    assert again == model_dir
    assert (again / "model.joblib").stat().st_mtime_ns == before
    assert (again / "reference_features.parquet").is_file()
