"""Model artifacts: a directory with the fitted model, its feature schema and its provenance.

Beside the model: ``metadata.json`` (schema, window, metrics, versions),
``cleaning_report.json``, the model card (``model_card.json`` and ``model_card.md``, see
:mod:`models.model_card`) and, from :func:`save_trained`, the drift reference.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from numpy.typing import NDArray

import routing

from .cleaning import CleaningReport
from .eta import EtaModel
from .exceptions import ModelSchemaError
from .features import FEATURE_COLUMNS
from .model_card import build_model_card, write_model_card
from .schema import TripRecord
from .training import PreparedTrips, TrainingResult

SCHEMA_VERSION = 2  # 2: conditional P90 calibration (EtaModel.calibration_), model card
MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
CLEANING_FILE = "cleaning_report.json"
REFERENCE_FILE = "reference_features.parquet"
REFERENCE_ROWS = 5000
HOLDOUT_FILE = "holdout_trips.parquet"


@dataclass(frozen=True)
class SavedModel:
    """A loaded model and the metadata saved beside it."""

    model: EtaModel
    metadata: dict[str, Any]

    @property
    def version(self) -> str:
        """Short id of this model: creation time and content hash."""
        return str(self.metadata["model_version"])


def save_model(
    result: TrainingResult,
    directory: str | Path,
    *,
    data_sha256: str,
    cleaning: CleaningReport,
    graph_source: dict[str, Any],
    card: Mapping[str, Any] | None = None,
) -> Path:
    """Write model, feature schema, training hash and window, metrics and versions.

    ``card`` is the model card (:func:`models.model_card.build_model_card`); without it a
    card is made from ``result`` and ``cleaning`` alone (no intervals or baselines).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model_path = directory / MODEL_FILE
    joblib.dump(result.model, model_path)
    digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
    created = datetime.now(UTC)
    metadata = {
        "schema_version": SCHEMA_VERSION,
        "model_version": f"{created:%Y%m%d-%H%M%S}-{digest[:8]}",
        "created_at": created.isoformat(),
        "feature_columns": list(FEATURE_COLUMNS),
        "params": result.model.get_params(),
        "training_data_sha256": data_sha256,
        "train_window": [d.isoformat() for d in result.train_window],
        "test_window": [d.isoformat() for d in result.test_window] if result.test_window else None,
        "n_train": result.n_train,
        "n_test": result.n_test,
        "metrics": result.metrics,
        "baseline_metrics": result.baseline_metrics,
        "graph": graph_source,
        "library_versions": {
            "python": platform.python_version(),
            **{lib: version(lib) for lib in ("lightgbm", "scikit-learn", "numpy", "pandas")},
        },
    }
    (directory / METADATA_FILE).write_text(json.dumps(metadata, indent=2))
    cleaning.save(directory / CLEANING_FILE)
    card = dict(card) if card is not None else build_model_card(result, cleaning)
    provenance = {k: metadata[k] for k in ("model_version", "created_at", "training_data_sha256")}
    write_model_card({**provenance, "graph": graph_source, **card}, directory)
    return directory


def load_model(directory: str | Path) -> SavedModel:
    """Load a model directory; refuses one whose feature schema differs from this code's."""
    directory = Path(directory)
    meta_path, model_path = directory / METADATA_FILE, directory / MODEL_FILE
    if not meta_path.is_file() or not model_path.is_file():
        msg = f"{directory} is not a model directory (needs {METADATA_FILE} and {MODEL_FILE})"
        raise ModelSchemaError(msg)
    try:
        metadata = json.loads(meta_path.read_text())
    except json.JSONDecodeError as exc:
        msg = f"{meta_path} is not valid JSON: {exc}"
        raise ModelSchemaError(msg) from exc
    if not isinstance(metadata, dict):
        msg = f"{meta_path} must hold a JSON object, got {type(metadata).__name__}"
        raise ModelSchemaError(msg)
    if metadata.get("schema_version") != SCHEMA_VERSION:
        found = metadata.get("schema_version")
        msg = f"{directory}: schema version {found}, expected {SCHEMA_VERSION}"
        raise ModelSchemaError(msg)
    saved_features = metadata.get("feature_columns")
    if saved_features != list(FEATURE_COLUMNS):
        missing = sorted(set(FEATURE_COLUMNS) - set(saved_features or []))
        extra = sorted(set(saved_features or []) - set(FEATURE_COLUMNS))
        msg = (
            f"{directory}: the model was trained on other features (missing {missing}, "
            f"unexpected {extra}, or another order); retrain it with this version"
        )
        raise ModelSchemaError(msg)
    try:
        model = joblib.load(model_path)
    except Exception as exc:  # unpickling raises many types for a corrupt file
        msg = f"cannot load {model_path}: {exc} (corrupt or from another version?)"
        raise ModelSchemaError(msg) from exc
    if not isinstance(model, EtaModel):
        msg = f"{model_path} holds a {type(model).__name__}, not an EtaModel"
        raise ModelSchemaError(msg)
    return SavedModel(model=model, metadata=metadata)


def save_trained(
    result: TrainingResult,
    data: PreparedTrips,
    graph: routing.RoadGraph,
    directory: str | Path,
    reference: pd.DataFrame,
    *,
    baselines: Mapping[str, NDArray[np.float64]] | None = None,
    holdout: pd.DataFrame | None = None,
) -> Path:
    """:func:`save_model` with the data's hash and cleaning report and the map's source, plus
    ``reference`` (the training rows' features) for drift monitoring and, when given,
    ``holdout`` (trusted trip records, :func:`save_holdout`).

    The model card is complete: intervals, calibration by hour, and the model paired
    against ``baselines`` (test-row predictions by name; by default the three of
    :func:`models.model_card.baseline_predictions`, whose raw-coordinate LightGBM is
    trained here, the slow part).
    """
    card = build_model_card(result, data.report, data=data, baselines=baselines)
    out = save_model(
        result,
        directory,
        data_sha256=data.data_sha256,
        cleaning=data.report,
        graph_source={k: graph.metadata.get(k) for k in ("source", "source_sha256")},
        card=card,
    )
    save_reference(out, reference)
    if holdout is not None:
        save_holdout(out, holdout)
    return out


def save_holdout(directory: str | Path, trips: pd.DataFrame) -> Path:
    """Save trusted trip records beside a model (their :class:`models.TripRecord` columns):
    the fixed holdout a retrained candidate is judged on as well."""
    columns = [c for c in TripRecord.model_fields if c in trips.columns]
    path = Path(directory) / HOLDOUT_FILE
    trips[columns].reset_index(drop=True).to_parquet(path)
    return path


def save_reference(directory: str | Path, features: pd.DataFrame, *, seed: int = 0) -> Path:
    """Save a sample of the training features beside a model: the drift monitor's reference.

    At most :data:`REFERENCE_ROWS` rows, drawn with ``seed``.
    """
    if len(features) > REFERENCE_ROWS:
        features = features.sample(REFERENCE_ROWS, random_state=seed).sort_index()
    path = Path(directory) / REFERENCE_FILE
    features.reset_index(drop=True).to_parquet(path)
    return path


def load_reference(directory: str | Path) -> pd.DataFrame | None:
    """The reference features saved beside a model, or None when there are none."""
    path = Path(directory) / REFERENCE_FILE
    if not path.is_file():
        return None
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        msg = f"cannot read {path}: {exc}"
        raise ModelSchemaError(msg) from exc
