"""Retraining on a recent window: fit a candidate, then let the promotion rule judge it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import TypeVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .checks import Timestamps, local_times, positive_durations
from .exceptions import MonitoringError
from .promotion import EtaPredictor, HoldoutSplit, PromotionDecision, decide_promotion

P = TypeVar("P", bound=EtaPredictor)


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
) -> tuple[P, PromotionDecision]:
    """Fit a candidate on a recent window and decide on the days after it.

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
    min_improvement
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
    times = local_times(timestamps)
    n = len(times)
    if len(X) != n:
        msg = f"X has {len(X)} rows but timestamps has {n}"
        raise MonitoringError(msg)
    if n == 0:
        msg = "timestamps is empty: no trips to retrain on"
        raise MonitoringError(msg)
    target = positive_durations(y, "y", n, "timestamps")
    split = _split_by_days(times, train_days, holdout_days)
    candidate = fit_candidate(X.loc[split.train], target[split.train])
    decision = decide_promotion(
        current,
        candidate,
        X.loc[split.holdout],
        target[split.holdout],
        min_improvement=min_improvement,
        timestamps=times[split.holdout],
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
