"""The ETA model: a LightGBM correction of free-flow travel time, with a P90 upper estimate.

It learns ``log(actual / free_flow)`` so that predictions are the routing engine's
estimate times a learned factor: ``free_flow_s * exp(f(x))``. The P90 comes from a
quantile model whose offset is calibrated (conformal, on the latest rows of the training
data) so that about 90 % of real durations fall below it.
"""

from __future__ import annotations

import copy as _copy
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, RegressorMixin

from .calibration import ConditionalCalibration
from .compiled_trees import CompiledTrees
from .exceptions import NotFittedError
from .features import CATEGORICAL_FEATURES


class EtaModel(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """Predict drive durations (s) from trip features that include ``free_flow_s``.

    Parameters follow LightGBM's; ``quantile`` is the upper estimate's level;
    ``calibration_fraction`` is the share of the latest rows (pass rows in time order)
    held out to calibrate the upper estimate. Fitted state: ``median_``, ``upper_``,
    ``upper_offset_``, ``feature_names_in_``, ``n_features_in_``.
    """

    def __init__(
        self,
        n_estimators: int = 100,
        learning_rate: float = 0.15,
        num_leaves: int = 31,
        min_child_samples: int = 40,
        quantile: float = 0.9,
        calibration_fraction: float = 0.15,
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.quantile = quantile
        self.calibration_fraction = calibration_fraction
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _booster(self, **objective: Any) -> lgb.LGBMRegressor:
        return lgb.LGBMRegressor(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
            deterministic=True,
            force_row_wise=True,
            verbose=-1,
            **objective,
        )

    def fit(self, X: pd.DataFrame, y: NDArray[np.float64] | pd.Series) -> EtaModel:
        """Fit on features ``X`` (rows in time order) and actual durations ``y`` (s)."""
        X = _check_frame(X)
        self.__dict__.pop("_compiled", None)
        target = _log_ratio(X, np.asarray(y, dtype=float))
        n_fit = int(len(X) * (1 - self.calibration_fraction))
        if not 0 < n_fit < len(X):
            fraction = self.calibration_fraction
            msg = f"calibration_fraction {fraction} leaves no rows to fit or to calibrate"
            raise ValueError(msg)
        categorical = [c for c in CATEGORICAL_FEATURES if c in X.columns]
        self.median_ = self._booster(objective="regression").fit(
            X, target, categorical_feature=categorical
        )
        self.upper_ = self._booster(objective="quantile", alpha=self.quantile).fit(
            X.iloc[:n_fit], target[:n_fit], categorical_feature=categorical
        )
        residual = target[n_fit:] - self.upper_.predict(X.iloc[n_fit:])
        self.calibration_ = ConditionalCalibration(self.quantile).fit(residual, X.iloc[n_fit:])
        self.upper_offset_ = self.calibration_.global_offset_
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Median duration (s) of each trip."""
        X = self._check_fitted_input(X)
        (raw,) = self._raw_scores(X, upper=False)
        return np.asarray(X["free_flow_s"].to_numpy() * np.exp(raw))

    def predict_p90(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Upper (``quantile``) duration (s) of each trip; never below :meth:`predict`."""
        return self.predict_with_p90(X)[1]

    def predict_with_p90(self, X: pd.DataFrame) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(:meth:`predict`, :meth:`predict_p90`), running each booster once.

        The boosters' trees are evaluated by :class:`CompiledTrees` (the same numbers as
        LightGBM's predictor, faster) unless they use what it does not cover.
        """
        X = self._check_fitted_input(X)
        free_flow = X["free_flow_s"].to_numpy()
        median_raw, upper_raw = self._raw_scores(X, upper=True)
        median = np.asarray(free_flow * np.exp(median_raw))
        upper = free_flow * np.exp(upper_raw + self.calibration_.offset(X))
        return median, np.asarray(np.maximum(upper, median))

    def recalibrate(
        self,
        X: pd.DataFrame,
        y: NDArray[np.float64] | pd.Series,
        sample_weight: NDArray[np.float64] | None = None,
    ) -> EtaModel:
        """A copy whose P90 calibration is refitted on recent outcomes; boosters unchanged.

        For when only the calibration drifted (the P90 covers too many or too few trips
        while the median error holds): ``X`` and ``y`` are recent trips the boosters were
        not fitted on, ``sample_weight`` optionally favours the latest of them.
        """
        X = self._check_fitted_input(X)
        (_, upper_raw) = self._raw_scores(X, upper=True)
        residual = _log_ratio(X, np.asarray(y, dtype=float)) - upper_raw
        copy = _copy.copy(self)  # shares the boosters (and their compiled trees)
        copy.calibration_ = ConditionalCalibration(self.quantile).fit(residual, X, sample_weight)
        copy.upper_offset_ = copy.calibration_.global_offset_
        return copy

    def _raw_scores(self, X: pd.DataFrame, *, upper: bool) -> list[NDArray[np.float64]]:
        """Raw scores of the median booster, then of the upper one if ``upper``."""
        boosters = (self.median_, self.upper_)[: 1 + upper]
        compiled = self._compiled_boosters()
        if compiled is None:
            return [np.asarray(booster.predict(X), dtype=np.float64) for booster in boosters]
        values = X.to_numpy(dtype=np.float64)
        return [trees.predict(values) for trees in compiled[: len(boosters)]]

    def _compiled_boosters(self) -> tuple[CompiledTrees, CompiledTrees] | None:
        """Both boosters compiled (once), or None if one cannot be: LightGBM predicts then."""
        if "_compiled" not in self.__dict__:
            try:
                self._compiled: tuple[CompiledTrees, CompiledTrees] | None = (
                    CompiledTrees.from_booster(self.median_.booster_),
                    CompiledTrees.from_booster(self.upper_.booster_),
                )
            except ValueError:
                self._compiled = None
        return self._compiled

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state.pop("_compiled", None)  # rebuilt from the boosters when needed
        return state

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "median_")

    def _check_fitted_input(self, X: pd.DataFrame) -> pd.DataFrame:
        if not self.__sklearn_is_fitted__():
            msg = "this EtaModel is not fitted yet; call fit first"
            raise NotFittedError(msg)
        X = _check_frame(X)
        expected = list(self.feature_names_in_)
        if list(X.columns) != expected:
            missing = sorted(set(expected) - set(X.columns))
            extra = sorted(set(X.columns) - set(expected))
            if missing or extra:
                msg = f"features differ from training: missing {missing}, unexpected {extra}"
                raise ValueError(msg)
            X = X[expected]
        return X


def _check_frame(X: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        msg = f"X must be a pandas DataFrame of features, got {type(X).__name__}"
        raise TypeError(msg)
    if "free_flow_s" not in X.columns:
        msg = "X must contain the column 'free_flow_s'"
        raise ValueError(msg)
    return X


def _log_ratio(X: pd.DataFrame, y: NDArray[np.float64]) -> NDArray[np.float64]:
    free_flow: NDArray[np.float64] = X["free_flow_s"].to_numpy(dtype=np.float64)
    if y.shape != free_flow.shape:
        msg = f"y must have one duration per row of X, got {y.shape} for {free_flow.shape}"
        raise ValueError(msg)
    if not (np.all(np.isfinite(y)) and np.all(y > 0) and np.all(free_flow > 0)):
        msg = "durations y and free_flow_s must be finite and positive"
        raise ValueError(msg)
    return np.log(y / free_flow)


def predict_durations(
    model: EtaModel | None, X: pd.DataFrame
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(P50, P90) durations in seconds; without a model, both are the free-flow times."""
    X = _check_frame(X)
    if model is None:
        free_flow = X["free_flow_s"].to_numpy(dtype=float)
        return free_flow, free_flow.copy()
    return model.predict_with_p90(X)
