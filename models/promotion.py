"""The promotion rule: a retrained ETA model replaces the current one only if it does better.

Any object with ``predict(X)`` and ``predict_p90(X)`` returning seconds can be compared
(:class:`EtaPredictor`); the rule does not depend on a particular model class.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, Protocol

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .checks import Timestamps, finite_vector, local_times, positive_durations
from .exceptions import MonitoringError


class EtaPredictor(Protocol):
    """A fitted ETA model: median and P90 driving times in seconds for a feature table."""

    def predict(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Median (P50) driving time in seconds, one per row of ``X``."""
        ...

    def predict_p90(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """90th-percentile driving time in seconds, one per row of ``X``."""
        ...


@dataclass(frozen=True, eq=False)
class HoldoutSplit:
    """The rows a candidate was fitted on and the rows it was judged on.

    ``train`` and ``holdout`` are boolean masks over the rows given to the retraining;
    the windows are the first and last local calendar day of each.
    """

    train: NDArray[np.bool_]
    holdout: NDArray[np.bool_]
    train_window: tuple[date, date]
    holdout_window: tuple[date, date]


@dataclass(frozen=True)
class PromotionDecision:
    """Whether a candidate model replaces the current one, and the numbers behind it.

    ``improvement`` is ``1 - candidate_mae_s / current_mae_s`` (a fraction; positive when
    the candidate is better); it and ``current_mae_s`` are None when there was no current
    model. The holdout window is the first and last trip start, when timestamps were given.
    ``split`` is set when the rule chose the training and holdout rows itself
    (:func:`models.retrain_and_decide`); it is not part of :meth:`as_dict`.
    """

    promote: bool
    current_mae_s: float | None
    candidate_mae_s: float
    improvement: float | None
    current_p90_coverage: float | None
    candidate_p90_coverage: float
    n_holdout: int
    holdout_start: pd.Timestamp | None
    holdout_end: pd.Timestamp | None
    reason: str
    split: HoldoutSplit | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready mapping of the numbers; the holdout bounds become ISO 8601 strings."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "split"}
        for key in ("holdout_start", "holdout_end"):
            value = out[key]
            out[key] = None if value is None else value.isoformat()
        return out


def decide_promotion(
    current: EtaPredictor | None,
    candidate: EtaPredictor,
    X_holdout: pd.DataFrame,
    y_holdout: ArrayLike,
    *,
    min_improvement: float = 0.0,
    timestamps: Timestamps | None = None,
) -> PromotionDecision:
    """Promote ``candidate`` only if it beats ``current`` on held-out trips.

    Parameters
    ----------
    current
        The model in service, or None when there is none (the candidate is then promoted).
    candidate
        The newly fitted model.
    X_holdout, y_holdout
        Features and observed driving times (seconds) of trips neither model was fitted on.
    min_improvement
        The candidate's MAE must be lower than the current's by more than this fraction
        (0: strictly lower).
    timestamps
        Start times of the holdout trips, to record the holdout window (optional).

    Returns
    -------
    PromotionDecision

    Raises
    ------
    MonitoringError
        If the holdout is empty, or an input or a model's predictions disagree in length
        or are not finite.
    """
    if len(X_holdout) == 0:
        msg = "X_holdout is empty: no held-out trips to decide on"
        raise MonitoringError(msg)
    n = len(X_holdout)
    y = positive_durations(y_holdout, "y_holdout", n, "X_holdout")
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    if timestamps is not None:
        times = local_times(timestamps)
        if len(times) != n:
            msg = f"timestamps has {len(times)} values but X_holdout has {n}"
            raise MonitoringError(msg)
        start, end = times.min(), times.max()
    candidate_mae, candidate_coverage = _holdout_metrics(candidate, "candidate", X_holdout, y)
    if current is None:
        return PromotionDecision(
            promote=True,
            current_mae_s=None,
            candidate_mae_s=candidate_mae,
            improvement=None,
            current_p90_coverage=None,
            candidate_p90_coverage=candidate_coverage,
            n_holdout=n,
            holdout_start=start,
            holdout_end=end,
            reason=f"no current model: promote the candidate (holdout MAE {candidate_mae:.1f} s)",
        )
    current_mae, current_coverage = _holdout_metrics(current, "current", X_holdout, y)
    if current_mae > 0:
        improvement = 1.0 - candidate_mae / current_mae
    else:
        improvement = 0.0 if candidate_mae == 0 else -np.inf
    promote = improvement > min_improvement
    verdict = "promote" if promote else "keep the current model"
    comparison = "more than" if promote else "not more than"
    reason = (
        f"{verdict}: candidate MAE {candidate_mae:.1f} s vs current {current_mae:.1f} s on "
        f"{n} held-out trips, {100 * improvement:+.1f}% better, {comparison} the required "
        f"{100 * min_improvement:.1f}%"
    )
    return PromotionDecision(
        promote=promote,
        current_mae_s=current_mae,
        candidate_mae_s=candidate_mae,
        improvement=improvement,
        current_p90_coverage=current_coverage,
        candidate_p90_coverage=candidate_coverage,
        n_holdout=n,
        holdout_start=start,
        holdout_end=end,
        reason=reason,
    )


def _holdout_metrics(
    model: EtaPredictor, name: str, X: pd.DataFrame, y: NDArray[np.float64]
) -> tuple[float, float]:
    """MAE (seconds) and P90 coverage of ``model`` on the holdout."""
    n = len(y)
    predicted = finite_vector(model.predict(X), f"{name}.predict(X_holdout)", n, "y_holdout")
    p90 = finite_vector(model.predict_p90(X), f"{name}.predict_p90(X_holdout)", n, "y_holdout")
    return float(np.mean(np.abs(predicted - y))), float(np.mean(y <= p90))
