"""Paired comparison and bootstrap intervals: known differences, zero intervals, seeding."""

from __future__ import annotations

import numpy as np
import pytest

from models import metrics
from models.metrics import bootstrap_means, metric_intervals
from models.paired import paired_comparison

N = 40_000


def shifted(sigma_a: float, sigma_b: float, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Actual durations and two predictions with independent Gaussian errors of known size."""
    rng = np.random.default_rng(seed)
    y = rng.uniform(900, 3000, N)  # errors never make a prediction negative
    return y, y + rng.normal(0, sigma_a, N), y + rng.normal(0, sigma_b, N)


def test_interval_contains_the_true_difference() -> None:
    """Errors of sd 80 vs 100 s: the MAE difference is 20*sqrt(2/pi) s, -20 %; both are covered."""
    y, a, b = shifted(80.0, 100.0)
    result = paired_comparison(y, a, b, names=("map", "raw"))
    true_s = (80.0 - 100.0) * np.sqrt(2 / np.pi)
    low, high = result.mae_difference_ci
    assert low < true_s < high
    assert high - low < 3.0
    low_pct, high_pct = result.mae_difference_pct_ci
    assert low_pct < -20.0 < high_pct
    assert result.mae_difference_s == pytest.approx(
        result.metrics["map"]["mae_s"] - result.metrics["raw"]["mae_s"]
    )
    assert result.candidate_wins and result.significant
    assert result.verdict().startswith("the map earns its keep: MAE -")
    assert "95% CI" in result.verdict()


def test_identical_predictions_give_a_zero_interval() -> None:
    """The same predictions twice: difference 0 with the interval [0, 0], not significant."""
    y, a, _ = shifted(80.0, 100.0)
    result = paired_comparison(y, a, a.copy())
    assert result.mae_difference_s == 0.0
    assert result.mae_difference_ci == (0.0, 0.0)
    assert result.mae_difference_pct_ci == (0.0, 0.0)
    assert not result.significant
    assert "does not earn its keep (no significant difference)" in result.verdict()


def test_a_worse_candidate_does_not_earn_its_keep() -> None:
    """A candidate with larger errors gets a positive, significant difference."""
    y, a, b = shifted(120.0, 100.0)
    result = paired_comparison(y, a, b)
    assert result.mae_difference_ci[0] > 0
    assert result.verdict("the map").startswith("the map does not earn its keep: MAE +")


def test_seeded_and_sized() -> None:
    """The same seed gives the same interval, another seed another one; as_dict is flat data."""
    y, a, b = shifted(90.0, 100.0, seed=1)
    first = paired_comparison(y, a, b, n_resamples=200, random_state=3)
    assert paired_comparison(y, a, b, n_resamples=200, random_state=3) == first
    assert paired_comparison(y, a, b, n_resamples=200, random_state=4) != first
    assert first.as_dict()["n_resamples"] == 200


def test_mismatched_lengths_raise() -> None:
    """Predictions of other rows are refused."""
    y, a, b = shifted(90.0, 100.0)
    with pytest.raises(ValueError, match="one shape"):
        paired_comparison(y, a[:-1], b)


def test_bootstrap_means_resample_rows_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """Columns share their rows; the spread is the standard error; chunking is transparent."""
    rng = np.random.default_rng(0)
    values = rng.normal(10.0, 2.0, 5_000)
    monkeypatch.setattr(metrics, "BOOTSTRAP_CHUNK_VALUES", 12_000)  # chunks of 2 resamples
    means = bootstrap_means(np.column_stack((values, values, 2 * values)), n_resamples=501)
    assert means.shape == (501, 3)
    np.testing.assert_array_equal(means[:, 0], means[:, 1])
    np.testing.assert_allclose(means[:, 2], 2 * means[:, 0])
    assert means[:, 0].mean() == pytest.approx(values.mean(), abs=0.01)
    assert means[:, 0].std() == pytest.approx(values.std() / np.sqrt(len(values)), rel=0.1)
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_means(values, n_resamples=0)
    with pytest.raises(ValueError, match="non-empty"):
        bootstrap_means(np.empty(0))


def test_metric_intervals_bracket_the_estimates() -> None:
    """The MAE and MAPE intervals contain the point estimates and are narrow on 40k rows."""
    y, a, _ = shifted(80.0, 100.0)
    intervals = metric_intervals(y, a, n_resamples=300)
    mae = np.mean(np.abs(a - y))
    mape = np.mean(np.abs(a - y) / y)
    assert intervals["mae_s"][0] < mae < intervals["mae_s"][1]
    assert intervals["mape"][0] < mape < intervals["mape"][1]
    assert intervals["mae_s"][1] - intervals["mae_s"][0] < 0.05 * mae
