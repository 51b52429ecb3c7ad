"""Reference estimators for the model comparison, all predicting durations (s) from features.

Each follows the scikit-learn contract and, like :class:`models.eta.EtaModel`, corrects
``free_flow_s``: free flow as is; times one global ratio; times a ratio per hour of the
week; or times ``exp`` of any scikit-learn regressor fitted to ``log(actual/free_flow)``.
The exception is :class:`RawCoordinateLightGBM`, the map-free yardstick: it learns from
the trips' raw coordinates and times, so it is fitted to the cleaned trips frame.
"""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.utils.validation import check_is_fitted

from .eta import check_frame, log_ratio


class FreeFlow(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """The map's free-flow time, unchanged (what callers get without a model)."""

    def fit(self, X: pd.DataFrame, y: NDArray[np.float64]) -> FreeFlow:
        """Nothing to learn; checks the input."""
        log_ratio(check_frame(X), np.asarray(y, dtype=float))
        self.fitted_ = True
        return self

    def predict(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Free-flow seconds."""
        check_is_fitted(self)
        return np.asarray(check_frame(X)["free_flow_s"].to_numpy(dtype=float))


class GlobalRatio(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """Free flow times one city-wide factor (the geometric mean of actual / free flow)."""

    def fit(self, X: pd.DataFrame, y: NDArray[np.float64]) -> GlobalRatio:
        """Learn the factor."""
        self.log_ratio_ = float(np.mean(log_ratio(check_frame(X), np.asarray(y, dtype=float))))
        return self

    def predict(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Corrected seconds."""
        check_is_fitted(self)
        return np.asarray(check_frame(X)["free_flow_s"].to_numpy() * np.exp(self.log_ratio_))


class HourOfWeekRatio(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """Free flow times a factor per hour of the week (168 cells; empty cells: global factor)."""

    def fit(self, X: pd.DataFrame, y: NDArray[np.float64]) -> HourOfWeekRatio:
        """Learn the factor of each hour of the week."""
        X = check_frame(X)
        target = log_ratio(X, np.asarray(y, dtype=float))
        cells = _hour_of_week(X)
        total = np.bincount(cells, weights=target, minlength=168)
        count = np.bincount(cells, minlength=168)
        self.global_ = float(target.mean())
        self.log_ratio_ = np.where(count > 0, total / np.maximum(count, 1), self.global_)
        return self

    def predict(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Corrected seconds."""
        check_is_fitted(self)
        X = check_frame(X)
        return np.asarray(X["free_flow_s"].to_numpy() * np.exp(self.log_ratio_[_hour_of_week(X)]))


class LogRatioRegressor(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """Any scikit-learn regressor fitted to ``log(actual / free_flow)``; NaN -> 0 plus a flag."""

    def __init__(self, regressor: BaseEstimator) -> None:
        self.regressor = regressor

    def fit(self, X: pd.DataFrame, y: NDArray[np.float64]) -> LogRatioRegressor:
        """Fit the wrapped regressor on the log ratio."""
        X = check_frame(X)
        target = log_ratio(X, np.asarray(y, dtype=float))
        self.regressor_ = clone(self.regressor).fit(_numeric(X), target)
        return self

    def predict(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Corrected seconds."""
        check_is_fitted(self)
        X = check_frame(X)
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


RAW_COORDINATE_FEATURES = (
    "pickup_lat",
    "pickup_lon",
    "dropoff_lat",
    "dropoff_lon",
    "haversine_m",
    "manhattan_m",
    "bearing_deg",
    "hour",
    "weekday",
    "month",
)
_TRIP_COLUMNS = ("origin_lat", "origin_lon", "dest_lat", "dest_lon", "pickup_time")
_EARTH_RADIUS_M = 6_371_008.8


class RawCoordinateLightGBM(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """The classic taxi-duration recipe: LightGBM on raw coordinates, no map at all.

    Fitted to ``log(duration)`` from :func:`raw_coordinate_features` of a trips frame
    (columns ``origin_lat``, ``origin_lon``, ``dest_lat``, ``dest_lon`` and ``pickup_time``
    in local time, as in :attr:`models.training.PreparedTrips.trips`), not from the
    feature frame the other models take. The number of boosting rounds is found by early
    stopping on the last ``validation_days`` days of the training rows (the latest 20 % of
    rows by pickup time if they span no more days than that), then the model is refitted
    on all training rows with that many rounds.

    Fitted state: ``booster_``, ``n_rounds_``, ``validation_window_``, ``n_validation_``.
    """

    input_frame = "trips"  # compare_models passes PreparedTrips.trips, not the features

    def __init__(
        self,
        learning_rate: float = 0.05,
        num_leaves: int = 63,
        min_child_samples: int = 20,
        colsample_bytree: float = 0.8,
        subsample: float = 0.8,
        subsample_freq: int = 1,
        reg_lambda: float = 1.0,
        max_rounds: int = 5000,
        early_stopping_rounds: int = 100,
        validation_days: int = 3,
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.colsample_bytree = colsample_bytree
        self.subsample = subsample
        self.subsample_freq = subsample_freq
        self.reg_lambda = reg_lambda
        self.max_rounds = max_rounds
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_days = validation_days
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, trips: pd.DataFrame, y: NDArray[np.float64]) -> RawCoordinateLightGBM:
        """Pick the number of rounds on the latest days, then refit on all rows."""
        if self.validation_days < 1 or self.max_rounds < 1 or self.early_stopping_rounds < 1:
            msg = "validation_days, max_rounds and early_stopping_rounds must be at least 1"
            raise ValueError(msg)
        features = raw_coordinate_features(trips)
        target = np.asarray(y, dtype=float)
        if target.shape != (len(features),):
            msg = f"y must have one duration per trip, got {target.shape} for {len(features)}"
            raise ValueError(msg)
        if not (np.all(np.isfinite(target)) and np.all(target > 0)):
            msg = "durations y must be finite and positive"
            raise ValueError(msg)
        validation = _validation_rows(trips["pickup_time"], self.validation_days)
        if validation.all() or not validation.any():
            msg = f"need at least 2 trips to early-stop on the latest ones, got {len(features)}"
            raise ValueError(msg)
        log_y = np.log(target)
        params = self._params()
        search = lgb.train(
            params,
            lgb.Dataset(features[~validation], log_y[~validation]),
            self.max_rounds,
            valid_sets=[lgb.Dataset(features[validation], log_y[validation])],
            callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False)],
        )
        self.n_rounds_ = max(int(search.best_iteration), 1)
        dates = trips["pickup_time"].dt.date[validation]
        self.validation_window_ = (dates.min(), dates.max())
        self.n_validation_ = int(validation.sum())
        self.booster_ = lgb.train(params, lgb.Dataset(features, log_y), self.n_rounds_)
        return self

    def predict(self, trips: pd.DataFrame) -> NDArray[np.float64]:
        """Predicted durations (s) of the trips."""
        check_is_fitted(self)
        features = raw_coordinate_features(trips)
        return np.asarray(np.exp(self.booster_.predict(features)), dtype=np.float64)

    def _params(self) -> dict[str, Any]:
        return {
            "objective": "regression",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_child_samples,
            "feature_fraction": self.colsample_bytree,
            "bagging_fraction": self.subsample,
            "bagging_freq": self.subsample_freq,
            "lambda_l2": self.reg_lambda,
            "seed": self.random_state,
            "num_threads": self.n_jobs,
            "deterministic": True,
            "force_row_wise": True,
            "verbose": -1,
        }


def raw_coordinate_features(trips: pd.DataFrame) -> pd.DataFrame:
    """The raw-coordinate recipe's features (:data:`RAW_COORDINATE_FEATURES`) of a trips frame.

    Distances in metres (haversine, and north-south plus east-west legs), the initial
    bearing in degrees, and hour, weekday (Monday 0) and month of ``pickup_time`` as given
    (pass local times).
    """
    if not isinstance(trips, pd.DataFrame):
        msg = f"trips must be a pandas DataFrame, got {type(trips).__name__}"
        raise TypeError(msg)
    missing = [c for c in _TRIP_COLUMNS if c not in trips.columns]
    if missing:
        msg = f"trips must contain the columns {missing} (see PreparedTrips.trips)"
        raise ValueError(msg)
    if not pd.api.types.is_datetime64_any_dtype(trips["pickup_time"]):
        msg = f"trips['pickup_time'] must hold datetimes, got {trips['pickup_time'].dtype}"
        raise ValueError(msg)
    lat1, lon1, lat2, lon2 = (trips[c].to_numpy(dtype=float) for c in _TRIP_COLUMNS[:4])
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi, dlam = phi2 - phi1, np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlam / 2) ** 2
    bearing = np.arctan2(
        np.sin(dlam) * np.cos(phi2),
        np.cos(phi1) * np.sin(phi2) - np.sin(phi1) * np.cos(phi2) * np.cos(dlam),
    )
    time = trips["pickup_time"].dt
    values = (
        lat1,
        lon1,
        lat2,
        lon2,
        2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(a)),
        _EARTH_RADIUS_M * (np.abs(dphi) + np.cos((phi1 + phi2) / 2) * np.abs(dlam)),
        np.degrees(bearing),
        time.hour.to_numpy(),
        time.day_of_week.to_numpy(),
        time.month.to_numpy(),
    )
    return pd.DataFrame(dict(zip(RAW_COORDINATE_FEATURES, values, strict=True)))


def _validation_rows(pickup_time: pd.Series, days: int) -> NDArray[np.bool_]:
    """Rows on the last ``days`` dates, or the latest 20 % of rows if there are no more dates."""
    dates = np.asarray(pickup_time.dt.date)
    unique = np.unique(dates)
    if len(unique) > days:
        return np.asarray(dates >= unique[-days])
    order = np.argsort(pickup_time.to_numpy(), kind="stable")
    validation = np.zeros(len(dates), dtype=bool)
    validation[order[len(order) - max(len(order) // 5, 1) :]] = True
    return validation
