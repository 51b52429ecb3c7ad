"""EtaModel: the scikit-learn contract, accuracy against free flow, P90, robustness, errors.

``sklearn.utils.estimator_checks.check_estimator`` / ``parametrize_with_checks`` do not apply
here: the checks feed plain numpy arrays of random numbers, while EtaModel needs a DataFrame
with a positive ``free_flow_s`` column (it learns ``log(actual / free_flow)``). The contract
items they would check are tested one by one below instead.
"""

from __future__ import annotations

import pickle
from datetime import timedelta

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.utils.validation import check_is_fitted

from models.compiled_trees import CompiledTrees
from models.eta import EtaModel, predict_durations
from models.exceptions import ModelsError, NotFittedError
from models.features import FEATURE_COLUMNS
from models.training import PreparedTrips, TrainingResult, split_dates, train_eta
from models.zones import COORDINATE_COLUMNS, ZONE_STAT_COLUMNS, ZoneStatistics

from .conftest import small_eta_model

OPTIONAL = ["precipitation_mm", "snow", "rain", "temperature_c", "congestion_index"]


@pytest.fixture(scope="module")
def small_fit(prepared: PreparedTrips) -> tuple[pd.DataFrame, np.ndarray]:
    """The first 2,000 trips (features, durations), for quick fits."""
    return prepared.X.iloc[:2000], prepared.y[:2000]


@pytest.fixture(scope="module")
def test_rows(prepared: PreparedTrips, trained: TrainingResult) -> tuple[pd.DataFrame, np.ndarray]:
    """The held-out later days of the trained model."""
    test = prepared.local_dates() > trained.train_window[1]
    return prepared.X[test], prepared.y[test]


# --- the scikit-learn contract -------------------------------------------------------------


def test_init_only_stores_parameters() -> None:
    """__init__ stores its arguments as attributes of the same names and nothing else."""
    model = EtaModel(n_estimators=7, learning_rate=0.2, random_state=5)
    assert vars(model) == model.get_params()
    assert model.get_params()["n_estimators"] == 7
    assert model.get_params()["random_state"] == 5


def test_set_params_and_clone_round_trip(small_fit: tuple[pd.DataFrame, np.ndarray]) -> None:
    """set_params returns the model; clone copies the parameters and none of the fitted state."""
    model = EtaModel(n_estimators=10, n_jobs=1)
    assert model.set_params(num_leaves=7, quantile=0.8) is model
    assert (model.num_leaves, model.quantile) == (7, 0.8)
    model.fit(*small_fit)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "median_")
    with pytest.raises(NotFittedError):
        copy.predict(small_fit[0])


def test_not_fitted_errors(small_fit: tuple[pd.DataFrame, np.ndarray]) -> None:
    """predict and predict_p90 before fit raise NotFittedError; sklearn sees it as unfitted."""
    model = EtaModel()
    with pytest.raises(NotFittedError, match="not fitted"):
        model.predict(small_fit[0])
    with pytest.raises(NotFittedError, match="not fitted"):
        model.predict_p90(small_fit[0])
    with pytest.raises(SklearnNotFittedError):
        check_is_fitted(model)
    assert issubclass(NotFittedError, ModelsError)
    assert issubclass(NotFittedError, AttributeError)


def test_fit_returns_self_with_trailing_underscore_state(
    small_fit: tuple[pd.DataFrame, np.ndarray],
) -> None:
    """fit returns the model itself; everything it adds ends with an underscore."""
    model = EtaModel(n_estimators=10, n_jobs=1)
    params = set(vars(model))
    assert model.fit(*small_fit) is model
    added = set(vars(model)) - params
    assert added >= {"median_", "upper_", "upper_offset_", "feature_names_in_", "n_features_in_"}
    assert all(name.endswith("_") for name in added)
    check_is_fitted(model)
    assert list(model.feature_names_in_) == list(FEATURE_COLUMNS)
    assert model.n_features_in_ == len(FEATURE_COLUMNS)


def test_refit_replaces_state(small_fit: tuple[pd.DataFrame, np.ndarray]) -> None:
    """A second fit on other data gives the same model as a fresh fit on that data."""
    X, y = small_fit
    refit = EtaModel(n_estimators=10, n_jobs=1).fit(X.iloc[:1000], y[:1000]).fit(X, y)
    fresh = EtaModel(n_estimators=10, n_jobs=1).fit(X, y)
    np.testing.assert_array_equal(refit.predict(X), fresh.predict(X))


def test_pickle_round_trip(small_fit: tuple[pd.DataFrame, np.ndarray]) -> None:
    """A pickled and unpickled model predicts exactly the same."""
    X, y = small_fit
    model = EtaModel(n_estimators=10, n_jobs=1).fit(X, y)
    copy = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(copy.predict(X), model.predict(X))
    np.testing.assert_array_equal(copy.predict_p90(X), model.predict_p90(X))


# --- accuracy on later days ----------------------------------------------------------------


def test_trained_model_beats_free_flow_on_later_days(trained: TrainingResult) -> None:
    """Trained on earlier days, the model's MAE on later days is at least 30 % below free flow."""
    assert trained.n_test > 500
    assert trained.metrics["mae_s"] <= 0.7 * trained.baseline_metrics["mae_s"]
    assert trained.metrics["rmsle"] < trained.baseline_metrics["rmsle"]
    assert abs(trained.metrics["bias_s"]) < abs(trained.baseline_metrics["bias_s"])


def test_p90_coverage_on_later_days(trained: TrainingResult) -> None:
    """About 90 % of later-day durations fall below the P90 (0.8-0.97 on this small data)."""
    assert 0.8 <= trained.metrics["p90_coverage"] <= 0.97


def test_train_window_precedes_test_window(
    prepared: PreparedTrips, trained: TrainingResult
) -> None:
    """Training used only days before the first test day, and the last quarter is tested."""
    assert trained.test_window is not None
    assert trained.train_window[1] < trained.test_window[0]
    days = np.unique(prepared.local_dates())
    assert trained.train_window[0] == days[0] and trained.test_window[1] == days[-1]
    assert trained.n_train + trained.n_test == len(prepared.y)
    assert trained.test_window[0] == days[len(days) - round(len(days) * 0.25)]


def test_metrics_are_recomputable(
    trained: TrainingResult, test_rows: tuple[pd.DataFrame, np.ndarray]
) -> None:
    """The reported test MAE and coverage are those of the model's predictions on those rows."""
    X, y = test_rows
    assert len(y) == trained.n_test
    predicted = trained.model.predict(X)
    assert trained.metrics["mae_s"] == pytest.approx(np.mean(np.abs(predicted - y)))
    coverage = np.mean(y <= trained.model.predict_p90(X))
    assert trained.metrics["p90_coverage"] == pytest.approx(coverage)
    assert trained.baseline_metrics["mae_s"] == pytest.approx(np.mean(np.abs(X["free_flow_s"] - y)))


def test_p90_never_below_median(
    trained: TrainingResult, test_rows: tuple[pd.DataFrame, np.ndarray]
) -> None:
    """predict_p90 is at least predict on every row, and above it on most."""
    X, _ = test_rows
    median, upper = trained.model.predict(X), trained.model.predict_p90(X)
    assert np.all(upper >= median)
    assert np.mean(upper > median) > 0.9


def test_predictions_are_positive_corrections_of_free_flow(
    trained: TrainingResult, test_rows: tuple[pd.DataFrame, np.ndarray]
) -> None:
    """Predictions are finite, positive and mostly above free flow (traffic only slows)."""
    X, _ = test_rows
    predicted = trained.model.predict(X)
    assert np.all(np.isfinite(predicted)) and np.all(predicted > 0)
    assert np.mean(predicted > X["free_flow_s"]) > 0.8


def test_compiled_trees_predict_what_lightgbm_predicts(
    trained: TrainingResult, test_rows: tuple[pd.DataFrame, np.ndarray]
) -> None:
    """The compiled boosters give LightGBM's raw scores bit for bit, missing values included."""
    X, _ = test_rows
    X = X.copy()
    X.iloc[::3, X.columns.get_indexer(["precipitation_mm", "temperature_c"])] = np.nan
    X.iloc[1::4, X.columns.get_loc("congestion_index")] = np.nan
    X.iloc[2::5, X.columns.get_loc("share_motorway")] = 0.0
    model = trained.model
    compiled = model._compiled_boosters()
    assert compiled is not None
    inputs = model.model_inputs(X)
    for booster, trees in zip((model.median_, model.upper_), compiled, strict=True):
        np.testing.assert_array_equal(trees.predict(inputs.to_numpy()), booster.predict(inputs))
    median = X["free_flow_s"].to_numpy() * np.exp(model.median_.predict(inputs))
    np.testing.assert_array_equal(model.predict(X), median)
    assert "_compiled" not in pickle.loads(pickle.dumps(model)).__dict__  # rebuilt on load


def test_a_booster_the_kernel_does_not_cover_is_refused() -> None:
    """A categorical split on a category above 63 cannot be compiled: LightGBM predicts it."""
    rng = np.random.default_rng(0)
    category = rng.integers(100, 110, 2000).astype(float)
    X = np.column_stack([category, rng.normal(size=2000)])
    y = np.where(category % 2 == 0, 5.0, -5.0) + X[:, 1]
    data = lgb.Dataset(X, y, categorical_feature=[0])
    booster = lgb.train({"verbose": -1, "num_leaves": 4}, data, num_boost_round=3)
    with pytest.raises(ValueError, match="categories of 64 and above"):
        CompiledTrees.from_booster(booster)


def test_same_random_state_same_predictions(prepared: PreparedTrips) -> None:
    """Two fits with the same random_state predict bit for bit the same."""
    X, y = prepared.X.iloc[:3000], prepared.y[:3000]
    first = EtaModel(n_estimators=20, n_jobs=1, random_state=4).fit(X, y)
    second = EtaModel(n_estimators=20, n_jobs=1, random_state=4).fit(X, y)
    np.testing.assert_array_equal(first.predict(X), second.predict(X))
    np.testing.assert_array_equal(first.predict_p90(X), second.predict_p90(X))


def test_until_sets_the_training_window(prepared: PreparedTrips) -> None:
    """train_eta(until=d) trains on the days up to d and tests on the days after."""
    days = np.unique(prepared.local_dates())
    until = days[9]
    result = train_eta(prepared, until=until, model=small_eta_model(20))
    assert result.train_window == (days[0], until)
    assert result.test_window == (days[10], days[-1])
    assert result.n_train == int(np.sum(prepared.local_dates() <= until))


def test_until_before_the_data_raises(prepared: PreparedTrips) -> None:
    """train_eta with nothing before ``until`` raises ValueError."""
    first = np.unique(prepared.local_dates())[0]
    with pytest.raises(ValueError, match="nothing to train on"):
        train_eta(prepared, until=first - timedelta(days=3), model=small_eta_model(5))


def test_split_dates_holds_out_the_last_days() -> None:
    """split_dates picks the first of the last test_fraction of days, or the day after until."""
    days = np.array([pd.Timestamp("2026-01-05").date() + timedelta(days=i) for i in range(8)])
    dates = np.repeat(days, 3)
    assert split_dates(dates, None, 0.25) == days[6]
    assert split_dates(dates, days[2], 0.25) == days[3]
    assert split_dates(dates[:3], None, 0.25) == days[1]


# --- robustness and input errors -----------------------------------------------------------


def test_missing_optional_features_still_predict(
    trained: TrainingResult, test_rows: tuple[pd.DataFrame, np.ndarray]
) -> None:
    """With weather and congestion all NaN, predictions stay finite, positive and sensible."""
    X, y = test_rows
    blind = X.assign(**dict.fromkeys(OPTIONAL, np.nan))
    predicted = trained.model.predict(blind)
    upper = trained.model.predict_p90(blind)
    assert np.all(np.isfinite(predicted)) and np.all(predicted > 0)
    assert np.all(np.isfinite(upper)) and np.all(upper >= predicted)
    assert np.mean(np.abs(predicted - y)) < np.mean(np.abs(X["free_flow_s"] - y))


def test_columns_in_another_order_are_accepted(
    trained: TrainingResult, test_rows: tuple[pd.DataFrame, np.ndarray]
) -> None:
    """The same features in another column order give the same predictions."""
    X, _ = test_rows
    reordered = X[list(reversed(X.columns))]
    np.testing.assert_array_equal(trained.model.predict(reordered), trained.model.predict(X))


def test_wrong_columns_are_named(
    trained: TrainingResult, test_rows: tuple[pd.DataFrame, np.ndarray]
) -> None:
    """Missing and unexpected feature columns raise ValueError naming them."""
    X, _ = test_rows
    wrong = X.drop(columns=["hour", "n_signals"]).assign(bogus=1.0)
    with pytest.raises(
        ValueError, match=r"missing \['hour', 'n_signals'\].*unexpected \['bogus'\]"
    ):
        trained.model.predict(wrong)
    with pytest.raises(ValueError, match="hour"):
        trained.model.predict_p90(wrong)


def test_free_flow_column_is_required(small_fit: tuple[pd.DataFrame, np.ndarray]) -> None:
    """Features without free_flow_s raise ValueError naming it, in fit."""
    X, y = small_fit
    with pytest.raises(ValueError, match="free_flow_s"):
        EtaModel(n_estimators=5).fit(X.drop(columns=["free_flow_s"]), y)


def test_numpy_features_raise_type_error(small_fit: tuple[pd.DataFrame, np.ndarray]) -> None:
    """Features as a bare array (no column names) raise TypeError."""
    X, y = small_fit
    with pytest.raises(TypeError, match="DataFrame"):
        EtaModel(n_estimators=5).fit(X.to_numpy(), y)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda y: y[:-1], "one duration per row"),
        (lambda y: np.concatenate([y, y[:3]]), "one duration per row"),
        (lambda y: np.where(np.arange(len(y)) == 5, 0.0, y), "positive"),
        (lambda y: np.where(np.arange(len(y)) == 5, -30.0, y), "positive"),
        (lambda y: np.where(np.arange(len(y)) == 5, np.nan, y), "finite"),
    ],
    ids=["short", "long", "zero", "negative", "nan"],
)
def test_bad_durations_raise(
    small_fit: tuple[pd.DataFrame, np.ndarray], change: object, message: str
) -> None:
    """y of the wrong length, or with a non-positive or NaN duration, raises ValueError."""
    X, y = small_fit
    with pytest.raises(ValueError, match=message):
        EtaModel(n_estimators=5).fit(X, change(y))  # type: ignore[operator]


def test_non_positive_free_flow_raises(small_fit: tuple[pd.DataFrame, np.ndarray]) -> None:
    """A zero free-flow time (log ratio undefined) raises ValueError."""
    X, y = small_fit
    bad = X.copy()
    bad.iloc[3, bad.columns.get_loc("free_flow_s")] = 0.0
    with pytest.raises(ValueError, match="free_flow_s"):
        EtaModel(n_estimators=5).fit(bad, y)


@pytest.mark.parametrize("fraction", [0.0, 1.0])
def test_calibration_fraction_must_leave_rows(
    small_fit: tuple[pd.DataFrame, np.ndarray], fraction: float
) -> None:
    """A calibration fraction leaving no rows to fit or calibrate raises ValueError."""
    with pytest.raises(ValueError, match="calibration_fraction"):
        EtaModel(n_estimators=5, n_jobs=1, calibration_fraction=fraction).fit(*small_fit)


def test_failed_fit_leaves_the_model_unfitted(small_fit: tuple[pd.DataFrame, np.ndarray]) -> None:
    """A fit that raises on its parameters leaves no half-fitted state behind."""
    model = EtaModel(n_estimators=5, n_jobs=1, calibration_fraction=1.0)
    with pytest.raises(ValueError, match="calibration_fraction"):
        model.fit(*small_fit)
    assert not any(name.endswith("_") for name in vars(model)), sorted(vars(model))
    with pytest.raises(NotFittedError):
        model.predict(small_fit[0])


def test_predict_durations_falls_back_to_free_flow(
    prepared: PreparedTrips, trained: TrainingResult
) -> None:
    """Without a model, P50 and P90 are the free-flow times; with one, the model's predictions."""
    X = prepared.X.head(50)
    p50, p90 = predict_durations(None, X)
    np.testing.assert_array_equal(p50, X["free_flow_s"])
    np.testing.assert_array_equal(p90, X["free_flow_s"])
    p50, p90 = predict_durations(trained.model, X)
    np.testing.assert_array_equal(p50, trained.model.predict(X))
    np.testing.assert_array_equal(p90, trained.model.predict_p90(X))


# --- training settings chosen from the data -------------------------------------------------


@pytest.fixture(scope="module")
def train_days(prepared: PreparedTrips) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    """Features, durations and start times of the first 12 days."""
    days = np.unique(prepared.local_dates())
    rows = prepared.local_dates() <= days[11]
    return prepared.X[rows], prepared.y[rows], prepared.trips["pickup_time"][rows]


def _auto(**params: object) -> EtaModel:
    settings: dict[str, object] = {"n_jobs": 1, "tuning_budget_s": 0, "max_estimators": 400}
    return EtaModel(**{**settings, **params})


def test_validation_rows_are_the_latest_days(
    train_days: tuple[pd.DataFrame, np.ndarray, pd.Series],
) -> None:
    """The settings are chosen on the rows of the last training days, and only those."""
    X, y, times = train_days
    model = _auto(validation_days=3).fit(X, y, times)
    report = model.tuning_report_
    days = np.unique(times.dt.date)
    assert report["validation_days"] == 3
    assert report["validation_rows"] == int(np.isin(times.dt.date, days[-3:]).sum())
    assert len(report["trials"]) == 1  # no budget: the constructor's settings only


def test_tree_count_is_early_stopping_on_the_validation_days(
    train_days: tuple[pd.DataFrame, np.ndarray, pd.Series],
) -> None:
    """The chosen tree count is LightGBM's early stopping on the last days, scaled to all rows."""
    X, y, times = train_days
    model = _auto(validation_days=2, objective="regression", size_tolerance=0).fit(X, y, times)
    report = model.tuning_report_
    target = np.log(y / X["free_flow_s"].to_numpy())
    _, period = np.unique(times.dt.date, return_inverse=True)
    _, oof = ZoneStatistics.fit(X[list(COORDINATE_COLUMNS)].to_numpy(), target, period)
    design = pd.DataFrame(
        np.column_stack([X[list(model.feature_names_used_)].to_numpy(), oof]),
        columns=[*model.feature_names_used_, *ZONE_STAT_COLUMNS],
        index=X.index,
    )
    validation = period >= period.max() - 1
    params = model._lgb_params(report["settings"])
    train_set = lgb.Dataset(design[~validation], target[~validation], params={"verbose": -1})
    booster = lgb.train(
        {**params, "feature_pre_filter": False},
        train_set,
        num_boost_round=400,
        valid_sets=[lgb.Dataset(design[validation], target[validation], reference=train_set)],
        callbacks=[lgb.early_stopping(50, verbose=False)],
    )
    assert report["trials"][0]["best_iteration"] == booster.best_iteration
    expected = int(np.ceil(booster.best_iteration * len(X) / (~validation).sum()))
    assert report["n_estimators"] == min(expected, 400)
    assert model.median_.n_estimators == report["n_estimators"]

    # the P90 booster: its own early stopping, on the pinball loss of the same days
    upper = lgb.train(
        {**params, "objective": "quantile", "alpha": 0.9, "metric": "quantile"}
        | {"feature_pre_filter": False},
        lgb.Dataset(design[~validation], target[~validation], params={"verbose": -1}),
        num_boost_round=400,
        valid_sets=[lgb.Dataset(design[validation], target[validation], reference=train_set)],
        callbacks=[lgb.early_stopping(50, verbose=False)],
    )
    assert report["upper_validation_trees"] == upper.best_iteration
    fitted_rows = int(len(X) * (1 - model.calibration_fraction))
    expected = int(np.ceil(upper.best_iteration * fitted_rows / (~validation).sum()))
    assert model.upper_.n_estimators == report["upper_n_estimators"] == min(expected, 400)


def test_a_smaller_model_is_chosen_when_nearly_as_accurate(
    train_days: tuple[pd.DataFrame, np.ndarray, pd.Series],
) -> None:
    """With a size tolerance the fewest trees within it of the best validation MAE win."""
    X, y, times = train_days
    exact = _auto(validation_days=2, size_tolerance=0).fit(X, y, times).tuning_report_
    loose = _auto(validation_days=2, size_tolerance=0.05).fit(X, y, times).tuning_report_
    trial = loose["trials"][0]
    maes = {trial["best_iteration"]: trial["validation_mae_s"], **trial["truncations"]}
    best = min(maes.values())
    expected = min(k for k, mae in maes.items() if mae <= best * 1.05)
    assert loose["chosen_validation_trees"] == expected
    assert exact["chosen_validation_trees"] == trial["best_iteration"]
    assert loose["n_estimators"] <= exact["n_estimators"]


def test_later_labels_do_not_change_the_training(
    prepared: PreparedTrips, train_days: tuple[pd.DataFrame, np.ndarray, pd.Series]
) -> None:
    """Labels after the training window change neither the chosen trees nor the predictions."""
    X = train_days[0]
    data = prepared.subset(prepared.local_dates() <= np.unique(prepared.local_dates())[14])
    until = np.unique(data.local_dates())[11]
    first = train_eta(data, until=until, model=_auto())
    changed = PreparedTrips(
        data.trips,
        data.X,
        np.where(data.local_dates() > until, data.y * 3, data.y),
        data.report,
        data.data_sha256,
    )
    second = train_eta(changed, until=until, model=_auto())
    assert first.model.tuning_report_["n_estimators"] == second.model.tuning_report_["n_estimators"]
    np.testing.assert_array_equal(first.model.predict(X), second.model.predict(X))


def test_validation_labels_choose_the_tree_count(
    train_days: tuple[pd.DataFrame, np.ndarray, pd.Series],
) -> None:
    """Scrambling the last days' labels changes the chosen count; earlier rows' stats stay."""
    X, y, times = train_days
    last = times.dt.date >= np.unique(times.dt.date)[-2]
    noisy = np.where(last, y * np.random.default_rng(0).lognormal(0, 1.0, len(y)), y)
    plain = _auto(validation_days=2).fit(X, y, times).tuning_report_
    scrambled = _auto(validation_days=2).fit(X, noisy, times).tuning_report_
    assert plain["trials"][0]["best_iteration"] != scrambled["trials"][0]["best_iteration"]


def test_uninformative_features_are_left_out_and_still_accepted(
    train_days: tuple[pd.DataFrame, np.ndarray, pd.Series],
) -> None:
    """All-NaN and constant columns are left out with a reason; predict takes the full frame."""
    X, y, times = train_days
    blind = X.assign(**dict.fromkeys(OPTIONAL, np.nan), is_weekend=0.0)
    model = _auto().fit(blind, y, times)
    assert set(model.left_out_features_) == {*OPTIONAL, "is_weekend"}
    assert "missing in every" in model.left_out_features_["snow"]
    assert "same value" in model.left_out_features_["is_weekend"]
    assert model.tuning_report_["left_out_features"] == model.left_out_features_
    assert not set(OPTIONAL) & set(model.feature_names_used_)
    assert list(model.feature_names_in_) == list(FEATURE_COLUMNS)
    predicted = model.predict(X)  # with weather values that training never saw: ignored
    np.testing.assert_array_equal(predicted, model.predict(blind))
    assert model._compiled_boosters() is not None


def test_fit_without_times_uses_row_order(
    train_days: tuple[pd.DataFrame, np.ndarray, pd.Series],
) -> None:
    """Without times the latest rows validate and no recency weighting is tried."""
    X, y, _ = train_days
    model = _auto(tuning_budget_s=1e9, objective="regression").fit(X.iloc[:3000], y[:3000])
    report = model.tuning_report_
    assert report["validation_rows"] == 3000 - 3000 * 8 // 10
    assert all(trial["half_life_days"] is None for trial in report["trials"])
    assert len(report["trials"]) == 5


def test_zone_statistics_are_part_of_the_model(
    trained: TrainingResult, test_rows: tuple[pd.DataFrame, np.ndarray]
) -> None:
    """The boosters read the zone statistics, which come from training rows only."""
    X, _ = test_rows
    inputs = trained.model.model_inputs(X)
    assert list(inputs.columns[-3:]) == list(ZONE_STAT_COLUMNS)
    assert np.isfinite(inputs[list(ZONE_STAT_COLUMNS)].to_numpy()).all()
