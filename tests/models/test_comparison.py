"""Model comparison on a time-ordered split: the table, the choice under a requirement, errors."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone

from models.baselines import FreeFlow, HourOfWeekRatio, RawCoordinateLightGBM
from models.comparison import (
    ETA_FAMILY,
    RAW_FAMILY,
    Comparison,
    Requirement,
    compare_models,
    model_families,
)
from models.eta import EtaModel
from models.metrics import regression_metrics
from models.training import PreparedTrips

from .conftest import small_eta_model

TABLE_COLUMNS = {
    "model",
    "mae_s",
    "mape",
    "rmsle",
    "p90_abs_error_s",
    "bias_s",
    "train_s",
    "latency_us_per_row",
    "size_kb",
    "notes",
}
NAMES = ["free-flow", "hour-of-week", "lightgbm"]


def families() -> dict[str, BaseEstimator]:
    """Three small families, fresh for each comparison."""
    return {
        "free-flow": FreeFlow(),
        "hour-of-week": HourOfWeekRatio(),
        "lightgbm": small_eta_model(50),
    }


@pytest.fixture(scope="module")
def comparison(prepared: PreparedTrips) -> Comparison:
    """The three families compared on half of the history."""
    return compare_models(prepared, sample=0.5, families=families())


def test_table_has_one_row_per_family(comparison: Comparison) -> None:
    """The table has the expected columns and one row per family, in the given order."""
    assert set(comparison.table.columns) == TABLE_COLUMNS
    assert comparison.table["model"].tolist() == NAMES
    assert set(comparison.test_predictions) == set(NAMES)
    numbers = comparison.table.drop(columns=["model", "notes"])
    assert np.isfinite(numbers.to_numpy(dtype=float)).all()
    assert (comparison.table[["train_s", "latency_us_per_row", "size_kb"]] > 0).all().all()


def test_table_metrics_match_the_predictions(comparison: Comparison) -> None:
    """Each row's metrics are regression_metrics of that family's test predictions."""
    for _, row in comparison.table.iterrows():
        predicted = comparison.test_predictions[row["model"]]
        assert predicted.shape == comparison.test_y.shape
        expected = regression_metrics(comparison.test_y, predicted)
        for metric in ("mae_s", "mape", "rmsle", "p90_abs_error_s", "bias_s"):
            assert row[metric] == pytest.approx(expected[metric]), (row["model"], metric)


def test_free_flow_row_is_free_flow(comparison: Comparison, prepared: PreparedTrips) -> None:
    """The free-flow family predicts the sampled test rows' free-flow times, in row order."""
    keep = np.random.default_rng(0).random(len(prepared.y)) < 0.5
    sampled = prepared.subset(keep)
    test = sampled.local_dates() >= comparison.test_window[0]
    np.testing.assert_array_equal(comparison.test_y, sampled.y[test])
    np.testing.assert_array_equal(
        comparison.test_predictions["free-flow"], sampled.X["free_flow_s"][test]
    )
    np.testing.assert_array_equal(comparison.test_hour, sampled.X["hour"][test])


def test_learned_families_rank_as_expected(comparison: Comparison) -> None:
    """LightGBM beats the hour-of-week ratio, which beats free flow, on MAE."""
    mae = comparison.table.set_index("model")["mae_s"]
    assert mae["lightgbm"] < mae["hour-of-week"] < mae["free-flow"]


def test_chosen_is_the_most_accurate_within_the_latency_cap(comparison: Comparison) -> None:
    """With the default requirement, the chosen family has the lowest MAE among fast ones."""
    assert comparison.requirement == Requirement()
    table = comparison.table
    eligible = table[table["latency_us_per_row"] < 1000.0]
    assert comparison.chosen == eligible.sort_values("mae_s")["model"].iloc[0]


def test_tiny_latency_cap_chooses_nothing(prepared: PreparedTrips) -> None:
    """When no family predicts fast enough, nothing is chosen (and the table is still full)."""
    result = compare_models(
        prepared,
        sample=0.5,
        families=families(),
        requirement=Requirement(max_latency_ms=1e-9),
    )
    assert result.chosen is None
    assert len(result.table) == len(NAMES)


def test_other_metric_requirement(prepared: PreparedTrips) -> None:
    """A requirement on another metric picks the family best by that metric."""
    result = compare_models(
        prepared,
        sample=0.3,
        families={"free-flow": FreeFlow(), "hour-of-week": HourOfWeekRatio()},
        requirement=Requirement(metric="rmsle", max_latency_ms=1e3),
    )
    assert result.chosen == result.table.sort_values("rmsle")["model"].iloc[0]
    assert result.chosen == "hour-of-week"
    assert Requirement(metric="rmsle", max_latency_ms=0.5).describe() == (
        "lowest rmsle with under 0.5 ms per prediction"
    )


def test_train_window_precedes_test_window(comparison: Comparison, prepared: PreparedTrips) -> None:
    """Families train on earlier days and are scored on the later quarter of days."""
    assert comparison.train_window[1] < comparison.test_window[0]
    days = np.unique(prepared.local_dates())
    assert comparison.train_window[0] == days[0]
    assert comparison.test_window[1] == days[-1]
    assert comparison.test_window[0] == days[len(days) - round(len(days) * 0.25)]


def test_sample_keeps_about_that_fraction(comparison: Comparison, prepared: PreparedTrips) -> None:
    """sample=0.5 scores on about half of the later days' trips, seeded."""
    n_test_all = int(np.sum(prepared.local_dates() >= comparison.test_window[0]))
    assert 0.4 * n_test_all < len(comparison.test_y) < 0.6 * n_test_all
    again = compare_models(prepared, sample=0.5, families={"free-flow": FreeFlow()}, random_state=0)
    np.testing.assert_array_equal(again.test_y, comparison.test_y)
    other = compare_models(prepared, sample=0.5, families={"free-flow": FreeFlow()}, random_state=1)
    assert not np.array_equal(other.test_y, comparison.test_y)


def test_until_moves_the_split(prepared: PreparedTrips) -> None:
    """until=d trains up to d and scores the days after."""
    days = np.unique(prepared.local_dates())
    result = compare_models(prepared, until=days[14], families={"free-flow": FreeFlow()})
    assert result.train_window == (days[0], days[14])
    assert result.test_window == (days[15], days[-1])


def test_progress_reports_each_family(prepared: PreparedTrips) -> None:
    """The progress callback is called once with each family's name, in order."""
    seen: list[str] = []
    compare_models(
        prepared,
        sample=0.2,
        families={"free-flow": FreeFlow(), "hour-of-week": HourOfWeekRatio()},
        progress=seen.append,
    )
    assert seen == ["free-flow", "hour-of-week"]


@pytest.mark.parametrize("sample", [0.0, -0.1, 1.5, 2.0])
def test_sample_outside_unit_interval_raises(prepared: PreparedTrips, sample: float) -> None:
    """A sample fraction outside (0, 1] raises ValueError naming it."""
    with pytest.raises(ValueError, match="sample must be in"):
        compare_models(prepared, sample=sample, families={"free-flow": FreeFlow()})


def test_split_without_test_days_raises(prepared: PreparedTrips) -> None:
    """A split with no later (or no earlier) days raises ValueError."""
    last = np.unique(prepared.local_dates())[-1]
    with pytest.raises(ValueError, match="no training or no test days"):
        compare_models(prepared, until=last, families={"free-flow": FreeFlow()})
    with pytest.raises(ValueError, match="no training or no test days"):
        compare_models(
            prepared, until=last - timedelta(days=90), families={"free-flow": FreeFlow()}
        )


def test_default_families_are_the_issues_ten() -> None:
    """The default comparison covers the nine families the issue names plus the raw-coordinate
    baseline, all unfitted."""
    default = model_families()
    assert len(default) == 10
    names = " ".join(default).lower()
    for word in (
        "free-flow",
        "global",
        "hour-of-week",
        "linear",
        "decision tree",
        "random forest",
        "mlp",
        "hist gradient boosting",
        "lightgbm",
        "raw coordinates",
    ):
        assert word in names, word
    assert isinstance(default[ETA_FAMILY], EtaModel)
    assert isinstance(default[RAW_FAMILY], RawCoordinateLightGBM)
    for estimator in default.values():
        assert clone(estimator).get_params().keys() == estimator.get_params().keys()
        assert not any(name.endswith("_") for name in vars(estimator))


def test_raw_coordinate_family_learns_from_the_trips(prepared: PreparedTrips) -> None:
    """The raw-coordinate family gets the cleaned trips of the same rows, is paired, and is
    never the chosen family (the service predicts from features)."""
    result = compare_models(
        prepared,
        sample=0.5,
        families={
            "lightgbm": small_eta_model(50),
            RAW_FAMILY: RawCoordinateLightGBM(max_rounds=300, early_stopping_rounds=20),
        },
    )
    assert result.table["model"].tolist() == ["lightgbm", RAW_FAMILY]
    assert result.chosen == "lightgbm", "the yardstick is never chosen"
    assert result.table.set_index("model").loc[RAW_FAMILY, "notes"] == "yardstick, not chosen"
    predicted = result.test_predictions[RAW_FAMILY]
    assert predicted.shape == result.test_y.shape and np.all(predicted > 0)
    paired = result.paired("lightgbm", RAW_FAMILY, n_resamples=200)
    assert paired.metrics[RAW_FAMILY]["mae_s"] == pytest.approx(
        result.table.set_index("model").loc[RAW_FAMILY, "mae_s"]
    )
    low, high = paired.mae_difference_ci
    assert low <= paired.mae_difference_s <= high
    assert "earn" in paired.verdict()
    with pytest.raises(ValueError, match="no family"):
        result.paired("lightgbm", "nope")
