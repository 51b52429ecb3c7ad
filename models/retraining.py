"""Responses to drift on a recent window: retrain and judge a candidate, or recalibrate.

When the model drifted (its error is up), :func:`retrain_and_decide` fits a candidate and
lets the promotion rule judge it. When only the calibration drifted (the P90 covers too
many or too few trips while the error holds), :func:`recalibrate_recent` refits the
model's P90 calibration on the latest days and keeps its boosters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Protocol, Self, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .checks import Timestamps, local_times, positive_durations
from .exceptions import MonitoringError
from .promotion import EtaPredictor, HoldoutSplit, PromotionDecision, decide_promotion

P = TypeVar("P", bound=EtaPredictor)


class Recalibratable(EtaPredictor, Protocol):
    """An ETA model whose P90 calibration can be refitted alone (:meth:`EtaModel.recalibrate`)."""

    def recalibrate(
        self,
        X: pd.DataFrame,
        y: NDArray[np.float64],
        sample_weight: NDArray[np.float64] | None = None,
    ) -> Self:
        """A copy with its calibration refitted on ``X``, ``y``; the rest unchanged."""
        ...


R = TypeVar("R", bound=Recalibratable)


@dataclass(frozen=True)
class Recalibration:
    """What a recalibration saw: its window and the P90 coverage on it before and after.

    ``coverage_after`` is measured on the rows the calibration was fitted on, so it shows
    the fit, not a test.
    """

    n_rows: int
    window: tuple[date, date]
    coverage_before: float
    coverage_after: float

    def describe(self) -> str:
        """One line: rows, days and coverage before and after."""
        first, last = self.window
        return (
            f"{self.n_rows} trips {first}..{last}, P90 coverage {self.coverage_before:.2f} -> "
            f"{self.coverage_after:.2f}"
        )


def retrain_and_decide(
    current: EtaPredictor | None,
    fit_candidate: Callable[[pd.DataFrame, NDArray[np.float64]], P],
    X: pd.DataFrame,
    y: ArrayLike,
    timestamps: Timestamps,
    *,
    train_days: int,
    holdout_days: int,
    min_improvement: float = 0.0,
    trusted: tuple[pd.DataFrame, ArrayLike] | None = None,
    tolerance: float = 0.0,
) -> tuple[P, PromotionDecision]:
    """Fit a candidate on a recent window and decide on the days after it (and on a
    trusted holdout, when one is given).

    The holdout is the last ``holdout_days`` local calendar days of ``timestamps`` (up to
    the day of the latest trip); the training window is the ``train_days`` calendar days
    before the holdout. Older trips are not used.

    Parameters
    ----------
    current
        The model in service, or None.
    fit_candidate
        Called as ``fit_candidate(X_train, y_train)``; returns a fitted model. ``X_train``
        keeps the rows' index labels of ``X``.
    X, y, timestamps
        Features, observed driving times (seconds) and timezone-aware trip starts.
    train_days, holdout_days
        Lengths of the two windows in calendar days.
    min_improvement, trusted, tolerance
        Passed to :func:`models.decide_promotion`.

    Returns
    -------
    tuple
        The fitted candidate (promoted or not) and the :class:`models.PromotionDecision`,
        whose ``split`` holds the training and holdout rows of ``X``.

    Raises
    ------
    MonitoringError
        If a window holds no trips, or the inputs disagree in length.
    """
    if train_days < 1 or holdout_days < 1:
        msg = f"train_days and holdout_days must be at least 1, got {train_days}, {holdout_days}"
        raise MonitoringError(msg)
    times, target = _window(X, y, timestamps, "retrain")
    split = _split_by_days(times, train_days, holdout_days)
    candidate = fit_candidate(X.loc[split.train], target[split.train])
    decision = decide_promotion(
        current,
        candidate,
        X.loc[split.holdout],
        target[split.holdout],
        min_improvement=min_improvement,
        timestamps=times[split.holdout],
        trusted=trusted,
        tolerance=tolerance,
    )
    return candidate, replace(decision, split=split)


def _split_by_days(times: pd.DatetimeIndex, train_days: int, holdout_days: int) -> HoldoutSplit:
    """The last ``holdout_days`` local days, and the ``train_days`` days before them."""
    days = np.asarray(times.date)
    holdout_first = max(days) - timedelta(days=holdout_days - 1)
    train_first = holdout_first - timedelta(days=train_days)
    holdout = days >= holdout_first
    train = (days >= train_first) & ~holdout
    if not train.any():
        msg = (
            f"no trips in the training window {train_first}..{holdout_first - timedelta(days=1)} "
            f"(train_days={train_days} before the holdout starting {holdout_first})"
        )
        raise MonitoringError(msg)
    return HoldoutSplit(
        train=train,
        holdout=holdout,
        train_window=(days[train].min(), days[train].max()),
        holdout_window=(days[holdout].min(), days[holdout].max()),
    )


def recalibrate_recent(
    model: R,
    X: pd.DataFrame,
    y: ArrayLike,
    timestamps: Timestamps,
    *,
    days: int,
    after: date | None = None,
    half_life_days: float | None = None,
) -> tuple[R, Recalibration]:
    """Refit ``model``'s P90 calibration on the last ``days`` local calendar days.

    Parameters
    ----------
    model
        The model in service; its boosters are kept.
    X, y, timestamps
        Features, observed driving times (seconds) and timezone-aware trip starts.
    days
        Length of the window, ending on the day of the latest trip.
    after
        Only trips after this local date (the end of the model's training window), so the
        calibration sees only trips the model was not fitted on.
    half_life_days
        Weight each trip by ``0.5 ** (age / half_life_days)``, its age in days before the
        latest trip; None weighs all alike.

    Returns
    -------
    tuple
        The recalibrated model and the :class:`Recalibration` behind it.

    Raises
    ------
    MonitoringError
        If the window holds no trips, or the inputs disagree in length.
    """
    if days < 1:
        msg = f"days must be at least 1, got {days}"
        raise MonitoringError(msg)
    if half_life_days is not None and not half_life_days > 0:
        msg = f"half_life_days must be positive, got {half_life_days}"
        raise MonitoringError(msg)
    times, target = _window(X, y, timestamps, "recalibrate")
    day = np.asarray(times.date)
    rows = day >= max(day) - timedelta(days=days - 1)
    if after is not None:
        rows &= day > after
    if not rows.any():
        msg = f"no trips in the last {days} days" + (f" after {after}" if after else "")
        raise MonitoringError(msg)
    X_recent, y_recent = X.loc[rows], target[rows]
    weight = None
    if half_life_days is not None:
        age_days = (times[rows].max() - times[rows]).total_seconds().to_numpy() / 86_400
        weight = 0.5 ** (age_days / half_life_days)
    recalibrated = model.recalibrate(X_recent, y_recent, weight)

    def coverage(m: EtaPredictor) -> float:
        return float(np.mean(y_recent <= m.predict_p90(X_recent)))

    report = Recalibration(
        n_rows=int(rows.sum()),
        window=(day[rows].min(), day[rows].max()),
        coverage_before=coverage(model),
        coverage_after=coverage(recalibrated),
    )
    return recalibrated, report


def _window(
    X: pd.DataFrame, y: ArrayLike, timestamps: Timestamps, purpose: str
) -> tuple[pd.DatetimeIndex, NDArray[np.float64]]:
    """The trips' local times and checked durations; one row of ``X`` per timestamp."""
    times = local_times(timestamps)
    n = len(times)
    if len(X) != n:
        msg = f"X has {len(X)} rows but timestamps has {n}"
        raise MonitoringError(msg)
    if n == 0:
        msg = f"timestamps is empty: no trips to {purpose} on"
        raise MonitoringError(msg)
    return times, positive_durations(y, "y", n, "timestamps")
