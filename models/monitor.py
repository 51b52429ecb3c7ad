"""The rolling monitor of a deployed ETA model: error, P90 coverage, feature drift, alerts.

:class:`EtaMonitor` is fed (timestamp, prediction, P90, outcome, features) batches as trips
end. Over the most recent outcomes it reports the error (MAE, bias, MAPE, MAE by hour of
day), the share of outcomes within the P90, and the drift of each feature against the
training window as a population stability index (:mod:`models.drift`). Alerts fire when
the error exceeds the model's test error by a ratio, when the P90 coverage leaves its band
(below it the P90 is too narrow, above it too wide: a risk-aware plan pads every leg), or
when a feature's PSI exceeds a threshold. :attr:`MonitorStatus.drift_kind` tells a drifted
model (the error is up: retrain) from a drifted calibration (only the coverage is off:
recalibrate the P90, :meth:`models.EtaModel.recalibrate`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .checks import Timestamps, finite_vector, local_times, positive_durations
from .drift import DriftReference
from .exceptions import MonitoringError

DriftKind = Literal["none", "model", "calibration"]
"""What drifted: nothing, the model (error up) or only its P90 calibration (coverage off)."""


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

    @property
    def under_coverage_alert(self) -> bool:
        """Coverage alert with coverage below the band: the P90 is too narrow."""
        return self.coverage_alert and self.p90_coverage < self.coverage_band[0]

    @property
    def over_coverage_alert(self) -> bool:
        """Coverage alert with coverage above the band: the P90 is too wide."""
        return self.coverage_alert and self.p90_coverage > self.coverage_band[1]

    @property
    def drift_kind(self) -> DriftKind:
        """ "model" on an error alert, else "calibration" on a coverage alert, else "none"."""
        if self.error_alert:
            return "model"
        return "calibration" if self.coverage_alert else "none"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready mapping of every field plus the derived ratio and alerts."""
        out = asdict(self)
        out["drifted_features"] = list(self.drifted_features)
        out["coverage_band"] = list(self.coverage_band)
        out |= {
            "error_ratio": self.error_ratio,
            "drift_alert": self.drift_alert,
            "under_coverage_alert": self.under_coverage_alert,
            "over_coverage_alert": self.over_coverage_alert,
            "drift_kind": self.drift_kind,
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
            + flag(self.coverage_alert)
            + (" (P90 too narrow)" if self.under_coverage_alert else "")
            + (" (P90 too wide)" if self.over_coverage_alert else ""),
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
        if self.drift_kind == "model":
            lines.append("  the model drifted (error up): retrain")
        elif self.drift_kind == "calibration":
            lines.append("  only the calibration drifted (error within bound): recalibrate the P90")
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
        interval ((0.85, 0.95) around the nominal 0.9): under-coverage below it,
        over-coverage above it.
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
            raise MonitoringError(msg)
        if not (np.isfinite(baseline_mae_s) and baseline_mae_s > 0):
            msg = f"baseline_mae_s must be a positive number of seconds, got {baseline_mae_s}"
            raise MonitoringError(msg)
        if not error_ratio_alert > 0:
            msg = f"error_ratio_alert must be positive, got {error_ratio_alert}"
            raise MonitoringError(msg)
        if not psi_alert > 0:
            msg = f"psi_alert must be positive, got {psi_alert}"
            raise MonitoringError(msg)
        low, high = coverage_band
        if not 0 <= low <= high <= 1:
            msg = f"coverage_band must satisfy 0 <= low <= high <= 1, got {coverage_band}"
            raise MonitoringError(msg)
        if window < 1 or min_outcomes < 0 or psi_bins < 1:
            msg = (
                f"window and psi_bins must be at least 1 and min_outcomes at least 0, got "
                f"window={window}, min_outcomes={min_outcomes}, psi_bins={psi_bins}"
            )
            raise MonitoringError(msg)
        self.baseline_mae_s = float(baseline_mae_s)
        self.error_ratio_alert = float(error_ratio_alert)
        self.psi_alert = float(psi_alert)
        self.coverage_band = (float(low), float(high))
        self.window = int(window)
        self.min_outcomes = int(min_outcomes)
        self._references = {
            column: DriftReference.from_sample(
                reference[column].to_numpy(dtype=np.float64, na_value=np.nan), psi_bins
            )
            for column in columns
        }
        self._recent = pd.DataFrame()
        self._daily: dict[date, NDArray[np.float64]] = {}
        self._n_recorded = 0

    def record(
        self,
        timestamps: Timestamps,
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
        MonitoringError
            Naming the argument whose length differs from ``timestamps``, or whose values
            are non-finite (or non-positive for ``actual_s``), or naive timestamps.
        """
        times = local_times(timestamps)
        n = len(times)
        predicted = finite_vector(predicted_s, "predicted_s", n, "timestamps")
        p90 = finite_vector(predicted_p90_s, "predicted_p90_s", n, "timestamps")
        actual = positive_durations(actual_s, "actual_s", n, "timestamps")
        if len(features) != n:
            msg = f"features has {len(features)} rows but timestamps has {n}"
            raise MonitoringError(msg)
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
        for column in (c for c in self._references if c in features.columns):
            try:
                batch[column] = features[column].to_numpy(dtype=np.float64, na_value=np.nan)
            except (TypeError, ValueError) as error:
                msg = f"features column {column!r} must be numeric: {error}"
                raise MonitoringError(msg) from error
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
        totals = sums.sum()
        for day, row in zip(totals.index, totals.to_numpy(dtype=np.float64), strict=True):
            self._daily[day] = self._daily.get(day, np.zeros(4)) + row
        self._n_recorded += n

    def clear_window(self) -> None:
        """Forget the rolling window's outcomes (the model in service changed); keep the days."""
        self._recent = pd.DataFrame()

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
            mae_by_hour = {
                int(h): float(v) for h, v in zip(by_hour.index, by_hour.to_numpy(), strict=True)
            }
        else:
            mae = bias = mape = coverage = float("nan")
            mae_by_hour = {}
        psi = {
            column: reference.psi(recent[column].to_numpy(dtype=np.float64))
            for column, reference in self._references.items()
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


def _numeric_columns(frame: pd.DataFrame) -> list[str]:
    return [str(c) for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
