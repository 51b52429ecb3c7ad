"""Monitoring of a deployed ETA model and the rule that promotes a retrained one.

:class:`EtaMonitor` is fed (timestamp, prediction, P90, outcome, features) batches as trips
end. Over the most recent outcomes it reports the error (MAE, bias, MAPE, MAE by hour of
day), the share of outcomes within the P90, and the drift of each feature against the
training window as a population stability index (PSI). Alerts fire when the error exceeds
the model's test error by a ratio, when the P90 coverage leaves its band, or when a
feature's PSI exceeds a threshold (rule of thumb: below 0.1 stable, 0.1-0.25 moderate,
above 0.25 a major shift).

:func:`retrain_and_decide` fits a candidate on a recent window and :func:`decide_promotion`
promotes it only if it beats the current model on the most recent held-out days; the
:class:`PromotionDecision` records the numbers behind the verdict.

Any object with ``predict(X)`` and ``predict_p90(X)`` returning seconds can be monitored
(:class:`EtaPredictor`); this module does not depend on a particular model class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

PSI_EPSILON = 1e-4
"""Floor on a bin's share in the PSI, so that an empty bin gives a large but finite term."""


class EtaPredictor(Protocol):
    """A fitted ETA model: median and P90 driving times in seconds for a feature table."""

    def predict(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Median (P50) driving time in seconds, one per row of ``X``."""
        ...

    def predict_p90(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """90th-percentile driving time in seconds, one per row of ``X``."""
        ...


P = TypeVar("P", bound=EtaPredictor)


# --- population stability index ---------------------------------------------------------


def _quantile_edges(expected: NDArray[np.float64], bins: int) -> NDArray[np.float64]:
    """Distinct interior quantiles of the finite values of ``expected``."""
    finite = expected[np.isfinite(expected)]
    if finite.size == 0:
        return np.empty(0)
    return np.unique(np.quantile(finite, np.linspace(0.0, 1.0, bins + 1)[1:-1]))


def _bin_shares(values: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.float64]:
    """Share of ``values`` per bin: below, at and between the edges, above them, NaN last.

    A value equal to an edge gets a bin of its own, so that a point mass (a constant
    feature, zero precipitation) is compared as such wherever the distribution moves.
    """
    missing = np.isnan(values)
    present = values[~missing]
    index = np.searchsorted(edges, present, "left") + np.searchsorted(edges, present, "right")
    counts = np.bincount(index, minlength=2 * edges.size + 1)
    return np.append(counts, missing.sum()) / values.size


def _psi(expected_shares: NDArray[np.float64], actual_shares: NDArray[np.float64]) -> float:
    expected = np.maximum(expected_shares, PSI_EPSILON)
    actual = np.maximum(actual_shares, PSI_EPSILON)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def _float_values(values: ArrayLike, name: str) -> NDArray[np.float64]:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        msg = f"{name} must be numeric: {error}"
        raise ValueError(msg) from error
    if array.ndim != 1 or array.size == 0:
        msg = f"{name} must be a non-empty 1-d sequence of numbers, got shape {array.shape}"
        raise ValueError(msg)
    return array


def population_stability_index(expected: ArrayLike, actual: ArrayLike, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected`` (the reference).

    Bin edges are the quantiles of ``expected`` at ``1/bins, ..., (bins-1)/bins``,
    deduplicated; the outer bins are open-ended, a value equal to an edge has a bin of its
    own, and NaNs form one more bin. Shares are floored at :data:`PSI_EPSILON`.

    Parameters
    ----------
    expected
        Reference sample of one numeric feature (e.g. the training window).
    actual
        Sample to compare (e.g. recent live traffic).
    bins
        Number of quantile bins of ``expected``.

    Returns
    -------
    float
        ``sum((a - e) * ln(a / e))`` over the bins: 0 for identical distributions,
        above 0.25 for a major shift.
    """
    if bins < 1:
        msg = f"bins must be at least 1, got {bins}"
        raise ValueError(msg)
    reference = _float_values(expected, "expected")
    current = _float_values(actual, "actual")
    edges = _quantile_edges(reference, bins)
    return _psi(_bin_shares(reference, edges), _bin_shares(current, edges))


# --- input checks -----------------------------------------------------------------------


def _local_times(timestamps: ArrayLike) -> pd.DatetimeIndex:
    try:
        index = pd.DatetimeIndex(timestamps)
    except (TypeError, ValueError) as error:
        msg = f"timestamps must be dates and times: {error}"
        raise ValueError(msg) from error
    if index.tz is None:
        msg = "timestamps must be timezone-aware (got naive timestamps)"
        raise ValueError(msg)
    if index.hasnans:
        msg = "timestamps contains missing values (NaT)"
        raise ValueError(msg)
    return index


def _vector(values: ArrayLike, name: str, n: int, against: str) -> NDArray[np.float64]:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        msg = f"{name} must be numeric: {error}"
        raise ValueError(msg) from error
    if array.ndim != 1 or array.size != n:
        msg = f"{name} has {array.size} values but {against} has {n}"
        raise ValueError(msg)
    if not np.all(np.isfinite(array)):
        msg = f"{name} contains NaN or infinite values"
        raise ValueError(msg)
    return array


def _durations(values: ArrayLike, name: str, n: int, against: str) -> NDArray[np.float64]:
    array = _vector(values, name, n, against)
    if np.any(array <= 0):
        msg = f"{name} must be positive seconds; {int(np.sum(array <= 0))} values are not"
        raise ValueError(msg)
    return array


def _numeric_columns(frame: pd.DataFrame) -> list[str]:
    return [str(c) for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]


# --- the monitor ------------------------------------------------------------------------


@dataclass(frozen=True)
class MonitorStatus:
    """The monitor's verdict over its rolling window of outcomes.

    Errors are in seconds; ``bias_s`` is mean(predicted - actual), so a negative bias means
    trips take longer than predicted. ``mape`` and ``p90_coverage`` are fractions. Metrics
    are NaN while no outcome is recorded, and no alert fires below ``min_outcomes``.
    """

    n: int
    n_recorded: int
    mae_s: float
    bias_s: float
    mape: float
    p90_coverage: float
    mae_by_hour: dict[int, float]
    psi: dict[str, float]
    baseline_mae_s: float
    error_ratio_alert: float
    psi_alert: float
    coverage_band: tuple[float, float]
    min_outcomes: int
    error_alert: bool
    coverage_alert: bool
    drifted_features: tuple[str, ...]

    @property
    def error_ratio(self) -> float:
        """Rolling MAE over the model's test MAE at training time."""
        return self.mae_s / self.baseline_mae_s

    @property
    def drift_alert(self) -> bool:
        """Whether any feature's PSI exceeds ``psi_alert``."""
        return bool(self.drifted_features)

    @property
    def alert(self) -> bool:
        """Whether any alert fires (error, coverage or drift)."""
        return self.error_alert or self.coverage_alert or self.drift_alert

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready mapping of every field plus the derived ratio and alerts."""
        out = asdict(self)
        out["drifted_features"] = list(self.drifted_features)
        out["coverage_band"] = list(self.coverage_band)
        out |= {
            "error_ratio": self.error_ratio,
            "drift_alert": self.drift_alert,
            "alert": self.alert,
        }
        return out

    def summary(self) -> str:
        """A few human-readable lines: the numbers, the thresholds and which alerts fire."""

        def flag(on: bool) -> str:
            return "  ALERT" if on else ""

        low, high = self.coverage_band
        lines = [
            f"ETA monitor: {self.n} outcomes in the rolling window ({self.n_recorded} recorded)",
            f"  MAE {self.mae_s:.1f} s, {self.error_ratio:.2f} x the baseline "
            f"{self.baseline_mae_s:.1f} s (alert above {self.error_ratio_alert:.2f})"
            + flag(self.error_alert),
            f"  bias {self.bias_s:+.1f} s, MAPE {100 * self.mape:.1f}%",
            f"  P90 coverage {self.p90_coverage:.3f} (band {low:.2f}-{high:.2f})"
            + flag(self.coverage_alert),
        ]
        if self.drifted_features:
            drifted = ", ".join(f"{c} {self.psi[c]:.2f}" for c in self.drifted_features)
            lines.append(f"  drift (PSI above {self.psi_alert:.2f}): {drifted}  ALERT")
        elif self.psi:
            worst = max(self.psi, key=self.psi.__getitem__)
            lines.append(
                f"  no drift: highest PSI {worst} {self.psi[worst]:.3f} "
                f"(alert above {self.psi_alert:.2f})"
            )
        if self.n < self.min_outcomes:
            lines.append(f"  alerts wait for {self.min_outcomes} outcomes")
        return "\n".join(lines)


class EtaMonitor:
    """Rolling error, P90 coverage and feature drift of a deployed ETA model.

    Parameters
    ----------
    reference
        Features of the training window; its numeric columns are the drift reference.
    baseline_mae_s
        The model's test MAE (seconds) at training time.
    error_ratio_alert
        Error alert when the rolling MAE exceeds ``baseline_mae_s`` times this (1.25).
    psi_alert
        Drift alert for each feature whose PSI exceeds this (0.25, a major shift).
    coverage_band
        Coverage alert when the share of outcomes at or below the P90 leaves this closed
        interval ((0.85, 0.95) around the nominal 0.9).
    window
        Number of most recent outcomes behind the rolling statistics and the PSI (2000).
    min_outcomes
        No alert fires while the window holds fewer outcomes (100).
    psi_bins
        Quantile bins of the reference per feature (10).

    Notes
    -----
    Hours and days are the local wall-clock time of the recorded timestamps. Per-day sums
    are kept for every day recorded (:meth:`daily_error`); outcomes and features only for
    the rolling window.
    """

    def __init__(
        self,
        reference: pd.DataFrame,
        baseline_mae_s: float,
        *,
        error_ratio_alert: float = 1.25,
        psi_alert: float = 0.25,
        coverage_band: tuple[float, float] = (0.85, 0.95),
        window: int = 2000,
        min_outcomes: int = 100,
        psi_bins: int = 10,
    ) -> None:
        columns = _numeric_columns(reference)
        if len(reference) == 0 or not columns:
            msg = "reference must be a non-empty DataFrame with at least one numeric column"
            raise ValueError(msg)
        if not (np.isfinite(baseline_mae_s) and baseline_mae_s > 0):
            msg = f"baseline_mae_s must be a positive number of seconds, got {baseline_mae_s}"
            raise ValueError(msg)
        if not error_ratio_alert > 0:
            msg = f"error_ratio_alert must be positive, got {error_ratio_alert}"
            raise ValueError(msg)
        if not psi_alert > 0:
            msg = f"psi_alert must be positive, got {psi_alert}"
            raise ValueError(msg)
        low, high = coverage_band
        if not 0 <= low <= high <= 1:
            msg = f"coverage_band must satisfy 0 <= low <= high <= 1, got {coverage_band}"
            raise ValueError(msg)
        if window < 1 or min_outcomes < 0 or psi_bins < 1:
            msg = (
                f"window and psi_bins must be at least 1 and min_outcomes at least 0, got "
                f"window={window}, min_outcomes={min_outcomes}, psi_bins={psi_bins}"
            )
            raise ValueError(msg)
        self.baseline_mae_s = float(baseline_mae_s)
        self.error_ratio_alert = float(error_ratio_alert)
        self.psi_alert = float(psi_alert)
        self.coverage_band = (float(low), float(high))
        self.window = int(window)
        self.min_outcomes = int(min_outcomes)
        self._edges: dict[str, NDArray[np.float64]] = {}
        self._reference_shares: dict[str, NDArray[np.float64]] = {}
        for column in columns:
            values = reference[column].to_numpy(dtype=np.float64, na_value=np.nan)
            self._edges[column] = _quantile_edges(values, psi_bins)
            self._reference_shares[column] = _bin_shares(values, self._edges[column])
        self._recent = pd.DataFrame()
        self._daily: dict[date, NDArray[np.float64]] = {}
        self._n_recorded = 0

    def record(
        self,
        timestamps: ArrayLike,
        predicted_s: ArrayLike,
        predicted_p90_s: ArrayLike,
        actual_s: ArrayLike,
        features: pd.DataFrame,
    ) -> None:
        """Add a batch of outcomes.

        Parameters
        ----------
        timestamps
            Timezone-aware start of each trip.
        predicted_s, predicted_p90_s
            The model's P50 and P90 predictions (seconds) made for the trips.
        actual_s
            The observed driving times (seconds, positive).
        features
            The feature rows the predictions were made from, in the same order; columns
            absent from the reference are ignored.

        Raises
        ------
        ValueError
            Naming the argument whose length differs from ``timestamps``, or whose values
            are non-finite (or non-positive for ``actual_s``), or naive timestamps.
        """
        times = _local_times(timestamps)
        n = len(times)
        predicted = _vector(predicted_s, "predicted_s", n, "timestamps")
        p90 = _vector(predicted_p90_s, "predicted_p90_s", n, "timestamps")
        actual = _durations(actual_s, "actual_s", n, "timestamps")
        if len(features) != n:
            msg = f"features has {len(features)} rows but timestamps has {n}"
            raise ValueError(msg)
        if n == 0:
            return
        batch = pd.DataFrame(
            {
                "hour": times.hour.to_numpy(),
                "predicted_s": predicted,
                "predicted_p90_s": p90,
                "actual_s": actual,
            }
        )
        for column in (c for c in self._edges if c in features.columns):
            try:
                batch[column] = features[column].to_numpy(dtype=np.float64, na_value=np.nan)
            except (TypeError, ValueError) as error:
                msg = f"features column {column!r} must be numeric: {error}"
                raise ValueError(msg) from error
        frames = [f for f in (self._recent, batch) if len(f)]
        self._recent = pd.concat(frames, ignore_index=True).tail(self.window)
        self._recent = self._recent.reset_index(drop=True)
        sums = pd.DataFrame(
            {
                "n": 1.0,
                "abs_error": np.abs(predicted - actual),
                "error": predicted - actual,
                "covered": (actual <= p90).astype(np.float64),
            }
        ).groupby(times.date)
        for day, row in sums.sum().iterrows():
            self._daily[day] = self._daily.get(day, np.zeros(4)) + row.to_numpy()
        self._n_recorded += n

    def status(self) -> MonitorStatus:
        """Rolling error, coverage, PSI per feature and alerts over the last ``window`` outcomes."""
        recent = self._recent
        n = len(recent)
        if n:
            error = recent["predicted_s"] - recent["actual_s"]
            mae = float(error.abs().mean())
            bias = float(error.mean())
            mape = float((error.abs() / recent["actual_s"]).mean())
            coverage = float((recent["actual_s"] <= recent["predicted_p90_s"]).mean())
            by_hour = error.abs().groupby(recent["hour"]).mean()
            mae_by_hour = {int(h): float(v) for h, v in by_hour.items()}
        else:
            mae = bias = mape = coverage = float("nan")
            mae_by_hour = {}
        psi = {
            column: _psi(
                self._reference_shares[column],
                _bin_shares(recent[column].to_numpy(dtype=np.float64), edges),
            )
            for column, edges in self._edges.items()
            if column in recent.columns
        }
        armed = n > 0 and n >= self.min_outcomes
        low, high = self.coverage_band
        return MonitorStatus(
            n=n,
            n_recorded=self._n_recorded,
            mae_s=mae,
            bias_s=bias,
            mape=mape,
            p90_coverage=coverage,
            mae_by_hour=mae_by_hour,
            psi=psi,
            baseline_mae_s=self.baseline_mae_s,
            error_ratio_alert=self.error_ratio_alert,
            psi_alert=self.psi_alert,
            coverage_band=self.coverage_band,
            min_outcomes=self.min_outcomes,
            error_alert=armed and mae > self.baseline_mae_s * self.error_ratio_alert,
            coverage_alert=armed and not low <= coverage <= high,
            drifted_features=tuple(c for c, v in psi.items() if armed and v > self.psi_alert),
        )

    def daily_error(self) -> pd.DataFrame:
        """Error per local calendar day over everything recorded.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``day`` (:class:`datetime.date`, ascending), with columns ``n``,
            ``mae_s``, ``bias_s`` and ``p90_coverage``.
        """
        days = sorted(self._daily)
        sums = np.array([self._daily[d] for d in days]).reshape(len(days), 4)
        count = sums[:, 0]
        return pd.DataFrame(
            {
                "n": count.astype(np.int64),
                "mae_s": sums[:, 1] / count,
                "bias_s": sums[:, 2] / count,
                "p90_coverage": sums[:, 3] / count,
            },
            index=pd.Index(days, name="day", dtype=object),
        )


# --- the retraining rule ----------------------------------------------------------------


@dataclass(frozen=True)
class PromotionDecision:
    """Whether a candidate model replaces the current one, and the numbers behind it.

    ``improvement`` is ``1 - candidate_mae_s / current_mae_s`` (a fraction; positive when
    the candidate is better); it and ``current_mae_s`` are None when there was no current
    model. The holdout window is the first and last trip start, when timestamps were given.
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

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready mapping; the holdout bounds become ISO 8601 strings."""
        out = asdict(self)
        for key in ("holdout_start", "holdout_end"):
            value = out[key]
            out[key] = None if value is None else value.isoformat()
        return out


def _holdout_metrics(
    model: EtaPredictor, name: str, X: pd.DataFrame, y: NDArray[np.float64]
) -> tuple[float, float]:
    """MAE (seconds) and P90 coverage of ``model`` on the holdout."""
    n = len(y)
    predicted = _vector(model.predict(X), f"{name}.predict(X_holdout)", n, "y_holdout")
    p90 = _vector(model.predict_p90(X), f"{name}.predict_p90(X_holdout)", n, "y_holdout")
    return float(np.mean(np.abs(predicted - y))), float(np.mean(y <= p90))


def decide_promotion(
    current: EtaPredictor | None,
    candidate: EtaPredictor,
    X_holdout: pd.DataFrame,
    y_holdout: ArrayLike,
    *,
    min_improvement: float = 0.0,
    timestamps: ArrayLike | None = None,
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
    """
    if len(X_holdout) == 0:
        msg = "X_holdout is empty: no held-out trips to decide on"
        raise ValueError(msg)
    n = len(X_holdout)
    y = _durations(y_holdout, "y_holdout", n, "X_holdout")
    start = end = None
    if timestamps is not None:
        times = _local_times(timestamps)
        if len(times) != n:
            msg = f"timestamps has {len(times)} values but X_holdout has {n}"
            raise ValueError(msg)
        start, end = times.min(), times.max()
    candidate_mae, candidate_coverage = _holdout_metrics(candidate, "candidate", X_holdout, y)
    common = {
        "candidate_mae_s": candidate_mae,
        "candidate_p90_coverage": candidate_coverage,
        "n_holdout": n,
        "holdout_start": start,
        "holdout_end": end,
    }
    if current is None:
        return PromotionDecision(
            promote=True,
            current_mae_s=None,
            improvement=None,
            current_p90_coverage=None,
            reason=f"no current model: promote the candidate (holdout MAE {candidate_mae:.1f} s)",
            **common,
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
        improvement=improvement,
        current_p90_coverage=current_coverage,
        reason=reason,
        **common,
    )


def retrain_and_decide(
    current: EtaPredictor | None,
    fit_candidate: Callable[[pd.DataFrame, NDArray[np.float64]], P],
    X: pd.DataFrame,
    y: ArrayLike,
    timestamps: ArrayLike,
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
        Passed to :func:`decide_promotion`.

    Returns
    -------
    tuple
        The fitted candidate (promoted or not) and the :class:`PromotionDecision`.

    Raises
    ------
    ValueError
        If a window holds no trips, or the inputs disagree in length.
    """
    if train_days < 1 or holdout_days < 1:
        msg = f"train_days and holdout_days must be at least 1, got {train_days}, {holdout_days}"
        raise ValueError(msg)
    times = _local_times(timestamps)
    n = len(times)
    if len(X) != n:
        msg = f"X has {len(X)} rows but timestamps has {n}"
        raise ValueError(msg)
    if n == 0:
        msg = "timestamps is empty: no trips to retrain on"
        raise ValueError(msg)
    target = _durations(y, "y", n, "timestamps")
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
        raise ValueError(msg)
    candidate = fit_candidate(X.loc[train], target[train])
    decision = decide_promotion(
        current,
        candidate,
        X.loc[holdout],
        target[holdout],
        min_improvement=min_improvement,
        timestamps=times[holdout],
    )
    return candidate, decision
