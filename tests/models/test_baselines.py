"""Reference estimators: free flow, global and hour-of-week ratios, log-ratio regressors, and
the raw-coordinate LightGBM."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression

from models.baselines import (
    RAW_COORDINATE_FEATURES,
    FreeFlow,
    GlobalRatio,
    HourOfWeekRatio,
    LogRatioRegressor,
    RawCoordinateLightGBM,
    raw_coordinate_features,
)

N_ROWS = 168 * 12


def synthetic(
    n: int = N_ROWS, seed: int = 0, cells: np.ndarray | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Features shaped like FEATURE_COLUMNS' time columns: every row has a known hour of week.

    Returns the features and each row's hour of the week (0 = Monday 00:00).
    """
    rng = np.random.default_rng(seed)
    cell = np.arange(n) % 168 if cells is None else rng.choice(cells, size=n)
    dow, hour_int = cell // 24, cell % 24
    hour = hour_int + rng.uniform(0, 59 / 60, n)  # within the hour, as minutes / 60
    X = pd.DataFrame(
        {
            "free_flow_s": rng.uniform(60, 1800, n),
            "distance_m": rng.uniform(500, 20_000, n),
            "hour": hour,
            "hour_sin": np.sin(2 * np.pi * hour / 24),
            "hour_cos": np.cos(2 * np.pi * hour / 24),
            "dow_sin": np.sin(2 * np.pi * dow / 7),
            "dow_cos": np.cos(2 * np.pi * dow / 7),
        }
    )
    return X, cell


def known_factors() -> np.ndarray:
    """A distinct slowdown factor for each of the 168 hours of the week."""
    cell = np.arange(168)
    return 1.1 + 0.4 * np.sin(2 * np.pi * cell / 24) ** 2 + cell / 400


@pytest.mark.parametrize(
    "estimator",
    [FreeFlow(), GlobalRatio(), HourOfWeekRatio(), LogRatioRegressor(LinearRegression())],
    ids=["free-flow", "global", "hour-of-week", "log-ratio"],
)
def test_sklearn_contract(estimator: BaseEstimator) -> None:
    """Each baseline clones, refuses predict before fit, and fit returns itself."""
    X, _ = synthetic()
    y = X["free_flow_s"].to_numpy() * 1.3
    copy = clone(estimator)
    assert copy.get_params().keys() == estimator.get_params().keys()
    with pytest.raises(NotFittedError):
        copy.predict(X)
    assert copy.fit(X, y) is copy
    fitted_state = [name for name in vars(copy) if name not in copy.get_params()]
    assert fitted_state and all(name.endswith("_") for name in fitted_state)
    assert np.all(np.isfinite(copy.predict(X)))


def test_free_flow_returns_free_flow() -> None:
    """FreeFlow predicts each row's free_flow_s unchanged, whatever it was fitted on."""
    X, _ = synthetic()
    y = X["free_flow_s"].to_numpy() * 2.0
    np.testing.assert_array_equal(FreeFlow().fit(X, y).predict(X), X["free_flow_s"])


def test_free_flow_still_checks_its_input() -> None:
    """FreeFlow.fit refuses non-positive durations like the other models."""
    X, _ = synthetic()
    with pytest.raises(ValueError, match="positive"):
        FreeFlow().fit(X, np.zeros(len(X)))


def test_global_ratio_learns_the_factor() -> None:
    """GlobalRatio learns an exact constant slowdown, and the geometric mean of noisy ones."""
    X, _ = synthetic()
    free_flow = X["free_flow_s"].to_numpy()
    model = GlobalRatio().fit(X, free_flow * 1.37)
    assert np.exp(model.log_ratio_) == pytest.approx(1.37, rel=1e-12)
    np.testing.assert_allclose(model.predict(X), free_flow * 1.37, rtol=1e-12)

    ratios = np.exp(np.random.default_rng(2).normal(0.3, 0.2, len(X)))
    noisy = GlobalRatio().fit(X, free_flow * ratios)
    assert np.exp(noisy.log_ratio_) == pytest.approx(np.exp(np.mean(np.log(ratios))))


def test_hour_of_week_ratio_learns_each_cell() -> None:
    """HourOfWeekRatio recovers a known factor for each of the 168 hours of the week."""
    X, cell = synthetic()
    factors = known_factors()
    y = X["free_flow_s"].to_numpy() * factors[cell]
    model = HourOfWeekRatio().fit(X, y)
    np.testing.assert_allclose(np.exp(model.log_ratio_), factors, rtol=1e-12)
    np.testing.assert_allclose(model.predict(X), y, rtol=1e-12)

    other, other_cell = synthetic(n=500, seed=9, cells=np.arange(168))
    np.testing.assert_allclose(
        model.predict(other), other["free_flow_s"] * factors[other_cell], rtol=1e-12
    )


def test_hour_of_week_distinguishes_days() -> None:
    """The same hour on Monday and on Saturday gets its own factor."""
    X, cell = synthetic()
    slow_saturday = np.where(cell // 24 == 5, 2.0, 1.0)
    model = HourOfWeekRatio().fit(X, X["free_flow_s"].to_numpy() * slow_saturday)
    ratio = np.exp(model.log_ratio_).reshape(7, 24)
    np.testing.assert_allclose(ratio[5], 2.0)
    np.testing.assert_allclose(np.delete(ratio, 5, axis=0), 1.0)


def test_hour_of_week_empty_cells_use_the_global_factor() -> None:
    """Hours of the week absent from training fall back to the global factor."""
    seen = np.arange(0, 168, 2)
    X, cell = synthetic(n=2000, seed=3, cells=seen)
    y = X["free_flow_s"].to_numpy() * known_factors()[cell]
    model = HourOfWeekRatio().fit(X, y)
    unseen = np.setdiff1d(np.arange(168), seen)
    assert model.global_ == pytest.approx(np.mean(np.log(known_factors()[cell])))
    np.testing.assert_allclose(model.log_ratio_[unseen], model.global_)
    np.testing.assert_allclose(model.log_ratio_[seen], np.log(known_factors()[seen]))


def test_log_ratio_regressor_fits_a_log_linear_relation() -> None:
    """With LinearRegression, an exact log-linear slowdown is recovered and predicted exactly."""
    X, _ = synthetic()
    log_ratio = 0.05 + 0.2 * X["hour_sin"] - 0.1 * X["dow_cos"] + 1e-5 * X["distance_m"]
    y = X["free_flow_s"].to_numpy() * np.exp(log_ratio.to_numpy())
    inner = LinearRegression()
    model = LogRatioRegressor(inner).fit(X, y)
    np.testing.assert_allclose(model.predict(X), y, rtol=1e-9)
    assert not hasattr(inner, "coef_"), "the wrapped regressor itself must stay unfitted"
    coef = dict(zip(X.columns, model.regressor_.coef_[: X.shape[1]], strict=True))
    assert coef["hour_sin"] == pytest.approx(0.2, abs=1e-9)
    assert coef["dow_cos"] == pytest.approx(-0.1, abs=1e-9)
    assert model.regressor_.intercept_ == pytest.approx(0.05, abs=1e-9)


def test_log_ratio_regressor_tolerates_missing_values() -> None:
    """NaN features become 0 plus a missing flag, so predictions stay finite."""
    X, _ = synthetic()
    X["precipitation_mm"] = np.where(np.arange(len(X)) % 3 == 0, np.nan, 1.0)
    y = X["free_flow_s"].to_numpy() * np.where(X["precipitation_mm"].isna(), 1.5, 1.2)
    model = LogRatioRegressor(LinearRegression()).fit(X, y)
    predicted = model.predict(X)
    assert np.all(np.isfinite(predicted))
    np.testing.assert_allclose(predicted, y, rtol=1e-9)
    assert model.regressor_.n_features_in_ == 2 * X.shape[1]


@pytest.mark.parametrize("estimator", [GlobalRatio(), HourOfWeekRatio()])
def test_ratio_baselines_reject_bad_input(estimator: BaseEstimator) -> None:
    """Missing free_flow_s or non-positive durations raise ValueError."""
    X, _ = synthetic()
    y = X["free_flow_s"].to_numpy()
    with pytest.raises(ValueError, match="free_flow_s"):
        clone(estimator).fit(X.drop(columns=["free_flow_s"]), y)
    with pytest.raises(ValueError, match="positive"):
        clone(estimator).fit(X, -y)


def synthetic_trips(days: int = 10, per_day: int = 300, seed: int = 0) -> pd.DataFrame:
    """Trips in San Francisco over ``days`` local days, in time order, with known distances."""
    rng = np.random.default_rng(seed)
    n = days * per_day
    start = pd.Timestamp("2024-03-04", tz="America/Los_Angeles")
    offsets = np.sort(rng.uniform(0, days * 86400, n))
    return pd.DataFrame(
        {
            "origin_lat": rng.uniform(37.70, 37.80, n),
            "origin_lon": rng.uniform(-122.50, -122.40, n),
            "dest_lat": rng.uniform(37.70, 37.80, n),
            "dest_lon": rng.uniform(-122.50, -122.40, n),
            "pickup_time": start + pd.to_timedelta(offsets, unit="s"),
        }
    )


def distance_durations(trips: pd.DataFrame) -> np.ndarray:
    """Durations that are a known function of the straight-line distance (10 m/s, plus 60 s)."""
    return 60.0 + raw_coordinate_features(trips)["haversine_m"].to_numpy() / 10.0


def small_raw_model(**params: int) -> RawCoordinateLightGBM:
    """A raw-coordinate model with few rounds, for speed."""
    return RawCoordinateLightGBM(max_rounds=200, early_stopping_rounds=10, **params)


def test_raw_coordinate_sklearn_contract() -> None:
    """The raw-coordinate model clones, refuses predict before fit, keeps fitted state in _."""
    trips = synthetic_trips(days=5, per_day=100)
    estimator = small_raw_model()
    copy = clone(estimator)
    assert copy.get_params() == estimator.get_params()
    assert not any(name.endswith("_") for name in vars(copy))
    with pytest.raises(NotFittedError):
        copy.predict(trips)
    assert copy.fit(trips, distance_durations(trips)) is copy
    fitted_state = [name for name in vars(copy) if name not in copy.get_params()]
    assert fitted_state and all(name.endswith("_") for name in fitted_state)
    predicted = copy.predict(trips)
    assert predicted.shape == (len(trips),) and np.all(predicted > 0)


def test_raw_coordinate_learns_distance() -> None:
    """With durations a function of distance, predictions on later trips are close."""
    trips = synthetic_trips(days=12)
    y = distance_durations(trips)
    later = trips["pickup_time"].dt.date >= trips["pickup_time"].dt.date.iloc[-1]
    model = RawCoordinateLightGBM(random_state=1).fit(trips[~later], y[~later])
    error = np.abs(model.predict(trips[later]) - y[later]) / y[later]
    assert np.median(error) < 0.05
    assert model.n_rounds_ > 50


def test_raw_coordinate_early_stops_on_the_last_days_only() -> None:
    """The validation rows are the last validation_days days: noise there stops boosting early."""
    trips = synthetic_trips(days=10)
    dates = np.asarray(trips["pickup_time"].dt.date)
    last_three = dates >= np.unique(dates)[-3]
    y = distance_durations(trips)
    clean = small_raw_model().fit(trips, y)
    assert clean.validation_window_ == (np.unique(dates)[-3], np.unique(dates)[-1])
    assert clean.n_validation_ == int(last_three.sum())
    assert clean.n_rounds_ > 100

    noisy_y = y.copy()
    noisy_y[last_three] = np.random.default_rng(5).permutation(y[last_three])
    noisy = small_raw_model().fit(trips, noisy_y)
    assert noisy.n_rounds_ < 20, "rounds must be chosen on the (shuffled) validation days"

    noisy_early_y = y.copy()
    noisy_early_y[:300] = np.random.default_rng(5).permutation(y[:300])  # first day only
    assert small_raw_model().fit(trips, noisy_early_y).n_rounds_ > 50


def test_raw_coordinate_single_day_validates_on_latest_rows() -> None:
    """On one day, the latest 20 % of rows (by pickup time) validate."""
    trips = synthetic_trips(days=1, per_day=500)
    model = small_raw_model().fit(trips, distance_durations(trips))
    assert model.n_validation_ == 100


def test_raw_coordinate_features_are_geometry_and_local_time() -> None:
    """One degree of latitude is ~111 km north (bearing 0); time parts are the local ones."""
    trips = pd.DataFrame(
        {
            "origin_lat": [37.0, 0.0],
            "origin_lon": [-122.0, 10.0],
            "dest_lat": [38.0, 0.0],
            "dest_lon": [-122.0, 11.0],
            "pickup_time": pd.to_datetime(["2008-05-31 23:30", "2008-06-02 08:05"]).tz_localize(
                "America/Los_Angeles"
            ),
        }
    )
    features = raw_coordinate_features(trips)
    assert list(features.columns) == list(RAW_COORDINATE_FEATURES)
    np.testing.assert_allclose(features["haversine_m"], [111_195, 111_195], rtol=1e-3)
    np.testing.assert_allclose(features["manhattan_m"], features["haversine_m"], rtol=1e-3)
    np.testing.assert_allclose(features["bearing_deg"], [0.0, 90.0], atol=1e-6)
    assert features["hour"].tolist() == [23, 8]
    assert features["weekday"].tolist() == [5, 0]
    assert features["month"].tolist() == [5, 6]


def test_raw_coordinate_rejects_bad_input() -> None:
    """A missing column, a time column that is not datetimes or bad durations raise ValueError."""
    trips = synthetic_trips(days=4, per_day=50)
    y = distance_durations(trips)
    with pytest.raises(ValueError, match="dest_lon"):
        small_raw_model().fit(trips.drop(columns=["dest_lon"]), y)
    with pytest.raises(ValueError, match="datetimes"):
        small_raw_model().fit(trips.assign(pickup_time="noon"), y)
    with pytest.raises(ValueError, match="positive"):
        small_raw_model().fit(trips, -y)
    with pytest.raises(ValueError, match="one duration per trip"):
        small_raw_model().fit(trips, y[:-1])
    with pytest.raises(TypeError, match="DataFrame"):
        raw_coordinate_features(trips.to_numpy())  # type: ignore[arg-type]
