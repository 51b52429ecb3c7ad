"""Accuracy metrics of duration predictions (seconds), and bootstrap intervals of them."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

BOOTSTRAP_CHUNK_VALUES = 4_000_000  # resample indices drawn at once (32 MB of int64)


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


def bootstrap_means(
    values: ArrayLike, *, n_resamples: int = 1000, random_state: int = 0
) -> NDArray[np.float64]:
    """Column means of ``n_resamples`` bootstrap resamples of the rows of ``values``.

    Parameters
    ----------
    values
        Array of shape (n_rows,) or (n_rows, n_columns). Columns are resampled together
        (the same rows for each), so paired statistics keep their pairing.
    n_resamples
        Number of resamples.
    random_state
        Seed of the resampling.

    Returns
    -------
    numpy.ndarray
        Shape (n_resamples, n_columns): the means of each resample. Resamples are
        drawn in chunks of about :data:`BOOTSTRAP_CHUNK_VALUES` row indices, so memory
        stays bounded (about 1 s for 45,000 rows and 1,000 resamples).
    """
    data = np.asarray(values, dtype=float)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2 or len(data) == 0:
        msg = f"values must be a non-empty 1-D or 2-D array, got shape {data.shape}"
        raise ValueError(msg)
    if n_resamples < 1:
        msg = f"n_resamples must be at least 1, got {n_resamples}"
        raise ValueError(msg)
    n = len(data)
    rng = np.random.default_rng(random_state)
    columns = np.ascontiguousarray(data.T)
    means = np.empty((n_resamples, len(columns)))
    chunk = max(BOOTSTRAP_CHUNK_VALUES // n, 1)
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        rows = rng.integers(0, n, size=(size, n))
        for k, column in enumerate(columns):
            means[start : start + size, k] = np.take(column, rows).mean(axis=1)
    return means


def metric_intervals(
    actual: ArrayLike,
    predicted: ArrayLike,
    *,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    random_state: int = 0,
) -> dict[str, tuple[float, float]]:
    """Bootstrap percentile intervals of the MAE (s) and the MAPE of predictions."""
    y = np.asarray(actual, dtype=float)
    error = np.abs(np.asarray(predicted, dtype=float) - y)
    means = bootstrap_means(
        np.column_stack((error, error / y)), n_resamples=n_resamples, random_state=random_state
    )
    low, high = percentile_interval(means, confidence)
    return {"mae_s": (low[0], high[0]), "mape": (low[1], high[1])}


def percentile_interval(
    samples: ArrayLike, confidence: float = 0.95
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Lower and upper percentile bounds of ``samples`` along the first axis."""
    if not 0 < confidence < 1:
        msg = f"confidence must be in (0, 1), got {confidence}"
        raise ValueError(msg)
    tail = (1 - confidence) / 2
    bounds = np.quantile(np.asarray(samples, dtype=float), [tail, 1 - tail], axis=0)
    return np.asarray(bounds[0]), np.asarray(bounds[1])
