"""Monitoring in the loop: a snowy spell raises the error, retraining brings it back down."""

from __future__ import annotations

import pytest

from simulations.drift import DriftScenario, run_drift

SMALL = DriftScenario(
    vehicles=10,
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
