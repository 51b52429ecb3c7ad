"""The promotion rule: a retrained ETA model replaces the current one only if it does better.

Better on the held-out recent trips and, when a trusted holdout is given (trips that
whoever reports the recent ones cannot write, such as the current model's own test days),
no worse on it beyond a tolerance: a candidate fitted to poisoned recent trips wins on
them but loses on the trusted ones. Any object with ``predict(X)`` and ``predict_p90(X)``
returning seconds can be compared (:class:`EtaPredictor`); the rule does not depend on a
particular model class.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
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
class TrustedCheck:
    """The candidate against the current model on the trusted holdout.

    ``regression`` is ``candidate_mae_s / current_mae_s - 1`` (positive when the candidate
    is worse); the check passes when it is at most ``tolerance``. With no current model
    the candidate is compared with the free-flow times (``X["free_flow_s"]``).
    """

    passed: bool
    current_mae_s: float
    candidate_mae_s: float
    regression: float
    tolerance: float
    n_holdout: int

    def describe(self) -> str:
        """One line: both MAEs, the change and the tolerance."""
        within = "within" if self.passed else "beyond"
        return (
            f"on {self.n_holdout} trusted holdout trips candidate MAE {self.candidate_mae_s:.1f}"
            f" s vs current {self.current_mae_s:.1f} s, {100 * self.regression:+.1f}% worse, "
            f"{within} the {100 * self.tolerance:.1f}% tolerance"
        )


@dataclass(frozen=True)
class PromotionDecision:
    """Whether a candidate model replaces the current one, and the numbers behind it.

    ``improvement`` is ``1 - candidate_mae_s / current_mae_s`` (a fraction; positive when
    the candidate is better); it and ``current_mae_s`` are None when there was no current
    model. The holdout window is the first and last trip start, when timestamps were given.
    ``trusted`` is the check on the trusted holdout, when one was given. ``split`` is set
    when the rule chose the training and holdout rows itself
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
    trusted: TrustedCheck | None = None
    split: HoldoutSplit | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready mapping of the numbers; the holdout bounds become ISO 8601 strings."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "split"}
        for key in ("holdout_start", "holdout_end"):
            value = out[key]
            out[key] = None if value is None else value.isoformat()
        out["trusted"] = None if self.trusted is None else asdict(self.trusted)
        return out


def decide_promotion(
    current: EtaPredictor | None,
    candidate: EtaPredictor,
    X_holdout: pd.DataFrame,
    y_holdout: ArrayLike,
    *,
    min_improvement: float = 0.0,
    timestamps: Timestamps | None = None,
    trusted: tuple[pd.DataFrame, ArrayLike] | None = None,
    tolerance: float = 0.0,
) -> PromotionDecision:
    """Promote ``candidate`` only if it beats ``current`` on held-out trips, and is no
    worse than it beyond ``tolerance`` on the ``trusted`` holdout when one is given.

    Parameters
    ----------
    current
        The model in service, or None when there is none (the candidate is then promoted,
        unless it does worse than the free-flow times on ``trusted``).
    candidate
        The newly fitted model.
    X_holdout, y_holdout
        Features and observed driving times (seconds) of trips neither model was fitted on.
    min_improvement
        The candidate's MAE must be lower than the current's by more than this fraction
        (0: strictly lower).
    timestamps
        Start times of the holdout trips, to record the holdout window (optional).
    trusted
        Features and observed driving times of trips the candidate's data could not
        change (see :class:`TrustedCheck`), or None.
    tolerance
        How much higher (a fraction) the candidate's MAE may be than the current's on
        ``trusted``.

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
    check = None
    if trusted is not None:
        check = check_trusted(current, candidate, *trusted, tolerance=tolerance)
    passed = check is None or check.passed
    if current is None:
        verdict = "promote the candidate" if passed else "keep free-flow times"
        details = [f"holdout MAE {candidate_mae:.1f} s"]
        if check is not None:
            details.append(check.describe())
        return PromotionDecision(
            promote=passed,
            current_mae_s=None,
            candidate_mae_s=candidate_mae,
            improvement=None,
            current_p90_coverage=None,
            candidate_p90_coverage=candidate_coverage,
            n_holdout=n,
            holdout_start=start,
            holdout_end=end,
            reason=f"no current model: {verdict} ({'; '.join(details)})",
            trusted=check,
        )
    current_mae, current_coverage = _holdout_metrics(current, "current", X_holdout, y)
    if current_mae > 0:
        improvement = 1.0 - candidate_mae / current_mae
    else:
        improvement = 0.0 if candidate_mae == 0 else -np.inf
    better = improvement > min_improvement
    promote = better and passed
    verdict = "promote" if promote else "keep the current model"
    comparison = "more than" if better else "not more than"
    reason = (
        f"{verdict}: candidate MAE {candidate_mae:.1f} s vs current {current_mae:.1f} s on "
        f"{n} held-out trips, {100 * improvement:+.1f}% better, {comparison} the required "
        f"{100 * min_improvement:.1f}%"
    )
    if check is not None:
        reason += f"; {check.describe()}"
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
        trusted=check,
    )


def check_trusted(
    current: EtaPredictor | None,
    candidate: EtaPredictor,
    X: pd.DataFrame,
    y: ArrayLike,
    *,
    tolerance: float = 0.0,
) -> TrustedCheck:
    """Compare ``candidate`` with ``current`` (None: free-flow times) on a trusted holdout.

    Raises
    ------
    MonitoringError
        If the holdout is empty, ``tolerance`` is negative, or an input or a model's
        predictions disagree in length or are not finite.
    """
    n = len(X)
    if n == 0:
        msg = "the trusted holdout is empty: no trips to check the candidate on"
        raise MonitoringError(msg)
    if not tolerance >= 0:
        msg = f"tolerance must be >= 0, got {tolerance}"
        raise MonitoringError(msg)
    target = positive_durations(y, "trusted y", n, "trusted X")
    baseline = _FreeFlow() if current is None else current
    current_mae, _ = _holdout_metrics(baseline, "current", X, target)
    candidate_mae, _ = _holdout_metrics(candidate, "candidate", X, target)
    if current_mae > 0:
        regression = candidate_mae / current_mae - 1.0
    else:
        regression = 0.0 if candidate_mae == 0 else np.inf
    return TrustedCheck(
        passed=bool(regression <= tolerance),
        current_mae_s=current_mae,
        candidate_mae_s=candidate_mae,
        regression=float(regression),
        tolerance=tolerance,
        n_holdout=n,
    )


class _FreeFlow:
    """The map's free-flow times as a predictor (P50 and P90 alike)."""

    def predict(self, X: pd.DataFrame) -> NDArray[np.float64]:
        return X["free_flow_s"].to_numpy(dtype=float)

    def predict_p90(self, X: pd.DataFrame) -> NDArray[np.float64]:
        return self.predict(X)


def _holdout_metrics(
    model: EtaPredictor, name: str, X: pd.DataFrame, y: NDArray[np.float64]
) -> tuple[float, float]:
    """MAE (seconds) and P90 coverage of ``model`` on the holdout."""
    n = len(y)
    predicted = finite_vector(model.predict(X), f"{name}.predict(X_holdout)", n, "y_holdout")
    p90 = finite_vector(model.predict_p90(X), f"{name}.predict_p90(X_holdout)", n, "y_holdout")
    return float(np.mean(np.abs(predicted - y))), float(np.mean(y <= p90))
