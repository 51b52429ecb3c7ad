"""ConditionalCalibration and EtaModel.recalibrate: P90 offsets that follow the conditions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from numpy.typing import NDArray

from models import ConditionalCalibration, NotFittedError
from models.eta import EtaModel
from models.training import PreparedTrips, TrainingResult


def two_regimes(
    n: int, seed: int, snow_share: float = 0.3
) -> tuple[NDArray[np.float64], pd.DataFrame]:
    """Residuals 4x as spread on snow rows as on dry ones, with their condition columns."""
    rng = np.random.default_rng(seed)
    snow = (rng.random(n) < snow_share).astype(float)
    X = pd.DataFrame(
        {
            "snow": snow,
            "rain": 0.0,
            "precipitation_mm": 0.0,
            "hour": rng.uniform(0, 24, n),
        }
    )
    return rng.normal(0.0, np.where(snow == 1, 0.4, 0.1)), X


def test_coverage_is_the_quantile_in_each_regime() -> None:
    """Fitted on a mix of snow and dry rows, the offsets cover about 90 % of new rows in each."""
    residual, X = two_regimes(10_000, seed=0)
    calibration = ConditionalCalibration(0.9).fit(residual, X)
    new_residual, new_X = two_regimes(10_000, seed=1)
    covered = new_residual <= calibration.offset(new_X)
    for snow in (0.0, 1.0):
        rows = new_X["snow"].to_numpy() == snow
        assert abs(covered[rows].mean() - 0.9) < 0.015, snow
    # a single offset for both would over-cover dry rows and under-cover snow ones
    single = np.quantile(residual, 0.9)
    dry = new_X["snow"].to_numpy() == 0
    assert (new_residual[dry] <= single).mean() > 0.97


def test_equal_weights_give_the_conformal_order_statistic() -> None:
    """Without conditions the offset is the ceil(q (n + 1))-th smallest residual."""
    residual = np.arange(1.0, 20.0)  # n = 19: ceil(0.9 * 20) = 18
    calibration = ConditionalCalibration(0.9).fit(residual, pd.DataFrame(index=range(19)))
    assert calibration.global_offset_ == 18.0
    np.testing.assert_array_equal(calibration.offset(pd.DataFrame(index=range(3))), 18.0)


def test_small_groups_shrink_to_their_parent() -> None:
    """Five snow rows among 2,000 dry ones: the snow offset stays near the global one."""
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"snow": np.r_[np.zeros(2000), np.ones(5)], "hour": 12.0})
    residual = np.r_[rng.normal(0, 0.1, 2000), np.full(5, 2.0)]
    shrunk = ConditionalCalibration(0.9, min_rows=200).fit(residual, X)
    own = ConditionalCalibration(0.9, min_rows=0).fit(residual, X)
    snow_row = X.tail(1)
    assert own.offset(snow_row)[0] == 2.0
    assert shrunk.offset(snow_row)[0] < shrunk.global_offset_ + 0.1
    # snow toward global; its only day type and hour band hold the same rows: no more shrinkage
    weather = (5 * 2.0 + 200 * shrunk.global_offset_) / 205
    assert math.isclose(shrunk.offset(snow_row)[0], weather, rel_tol=1e-9)


def test_unseen_group_takes_the_parent_offset() -> None:
    """A weather never seen in the calibration rows gets the global offset."""
    residual, X = two_regimes(2000, seed=3, snow_share=0.0)
    calibration = ConditionalCalibration(0.9).fit(residual, X)
    wet = pd.DataFrame({"snow": [0.0], "rain": [1.0], "precipitation_mm": [2.0], "hour": [8.0]})
    np.testing.assert_array_equal(calibration.offset(wet), [calibration.global_offset_])


def test_missing_weather_falls_back_to_hour_bands() -> None:
    """Without weather columns (real trips) rows are grouped by hour band alone."""
    rng = np.random.default_rng(4)
    hour = rng.uniform(0, 24, 6000)
    peak = (hour >= 15) & (hour < 19)
    residual = rng.normal(0, np.where(peak, 0.3, 0.1))
    X = pd.DataFrame({"hour": hour, "snow": np.nan})  # NaN weather, as a feed outage gives
    calibration = ConditionalCalibration(0.9).fit(residual, X)
    table = calibration.offsets()
    assert set(table["weather"]) == {"unknown"}
    assert len(table) == 5
    offsets = calibration.offset(X)
    assert offsets[peak].min() > offsets[~peak].max()
    for rows in (peak, ~peak):
        assert abs((residual[rows] <= offsets[rows]).mean() - 0.9) < 0.03


def test_weekends_have_offsets_of_their_own() -> None:
    """Calibrated on a weekend-heavy mix, weekday rows still get a weekday offset."""
    rng = np.random.default_rng(5)
    weekend = (rng.random(8000) < 0.8).astype(float)
    residual = rng.normal(0, np.where(weekend == 1, 0.05, 0.2))
    X = pd.DataFrame({"is_weekend": weekend, "hour": rng.uniform(0, 24, 8000)})
    calibration = ConditionalCalibration(0.9).fit(residual, X)
    covered = residual <= calibration.offset(X)
    for value in (0.0, 1.0):
        assert abs(covered[weekend == value].mean() - 0.9) < 0.03
    assert set(calibration.offsets()["day"]) == {"weekday", "weekend"}


def test_an_unseen_day_type_borrows_its_shift_from_other_weather() -> None:
    """Snowy weekdays and dry days of both types: a snowy weekend row gets the snow offset
    moved by as much as dry weekends sit below dry weekdays."""
    rng = np.random.default_rng(6)
    n = 12_000
    snow = (rng.random(n) < 0.3).astype(float)
    weekend = np.where(snow == 1, 0.0, (rng.random(n) < 0.4).astype(float))
    spread = np.where(snow == 1, 0.4, 0.1) * np.where(weekend == 1, 0.5, 1.0)
    residual = rng.normal(0.0, spread)
    X = pd.DataFrame({"snow": snow, "rain": 0.0, "precipitation_mm": 0.0, "is_weekend": weekend})
    calibration = ConditionalCalibration(0.9).fit(residual, X)

    def offset(snow: float, weekend: float) -> float:
        row = {"snow": snow, "rain": 0.0, "precipitation_mm": 0.0, "is_weekend": weekend}
        return float(calibration.offset(pd.DataFrame([row]))[0])

    dry_shift = offset(0.0, 1.0) - offset(0.0, 0.0)
    assert dry_shift < -0.05
    snow_weather = calibration.offsets().query("weather == 'snow'")["offset"].iloc[0]
    assert offset(1.0, 0.0) == pytest.approx(snow_weather)  # one group: no shrinkage below
    assert offset(1.0, 1.0) == pytest.approx(snow_weather + dry_shift, abs=0.01)


def test_absent_or_nan_hour_is_a_group_of_its_own() -> None:
    """Rows without an hour share one band; a frame with no condition column is one group."""
    residual = np.r_[np.zeros(500), np.ones(500)]
    X = pd.DataFrame({"hour": np.r_[np.full(500, 9.0), np.full(500, np.nan)]})
    calibration = ConditionalCalibration(0.9, min_rows=0).fit(residual, X)
    np.testing.assert_array_equal(calibration.offset(X.iloc[[0, 999]]), [0.0, 1.0])
    bare = ConditionalCalibration(0.9).fit(residual, pd.DataFrame(index=range(1000)))
    assert bare.offsets()[["weather", "hours"]].values.tolist() == [["unknown", "unknown"]]


def test_weights_favour_recent_rows() -> None:
    """Weighting the last rows up moves the offset toward their residuals."""
    residual = np.r_[np.zeros(1000), np.ones(1000)]
    X = pd.DataFrame(index=range(2000))
    old_heavy = np.r_[np.ones(1000), np.full(1000, 0.01)]
    assert ConditionalCalibration(0.9).fit(residual, X, old_heavy).global_offset_ == 0.0
    assert ConditionalCalibration(0.9).fit(residual, X).global_offset_ == 1.0


@pytest.mark.parametrize(
    ("kwargs", "fit_args", "message"),
    [
        ({"quantile": 1.0}, {}, "quantile"),
        ({"min_rows": -1.0}, {}, "min_rows"),
        ({"hour_bands": (0.0, 12.0, 6.0)}, {}, "hour_bands"),
        ({}, {"residual": np.array([0.0, np.nan])}, "residual"),
        ({}, {"sample_weight": np.array([1.0, -1.0])}, "sample_weight"),
    ],
)
def test_bad_inputs_raise(
    kwargs: dict[str, object], fit_args: dict[str, NDArray[np.float64]], message: str
) -> None:
    """Out-of-range parameters, non-finite residuals and negative weights raise ValueError."""
    args: dict[str, NDArray[np.float64] | None] = {"residual": np.zeros(2), "sample_weight": None}
    args.update(fit_args)
    with pytest.raises(ValueError, match=message):
        ConditionalCalibration(**kwargs).fit(  # type: ignore[arg-type]
            args["residual"], pd.DataFrame(index=range(2)), args["sample_weight"]
        )


def test_unfitted_raises() -> None:
    """offset before fit raises NotFittedError."""
    with pytest.raises(NotFittedError):
        ConditionalCalibration().offset(pd.DataFrame(index=range(1)))


# --- EtaModel.recalibrate -------------------------------------------------------------------


@pytest.fixture(scope="module")
def later(prepared: PreparedTrips, trained: TrainingResult) -> tuple[pd.DataFrame, np.ndarray]:
    """The trips after the trained model's training window."""
    rows = prepared.local_dates() > trained.train_window[1]
    return prepared.X[rows], prepared.y[rows]


def test_recalibrate_keeps_the_boosters_and_changes_only_the_p90(
    trained: TrainingResult, later: tuple[pd.DataFrame, np.ndarray]
) -> None:
    """The copy shares the boosters, predicts the same median, and leaves the original alone."""
    model = trained.model
    X, y = later
    p50 = model.predict(X)
    calm = p50 * (y / p50) ** 0.3  # spread around the median cut: the old P90 covers ~all
    p90_before = model.predict_p90(X)
    assert (calm <= p90_before).mean() > 0.97
    recalibrated = model.recalibrate(X, calm)
    assert recalibrated is not model
    assert recalibrated.median_ is model.median_ and recalibrated.upper_ is model.upper_
    assert recalibrated.get_params() == model.get_params()
    np.testing.assert_array_equal(recalibrated.predict(X), model.predict(X))
    np.testing.assert_array_equal(model.predict_p90(X), p90_before)
    assert recalibrated.upper_offset_ < model.upper_offset_
    assert 0.85 <= (calm <= recalibrated.predict_p90(X)).mean() <= 0.95


def test_fit_calibrates_the_p90_per_weather(
    trained: TrainingResult, later: tuple[pd.DataFrame, np.ndarray]
) -> None:
    """The fitted model carries a conditional calibration and its P90 covers about 90 %."""
    model = trained.model
    assert isinstance(model.calibration_, ConditionalCalibration)
    assert model.upper_offset_ == model.calibration_.global_offset_
    X, y = later
    assert 0.85 <= (y <= model.predict_p90(X)).mean() <= 0.95


def test_recalibrate_requires_a_fitted_model(later: tuple[pd.DataFrame, np.ndarray]) -> None:
    """recalibrate before fit raises NotFittedError."""
    with pytest.raises(NotFittedError):
        EtaModel().recalibrate(*later)
