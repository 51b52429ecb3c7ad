"""Conditional conformal calibration of an upper quantile: offsets by weather, day type and hour.

An upper-quantile model ``u(x)`` of a log-ratio target ``t`` is calibrated by adding an
offset ``c`` so that ``t <= u(x) + c`` holds on a share ``quantile`` of new rows. A single
offset is right on average and wrong under each condition that differs from the
calibration rows' mix (a P90 calibrated on a snowy week covers every dry-day trip).
:class:`ConditionalCalibration` fits the offset per condition group instead, in a
hierarchy: the weather (snow, wet, dry, unknown); within it the day type (weekday,
weekend); within that the band of the hour of day. Each group's offset is the weighted
``quantile`` of its residuals, shrunk toward its parent's by ``min_rows`` pseudo-rows, so
small groups borrow strength and unseen ones take their parent's offset; a day type unseen
under one weather but seen under others also takes its mean shift there (additive on the
log scale), so that a first snowy weekend is not calibrated as a snowy weekday.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .exceptions import NotFittedError

WEATHER_GROUPS = ("snow", "wet", "dry", "unknown")
"""Weather conditions of a row: snow on the roads, rain or precipitation, dry, no weather data."""

DAY_TYPES = ("unknown", "weekday", "weekend")
"""Day types of a row, from the ``is_weekend`` feature."""

HOUR_BANDS = (0.0, 6.0, 10.0, 15.0, 19.0, 24.0)
"""Edges of the hour-of-day bands: night, morning peak, midday, evening peak, evening."""

_GROUP_COLUMNS = pd.Index(["snow", "rain", "precipitation_mm", "is_weekend", "hour"])
"""The features the groups are read from (made once: building an index is slow)."""


class ConditionalCalibration:
    """Offsets of an upper quantile's residuals per weather, day type and hour band.

    Parameters
    ----------
    quantile
        Share of residuals at or below the offset in each group (0.9 for a P90).
    min_rows
        Pseudo-rows of the parent's offset mixed into each group's (shrinkage): a group of
        ``min_rows`` rows is halfway between its own quantile and its parent's (200).
    hour_bands
        Increasing edges (hours) of the hour-of-day bands, from 0 to 24.

    Notes
    -----
    Conditions are read from the feature columns ``snow``, ``rain``, ``precipitation_mm``,
    ``is_weekend`` and ``hour`` when present. A row is "snow" if ``snow`` is 1, "wet" if
    ``rain`` is 1 or ``precipitation_mm`` is positive, "dry" if any of those is known, else
    "unknown" (real trips without a weather feed); an absent or NaN day type or hour is a
    group of its own. Fitted state: ``global_offset_``; ``offset_table_`` and ``row_table_``,
    indexed by weather (:data:`WEATHER_GROUPS`), day type (:data:`DAY_TYPES`) and hour band
    (0 for an unknown hour, then the bands).
    """

    def __init__(
        self,
        quantile: float = 0.9,
        min_rows: float = 200.0,
        hour_bands: tuple[float, ...] = HOUR_BANDS,
    ) -> None:
        self.quantile = quantile
        self.min_rows = min_rows
        self.hour_bands = hour_bands

    def fit(
        self,
        residual: ArrayLike,
        X: pd.DataFrame,
        sample_weight: ArrayLike | None = None,
    ) -> ConditionalCalibration:
        """Fit the offsets on held-out residuals (target minus upper prediction) of rows ``X``.

        Parameters
        ----------
        residual
            One finite residual per row of ``X``.
        X
            The rows' features; only the condition columns are read.
        sample_weight
            Non-negative weight per row (e.g. larger for recent rows); default all 1.

        Returns
        -------
        ConditionalCalibration
            ``self``, fitted.
        """
        self._check_params()
        r = np.asarray(residual, dtype=np.float64)
        if r.ndim != 1 or r.size == 0 or r.size != len(X) or not np.all(np.isfinite(r)):
            msg = f"residual must be a non-empty finite vector, one value per row of X ({len(X)})"
            raise ValueError(msg)
        w = np.ones_like(r) if sample_weight is None else np.asarray(sample_weight, float)
        if w.shape != r.shape or not (np.all(np.isfinite(w)) and np.all(w >= 0) and w.sum() > 0):
            msg = "sample_weight must be finite, non-negative, not all 0, one per residual"
            raise ValueError(msg)
        weather, day, band = self._groups(X)
        shape = (len(WEATHER_GROUPS), len(DAY_TYPES), len(self.hour_bands))  # band 0: unknown
        self.global_offset_ = _weighted_quantile(r, w, self.quantile)
        self.offset_table_ = np.full(shape, self.global_offset_)
        self.row_table_ = np.zeros(shape, dtype=np.int64)
        everything = np.ones(r.size, dtype=bool)
        by_day_table = np.full((len(WEATHER_GROUPS), len(DAY_TYPES)), np.nan)
        for wc in np.unique(weather):
            in_w = weather == wc
            by_weather = self._shrunk(r, w, in_w, everything, self.global_offset_)
            self.offset_table_[wc] = by_weather
            for dc in np.unique(day[in_w]):
                in_d = in_w & (day == dc)
                by_day = self._shrunk(r, w, in_d, in_w, by_weather)
                by_day_table[wc, dc] = by_day
                self.offset_table_[wc, dc] = by_day
                for bc in np.unique(band[in_d]):
                    in_b = in_d & (band == bc)
                    self.offset_table_[wc, dc, bc] = self._shrunk(r, w, in_b, in_d, by_day)
                    self.row_table_[wc, dc, bc] = int(in_b.sum())
        self._borrow_day_shifts(by_day_table)
        return self

    def _borrow_day_shifts(self, by_day: NDArray[np.float64]) -> None:
        """A day type unseen under a weather seen: that weather's offset on the day types it
        has, moved by how far the unseen day type sits from them under the other weathers
        (a snowy weekend after snowy weekdays is as much calmer than they are as dry
        weekends are than dry weekdays). ``by_day`` holds the fitted (weather, day) offsets."""
        weather_seen = np.isfinite(by_day).any(axis=1, keepdims=True)
        for wc, dc in np.argwhere(np.isnan(by_day) & weather_seen):
            estimates = [
                by_day[wc, seen] + by_day[other, dc] - by_day[other, seen]
                for seen in np.flatnonzero(np.isfinite(by_day[wc]))
                for other in np.flatnonzero(
                    np.isfinite(by_day[:, dc]) & np.isfinite(by_day[:, seen])
                )
            ]
            if estimates:
                self.offset_table_[wc, dc] = float(np.mean(estimates))

    def offset(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Offset (log scale) of each row of ``X``: its group's, else its nearest parent's."""
        self._check_fitted()
        return np.asarray(self.offset_table_[self._groups(X)], dtype=np.float64)

    def offsets(self) -> pd.DataFrame:
        """Offset and calibration rows of each (weather, day type, hour band) group fitted."""
        self._check_fitted()
        edges = self.hour_bands
        hours = ["unknown"] + [f"{edges[k]:g}-{edges[k + 1]:g}" for k in range(len(edges) - 1)]
        seen = [tuple(int(i) for i in g) for g in np.argwhere(self.row_table_ > 0)]
        return pd.DataFrame(
            {
                "weather": [WEATHER_GROUPS[g[0]] for g in seen],
                "day": [DAY_TYPES[g[1]] for g in seen],
                "hours": [hours[g[2]] for g in seen],
                "rows": [int(self.row_table_[g]) for g in seen],
                "offset": [float(self.offset_table_[g]) for g in seen],
            }
        )

    def _check_fitted(self) -> None:
        if not hasattr(self, "offset_table_"):
            msg = "this ConditionalCalibration is not fitted yet; call fit first"
            raise NotFittedError(msg)

    def _check_params(self) -> None:
        if not 0 < self.quantile < 1:
            msg = f"quantile must be in (0, 1), got {self.quantile}"
            raise ValueError(msg)
        if not self.min_rows >= 0:
            msg = f"min_rows must be non-negative, got {self.min_rows}"
            raise ValueError(msg)
        edges = np.asarray(self.hour_bands, dtype=np.float64)
        if edges.size < 2 or np.any(np.diff(edges) <= 0):
            msg = f"hour_bands must be at least two increasing edges, got {self.hour_bands}"
            raise ValueError(msg)

    def _shrunk(
        self,
        residual: NDArray[np.float64],
        weight: NDArray[np.float64],
        rows: NDArray[np.bool_],
        parent_rows: NDArray[np.bool_],
        parent: float,
    ) -> float:
        """The ``rows``' weighted quantile pulled toward ``parent`` by ``min_rows`` pseudo-rows.

        A group holding all its parent's rows takes the parent's offset (no double count).
        """
        r, w = residual[rows], weight[rows]
        total = float(w.sum())
        if total == 0 or rows.sum() == parent_rows.sum():
            return parent
        n = total**2 / float(np.sum(w**2))  # effective number of rows (Kish)
        own = _weighted_quantile(r, w, self.quantile)
        return float((n * own + self.min_rows * parent) / (n + self.min_rows))

    def _groups(
        self, X: pd.DataFrame
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """Weather, day type and hour band codes of each row (indices into the tables)."""
        block = X.to_numpy(dtype=np.float64, na_value=np.nan)  # a view of a float frame
        snow, rain, mm, weekend, hour = (
            block[:, at] if at >= 0 else np.full(len(X), np.nan)
            for at in X.columns.get_indexer(_GROUP_COLUMNS).tolist()
        )
        known = ~(np.isnan(snow) & np.isnan(rain) & np.isnan(mm))
        weather = np.select(
            [snow == 1, (rain == 1) | (mm > 0), known],
            [WEATHER_GROUPS.index(c) for c in ("snow", "wet", "dry")],
            default=WEATHER_GROUPS.index("unknown"),
        ).astype(np.int64)
        day = np.where(np.isnan(weekend), 0, np.where(weekend == 1, 2, 1)).astype(np.int64)
        edges = np.asarray(self.hour_bands, dtype=np.float64)
        band = np.clip(np.searchsorted(edges, hour, side="right"), 1, edges.size - 1)
        return weather, day, np.where(np.isnan(hour), 0, band).astype(np.int64)


def _weighted_quantile(r: NDArray[np.float64], w: NDArray[np.float64], q: float) -> float:
    """The smallest residual whose weighted share of residuals at or below it reaches ``q``.

    With equal weights this is the conformal ``ceil(q (n + 1))``-th smallest residual
    (capped at the largest), which covers a new exchangeable row with probability >= q.
    """
    order = np.argsort(r, kind="stable")
    values, weights = r[order], w[order]
    cumulative = np.cumsum(weights)
    total = cumulative[-1]
    target = q * (total + weights.mean())  # conformal: one more row of average weight
    index = int(np.searchsorted(cumulative, min(target, total) - 1e-12 * total, side="left"))
    return float(values[min(index, values.size - 1)])
