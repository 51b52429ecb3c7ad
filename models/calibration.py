"""Conditional conformal calibration of an upper quantile: one offset per weather and hour band.

An upper-quantile model ``u(x)`` of a log-ratio target ``t`` is calibrated by adding an
offset ``c`` so that ``t <= u(x) + c`` holds on a share ``quantile`` of new rows. A single
offset is right on average and wrong under each condition that differs from the
calibration rows' mix (a P90 calibrated on a snowy week covers every dry-day trip).
:class:`ConditionalCalibration` fits the offset per condition group instead: the weather
(snow, wet, dry, unknown) and, within it, the band of the hour of day. Each group's
offset is the weighted ``quantile`` of its residuals, shrunk toward its parent's (the
weather's toward the global one, the hour band's toward its weather's) by ``min_rows``
pseudo-rows, so small groups borrow strength and unseen ones take their parent's offset.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .exceptions import NotFittedError

WEATHER_GROUPS = ("snow", "wet", "dry", "unknown")
"""Weather conditions of a row: snow on the roads, rain or precipitation, dry, no weather data."""

HOUR_BANDS = (0.0, 6.0, 10.0, 15.0, 19.0, 24.0)
"""Edges of the hour-of-day bands: night, morning peak, midday, evening peak, evening."""


class ConditionalCalibration:
    """Offsets of an upper quantile's residuals per weather condition and hour band.

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
    Conditions are read from the feature columns ``snow``, ``rain``, ``precipitation_mm``
    and ``hour`` when present. A row is "snow" if ``snow`` is 1, "wet" if ``rain`` is 1 or
    ``precipitation_mm`` is positive, "dry" if any of those is known, else "unknown" (real
    trips without a weather feed); an absent or NaN ``hour`` is a band of its own. Fitted
    state: ``global_offset_``; ``offset_table_`` and ``row_table_``, indexed by weather
    (:data:`WEATHER_GROUPS`) and hour band (0 for an unknown hour, then the bands).
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
        weather, band = self._groups(X)
        n_bands = len(self.hour_bands)  # the bands, plus one for an unknown hour (column 0)
        self.global_offset_ = _weighted_quantile(r, w, self.quantile)
        self.offset_table_ = np.full((len(WEATHER_GROUPS), n_bands), self.global_offset_)
        self.row_table_ = np.zeros((len(WEATHER_GROUPS), n_bands), dtype=np.int64)
        for code in np.unique(weather):
            rows = weather == code
            parent = self._shrunk(r[rows], w[rows], self.global_offset_)
            self.offset_table_[code] = parent
            for cell in np.unique(band[rows]):
                in_cell = rows & (band == cell)
                self.offset_table_[code, cell] = self._shrunk(r[in_cell], w[in_cell], parent)
                self.row_table_[code, cell] = int(in_cell.sum())
        return self

    def offset(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Offset (log scale) of each row of ``X``: its group's, else its weather's, else global."""
        self._check_fitted()
        weather, band = self._groups(X)
        return np.asarray(self.offset_table_[weather, band], dtype=np.float64)

    def offsets(self) -> pd.DataFrame:
        """Offset and calibration rows of each (weather, hour band) group seen in ``fit``."""
        self._check_fitted()
        edges = self.hour_bands
        hours = ["unknown"] + [f"{edges[k]:g}-{edges[k + 1]:g}" for k in range(len(edges) - 1)]
        seen = np.argwhere(self.row_table_ > 0)
        return pd.DataFrame(
            {
                "weather": [WEATHER_GROUPS[w] for w, _ in seen],
                "hours": [hours[b] for _, b in seen],
                "rows": [int(self.row_table_[w, b]) for w, b in seen],
                "offset": [float(self.offset_table_[w, b]) for w, b in seen],
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

    def _shrunk(self, r: NDArray[np.float64], w: NDArray[np.float64], parent: float) -> float:
        """The group's weighted quantile pulled toward ``parent`` by ``min_rows`` pseudo-rows."""
        total = float(w.sum())
        if total == 0:
            return parent
        n = total**2 / float(np.sum(w**2))  # effective number of rows (Kish)
        own = _weighted_quantile(r, w, self.quantile)
        return float((n * own + self.min_rows * parent) / (n + self.min_rows))

    def _groups(self, X: pd.DataFrame) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Weather code (index in :data:`WEATHER_GROUPS`) and hour band code of each row."""
        n = len(X)

        def column(name: str) -> NDArray[np.float64]:
            if name not in X.columns:
                return np.full(n, np.nan)
            return np.asarray(X[name].to_numpy(dtype=np.float64, na_value=np.nan))

        snow, rain, mm, hour = (column(c) for c in ("snow", "rain", "precipitation_mm", "hour"))
        known = ~(np.isnan(snow) & np.isnan(rain) & np.isnan(mm))
        weather = np.select(
            [snow == 1, (rain == 1) | (mm > 0), known],
            [WEATHER_GROUPS.index(c) for c in ("snow", "wet", "dry")],
            default=WEATHER_GROUPS.index("unknown"),
        ).astype(np.int64)
        edges = np.asarray(self.hour_bands, dtype=np.float64)
        band = np.clip(np.searchsorted(edges, hour, side="right"), 1, edges.size - 1)
        return weather, np.where(np.isnan(hour), 0, band).astype(np.int64)


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
