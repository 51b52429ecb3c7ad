"""Compare model families on a time-ordered split and pick the one that meets the requirement.

Each family is trained on the earlier days and scored on the later ones for accuracy
(MAE, MAPE, RMSLE, P90 absolute error), training time, prediction latency per row (a
batch of up to 10,000 rows, best of three) and serialised size. Warnings raised while
fitting (e.g. an MLP stopping at its iteration cap) are kept in the ``notes`` column.

Families learn from the feature frame ``PreparedTrips.X``, except those whose class says
``input_frame = "trips"`` (the raw-coordinate baseline): they get ``PreparedTrips.trips``,
the same rows. Those are yardsticks, never chosen: the service predicts from features.
:meth:`Comparison.paired` compares two families on the same test rows.
"""

from __future__ import annotations

import pickle
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import Ridge
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

from .baselines import (
    FreeFlow,
    GlobalRatio,
    HourOfWeekRatio,
    LogRatioRegressor,
    RawCoordinateLightGBM,
)
from .eta import EtaModel
from .metrics import regression_metrics
from .paired import PairedComparison, paired_comparison
from .training import PreparedTrips, split_dates

LATENCY_BATCH = 10_000
ETA_FAMILY = "LightGBM (EtaModel)"
RAW_FAMILY = "LightGBM (raw coordinates)"


def model_families(random_state: int = 0) -> dict[str, BaseEstimator]:
    """The compared families, unfitted, by display name."""
    return {
        "free-flow": FreeFlow(),
        "free-flow x global ratio": GlobalRatio(),
        "free-flow x hour-of-week ratio": HourOfWeekRatio(),
        "linear (ridge)": LogRatioRegressor(make_pipeline(StandardScaler(), Ridge(alpha=1.0))),
        "decision tree": LogRatioRegressor(
            DecisionTreeRegressor(max_depth=12, min_samples_leaf=20, random_state=random_state)
        ),
        "random forest": LogRatioRegressor(
            RandomForestRegressor(
                n_estimators=60,
                max_depth=14,
                min_samples_leaf=5,
                n_jobs=2,
                random_state=random_state,
            )
        ),
        "neural network (MLP)": LogRatioRegressor(
            make_pipeline(
                StandardScaler(),
                MLPRegressor(
                    hidden_layer_sizes=(32, 16),
                    early_stopping=True,
                    max_iter=100,
                    random_state=random_state,
                ),
            )
        ),
        "hist gradient boosting": LogRatioRegressor(
            HistGradientBoostingRegressor(max_iter=300, random_state=random_state)
        ),
        ETA_FAMILY: EtaModel(random_state=random_state),
        RAW_FAMILY: RawCoordinateLightGBM(random_state=random_state),
    }


@dataclass(frozen=True)
class Requirement:
    """The business requirement: the most accurate (by ``metric``) model under a latency cap."""

    metric: str = "mae_s"
    max_latency_ms: float = 1.0

    def describe(self) -> str:
        """One line, for reports."""
        return f"lowest {self.metric} with under {self.max_latency_ms:g} ms per prediction"


@dataclass(frozen=True)
class Comparison:
    """The table (one row per family), the chosen family and why, and the split used."""

    table: pd.DataFrame
    chosen: str | None
    requirement: Requirement
    train_window: tuple[date, date]
    test_window: tuple[date, date]
    test_predictions: dict[str, np.ndarray]
    test_y: np.ndarray
    test_hour: np.ndarray

    def paired(
        self,
        candidate: str = ETA_FAMILY,
        reference: str = RAW_FAMILY,
        *,
        n_resamples: int = 1000,
        random_state: int = 0,
    ) -> PairedComparison:
        """Two families' test predictions compared on the same rows, with a bootstrap interval."""
        for name in (candidate, reference):
            if name not in self.test_predictions:
                msg = f"no family {name!r} in this comparison: {sorted(self.test_predictions)}"
                raise ValueError(msg)
        return paired_comparison(
            self.test_y,
            self.test_predictions[candidate],
            self.test_predictions[reference],
            names=(candidate, reference),
            n_resamples=n_resamples,
            random_state=random_state,
        )


def compare_models(
    data: PreparedTrips,
    *,
    until: date | None = None,
    test_fraction: float = 0.25,
    sample: float = 1.0,
    requirement: Requirement | None = None,
    families: dict[str, BaseEstimator] | None = None,
    progress: Callable[[str], None] | None = None,
    random_state: int = 0,
) -> Comparison:
    """Train and score every family on the same time-ordered split.

    ``sample`` < 1 keeps that random fraction of the rows (seeded), for quick runs.
    """
    if not 0 < sample <= 1:
        msg = f"sample must be in (0, 1], got {sample}"
        raise ValueError(msg)
    if sample < 1:
        keep = np.random.default_rng(random_state).random(len(data.y)) < sample
        data = data.subset(keep)
    requirement = requirement or Requirement()
    dates = data.local_dates()
    first_test = split_dates(dates, until, test_fraction)
    train, test = dates < first_test, dates >= first_test
    if not train.any() or not test.any():
        msg = f"the split at {first_test} leaves no training or no test days"
        raise ValueError(msg)
    y_train, y_test = data.y[train], data.y[test]
    rows, predictions, yardsticks = [], {}, []
    for name, estimator in (families or model_families(random_state)).items():
        if progress is not None:
            progress(name)
        if _takes_trips(estimator):
            yardsticks.append(name)
        frame = data.trips if _takes_trips(estimator) else data.X
        X_train, X_test = frame[train], frame[test]
        started = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            estimator.fit(X_train, y_train)
        train_s = time.perf_counter() - started
        predicted = estimator.predict(X_test)
        predictions[name] = predicted
        rows.append(
            {
                "model": name,
                **regression_metrics(y_test, predicted),
                "train_s": train_s,
                "latency_us_per_row": _latency_us(estimator, X_test),
                "size_kb": len(pickle.dumps(estimator)) / 1024,
                "notes": "; ".join(
                    sorted(
                        {type(w.message).__name__ for w in caught}
                        | ({"yardstick, not chosen"} if name in yardsticks else set())
                    )
                ),
            }
        )
    table = pd.DataFrame(rows).drop(columns=["n"])
    eligible = table[
        (table["latency_us_per_row"] < requirement.max_latency_ms * 1000)
        & ~table["model"].isin(yardsticks)
    ]
    chosen = (
        None if eligible.empty else str(eligible.sort_values(requirement.metric)["model"].iloc[0])
    )
    return Comparison(
        table=table,
        chosen=chosen,
        requirement=requirement,
        train_window=(dates[train].min(), dates[train].max()),
        test_window=(dates[test].min(), dates[test].max()),
        test_predictions=predictions,
        test_y=y_test,
        test_hour=data.X["hour"][test].to_numpy(),
    )


def _takes_trips(estimator: BaseEstimator) -> bool:
    """Whether the family learns from the cleaned trips rather than the feature frame."""
    return getattr(type(estimator), "input_frame", "features") == "trips"


def _latency_us(estimator: BaseEstimator, X: pd.DataFrame) -> float:
    batch = X.iloc[:LATENCY_BATCH]
    best = np.inf
    for _ in range(3):
        started = time.perf_counter()
        estimator.predict(batch)
        best = min(best, time.perf_counter() - started)
    return float(best / len(batch) * 1e6)
