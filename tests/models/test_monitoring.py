"""ETA monitoring: PSI, the rolling monitor, the promotion rule and the daily-error plot."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.typing import NDArray
from sklearn.linear_model import LinearRegression

from models import (
    EtaMonitor,
    ModelsError,
    MonitoringError,
    check_trusted,
    decide_promotion,
    plot_daily_error,
    population_stability_index,
    retrain_and_decide,
)

TZ = "America/New_York"
Z90 = 1.2815515655446004  # standard normal 90th percentile
RATIO_COLUMNS = ["hour_sin", "hour_cos"]


# --- a synthetic world: true ratio to free flow depends on the hour -----------------------


def make_trips(
    rng: np.random.Generator,
    n: int,
    first_day: str,
    days: int,
    *,
    slowdown: float = 1.0,
    congestion_shift: float = 0.0,
) -> tuple[pd.DataFrame, NDArray[np.float64], pd.DatetimeIndex]:
    """Features, true durations and local start times of ``n`` trips over ``days`` days."""
    start = pd.Timestamp(first_day, tz=TZ)
    seconds = np.sort(rng.uniform(0, days * 86_400, n))
    times = pd.DatetimeIndex(start + pd.to_timedelta(seconds, unit="s"))
    hour = times.hour + times.minute / 60
    angle = 2 * np.pi * hour / 24
    free_flow = rng.uniform(120, 1800, n)
    X = pd.DataFrame(
        {
            "free_flow_s": free_flow,
            "distance_m": free_flow * rng.uniform(8, 14, n),
            "hour_sin": np.sin(angle),
            "hour_cos": np.cos(angle),
            "congestion_index": 1 + 0.2 * rng.random(n) + congestion_shift,
            "precipitation_mm": np.where(rng.random(n) < 0.8, 0.0, rng.exponential(2.0, n)),
        }
    )
    log_ratio = 0.2 + 0.25 * np.sin(angle) + 0.15 * np.cos(angle) + rng.normal(0, 0.1, n)
    return X, free_flow * np.exp(log_ratio) * slowdown, times


@dataclass(frozen=True)
class RatioModel:
    """free_flow_s x exp(linear in the hour features); P90 from the residual spread."""

    regression: LinearRegression
    sigma: float

    def predict(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Median seconds."""
        ratio = np.exp(self.regression.predict(X[RATIO_COLUMNS].to_numpy()))
        return X["free_flow_s"].to_numpy() * ratio

    def predict_p90(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """P90 seconds under a log-normal residual."""
        return self.predict(X) * np.exp(Z90 * self.sigma)


def fit_ratio_model(X: pd.DataFrame, y: NDArray[np.float64]) -> RatioModel:
    """Least squares on log(actual / free flow), the realistic retraining callback."""
    target = np.log(y / X["free_flow_s"].to_numpy())
    regression = LinearRegression().fit(X[RATIO_COLUMNS].to_numpy(), target)
    residual = target - regression.predict(X[RATIO_COLUMNS].to_numpy())
    return RatioModel(regression, float(np.std(residual)))


@dataclass(frozen=True)
class Scaled:
    """free_flow_s times a constant: a deliberately poor model (1.0 = the map as is)."""

    ratio: float

    def predict(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Median seconds."""
        return X["free_flow_s"].to_numpy() * self.ratio

    def predict_p90(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """P90 seconds, 20% above the median."""
        return 1.2 * self.predict(X)


@pytest.fixture(scope="module")
def trained() -> tuple[RatioModel, pd.DataFrame, float]:
    """A model fitted on 20 pre-shift days, its training features and its test MAE."""
    rng = np.random.default_rng(0)
    X, y, _ = make_trips(rng, 6000, "2024-03-01", 20)
    model = fit_ratio_model(X, y)
    X_test, y_test, _ = make_trips(rng, 2000, "2024-03-21", 5)
    return model, X, float(np.mean(np.abs(model.predict(X_test) - y_test)))


def monitor_after(
    trained: tuple[RatioModel, pd.DataFrame, float], slowdown: float, congestion_shift: float
) -> EtaMonitor:
    """A monitor fed 3000 outcomes of the trained model in a world with the given shift."""
    model, reference, baseline = trained
    monitor = EtaMonitor(reference, baseline)
    X, y, times = make_trips(
        np.random.default_rng(1),
        3000,
        "2024-03-26",
        5,
        slowdown=slowdown,
        congestion_shift=congestion_shift,
    )
    for rows in np.array_split(np.arange(3000), 6):
        batch = X.iloc[rows]
        monitor.record(times[rows], model.predict(batch), model.predict_p90(batch), y[rows], batch)
    return monitor


# --- population stability index ------------------------------------------------------------


def test_psi_same_distribution_near_zero() -> None:
    """Two samples of one distribution have a PSI far below the 0.1 'stable' mark."""
    rng = np.random.default_rng(0)
    assert population_stability_index(rng.normal(size=5000), rng.normal(size=5000)) < 0.02


def test_psi_shifted_distribution_large() -> None:
    """A half-standard-deviation shift gives a PSI above the 0.25 'major shift' mark."""
    rng = np.random.default_rng(0)
    psi = population_stability_index(rng.normal(size=5000), rng.normal(0.5, 1, size=5000))
    assert psi > 0.25


def test_psi_nan_is_its_own_bin() -> None:
    """NaNs compare as a bin: equal NaN shares are stable, a surge of NaNs is drift."""
    rng = np.random.default_rng(0)
    expected = np.where(rng.random(5000) < 0.1, np.nan, rng.normal(size=5000))
    same = np.where(rng.random(5000) < 0.1, np.nan, rng.normal(size=5000))
    surge = np.where(rng.random(5000) < 0.5, np.nan, rng.normal(size=5000))
    assert population_stability_index(expected, same) < 0.02
    assert population_stability_index(expected, surge) > 0.25
    assert np.isfinite(population_stability_index(expected, np.full(100, np.nan)))


@pytest.mark.parametrize("moved", [4.0, 6.0])
def test_psi_constant_feature(moved: float) -> None:
    """A constant feature gives 0 when unchanged and a large PSI when it moves either way."""
    assert population_stability_index(np.full(100, 5.0), [5.0] * 30) == 0.0
    assert population_stability_index(np.full(100, 5.0), np.full(30, moved)) > 1.0


def test_psi_point_mass_at_zero() -> None:
    """A mostly-zero feature (precipitation) flags rain becoming common, not noise."""
    rng = np.random.default_rng(0)

    def rain(share: float) -> NDArray[np.float64]:
        return np.where(rng.random(5000) < share, rng.exponential(2.0, 5000), 0.0)

    assert population_stability_index(rain(0.2), rain(0.2)) < 0.02
    assert population_stability_index(rain(0.2), rain(0.6)) > 0.25


def test_psi_rejects_empty_input() -> None:
    """An empty sample is refused with its name."""
    with pytest.raises(ValueError, match="actual"):
        population_stability_index([1.0, 2.0], [])


_TIMES = pd.date_range("2024-03-01", periods=2, freq="h", tz=TZ)
_X = pd.DataFrame({"free_flow_s": [1.0, 2.0]})


@pytest.mark.parametrize(
    "call",
    [
        lambda: population_stability_index([1.0], [2.0], bins=0),
        lambda: EtaMonitor(_X, baseline_mae_s=-1.0),
        lambda: EtaMonitor(_X, 10.0).record(_TIMES, [1.0, 2.0], [2.0, 3.0], [1.0, 0.0], _X),
        lambda: decide_promotion(None, Scaled(1.0), _X.iloc[:0], []),
        lambda: retrain_and_decide(
            None, fit_ratio_model, _X, [1.0, 2.0], _TIMES, train_days=0, holdout_days=1
        ),
        lambda: plot_daily_error(pd.DataFrame({"mae_s": [1.0]}), "unused.png"),
    ],
    ids=["psi", "monitor", "record", "promotion", "retraining", "plot"],
)
def test_bad_inputs_raise_monitoring_errors(call: Callable[[], object]) -> None:
    """Refused inputs raise MonitoringError, a ModelsError that is still a ValueError."""
    with pytest.raises(MonitoringError) as raised:
        call()
    assert isinstance(raised.value, ModelsError)
    assert isinstance(raised.value, ValueError)


# --- the monitor ---------------------------------------------------------------------------


def test_monitor_quiet_before_shift(trained: tuple[RatioModel, pd.DataFrame, float]) -> None:
    """Outcomes from the world the model was trained on raise no alert."""
    status = monitor_after(trained, slowdown=1.0, congestion_shift=0.0).status()
    assert status.n == 2000
    assert status.n_recorded == 3000
    assert status.error_ratio < 1.1
    assert 0.85 <= status.p90_coverage <= 0.95
    assert set(status.psi) == {
        "free_flow_s",
        "distance_m",
        "hour_sin",
        "hour_cos",
        "congestion_index",
        "precipitation_mm",
    }
    assert max(status.psi.values()) < 0.1
    assert not status.alert, status.summary()


def test_monitor_detects_injected_shift(trained: tuple[RatioModel, pd.DataFrame, float]) -> None:
    """Trips 1.5x slower with a shifted congestion index raise error, coverage and drift alerts."""
    status = monitor_after(trained, slowdown=1.5, congestion_shift=0.1).status()
    assert status.error_alert
    assert status.coverage_alert
    assert status.drift_alert
    assert status.drifted_features == ("congestion_index",)
    assert status.bias_s < 0  # trips now take longer than predicted
    summary = status.summary()
    assert "ALERT" in summary
    assert "congestion_index" in summary
    json.dumps(status.as_dict())


def crafted_monitor(**thresholds: float) -> EtaMonitor:
    """A monitor holding four hand-made outcomes (local hours 8, 8, 9, 23)."""
    monitor = EtaMonitor(pd.DataFrame({"free_flow_s": [100.0, 200.0]}), 10.0, **thresholds)
    times = pd.DatetimeIndex(
        ["2024-03-01 08:00", "2024-03-01 08:30", "2024-03-01 09:00", "2024-03-01 23:30"], tz=TZ
    )
    monitor.record(
        times,
        predicted_s=[80.0, 100.0, 100.0, 100.0],
        predicted_p90_s=[100.0, 100.0, 100.0, 100.0],
        actual_s=[50.0, 100.0, 150.0, 99.9],
        features=pd.DataFrame({"free_flow_s": [100.0, 150.0, 150.0, 200.0], "other": 1}),
    )
    return monitor


def test_monitor_metrics_on_crafted_outcomes() -> None:
    """MAE, bias, MAPE, MAE by local hour and P90 coverage (actual <= P90) match hand values."""
    status = crafted_monitor(min_outcomes=1).status()
    errors = np.array([30.0, 0.0, -50.0, 0.1])
    assert status.n == 4
    np.testing.assert_allclose(status.mae_s, np.mean(np.abs(errors)))
    np.testing.assert_allclose(status.bias_s, np.mean(errors))
    np.testing.assert_allclose(status.mape, np.mean(np.abs(errors) / [50, 100, 150, 99.9]))
    assert status.p90_coverage == 0.75  # 50, 100 (equal counts) and 99.9 are within
    assert status.mae_by_hour.keys() == {8, 9, 23}
    np.testing.assert_allclose(status.mae_by_hour[8], 15.0)
    np.testing.assert_allclose(status.mae_by_hour[23], 0.1)
    assert set(status.psi) == {"free_flow_s"}
    assert status.coverage_alert  # 0.75 is below the 0.85 floor
    assert status.error_alert  # 20.025 s > 1.25 x 10 s


def test_monitor_alerts_on_over_coverage_as_calibration_drift() -> None:
    """A P90 far above every outcome with a small error: over-coverage, calibration drifted."""
    monitor = EtaMonitor(pd.DataFrame({"free_flow_s": [100.0, 200.0]}), 10.0, min_outcomes=1)
    times = pd.DatetimeIndex(["2024-03-01 08:00", "2024-03-01 09:00"], tz=TZ)
    no_features = pd.DataFrame(index=range(2))
    monitor.record(times, [100.0, 100.0], [500.0, 500.0], [101.0, 99.0], no_features)
    status = monitor.status()
    assert status.p90_coverage == 1.0
    assert status.coverage_alert and status.over_coverage_alert
    assert not status.under_coverage_alert and not status.error_alert
    assert status.drift_kind == "calibration"
    assert "P90 too wide" in status.summary() and "recalibrate" in status.summary()
    assert status.as_dict()["drift_kind"] == "calibration"
    assert status.as_dict()["over_coverage_alert"] is True


def test_monitor_error_alert_means_the_model_drifted() -> None:
    """Under-coverage with the error up is a drifted model (retrain), not only calibration."""
    status = crafted_monitor(min_outcomes=1).status()
    assert status.under_coverage_alert and not status.over_coverage_alert
    assert status.drift_kind == "model"
    assert "retrain" in status.summary()
    quiet = crafted_monitor().status()  # below min_outcomes: nothing fires
    assert quiet.drift_kind == "none"


def test_clear_window_forgets_outcomes_but_not_days() -> None:
    """After clear_window the rolling window is empty and the per-day table is kept."""
    monitor = crafted_monitor(min_outcomes=1)
    monitor.clear_window()
    status = monitor.status()
    assert status.n == 0 and status.n_recorded == 4 and not status.alert
    assert monitor.daily_error()["n"].sum() == 4


def test_monitor_no_alert_below_min_outcomes() -> None:
    """Four outcomes are too few to alert with the default minimum of 100."""
    status = crafted_monitor().status()
    assert status.mae_s > 12.5
    assert not status.alert
    assert "wait for 100" in status.summary()


def test_monitor_window_keeps_most_recent() -> None:
    """With window=2 the rolling MAE uses only the last two outcomes."""
    status = crafted_monitor(window=2, min_outcomes=1).status()
    assert status.n == 2
    assert status.n_recorded == 4
    np.testing.assert_allclose(status.mae_s, (50.0 + 0.1) / 2)


def test_daily_error_groups_by_local_date() -> None:
    """A trip at 23:30 in New York (04:30 UTC next day) counts on its local date."""
    monitor = crafted_monitor()
    times = pd.DatetimeIndex(["2024-03-02 10:00"], tz=TZ)
    monitor.record(times, [120.0], [150.0], [100.0], pd.DataFrame({"free_flow_s": [90.0]}))
    daily = monitor.daily_error()
    assert list(daily.index) == [date(2024, 3, 1), date(2024, 3, 2)]
    assert list(daily["n"]) == [4, 1]
    np.testing.assert_allclose(daily["mae_s"], [80.1 / 4, 20.0])
    np.testing.assert_allclose(daily["bias_s"], [-19.9 / 4, 20.0])
    np.testing.assert_allclose(daily["p90_coverage"], [0.75, 1.0])


@pytest.mark.parametrize("argument", ["predicted_s", "predicted_p90_s", "actual_s", "features"])
def test_record_rejects_mismatched_lengths(argument: str) -> None:
    """A batch whose argument is one row short is refused with the argument's name."""
    monitor = EtaMonitor(pd.DataFrame({"free_flow_s": [1.0, 2.0]}), 10.0)
    batch = {
        "timestamps": pd.date_range("2024-03-01", periods=3, freq="h", tz=TZ),
        "predicted_s": [1.0, 2.0, 3.0],
        "predicted_p90_s": [2.0, 3.0, 4.0],
        "actual_s": [1.0, 2.0, 3.0],
        "features": pd.DataFrame({"free_flow_s": [1.0, 2.0, 3.0]}),
    }
    batch[argument] = batch[argument][:2]
    with pytest.raises(ValueError, match=argument):
        monitor.record(**batch)
    assert monitor.status().n == 0


@pytest.mark.parametrize(
    ("argument", "value", "message"),
    [
        ("actual_s", [1.0, 0.0, 3.0], "actual_s must be positive"),
        ("actual_s", [1.0, np.nan, 3.0], "actual_s contains NaN"),
        ("predicted_s", [1.0, np.inf, 3.0], "predicted_s contains NaN or infinite"),
        ("timestamps", pd.date_range("2024-03-01", periods=3, freq="h"), "timezone-aware"),
    ],
)
def test_record_rejects_bad_values(argument: str, value: object, message: str) -> None:
    """Non-positive or non-finite durations and naive timestamps are refused by name."""
    monitor = EtaMonitor(pd.DataFrame({"free_flow_s": [1.0, 2.0]}), 10.0)
    batch = {
        "timestamps": pd.date_range("2024-03-01", periods=3, freq="h", tz=TZ),
        "predicted_s": [1.0, 2.0, 3.0],
        "predicted_p90_s": [2.0, 3.0, 4.0],
        "actual_s": [1.0, 2.0, 3.0],
        "features": pd.DataFrame({"free_flow_s": [1.0, 2.0, 3.0]}),
    }
    batch[argument] = value
    with pytest.raises(ValueError, match=message):
        monitor.record(**batch)


# --- the retraining rule -------------------------------------------------------------------


@pytest.fixture(scope="module")
def holdout() -> tuple[pd.DataFrame, NDArray[np.float64]]:
    """Two thousand trips of the pre-shift world, unseen by any model."""
    X, y, _ = make_trips(np.random.default_rng(2), 2000, "2024-03-26", 5)
    return X, y


def test_decide_promotion_promotes_better(
    trained: tuple[RatioModel, pd.DataFrame, float],
    holdout: tuple[pd.DataFrame, NDArray[np.float64]],
) -> None:
    """A model that knows the hour effect replaces the map's free-flow times."""
    model, _, _ = trained
    decision = decide_promotion(Scaled(1.0), model, *holdout)
    assert decision.promote
    assert decision.candidate_mae_s < decision.current_mae_s
    assert decision.improvement == pytest.approx(
        1 - decision.candidate_mae_s / decision.current_mae_s
    )
    assert decision.n_holdout == 2000
    assert "promote" in decision.reason


@pytest.mark.parametrize("candidate", [Scaled(1.0), "same"])
def test_decide_promotion_refuses_worse_or_equal(
    trained: tuple[RatioModel, pd.DataFrame, float],
    holdout: tuple[pd.DataFrame, NDArray[np.float64]],
    candidate: Scaled | str,
) -> None:
    """A worse candidate, or one exactly as good, leaves the current model in place."""
    model, _, _ = trained
    decision = decide_promotion(model, model if candidate == "same" else candidate, *holdout)
    assert not decision.promote
    assert decision.improvement is not None and decision.improvement <= 0
    assert "keep the current model" in decision.reason


def test_decide_promotion_requires_min_improvement(
    trained: tuple[RatioModel, pd.DataFrame, float],
    holdout: tuple[pd.DataFrame, NDArray[np.float64]],
) -> None:
    """A better candidate is refused when its gain is below the required fraction."""
    model, _, _ = trained
    decision = decide_promotion(Scaled(1.0), model, *holdout)
    gain = decision.improvement
    assert gain is not None
    assert not decide_promotion(Scaled(1.0), model, *holdout, min_improvement=gain + 0.01).promote


def test_decide_promotion_without_current_model(
    holdout: tuple[pd.DataFrame, NDArray[np.float64]],
) -> None:
    """With no model in service any candidate is promoted, and the reason says why."""
    decision = decide_promotion(None, Scaled(1.0), *holdout)
    assert decision.promote
    assert decision.current_mae_s is None
    assert decision.improvement is None
    assert "no current model" in decision.reason
    json.dumps(decision.as_dict())


def test_decide_promotion_records_numbers() -> None:
    """Both MAEs, both P90 coverages (actual <= P90) and the holdout window match hand values."""
    X = pd.DataFrame({"free_flow_s": [100.0, 100.0]})
    times = pd.DatetimeIndex(["2024-03-29 23:00", "2024-03-30 06:00"], tz=TZ)
    decision = decide_promotion(Scaled(1.5), Scaled(1.0), X, [120.0, 150.0], timestamps=times)
    assert decision.current_mae_s == pytest.approx(15.0)  # predicts 150 for both
    assert decision.candidate_mae_s == pytest.approx(35.0)  # predicts 100 for both
    assert decision.current_p90_coverage == 1.0  # P90 180
    assert decision.candidate_p90_coverage == 0.5  # P90 120: 120 is within, 150 is not
    assert decision.improvement == pytest.approx(1 - 35 / 15)
    assert (decision.holdout_start, decision.holdout_end) == (times[0], times[1])
    assert not decision.promote


@pytest.fixture(scope="module")
def shifted_history() -> tuple[pd.DataFrame, NDArray[np.float64], pd.DatetimeIndex]:
    """March 1-20 in the old world, then March 21-30 with trips 1.5x slower."""
    rng = np.random.default_rng(3)
    X_old, y_old, t_old = make_trips(rng, 4000, "2024-03-01", 20)
    X_new, y_new, t_new = make_trips(rng, 3000, "2024-03-21", 10, slowdown=1.5)
    X = pd.concat([X_old, X_new], ignore_index=True)
    return X, np.concatenate([y_old, y_new]), t_old.append(t_new)


def test_retrain_splits_by_local_calendar_days(
    trained: tuple[RatioModel, pd.DataFrame, float],
    shifted_history: tuple[pd.DataFrame, NDArray[np.float64], pd.DatetimeIndex],
) -> None:
    """Train on March 21-27 and hold out March 28-30: the last 3 local days after 7 before."""
    X, y, times = shifted_history
    seen: list[pd.Index] = []

    def fit(X_train: pd.DataFrame, y_train: NDArray[np.float64]) -> RatioModel:
        seen.append(X_train.index)
        return fit_ratio_model(X_train, y_train)

    model, _, _ = trained
    _, decision = retrain_and_decide(model, fit, X, y, times, train_days=7, holdout_days=3)
    days = np.asarray(times.date)
    train_rows = (days >= date(2024, 3, 21)) & (days <= date(2024, 3, 27))
    holdout_rows = days >= date(2024, 3, 28)
    np.testing.assert_array_equal(np.sort(seen[0]), np.flatnonzero(train_rows))
    assert decision.n_holdout == int(holdout_rows.sum())
    assert decision.holdout_start == times[holdout_rows].min()
    assert decision.holdout_end == times[holdout_rows].max()
    assert decision.holdout_start.date() == date(2024, 3, 28)
    assert decision.holdout_end.date() == date(2024, 3, 30)
    assert decision.as_dict()["holdout_start"].startswith("2024-03-28")
    assert decision.split is not None and "split" not in decision.as_dict()
    np.testing.assert_array_equal(decision.split.train, train_rows)
    np.testing.assert_array_equal(decision.split.holdout, holdout_rows)
    assert decision.split.train_window == (date(2024, 3, 21), date(2024, 3, 27))
    assert decision.split.holdout_window == (date(2024, 3, 28), date(2024, 3, 30))


def test_retrain_promotes_post_shift_candidate(
    trained: tuple[RatioModel, pd.DataFrame, float],
    shifted_history: tuple[pd.DataFrame, NDArray[np.float64], pd.DatetimeIndex],
) -> None:
    """A candidate fitted after the shift beats the pre-shift model and is promoted."""
    model, _, _ = trained
    candidate, decision = retrain_and_decide(
        model, fit_ratio_model, *shifted_history, train_days=7, holdout_days=3
    )
    assert isinstance(candidate, RatioModel)
    assert decision.promote, decision.reason
    assert decision.improvement is not None and decision.improvement > 0.3


def test_retrain_refuses_bad_candidate(
    trained: tuple[RatioModel, pd.DataFrame, float],
    shifted_history: tuple[pd.DataFrame, NDArray[np.float64], pd.DatetimeIndex],
) -> None:
    """A candidate that ignores its data (free-flow times) is not promoted."""
    model, _, _ = trained

    def fit_free_flow(X_train: pd.DataFrame, y_train: NDArray[np.float64]) -> Scaled:
        return Scaled(1.0)

    _, decision = retrain_and_decide(
        model, fit_free_flow, *shifted_history, train_days=7, holdout_days=3
    )
    assert not decision.promote, decision.reason


def test_poisoned_recent_trips_do_not_promote_past_the_trusted_holdout(
    trained: tuple[RatioModel, pd.DataFrame, float],
    holdout: tuple[pd.DataFrame, NDArray[np.float64]],
) -> None:
    """Recent trips reported 3x slower than the model predicts make a candidate that wins
    on them; on the trusted holdout (the real world) it is far worse, so it is refused."""
    model, _, _ = trained
    X, _, times = make_trips(np.random.default_rng(4), 3000, "2024-03-21", 10)
    poisoned = 3 * model.predict(X)
    _, alone = retrain_and_decide(
        model, fit_ratio_model, X, poisoned, times, train_days=7, holdout_days=3
    )
    assert alone.promote  # the recent trips alone would let the poison in
    _, decision = retrain_and_decide(
        model,
        fit_ratio_model,
        X,
        poisoned,
        times,
        train_days=7,
        holdout_days=3,
        trusted=holdout,
        tolerance=0.05,
    )
    assert not decision.promote
    assert decision.candidate_mae_s < (decision.current_mae_s or 0)
    trusted = decision.trusted
    assert trusted is not None and not trusted.passed
    assert trusted.regression > 1.0
    assert trusted.candidate_mae_s == pytest.approx(
        float(np.mean(np.abs(3 * model.predict(holdout[0]) - holdout[1]))), rel=0.05
    )
    assert decision.reason.startswith("keep the current model")
    assert "beyond the 5.0% tolerance" in decision.reason
    json.dumps(decision.as_dict())


def test_a_real_shift_promotes_with_a_trusted_holdout_of_it(
    trained: tuple[RatioModel, pd.DataFrame, float],
    shifted_history: tuple[pd.DataFrame, NDArray[np.float64], pd.DatetimeIndex],
) -> None:
    """After a real shift a trusted holdout of the new world lets the candidate in; the
    pre-shift holdout keeps it out: the trusted holdout decides."""
    model, _, _ = trained
    rng = np.random.default_rng(5)
    X_new, y_new, _ = make_trips(rng, 1000, "2024-04-01", 3, slowdown=1.5)
    X_old, y_old, _ = make_trips(rng, 1000, "2024-04-01", 3)
    verdicts = {}
    for name, trusted in (("new", (X_new, y_new)), ("old", (X_old, y_old))):
        _, decision = retrain_and_decide(
            model,
            fit_ratio_model,
            *shifted_history,
            train_days=7,
            holdout_days=3,
            trusted=trusted,
            tolerance=0.05,
        )
        verdicts[name] = decision.promote
    assert verdicts == {"new": True, "old": False}


@pytest.mark.parametrize(("worse", "passed"), [(0.0, True), (0.04, True), (0.06, False)])
def test_trusted_tolerance_bounds_the_regression(worse: float, passed: bool) -> None:
    """The candidate may be worse on the trusted holdout by at most the tolerance."""
    X = pd.DataFrame({"free_flow_s": [100.0, 200.0]})
    y = [150.0, 300.0]  # current (2x free flow) is off by 0.5x free flow
    check = check_trusted(Scaled(2.0), Scaled(2.0 + 0.5 * worse), X, y, tolerance=0.05)
    assert check.current_mae_s == pytest.approx(75.0)
    assert check.regression == pytest.approx(worse)
    assert check.passed is passed


def test_trusted_check_without_a_current_model_uses_free_flow() -> None:
    """With no model in service the candidate must do no worse than the free-flow times."""
    X = pd.DataFrame({"free_flow_s": [100.0, 200.0]})
    check = check_trusted(None, Scaled(2.0), X, [100.0, 200.0])
    assert (check.current_mae_s, check.candidate_mae_s, check.passed) == (0.0, 150.0, False)
    decision = decide_promotion(None, Scaled(2.0), X, [200.0, 400.0], trusted=(X, [100.0, 200.0]))
    assert not decision.promote
    assert "keep free-flow times" in decision.reason


def test_retrain_rejects_empty_training_window(
    shifted_history: tuple[pd.DataFrame, NDArray[np.float64], pd.DatetimeIndex],
) -> None:
    """Without trips in the days before the holdout the rule refuses to fit."""
    X, y, times = shifted_history
    recent = np.asarray(times.date) >= date(2024, 3, 28)
    with pytest.raises(ValueError, match="no trips in the training window"):
        retrain_and_decide(
            None, fit_ratio_model, X[recent], y[recent], times[recent], train_days=7, holdout_days=3
        )


# --- plot ----------------------------------------------------------------------------------


def test_plot_daily_error_writes_png(
    trained: tuple[RatioModel, pd.DataFrame, float], tmp_path: Path
) -> None:
    """The daily-error plot with event lines is a non-empty PNG file."""
    daily = monitor_after(trained, slowdown=1.5, congestion_shift=0.1).daily_error()
    events = {"drift starts": date(2024, 3, 27), "new model promoted": date(2024, 3, 29)}
    out = plot_daily_error(daily, tmp_path / "plots" / "daily.png", events=events)
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG")
    assert len(data) > 5000
