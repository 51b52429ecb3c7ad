"""Checks of the monitoring inputs: timezone-aware timestamps and per-trip seconds.

Each check names the offending argument and raises :class:`MonitoringError`.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .exceptions import MonitoringError

Timestamps: TypeAlias = (
    "pd.Series[Any] | pd.Index[Any] | NDArray[Any] | list[Any] | tuple[Any, ...]"
)
"""Trip start times: a Series, index, array, list or tuple of datetimes."""


def local_times(timestamps: Timestamps) -> pd.DatetimeIndex:
    """``timestamps`` as a timezone-aware index without missing values."""
    try:
        index = pd.DatetimeIndex(timestamps)
    except (TypeError, ValueError) as error:
        msg = f"timestamps must be dates and times: {error}"
        raise MonitoringError(msg) from error
    if index.tz is None:
        msg = "timestamps must be timezone-aware (got naive timestamps)"
        raise MonitoringError(msg)
    if index.hasnans:
        msg = "timestamps contains missing values (NaT)"
        raise MonitoringError(msg)
    return index


def finite_vector(values: ArrayLike, name: str, n: int, against: str) -> NDArray[np.float64]:
    """``values`` as ``n`` finite floats; the message names ``name`` and ``against``."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        msg = f"{name} must be numeric: {error}"
        raise MonitoringError(msg) from error
    if array.ndim != 1 or array.size != n:
        msg = f"{name} has {array.size} values but {against} has {n}"
        raise MonitoringError(msg)
    if not np.all(np.isfinite(array)):
        msg = f"{name} contains NaN or infinite values"
        raise MonitoringError(msg)
    return array


def positive_durations(values: ArrayLike, name: str, n: int, against: str) -> NDArray[np.float64]:
    """``values`` as ``n`` finite, positive seconds (see :func:`finite_vector`)."""
    array = finite_vector(values, name, n, against)
    if np.any(array <= 0):
        msg = f"{name} must be positive seconds; {int(np.sum(array <= 0))} values are not"
        raise MonitoringError(msg)
    return array
