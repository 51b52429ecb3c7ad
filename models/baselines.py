"""Reference estimators for the model comparison, all predicting durations (s) from features.

Each follows the scikit-learn contract and, like :class:`models.eta.EtaModel`, corrects
``free_flow_s``: free flow as is; times one global ratio; times a ratio per hour of the
week; or times ``exp`` of any scikit-learn regressor fitted to ``log(actual/free_flow)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.utils.validation import check_is_fitted

from .eta import _check_frame, _log_ratio


class FreeFlow(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """The map's free-flow time, unchanged (what callers get without a model)."""

    def fit(self, X: pd.DataFrame, y: NDArray[np.float64]) -> FreeFlow:
        """Nothing to learn; checks the input."""
        _log_ratio(_check_frame(X), np.asarray(y, dtype=float))
        self.fitted_ = True
        return self

    def predict(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Free-flow seconds."""
        check_is_fitted(self)
        return np.asarray(_check_frame(X)["free_flow_s"].to_numpy(dtype=float))


class GlobalRatio(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """Free flow times one city-wide factor (the geometric mean of actual / free flow)."""

    def fit(self, X: pd.DataFrame, y: NDArray[np.float64]) -> GlobalRatio:
        """Learn the factor."""
        self.log_ratio_ = float(np.mean(_log_ratio(_check_frame(X), np.asarray(y, dtype=float))))
        return self

    def predict(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Corrected seconds."""
        check_is_fitted(self)
        return np.asarray(_check_frame(X)["free_flow_s"].to_numpy() * np.exp(self.log_ratio_))


class HourOfWeekRatio(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """Free flow times a factor per hour of the week (168 cells; empty cells: global factor)."""

    def fit(self, X: pd.DataFrame, y: NDArray[np.float64]) -> HourOfWeekRatio:
        """Learn the factor of each hour of the week."""
        X = _check_frame(X)
        target = _log_ratio(X, np.asarray(y, dtype=float))
        cells = _hour_of_week(X)
        total = np.bincount(cells, weights=target, minlength=168)
        count = np.bincount(cells, minlength=168)
        self.global_ = float(target.mean())
        self.log_ratio_ = np.where(count > 0, total / np.maximum(count, 1), self.global_)
        return self

    def predict(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Corrected seconds."""
        check_is_fitted(self)
        X = _check_frame(X)
        return np.asarray(X["free_flow_s"].to_numpy() * np.exp(self.log_ratio_[_hour_of_week(X)]))


class LogRatioRegressor(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """Any scikit-learn regressor fitted to ``log(actual / free_flow)``; NaN -> 0 plus a flag."""

    def __init__(self, regressor: BaseEstimator) -> None:
        self.regressor = regressor

    def fit(self, X: pd.DataFrame, y: NDArray[np.float64]) -> LogRatioRegressor:
        """Fit the wrapped regressor on the log ratio."""
        X = _check_frame(X)
        target = _log_ratio(X, np.asarray(y, dtype=float))
        self.regressor_ = clone(self.regressor).fit(_numeric(X), target)
        return self

    def predict(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Corrected seconds."""
        check_is_fitted(self)
        X = _check_frame(X)
        return np.asarray(
            X["free_flow_s"].to_numpy() * np.exp(self.regressor_.predict(_numeric(X)))
        )


def _hour_of_week(X: pd.DataFrame) -> NDArray[np.int64]:
    """Hour of the week (0..167) from the cyclic day-of-week and the hour features."""
    dow = np.round(np.arctan2(X["dow_sin"], X["dow_cos"]) / (2 * np.pi) * 7) % 7
    return np.asarray((dow * 24 + np.floor(X["hour"]).clip(0, 23)).astype(np.int64))


def _numeric(X: pd.DataFrame) -> NDArray[np.float64]:
    """Features with NaN replaced by 0, plus one missing-value flag column per feature."""
    values = X.to_numpy(dtype=float)
    missing = np.isnan(values)
    return np.column_stack((np.nan_to_num(values), missing.astype(float)))
