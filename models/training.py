"""From raw trip records to a trained, evaluated ETA model: clean, featurise, split by time, fit."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import NDArray

import routing

from .cleaning import CleaningParams, CleaningReport, clean_trips
from .eta import EtaModel
from .features import build_features
from .metrics import regression_metrics


@dataclass(frozen=True)
class PreparedTrips:
    """Cleaned trips in time order (times in the map's zone), their features and durations."""

    trips: pd.DataFrame
    X: pd.DataFrame
    y: NDArray[np.float64]
    report: CleaningReport
    data_sha256: str

    def local_dates(self) -> NDArray[np.object_]:
        """Local calendar date of each trip."""
        return np.asarray(self.trips["pickup_time"].dt.date)

    def subset(self, mask: NDArray[np.bool_]) -> PreparedTrips:
        """The rows where ``mask`` holds (same report and hash)."""
        return PreparedTrips(
            self.trips[mask], self.X[mask], self.y[mask], self.report, self.data_sha256
        )


@dataclass(frozen=True)
class TrainingResult:
    """A fitted model, its metrics on the later (test) days, and the time window it saw."""

    model: EtaModel
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    train_window: tuple[date, date]
    test_window: tuple[date, date] | None
    n_train: int
    n_test: int


def prepare_trips(
    trips: pd.DataFrame, graph: routing.RoadGraph, params: CleaningParams | None = None
) -> PreparedTrips:
    """Clean the trips against the graph, sort them by time and compute their features."""
    clean, report = clean_trips(trips, graph, params)
    clean = clean.sort_values("pickup_time", kind="stable").reset_index(drop=True)
    clean["pickup_time"] = clean["pickup_time"].dt.tz_convert(graph.timezone)
    X = build_features(clean, graph)
    return PreparedTrips(
        clean, X, clean["duration_s"].to_numpy(dtype=float), report, data_hash(trips)
    )


def data_hash(trips: pd.DataFrame) -> str:
    """SHA-256 of the trip records' content (row order and column names included)."""
    digest = hashlib.sha256(",".join(map(str, trips.columns)).encode())
    digest.update(pd.util.hash_pandas_object(trips, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def split_dates(dates: NDArray[np.object_], until: date | None, test_fraction: float) -> date:
    """First test date: ``until``'s next day, or where the last ``test_fraction`` of days begins."""
    days = np.unique(dates)
    if until is not None:
        return until + pd.Timedelta(days=1).to_pytimedelta()
    n_test = max(round(len(days) * test_fraction), 1) if len(days) > 1 else 0
    first_test: date = (
        days[len(days) - n_test] if n_test else days[-1] + pd.Timedelta(days=1).to_pytimedelta()
    )
    return first_test


def train_eta(
    data: PreparedTrips,
    *,
    until: date | None = None,
    test_fraction: float = 0.25,
    model: EtaModel | None = None,
) -> TrainingResult:
    """Fit on the days up to ``until`` (default: all but the last quarter), test on the rest."""
    dates = data.local_dates()
    first_test = split_dates(dates, until, test_fraction)
    train = dates < first_test
    if not train.any():
        msg = f"no trips before {first_test}: nothing to train on"
        raise ValueError(msg)
    fitted = (model or EtaModel()).fit(
        data.X[train], data.y[train], times=data.trips["pickup_time"][train]
    )
    test = ~train
    metrics: dict[str, float] = {}
    baseline: dict[str, float] = {}
    if test.any():
        X_test, y_test = data.X[test], data.y[test]
        metrics = regression_metrics(y_test, *fitted.predict_with_p90(X_test))
        baseline = regression_metrics(y_test, X_test["free_flow_s"].to_numpy())
    return TrainingResult(
        model=fitted,
        metrics=metrics,
        baseline_metrics=baseline,
        train_window=(dates[train].min(), dates[train].max()),
        test_window=(dates[test].min(), dates[test].max()) if test.any() else None,
        n_train=int(train.sum()),
        n_test=int(test.sum()),
    )
