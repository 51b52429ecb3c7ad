"""Accuracy metrics of duration predictions (seconds)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def regression_metrics(
    actual: ArrayLike, predicted: ArrayLike, upper: ArrayLike | None = None
) -> dict[str, float]:
    """MAE, MAPE, RMSLE, P90 absolute error and bias (s); P90 coverage if ``upper`` is given."""
    y = np.asarray(actual, dtype=float)
    p = np.asarray(predicted, dtype=float)
    error = p - y
    out = {
        "n": float(y.size),
        "mae_s": float(np.mean(np.abs(error))),
        "mape": float(np.mean(np.abs(error) / y)),
        "rmsle": float(np.sqrt(np.mean((np.log1p(p) - np.log1p(y)) ** 2))),
        "p90_abs_error_s": float(np.quantile(np.abs(error), 0.9)),
        "bias_s": float(np.mean(error)),
    }
    if upper is not None:
        out["p90_coverage"] = float(np.mean(y <= np.asarray(upper, dtype=float)))
    return out
