"""The model in service and its live monitor: predictions against recorded outcomes.

The monitor (:class:`models.EtaMonitor`) compares the model's predictions with the
outcomes that drivers report. Its drift reference is the sample of training features
saved beside the model (``models.save_reference``); a model saved without one is compared
against its first live outcomes instead, and the status says so. Its error baseline is the
model's test MAE at training time, else the MAE of those first outcomes.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from models import EtaModel, EtaMonitor, SavedModel

from .schemas import MonitorOut

WINDOW = 2000
MIN_OUTCOMES = 100
_FIRST_OUTCOMES = "first live outcomes"


class LiveModel:
    """A loaded model (or None: free flow), where it came from, and its rolling monitor."""

    def __init__(
        self,
        saved: SavedModel | None,
        source: str | None,
        reference: pd.DataFrame | None,
    ) -> None:
        self.saved = saved
        self.source = source
        self._lock = threading.Lock()
        self._reference_kind = "training features" if reference is not None else _FIRST_OUTCOMES
        self._monitor: EtaMonitor | None = None
        if reference is not None and len(reference):
            self._monitor = EtaMonitor(
                reference,
                self._baseline_mae() or 1.0,
                window=WINDOW,
                min_outcomes=MIN_OUTCOMES,
            )

    @property
    def model(self) -> EtaModel | None:
        """The fitted model, or None for free-flow times."""
        return None if self.saved is None else self.saved.model

    @property
    def version(self) -> str | None:
        """The model's version, or None for free flow."""
        return None if self.saved is None else self.saved.version

    @property
    def metadata(self) -> dict[str, Any]:
        """The model's saved metadata (empty for free flow)."""
        return {} if self.saved is None else self.saved.metadata

    def _baseline_mae(self) -> float | None:
        mae = self.metadata.get("metrics", {}).get("mae_s")
        return float(mae) if mae is not None and math.isfinite(mae) and mae > 0 else None

    def record(
        self,
        timestamps: Sequence[datetime],
        p50_s: Sequence[float],
        p90_s: Sequence[float],
        actual_s: Sequence[float],
        features: pd.DataFrame,
    ) -> None:
        """Add outcomes of predictions this model made."""
        if not timestamps:
            return
        times = pd.DatetimeIndex(pd.to_datetime(list(timestamps), utc=True))
        with self._lock:
            if self._monitor is None:
                first_mae = float(np.mean(np.abs(np.subtract(p50_s, actual_s))))
                baseline = self._baseline_mae() or max(first_mae, 1.0)
                self._monitor = EtaMonitor(
                    features, baseline, window=WINDOW, min_outcomes=MIN_OUTCOMES
                )
            self._monitor.record(times, p50_s, p90_s, actual_s, features)

    def status(self) -> MonitorOut:
        """The rolling error, coverage, drift and alerts."""
        with self._lock:
            status = None if self._monitor is None else self._monitor.status()
        if status is None:
            return MonitorOut(
                reference=self._reference_kind,
                n=0,
                n_recorded=0,
                mae_s=None,
                bias_s=None,
                mape=None,
                p90_coverage=None,
                baseline_mae_s=self._baseline_mae(),
                error_ratio=None,
                mae_by_hour={},
                psi={},
                error_alert=False,
                coverage_alert=False,
                drift_alert=False,
                drifted_features=[],
                status="no outcomes recorded yet",
            )
        if status.n < status.min_outcomes:
            verdict = f"waiting for {status.min_outcomes} outcomes before alerting"
        elif status.alert:
            fired = [
                name
                for name, on in (
                    ("error", status.error_alert),
                    ("coverage", status.coverage_alert),
                    ("drift", status.drift_alert),
                )
                if on
            ]
            verdict = "alert: " + ", ".join(fired)
        else:
            verdict = "ok"
        return MonitorOut(
            reference=self._reference_kind,
            n=status.n,
            n_recorded=status.n_recorded,
            mae_s=_finite(status.mae_s),
            bias_s=_finite(status.bias_s),
            mape=_finite(status.mape),
            p90_coverage=_finite(status.p90_coverage),
            baseline_mae_s=status.baseline_mae_s,
            error_ratio=_finite(status.error_ratio),
            mae_by_hour=status.mae_by_hour,
            psi={k: v for k, v in status.psi.items() if math.isfinite(v)},
            error_alert=status.error_alert,
            coverage_alert=status.coverage_alert,
            drift_alert=status.drift_alert,
            drifted_features=list(status.drifted_features),
            status=verdict,
        )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
