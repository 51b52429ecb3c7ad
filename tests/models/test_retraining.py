"""The monitor and the retraining rule with the real ETA model on simulated history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models import EtaMonitor, MonitoringError, recalibrate_recent, retrain_and_decide
from models.baselines import FreeFlow
from models.training import PreparedTrips, TrainingResult

from .conftest import small_eta_model

SHIFT = 1.5  # after the shift every drive takes 50% longer (a snowy week, a bridge closed)


def _later_days(prepared: PreparedTrips, trained: TrainingResult) -> np.ndarray:
    assert trained.test_window is not None
    return prepared.local_dates() >= trained.test_window[0]


def test_monitor_flags_an_injected_slowdown_and_not_the_normal_days(
    prepared: PreparedTrips, trained: TrainingResult
) -> None:
    """Held-out days as they were raise no alert; the same days 50% slower raise an error alert."""
    later = _later_days(prepared, trained)
    X, y, times = prepared.X[later], prepared.y[later], prepared.trips["pickup_time"][later]
    model = trained.model
    train_rows = ~later

    def monitor_with(actual: np.ndarray) -> EtaMonitor:
        monitor = EtaMonitor(prepared.X[train_rows], baseline_mae_s=trained.metrics["mae_s"])
        monitor.record(times, model.predict(X), model.predict_p90(X), actual, X)
        return monitor

    calm = monitor_with(y).status()
    shifted = monitor_with(y * SHIFT).status()
    assert not calm.error_alert
    assert shifted.error_alert
    assert shifted.mae_s > 2 * calm.mae_s
    assert shifted.p90_coverage < calm.p90_coverage


def test_retraining_promotes_a_model_that_learned_the_shift_only(
    prepared: PreparedTrips, trained: TrainingResult
) -> None:
    """After the shift, a model retrained on recent days is promoted; free flow is not."""
    later = _later_days(prepared, trained)
    y = np.where(later, prepared.y * SHIFT, prepared.y)
    times = pd.Series(prepared.trips["pickup_time"].to_numpy())
    n_later_days = len(np.unique(prepared.local_dates()[later]))
    window = {"train_days": n_later_days - 2, "holdout_days": 2}

    def fit_eta(X: pd.DataFrame, target: np.ndarray) -> object:
        return small_eta_model().fit(X, target)

    candidate, decision = retrain_and_decide(trained.model, fit_eta, prepared.X, y, times, **window)
    assert decision.promote, decision.reason
    assert decision.candidate_mae_s < decision.current_mae_s

    def fit_free_flow(X: pd.DataFrame, target: np.ndarray) -> FreeFlow:
        model = FreeFlow().fit(X, target)
        model.predict_p90 = model.predict  # type: ignore[attr-defined]
        return model

    _, refused = retrain_and_decide(candidate, fit_free_flow, prepared.X, y, times, **window)
    assert not refused.promote


def test_recalibration_on_recent_days_fixes_over_coverage_and_keeps_the_error(
    prepared: PreparedTrips, trained: TrainingResult
) -> None:
    """Trips less spread after training: the P90 over-covers; recalibrating restores ~0.9."""
    later = _later_days(prepared, trained)
    model = trained.model
    p50 = model.predict(prepared.X)
    y = np.where(later, p50 * (prepared.y / p50) ** 0.3, prepared.y)
    times = prepared.trips["pickup_time"]
    assert trained.test_window is not None
    recalibrated, done = recalibrate_recent(
        model, prepared.X, y, times, days=30, after=trained.train_window[1], half_life_days=2.0
    )
    assert done.window[0] == trained.test_window[0]  # nothing from the training window
    assert done.n_rows == int(later.sum())
    assert done.coverage_before > 0.95
    assert 0.85 <= done.coverage_after <= 0.95
    X = prepared.X[later]
    np.testing.assert_array_equal(recalibrated.predict(X), model.predict(X))
    two_days = recalibrate_recent(model, prepared.X, y, times, days=2)[1]
    assert (two_days.window[1] - two_days.window[0]).days == 1
    with pytest.raises(MonitoringError, match="no trips"):
        recalibrate_recent(model, prepared.X, y, times, days=1, after=two_days.window[1])
