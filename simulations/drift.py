"""Monitoring in the loop: the world changes regime, the monitor notices, retraining recovers.

The ETA model is trained on the world's first ``history_days`` days. Then days are
replayed one by one under a policy using the model in service; each day's drives become
trip records (the logs a provider keeps), the model's predictions for them are recorded
by an :class:`~models.EtaMonitor`, and the records join the history. From
``change_day`` on, the world is in another regime (by default a snowy week). The alert
compares the rolling error with the first model's test error, the service level the
provider signed up for, whatever model is in service (a promotion restarts the window).
When the
monitor raises an error alert, a candidate is trained on the ``train_days`` days before
the last ``holdout_days`` and promoted only if it cuts the error of the model in service
on them by ``min_improvement`` (:func:`~models.retrain_and_decide`); the first
alert of a new regime often has too little of it to learn from, so the rule tries again
the next day. When a retrained candidate is not promoted, or when only the P90 coverage
left its band (an under- or over-coverage alert with the error within bound: the
calibration drifted, not the model), the model in service is recalibrated instead
(:func:`~models.recalibrate_recent`): its P90 offsets per weather and hour band are refitted
on the last ``recalibration_days`` days it was not trained on, its boosters kept. After a
snowy week that is what brings a P90 widened for snow back to size on dry days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from models import EtaModel, EtaMonitor, MonitorStatus, recalibrate_recent, retrain_and_decide
from models.training import PreparedTrips, prepare_trips, train_eta

from .engine import DayResult, run_day
from .estimator import TravelEstimator, congestion_profile
from .exceptions import ScenarioError
from .history import generate_history
from .policies import GreedyPolicy
from .scenario import Scenario, build_world
from .weather import REGIMES
from .world import World


@dataclass(frozen=True)
class DriftScenario:
    """A regime change after the training history, and the retraining rule's windows."""

    seed: int = 0
    vehicles: int = 20
    riders: int = 400  # 20 per vehicle of the default fleet
    history_days: int = 28
    replay_days: int = 12
    change_day: int = 0  # replayed day on which the regime starts
    regime: str = "snow"
    regime_days: int = 7
    train_days: int = 14
    holdout_days: int = 1
    cooldown_days: int = 1  # days between two retrainings
    min_improvement: float = 0.1  # a candidate must cut the holdout MAE by this share
    recalibrate: bool = True  # refit the P90 calibration on coverage alerts
    recalibration_days: int = 3  # latest days the calibration is refitted on
    map_path: str | None = None

    def __post_init__(self) -> None:
        if self.recalibration_days < 1:
            msg = f"recalibration_days must be at least 1, got {self.recalibration_days}"
            raise ScenarioError(msg)
        if self.regime not in REGIMES:
            msg = f"regime must be one of {REGIMES}, got {self.regime!r}"
            raise ScenarioError(msg)
        if not 0 <= self.change_day < self.replay_days:
            msg = f"change_day must be within the {self.replay_days} replayed days"
            raise ScenarioError(msg)

    def scenario(self) -> Scenario:
        """The world: history plus replayed days, the regime forced on its days."""
        first = self.history_days + self.change_day
        forced = tuple((first + k, self.regime) for k in range(self.regime_days))
        base = Scenario(
            seed=self.seed,
            vehicles=self.vehicles,
            riders=self.riders,
            history_days=self.history_days,
            map_path=self.map_path,
        )
        weather = replace(base.world.weather, forced=forced)
        return replace(base, world=replace(base.world, weather=weather))


@dataclass
class DriftDay:
    """One replayed day: its weather, the serving model's error, the alert, the action."""

    day: int
    weather: str
    legs: int
    mae_s: float
    bias_s: float
    p90_coverage: float
    model: str
    alert: bool
    action: str = ""
    coverage_alert: str = ""  # "under" or "over" when the rolling P90 coverage left its band


@dataclass
class DriftRun:
    """The replayed days and the monitor's daily error table."""

    scenario: DriftScenario
    days: list[DriftDay] = field(default_factory=list)
    daily_error: pd.DataFrame = field(default_factory=pd.DataFrame)
    dates: dict[str, Any] = field(default_factory=dict)


def run_drift(drift: DriftScenario, progress: Callable[[DriftDay], None] | None = None) -> DriftRun:
    """Replay the days after the history with the monitor, retraining and recalibration."""
    world = build_world(drift.scenario(), days=drift.history_days + drift.replay_days)
    history = generate_history(world, days=drift.history_days).records
    data = prepare_trips(history, world.graph)
    trained = train_eta(data, test_fraction=0.15)
    serving = _Serving(trained.model, "v1", trained.train_window[1])
    profile = congestion_profile(history)
    alerting = _monitor(data.X, trained.metrics["mae_s"])
    scoreboard = _monitor(data.X, trained.metrics["mae_s"])
    run = DriftRun(drift)
    last_retrain = -drift.cooldown_days
    for k in range(drift.replay_days):
        day = drift.history_days + k
        estimator = TravelEstimator(
            world.public, day, serving.model, model_version=serving.label, profile=profile
        )
        result = run_day(world, day, GreedyPolicy(estimator))
        records = day_records(world, result)
        day_data = prepare_trips(records, world.graph)
        scores = _score(serving.model, day_data, (alerting, scoreboard))
        status = alerting.status()
        report = DriftDay(
            day,
            world.weather[day].regime,
            len(records),
            *scores,
            serving.label,
            status.error_alert,
            coverage_alert=_coverage_direction(status),
        )
        if len(records):
            history = pd.concat([history, records], ignore_index=True)
        actions = []
        promoted = False
        plan = responses(status, may_retrain=k - last_retrain >= drift.cooldown_days)
        if "retrain" in plan:
            last_retrain = k
            serving, alerting, action, promoted = _retrain(drift, world, history, serving, alerting)
            actions.append(action)
        if drift.recalibrate and "recalibrate" in plan and not promoted:
            serving, alerting, action = _recalibrate(drift, world, history, serving, alerting)
            actions.append(action)
        report.action = "; ".join(actions)
        run.days.append(report)
        if progress is not None:
            progress(report)
    run.daily_error = scoreboard.daily_error()
    run.dates = {
        f"{drift.regime} starts": world.dates[drift.history_days + drift.change_day],
        **{
            f"promoted {d.action.split()[1]}": world.dates[d.day]
            for d in run.days
            if d.action.startswith("promoted")
        },
    }
    return run


def responses(status: MonitorStatus, *, may_retrain: bool = True) -> tuple[str, ...]:
    """What the day's monitor status calls for, in order of trial.

    "retrain" when the model drifted (an error alert) and ``may_retrain`` (the cooldown is
    over); "recalibrate" on an under- or over-coverage alert, whether the error is up or
    not: it is tried after the retraining only if no candidate was promoted.
    """
    plan = []
    if status.drift_kind == "model" and may_retrain:
        plan.append("retrain")
    if status.coverage_alert:
        plan.append("recalibrate")
    return tuple(plan)


@dataclass(frozen=True)
class _Serving:
    """The model in service, its version, its recalibrations and its last training day."""

    model: EtaModel
    version: str
    trained_through: date
    recalibrations: int = 0

    @property
    def label(self) -> str:
        """The version, with ``.rN`` after N recalibrations (v2.r1)."""
        return self.version + (f".r{self.recalibrations}" if self.recalibrations else "")


def _coverage_direction(status: MonitorStatus) -> str:
    if status.under_coverage_alert:
        return "under"
    return "over" if status.over_coverage_alert else ""


def _score(
    model: EtaModel, day: PreparedTrips, monitors: tuple[EtaMonitor, ...]
) -> tuple[float, float, float]:
    """The model's MAE, bias and P90 coverage on a day's drives, recorded by the monitors."""
    if len(day.y) == 0:
        return float("nan"), float("nan"), float("nan")
    p50, p90 = model.predict_with_p90(day.X)
    for monitor in monitors:
        monitor.record(day.trips["pickup_time"], p50, p90, day.y, day.X)
    error = p50 - day.y
    return float(np.abs(error).mean()), float(error.mean()), float((day.y <= p90).mean())


def _monitor(reference: pd.DataFrame, baseline_mae_s: float) -> EtaMonitor:
    # about a day of drives: a regime change shows in the coverage the next morning
    return EtaMonitor(reference, baseline_mae_s, window=600, min_outcomes=200)


def _retrain(
    drift: DriftScenario,
    world: World,
    history: pd.DataFrame,
    serving: _Serving,
    alerting: EtaMonitor,
) -> tuple[_Serving, EtaMonitor, str, bool]:
    """Train a candidate on recent days; promote it if it wins on the holdout."""
    data = prepare_trips(history, world.graph)
    candidate, decision = retrain_and_decide(
        serving.model,
        lambda X, y: EtaModel().fit(X, y),
        data.X,
        data.y,
        data.trips["pickup_time"],
        train_days=drift.train_days,
        holdout_days=drift.holdout_days,
        min_improvement=drift.min_improvement,
    )
    scores = f"(holdout MAE {decision.candidate_mae_s:.0f} s vs {decision.current_mae_s:.0f} s)"
    if not decision.promote:
        return serving, alerting, f"kept {serving.label} {scores}", False
    new_version = f"v{int(serving.version[1:]) + 1}"
    assert decision.split is not None  # retrain_and_decide always records its split
    recent = data.X.loc[decision.split.train | decision.split.holdout]
    return (
        _Serving(candidate, new_version, decision.split.train_window[1]),
        _monitor(recent, alerting.baseline_mae_s),
        f"promoted {new_version} {scores}",
        True,
    )


def _recalibrate(
    drift: DriftScenario,
    world: World,
    history: pd.DataFrame,
    serving: _Serving,
    alerting: EtaMonitor,
) -> tuple[_Serving, EtaMonitor, str]:
    """Refit the serving model's P90 calibration on the latest days it was not trained on."""
    latest = history["day"].max()
    data = prepare_trips(history[history["day"] > latest - drift.recalibration_days], world.graph)
    model, done = recalibrate_recent(
        serving.model,
        data.X,
        data.y,
        data.trips["pickup_time"],
        days=drift.recalibration_days,
        after=serving.trained_through,
    )
    serving = replace(serving, model=model, recalibrations=serving.recalibrations + 1)
    alerting.clear_window()  # the outcomes so far judged the old calibration
    return serving, alerting, f"recalibrated {serving.label} ({done.describe()})"


def day_records(world: World, result: DayResult) -> pd.DataFrame:
    """The day's drives as trip records (the columns :func:`models.read_trips` expects)."""
    graph = world.graph
    legs = result.legs
    origin = np.array([leg.origin for leg in legs], dtype=np.int64)
    dest = np.array([leg.dest for leg in legs], dtype=np.int64)
    depart = np.array([leg.depart_s for leg in legs])
    weather = [world.weather_observation(result.day, t) for t in depart]
    return pd.DataFrame(
        {
            "trip_id": [leg.trip_id or f"{leg.vehicle_id}-depot" for leg in legs],
            "pickup_time": world.timestamps(np.full(len(legs), result.day), depart.round()),
            "origin_lat": graph.lat[origin],
            "origin_lon": graph.lon[origin],
            "dest_lat": graph.lat[dest],
            "dest_lon": graph.lon[dest],
            "duration_s": [round(leg.arrive_s - leg.depart_s, 1) for leg in legs],
            **{key: [w[key] for w in weather] for key in (weather[0] if weather else {})},
            "congestion_index": [world.congestion_index(result.day, t) for t in depart],
            "vehicle_id": [leg.vehicle_id for leg in legs],
            "day": result.day,
        }
    )
