"""Model artifacts: save and reload exactly, provenance metadata, refusal of mismatched models."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest

from models.exceptions import ModelSchemaError, ModelsError
from models.features import FEATURE_COLUMNS
from models.model_card import MODEL_CARD_JSON, MODEL_CARD_MD
from models.registry import (
    CLEANING_FILE,
    METADATA_FILE,
    MODEL_FILE,
    SavedModel,
    load_model,
    save_model,
)
from models.training import PreparedTrips, TrainingResult, data_hash

GRAPH_SOURCE = {"path": "baltimore.osm.pbf", "n_nodes": 0}


@pytest.fixture(scope="module")
def saved_dir(
    tmp_path_factory: pytest.TempPathFactory, trained: TrainingResult, prepared: PreparedTrips
) -> Path:
    """The trained model saved once for this module."""
    return save_model(
        trained,
        tmp_path_factory.mktemp("registry") / "eta-model",
        data_sha256=prepared.data_sha256,
        cleaning=prepared.report,
        graph_source=GRAPH_SOURCE,
    )


@pytest.fixture(scope="module")
def loaded(saved_dir: Path) -> SavedModel:
    """The saved model loaded back."""
    return load_model(saved_dir)


@pytest.fixture
def copy_dir(saved_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the saved model directory, safe to tamper with."""
    return Path(shutil.copytree(saved_dir, tmp_path / "copy"))


def edit_metadata(directory: Path, **changes: Any) -> None:
    """Rewrite metadata.json with some keys changed."""
    path = directory / METADATA_FILE
    metadata = json.loads(path.read_text())
    metadata.update(changes)
    path.write_text(json.dumps(metadata))


def test_directory_layout(saved_dir: Path) -> None:
    """The directory holds the model, its metadata, the cleaning report and the model card."""
    assert {p.name for p in saved_dir.iterdir()} == {
        MODEL_FILE,
        METADATA_FILE,
        CLEANING_FILE,
        MODEL_CARD_JSON,
        MODEL_CARD_MD,
    }


def test_reload_reproduces_predictions_exactly(
    loaded: SavedModel, trained: TrainingResult, prepared: PreparedTrips
) -> None:
    """The reloaded model's median and P90 predictions are bit for bit the originals."""
    X = prepared.X
    assert loaded.model is not trained.model
    assert np.array_equal(loaded.model.predict(X), trained.model.predict(X))
    assert np.array_equal(loaded.model.predict_p90(X), trained.model.predict_p90(X))
    assert loaded.model.get_params() == trained.model.get_params()


def test_metadata_records_provenance(
    loaded: SavedModel, trained: TrainingResult, prepared: PreparedTrips
) -> None:
    """Metadata has the feature schema, data hash, windows, metrics, versions and params."""
    meta = loaded.metadata
    assert meta["feature_columns"] == list(FEATURE_COLUMNS)
    assert meta["training_data_sha256"] == prepared.data_sha256
    assert re.fullmatch(r"[0-9a-f]{64}", meta["training_data_sha256"])
    assert meta["train_window"] == [d.isoformat() for d in trained.train_window]
    assert trained.test_window is not None
    assert meta["test_window"] == [d.isoformat() for d in trained.test_window]
    assert (meta["n_train"], meta["n_test"]) == (trained.n_train, trained.n_test)
    assert meta["metrics"] == pytest.approx(trained.metrics)
    assert meta["baseline_metrics"] == pytest.approx(trained.baseline_metrics)
    assert meta["params"] == trained.model.get_params()
    assert meta["graph"] == GRAPH_SOURCE
    assert {"python", "lightgbm", "scikit-learn", "numpy", "pandas"} <= set(
        meta["library_versions"]
    )
    assert meta["library_versions"]["numpy"] == np.__version__
    assert meta["library_versions"]["pandas"] == pd.__version__


def test_created_at_and_version(loaded: SavedModel) -> None:
    """created_at is a recent aware UTC time, and the version starts with it."""
    created = datetime.fromisoformat(loaded.metadata["created_at"])
    assert created.tzinfo is not None
    assert timedelta(0) <= datetime.now(UTC) - created < timedelta(hours=1)
    assert loaded.version.startswith(f"{created:%Y%m%d-%H%M%S}-")
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{8}", loaded.version)


def test_cleaning_report_saved_beside_the_model(saved_dir: Path, prepared: PreparedTrips) -> None:
    """The cleaning report is saved with the model, as its JSON dict."""
    report = json.loads((saved_dir / CLEANING_FILE).read_text())
    assert report == prepared.report.as_dict()


def test_mismatched_features_are_refused_by_name(copy_dir: Path) -> None:
    """A model trained on other features is refused, naming missing and unexpected ones."""
    features = [c for c in FEATURE_COLUMNS if c != "hour"] + ["road_wetness"]
    edit_metadata(copy_dir, feature_columns=features)
    with pytest.raises(
        ModelSchemaError, match=r"missing \['hour'\].*unexpected \['road_wetness'\]"
    ):
        load_model(copy_dir)


def test_reordered_features_are_refused(copy_dir: Path) -> None:
    """The same features in another order are refused too (models see columns by position)."""
    edit_metadata(copy_dir, feature_columns=list(reversed(FEATURE_COLUMNS)))
    with pytest.raises(ModelSchemaError, match="another order"):
        load_model(copy_dir)


def test_missing_feature_list_is_refused(copy_dir: Path) -> None:
    """Metadata without a feature list is refused, naming every expected feature as missing."""
    path = copy_dir / METADATA_FILE
    metadata = json.loads(path.read_text())
    del metadata["feature_columns"]
    path.write_text(json.dumps(metadata))
    with pytest.raises(ModelSchemaError, match="free_flow_s"):
        load_model(copy_dir)


def test_other_schema_version_is_refused(copy_dir: Path) -> None:
    """Metadata of another schema version is refused, saying which."""
    edit_metadata(copy_dir, schema_version=99)
    with pytest.raises(ModelSchemaError, match="schema version 99"):
        load_model(copy_dir)


def test_missing_directory_is_refused(tmp_path: Path) -> None:
    """A directory that does not exist is not a model directory."""
    with pytest.raises(ModelSchemaError, match="not a model directory"):
        load_model(tmp_path / "nowhere")


@pytest.mark.parametrize("remove", [MODEL_FILE, METADATA_FILE])
def test_incomplete_directory_is_refused(copy_dir: Path, remove: str) -> None:
    """A directory missing the model or the metadata file is refused, naming what it needs."""
    (copy_dir / remove).unlink()
    with pytest.raises(ModelSchemaError, match=remove):
        load_model(copy_dir)


def test_garbage_metadata_is_refused(copy_dir: Path) -> None:
    """A metadata.json that is not JSON is refused with ModelSchemaError, not a JSON error."""
    (copy_dir / METADATA_FILE).write_text("{this is: not json")
    with pytest.raises(ModelSchemaError, match="not valid JSON"):
        load_model(copy_dir)


def test_non_object_metadata_is_refused(copy_dir: Path) -> None:
    """A metadata.json holding valid JSON that is not an object is refused with ModelSchemaError."""
    (copy_dir / METADATA_FILE).write_text("[1, 2, 3]")
    with pytest.raises(ModelSchemaError):
        load_model(copy_dir)


def test_wrong_model_object_is_refused(copy_dir: Path) -> None:
    """A model file holding something other than an EtaModel is refused."""
    joblib.dump({"not": "a model"}, copy_dir / MODEL_FILE)
    with pytest.raises(ModelSchemaError, match="not an EtaModel"):
        load_model(copy_dir)


def test_corrupt_model_file_is_refused(copy_dir: Path) -> None:
    """A model file that is not a joblib pickle is refused with ModelSchemaError."""
    (copy_dir / MODEL_FILE).write_bytes(b"garbage, not a pickle")
    with pytest.raises(ModelSchemaError):
        load_model(copy_dir)


def test_schema_error_is_a_value_error() -> None:
    """ModelSchemaError is both the package's base error and a ValueError."""
    assert issubclass(ModelSchemaError, ModelsError)
    assert issubclass(ModelSchemaError, ValueError)


def test_data_hash_identifies_the_data(records: pd.DataFrame) -> None:
    """The data hash is stable, and changes with one value, the row order or a column name."""
    sample = records.head(500)
    digest = data_hash(sample)
    assert digest == data_hash(sample.copy())
    changed = sample.copy()
    changed.loc[changed.index[10], "duration_s"] += 1.0
    assert data_hash(changed) != digest
    assert data_hash(sample.iloc[::-1]) != digest
    assert data_hash(sample.rename(columns={"trip_id": "id"})) != digest
