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
the next day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from models import EtaModel, EtaMonitor, retrain_and_decide
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
    history_days: int = 28
    replay_days: int = 12
    change_day: int = 0  # replayed day on which the regime starts
    regime: str = "snow"
    regime_days: int = 7
    train_days: int = 14
    holdout_days: int = 1
    cooldown_days: int = 1  # days between two retrainings
    min_improvement: float = 0.1  # a candidate must cut the holdout MAE by this share
    map_path: str | None = None

    def __post_init__(self) -> None:
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


@dataclass
class DriftRun:
    """The replayed days and the monitor's daily error table."""

    scenario: DriftScenario
    days: list[DriftDay] = field(default_factory=list)
    daily_error: pd.DataFrame = field(default_factory=pd.DataFrame)
    dates: dict[str, Any] = field(default_factory=dict)


def run_drift(drift: DriftScenario, progress: Callable[[DriftDay], None] | None = None) -> DriftRun:
    """Replay the days after the history with the monitor and the retraining rule."""
    world = build_world(drift.scenario(), days=drift.history_days + drift.replay_days)
    history = generate_history(world, days=drift.history_days).records
    data = prepare_trips(history, world.graph)
    trained = train_eta(data, test_fraction=0.15)
    model, version = trained.model, "v1"
    profile = congestion_profile(history)
    alerting = _monitor(data.X, trained.metrics["mae_s"])
    scoreboard = _monitor(data.X, trained.metrics["mae_s"])
    run = DriftRun(drift)
    last_retrain = -drift.cooldown_days
    for k in range(drift.replay_days):
        day = drift.history_days + k
        estimator = TravelEstimator(
            world.public, day, model, model_version=version, profile=profile
        )
        result = run_day(world, day, GreedyPolicy(estimator))
        records = day_records(world, result)
        scores = _score(model, prepare_trips(records, world.graph), (alerting, scoreboard))
        status = alerting.status()
        report = DriftDay(
            day, world.weather[day].regime, len(records), *scores, version, status.error_alert
        )
        if len(records):
            history = pd.concat([history, records], ignore_index=True)
        if status.error_alert and k - last_retrain >= drift.cooldown_days:
            last_retrain = k
            model, version, alerting, report.action = _retrain(
                drift, world, history, model, version, alerting
            )
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
    return EtaMonitor(reference, baseline_mae_s, window=1500, min_outcomes=200)


def _retrain(
    drift: DriftScenario,
    world: World,
    history: pd.DataFrame,
    model: EtaModel,
    version: str,
    alerting: EtaMonitor,
) -> tuple[EtaModel, str, EtaMonitor, str]:
    """Train a candidate on recent days; promote it if it wins on the holdout."""
    data = prepare_trips(history, world.graph)
    candidate, decision = retrain_and_decide(
        model,
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
        return model, version, alerting, f"kept {version} {scores}"
    new_version = f"v{int(version[1:]) + 1}"
    assert decision.split is not None  # retrain_and_decide always records its split
    recent = data.X.loc[decision.split.train | decision.split.holdout]
    return (
        candidate,
        new_version,
        _monitor(recent, alerting.baseline_mae_s),
        f"promoted {new_version} {scores}",
    )


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
