"""Monitoring in the loop: a snowy spell raises the error, retraining brings it back down."""

from __future__ import annotations

import pandas as pd
import pytest

from models import EtaMonitor, MonitorStatus
from simulations.drift import DriftScenario, responses, run_drift

SMALL = DriftScenario(
    vehicles=10,
    riders=200,
    history_days=14,
    replay_days=7,
    change_day=1,
    regime_days=6,
    train_days=10,
    holdout_days=1,
)


def test_snow_raises_an_alert_and_a_promoted_model_recovers() -> None:
    """Dry days pass quietly; snow trips the alert; the promoted model errs less on snow."""
    run = run_drift(SMALL)
    days = run.days
    assert [d.weather for d in days[1:]] == ["snow"] * 6
    assert not days[0].alert
    first_snow = days[1]
    assert first_snow.alert and first_snow.mae_s > 1.25 * days[0].mae_s
    promoted = [k for k, d in enumerate(days) if d.action.startswith("promoted")]
    assert promoted, [d.action for d in days]
    after = days[promoted[0] + 1 :]
    assert after and all(d.model != "v1" for d in after)
    assert max(d.mae_s for d in after) < first_snow.mae_s
    assert len(run.daily_error) == SMALL.replay_days


def test_drift_scenario_checks_its_fields() -> None:
    """An unknown regime or a change outside the replayed days is refused."""
    with pytest.raises(ValueError, match="regime"):
        DriftScenario(regime="hail")
    with pytest.raises(ValueError, match="change_day"):
        DriftScenario(change_day=20)


def status_of(predicted: float, p90: float, actual: list[float]) -> MonitorStatus:
    """A monitor's status after 10 outcomes against a 10 s baseline error."""
    monitor = EtaMonitor(pd.DataFrame({"free_flow_s": [100.0]}), 10.0, min_outcomes=10)
    times = pd.date_range("2026-02-02 08:00", periods=10, freq="min", tz="America/New_York")
    monitor.record(times, [predicted] * 10, [p90] * 10, actual, pd.DataFrame(index=range(10)))
    return monitor.status()


def test_responses_recalibrate_when_only_the_calibration_drifted() -> None:
    """Over- or under-coverage with a small error recalibrates; an error alert retrains first."""
    too_wide = status_of(predicted=100.0, p90=300.0, actual=[101.0] * 10)
    assert too_wide.over_coverage_alert and not too_wide.error_alert
    assert responses(too_wide) == ("recalibrate",)
    too_narrow = status_of(predicted=100.0, p90=101.0, actual=[105.0] * 10)
    assert too_narrow.under_coverage_alert and not too_narrow.error_alert
    assert responses(too_narrow) == ("recalibrate",)
    drifted = status_of(predicted=100.0, p90=110.0, actual=[150.0] * 10)
    assert drifted.drift_kind == "model"
    assert responses(drifted) == ("retrain", "recalibrate")
    assert responses(drifted, may_retrain=False) == ("recalibrate",)
    calm = status_of(predicted=100.0, p90=110.0, actual=[101.0] * 9 + [111.0])
    assert calm.p90_coverage == 0.9 and responses(calm) == ()
