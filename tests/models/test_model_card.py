"""The model card: its keys, the baselines paired on the test rows, calibration, the files."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import routing
from models.model_card import (
    FREE_FLOW,
    HOUR_OF_WEEK,
    MODEL_CARD_JSON,
    MODEL_CARD_MD,
    RAW_COORDINATES,
    baseline_predictions,
    build_model_card,
    rows_in_window,
    write_model_card,
)
from models.registry import save_model, save_trained
from models.training import PreparedTrips, TrainingResult

CARD_KEYS = {
    "model",
    "data",
    "cleaning",
    "features",
    "hyperparameters",
    "metrics",
    "metric_intervals",
    "baselines",
    "paired",
    "verdict",
    "calibration_by_hour",
}


@pytest.fixture(scope="module")
def baselines(prepared: PreparedTrips, trained: TrainingResult) -> dict[str, np.ndarray]:
    """The three baselines' predictions of the test rows, fitted once."""
    return baseline_predictions(prepared, trained)


@pytest.fixture(scope="module")
def card(
    prepared: PreparedTrips, trained: TrainingResult, baselines: dict[str, np.ndarray]
) -> dict[str, Any]:
    """The full card of the trained model."""
    return build_model_card(
        trained, prepared.report, data=prepared, baselines=baselines, n_resamples=200
    )


def test_baselines_predict_the_test_rows(
    prepared: PreparedTrips, trained: TrainingResult, baselines: dict[str, np.ndarray]
) -> None:
    """Free flow, hour-of-week and raw coordinates each predict every test row."""
    assert list(baselines) == [FREE_FLOW, HOUR_OF_WEEK, RAW_COORDINATES]
    test = rows_in_window(prepared, trained.test_window)
    assert test.sum() == trained.n_test
    for predicted in baselines.values():
        assert predicted.shape == (trained.n_test,) and np.all(predicted > 0)
    np.testing.assert_array_equal(baselines[FREE_FLOW], prepared.X["free_flow_s"][test])


def test_card_has_every_section(card: dict[str, Any], trained: TrainingResult) -> None:
    """The card has the data window, cleaning, features, metrics with intervals, baselines."""
    assert set(card) == CARD_KEYS
    assert card["data"]["train_window"] == [d.isoformat() for d in trained.train_window]
    assert card["data"]["n_test"] == trained.n_test
    assert card["cleaning"]["rows_out"] <= card["cleaning"]["rows_in"]
    assert card["features"]["used"] == list(trained.model.feature_names_in_)
    assert card["hyperparameters"]["params"] == trained.model.get_params()
    assert card["metrics"]["mae_s"] == pytest.approx(trained.metrics["mae_s"])
    low, high = card["metric_intervals"]["mae_s"]["low"], card["metric_intervals"]["mae_s"]["high"]
    assert low < card["metrics"]["mae_s"] < high
    assert (
        set(card["baselines"]) == set(card["paired"]) == {FREE_FLOW, HOUR_OF_WEEK, RAW_COORDINATES}
    )
    raw = card["paired"][RAW_COORDINATES]
    assert raw["mae_difference_ci"][0] <= raw["mae_difference_s"] <= raw["mae_difference_ci"][1]
    assert "earn" in card["verdict"] and RAW_COORDINATES in card["verdict"]


def test_calibration_by_hour_adds_up(card: dict[str, Any], trained: TrainingResult) -> None:
    """Coverage per hour of day covers every test trip and averages to the overall coverage."""
    hours = card["calibration_by_hour"]
    n = np.array([h["n"] for h in hours])
    coverage = np.array([h["p90_coverage"] for h in hours])
    assert n.sum() == trained.n_test
    assert all(0 <= h["hour"] <= 23 for h in hours)
    assert np.sum(n * coverage) / n.sum() == pytest.approx(card["metrics"]["p90_coverage"])


def test_optional_model_attributes_are_reported(
    prepared: PreparedTrips, trained: TrainingResult, baselines: dict[str, np.ndarray]
) -> None:
    """feature_names_used_, left_out_features_ and tuning_report_ appear when present."""
    model = copy.deepcopy(trained.model)
    used = [str(name) for name in model.feature_names_used_]
    model.left_out_features_ = {"snow": "constant"}
    model.tuning_report_ = {"best": {"num_leaves": 31}, "trials": 4}
    result = TrainingResult(**{**vars(trained), "model": model})
    card = build_model_card(
        result, prepared.report, data=prepared, baselines=baselines, n_resamples=50
    )
    assert card["features"] == {"used": used, "left_out": {"snow": "constant"}}
    assert card["hyperparameters"]["tuning"]["trials"] == 4


def test_card_without_data_keeps_the_result_metrics(
    prepared: PreparedTrips, trained: TrainingResult
) -> None:
    """Without the trips, the card still has the window, cleaning, features and metrics."""
    card = build_model_card(trained, prepared.report)
    assert set(card) == CARD_KEYS
    assert card["metrics"] == trained.metrics
    assert card["paired"] == {} and card["verdict"] is None and card["calibration_by_hour"] == []


def test_written_card_is_json_and_markdown(card: dict[str, Any], tmp_path: Path) -> None:
    """model_card.json round-trips; model_card.md has each section and the verdict."""
    json_path, md_path = write_model_card(card, tmp_path)
    assert json_path.name == MODEL_CARD_JSON and md_path.name == MODEL_CARD_MD
    assert set(json.loads(json_path.read_text())) == CARD_KEYS
    text = md_path.read_text()
    for heading in (
        "## Data",
        "## Features",
        "## Hyperparameters",
        "## Metrics (test days)",
        "## Against the baselines",
        "## P90 calibration by hour of day",
    ):
        assert heading in text, heading
    assert card["verdict"] in text


def test_saved_models_carry_a_card(
    prepared: PreparedTrips,
    trained: TrainingResult,
    baselines: dict[str, np.ndarray],
    baltimore: routing.RoadGraph,
    tmp_path: Path,
) -> None:
    """save_model writes a card from the result; save_trained a full one, with the version."""
    plain = save_model(
        trained, tmp_path / "plain", data_sha256="x", cleaning=prepared.report, graph_source={}
    )
    card = json.loads((plain / MODEL_CARD_JSON).read_text())
    assert card["model_version"] and card["paired"] == {}
    assert (plain / MODEL_CARD_MD).is_file()

    full = save_trained(
        trained, prepared, baltimore, tmp_path / "full", prepared.X.iloc[:100], baselines=baselines
    )
    card = json.loads((full / MODEL_CARD_JSON).read_text())
    metadata = json.loads((full / "metadata.json").read_text())
    assert card["model_version"] == metadata["model_version"]
    assert set(card["paired"]) == set(baselines)
    assert card["model_version"] in (full / MODEL_CARD_MD).read_text()


def test_raw_baseline_is_left_out_when_it_cannot_be_fitted(
    prepared: PreparedTrips, trained: TrainingResult
) -> None:
    """With a single training trip the raw-coordinate baseline is skipped, the others stay."""
    first = prepared.local_dates()[0]
    tiny = prepared.subset(np.arange(len(prepared.y)) != 0)
    keep = (tiny.local_dates() != first) | (np.arange(len(tiny.y)) == 0)
    tiny = tiny.subset(keep)
    result = TrainingResult(**{**vars(trained), "train_window": (first, first)})
    assert list(baseline_predictions(tiny, result)) == [FREE_FLOW, HOUR_OF_WEEK]
