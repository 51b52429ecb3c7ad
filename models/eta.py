"""The ETA model: a LightGBM correction of free-flow travel time, with a P90 upper estimate.

It learns ``log(actual / free_flow)`` so that predictions are the routing engine's
estimate times a learned factor: ``free_flow_s * exp(f(x))``. Besides the trip features,
the boosters see smoothed mean targets of the trip's zones (:mod:`models.zones`), learned
in :meth:`EtaModel.fit` out of fold. The training settings come from the data (see
:meth:`EtaModel.fit`). The P90 comes from a quantile model whose offsets are calibrated
per condition (weather, day type, hour band; :mod:`models.calibration`, conformal, on the
latest rows of the training data) so that about 90 % of real durations fall below it;
:meth:`EtaModel.recalibrate` refits only those offsets on recent outcomes.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, RegressorMixin

from .calibration import ConditionalCalibration
from .compiled_trees import CompiledTrees
from .exceptions import NotFittedError
from .zones import COORDINATE_COLUMNS, ZONE_STAT_COLUMNS, ZoneStatistics

_SEARCH: tuple[dict[str, float], ...] = (
    {"num_leaves": 2.0, "min_child_samples": 2.5},
    {"num_leaves": 0.5},
    {"feature_fraction": 0.75},
    {"num_leaves": 4.0, "min_child_samples": 5.0},
)
"""Hyper-parameters tried after the constructor's, in order, as factors of its values."""
_TUNED = ("objective", "learning_rate", "num_leaves", "min_child_samples", "feature_fraction")
_OBJECTIVES = ("huber", "regression")
_HALF_LIVES_DAYS = (14.0, 30.0)
_ROW_ORDER_PERIODS = 10  # periods the rows are cut into when fit gets no times
_PATIENCE = 50  # rounds without improvement before early stopping
TRAINING_REVISION = 2
"""Bumped when a change to :meth:`EtaModel.fit` changes what the same data and parameters
produce (2: the P90 booster's trees by its own early stopping); caches of trained models
key on it."""
_TRUNCATIONS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)  # shares of a trial's trees tried


class EtaModel(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """Predict drive durations (s) from trip features that include ``free_flow_s``.

    Parameters
    ----------
    n_estimators
        Trees of the median booster: ``"auto"`` chooses them by early stopping on the
        validation days (at most ``max_estimators``), an int fixes them (and skips the
        search and the recency choice).
    max_estimators
        Upper bound of ``"auto"``.
    objective
        Loss on the log ratio: ``"huber"`` (robust to the outlying durations of real
        records; its delta is half the target's robust spread), ``"regression"`` (squared
        error), or ``"auto"`` to choose between them on the validation days.
    learning_rate, num_leaves, min_child_samples, feature_fraction, subsample, reg_lambda
        LightGBM's; with ``"auto"``, the first settings of the search.
    validation_days
        Latest training days held out to choose the settings (``"auto"``: 15 % of them).
    tuning_budget_s
        Seconds the search may spend (``"auto"``: scaled to the number of rows; 0: the
        constructor's settings only, with early stopping).
    half_lives_days
        Recency weightings tried besides none (default: 14 and 30 days): a row ``a`` days
        older than the latest weighs ``0.5 ** (a / half_life)``.
    size_tolerance
        The cheapest model (trees x depth, over every trial and its truncations) whose
        validation MAE is within this share of the best is chosen: prediction time is
        part of the requirement (0: early stopping's choice, whatever its size).
    zone_smoothing, zone_min_count
        Of the zone statistics (:class:`models.zones.ZoneStatistics`).
    quantile
        The upper estimate's level.
    calibration_fraction
        Share of the latest rows held out to calibrate the upper estimate.
    random_state, n_jobs
        Seed and threads of LightGBM.

    Fitted state: ``median_``, ``upper_``, ``upper_offset_``, ``zone_statistics_``,
    ``feature_names_in_``, ``n_features_in_``, ``feature_names_used_``,
    ``left_out_features_`` (name: reason), ``tuning_report_``.
    """

    def __init__(
        self,
        n_estimators: int | str = "auto",
        max_estimators: int = 3000,
        objective: str = "auto",
        learning_rate: float = 0.1,
        num_leaves: int = 63,
        min_child_samples: int = 20,
        feature_fraction: float = 0.8,
        subsample: float = 0.8,
        reg_lambda: float = 1.0,
        validation_days: int | str = "auto",
        tuning_budget_s: float | str = "auto",
        half_lives_days: Sequence[float] | None = None,
        size_tolerance: float = 0.005,
        zone_smoothing: float = 20.0,
        zone_min_count: int = 30,
        quantile: float = 0.9,
        calibration_fraction: float = 0.15,
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_estimators = max_estimators
        self.objective = objective
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.feature_fraction = feature_fraction
        self.subsample = subsample
        self.reg_lambda = reg_lambda
        self.validation_days = validation_days
        self.tuning_budget_s = tuning_budget_s
        self.half_lives_days = half_lives_days
        self.size_tolerance = size_tolerance
        self.zone_smoothing = zone_smoothing
        self.zone_min_count = zone_min_count
        self.quantile = quantile
        self.calibration_fraction = calibration_fraction
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _lgb_params(self, settings: dict[str, Any]) -> dict[str, Any]:
        """LightGBM parameters of one setting (constructor values overridden by it)."""
        value = {name: settings.get(name, getattr(self, name)) for name in _TUNED}
        objective = _OBJECTIVES[0] if value["objective"] == "auto" else value["objective"]
        return {
            "objective": objective,
            "alpha": self.huber_delta_ if objective == "huber" else 0.9,
            "learning_rate": value["learning_rate"],
            "num_leaves": value["num_leaves"],
            "min_child_samples": value["min_child_samples"],
            "colsample_bytree": value["feature_fraction"],
            "subsample": self.subsample,
            "subsample_freq": 1 if self.subsample < 1 else 0,
            "reg_lambda": self.reg_lambda,
            "random_state": self.random_state,
            "n_jobs": self.n_jobs,
            "deterministic": True,
            "force_row_wise": True,
            "verbose": -1,
        }

    def _booster(self, n_estimators: int, **objective: Any) -> lgb.LGBMRegressor:
        """A booster with the chosen settings (``tuning_report_``) and ``n_estimators`` trees."""
        return lgb.LGBMRegressor(
            n_estimators=n_estimators,
            **{**self._lgb_params(self.tuning_report_["settings"]), **objective},
        )

    def fit(
        self,
        X: pd.DataFrame,
        y: NDArray[np.float64] | pd.Series,
        times: pd.Series | ArrayLike | None = None,
    ) -> EtaModel:
        """Fit on features ``X`` and actual durations ``y`` (s) of trips that started at ``times``.

        ``times`` (timestamps, one per row) tell the days apart: zone statistics of a row
        use earlier days only, the latest ``validation_days`` choose the number of trees,
        the hyper-parameters within ``tuning_budget_s`` and the recency weighting; then
        the median booster is refitted on all rows with the chosen settings. Without
        ``times`` the rows are taken to be in time order and cut into ten equal periods
        standing for days (no recency weighting). Features that are all missing or
        constant are left out (``left_out_features_`` says which).
        """
        X = check_frame(X)
        for name in [n for n in vars(self) if n.endswith("_")]:
            delattr(self, name)
        self.__dict__.pop("_compiled", None)
        target = log_ratio(X, np.asarray(y, dtype=float))
        n_fit = int(len(X) * (1 - self.calibration_fraction))
        if not 0 < n_fit < len(X):
            fraction = self.calibration_fraction
            msg = f"calibration_fraction {fraction} leaves no rows to fit or to calibrate"
            raise ValueError(msg)
        if self.objective not in ("auto", *_OBJECTIVES):
            msg = f"objective must be 'auto', 'huber' or 'regression', got {self.objective!r}"
            raise ValueError(msg)
        period, age_days = _periods(times, len(X))
        # half the robust spread (1.4826 MAD) of the log ratio: errors beyond count linearly
        spread = 1.4826 * float(np.median(np.abs(target - np.median(target))))
        self.huber_delta_ = max(spread / 2, 1e-3)
        started = time.perf_counter()
        used, left_out = _informative_columns(X)
        zones: ZoneStatistics | None = None
        columns = list(used)
        values = X[used].to_numpy(dtype=np.float64)
        if all(c in X.columns for c in COORDINATE_COLUMNS):
            coordinates = X[list(COORDINATE_COLUMNS)].to_numpy(dtype=np.float64)
            zones, oof = ZoneStatistics.fit(
                coordinates,
                target,
                period,
                smoothing=self.zone_smoothing,
                min_count=self.zone_min_count,
            )
            values = np.column_stack([values, oof])
            columns += list(ZONE_STAT_COLUMNS)
        design = pd.DataFrame(values, columns=columns, index=X.index)
        self.tuning_report_ = self._tune(design, target, period, age_days)
        self.tuning_report_["left_out_features"] = left_out
        report = self.tuning_report_
        weights = _recency_weights(age_days, report["half_life_days"])
        self.median_ = self._booster(report["n_estimators"]).fit(
            design, target, sample_weight=weights
        )
        self._fit_upper(design, X, target)
        report["fit_s"] = round(time.perf_counter() - started, 2)
        self.zone_statistics_ = zones
        self.feature_names_used_ = np.asarray(used, dtype=object)
        self.left_out_features_ = left_out
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def _fit_upper(
        self, design: pd.DataFrame, X: pd.DataFrame, target: NDArray[np.float64]
    ) -> None:
        """The P90: a quantile booster on the earlier rows of ``design``, its offsets
        calibrated per condition (:class:`ConditionalCalibration`, read from ``X``) on the
        latest ``calibration_fraction`` of the rows."""
        n_fit = int(len(design) * (1 - self.calibration_fraction))
        report = self.tuning_report_
        n_trees = report.get("upper_n_estimators", report["n_estimators"])
        self.upper_ = self._booster(n_trees, objective="quantile", alpha=self.quantile).fit(
            design.iloc[:n_fit], target[:n_fit]
        )
        residual = target[n_fit:] - self.upper_.predict(design.iloc[n_fit:])
        self.calibration_ = ConditionalCalibration(self.quantile).fit(residual, X.iloc[n_fit:])
        self.upper_offset_ = self.calibration_.global_offset_

    def _tune(
        self,
        design: pd.DataFrame,
        target: NDArray[np.float64],
        period: NDArray[np.int64],
        age_days: NDArray[np.float64] | None,
    ) -> dict[str, Any]:
        """Trees, settings and recency chosen on the latest periods (or fixed ones)."""
        if self.n_estimators != "auto":
            if not isinstance(self.n_estimators, int) or self.n_estimators < 1:
                msg = f"n_estimators must be 'auto' or a positive int, got {self.n_estimators!r}"
                raise ValueError(msg)
            objective = _OBJECTIVES[0] if self.objective == "auto" else self.objective
            return {
                "n_estimators": self.n_estimators,
                "settings": {"objective": objective},
                "half_life_days": None,
            }
        validation = _validation_rows(period, self.validation_days)
        budget = (
            _auto_budget_s(len(design))
            if self.tuning_budget_s == "auto"
            else float(self.tuning_budget_s)
        )
        fit_rows = ~validation
        train_set = lgb.Dataset(
            design[fit_rows], target[fit_rows], free_raw_data=False, params={"verbose": -1}
        )
        started = time.perf_counter()
        trials: list[dict[str, Any]] = []

        def trial(settings: dict[str, Any], half_life: float | None) -> dict[str, Any]:
            clock = time.perf_counter()
            params = self._lgb_params(settings)
            weight = _recency_weights(age_days, half_life)
            train_set.set_weight(None if weight is None else weight[fit_rows])
            booster = lgb.train(
                {**params, "feature_pre_filter": False},
                train_set,
                num_boost_round=self.max_estimators,
                valid_sets=[
                    lgb.Dataset(design[validation], target[validation], reference=train_set)
                ],
                callbacks=[lgb.early_stopping(_PATIENCE, verbose=False)],
            )
            n_trees = max(booster.best_iteration, 1)
            free_flow = design["free_flow_s"].to_numpy()[validation]
            actual = free_flow * np.exp(target[validation])

            def mae_s(trees: int) -> float:
                raw = booster.predict(design[validation], num_iteration=trees)
                return float(np.mean(np.abs(free_flow * np.exp(raw) - actual)))

            raw = booster.predict(design[validation], num_iteration=n_trees)
            sizes = sorted({max(1, round(n_trees * share)) for share in _TRUNCATIONS} - {n_trees})
            result = {
                "settings": settings,
                "half_life_days": half_life,
                "best_iteration": n_trees,
                "validation_mae_s": round(mae_s(n_trees), 3),
                "validation_rmsle": round(
                    float(np.sqrt(np.mean((raw - target[validation]) ** 2))), 5
                ),
                "truncations": {k: round(mae_s(k), 3) for k in sizes},
                "seconds": round(time.perf_counter() - clock, 2),
            }
            trials.append(result)
            return result

        def time_left(last: dict[str, Any]) -> bool:
            return bool(time.perf_counter() - started + last["seconds"] <= budget)

        first = {name: getattr(self, name) for name in _TUNED}
        objectives = _OBJECTIVES if self.objective == "auto" else (self.objective,)
        best = trial({**first, "objective": objectives[0]}, None)
        for objective in objectives[1:]:
            if not time_left(trials[-1]):
                break
            result = trial({**first, "objective": objective}, None)
            if result["validation_mae_s"] < best["validation_mae_s"]:
                best = result
        for factors in _SEARCH:
            if not time_left(trials[-1]):
                break
            settings = {**best["settings"]}
            for name, factor in factors.items():
                base = getattr(self, name)
                settings[name] = (
                    max(2, round(base * factor))
                    if isinstance(base, int)
                    else round(min(base * factor, 1.0), 4)
                )
            result = trial(settings, None)
            if result["validation_mae_s"] < best["validation_mae_s"]:
                best = result
        if age_days is not None:
            half_lives = _HALF_LIVES_DAYS if self.half_lives_days is None else self.half_lives_days
            for half_life in half_lives:
                if not time_left(trials[-1]):
                    break
                result = trial(best["settings"], float(half_life))
                if result["validation_mae_s"] < best["validation_mae_s"]:
                    best = result
        chosen, trees = self._smallest_near_best(trials)
        n_fit_rows = max(int(fit_rows.sum()), 1)
        n_trees = int(np.ceil(trees * len(design) / n_fit_rows))
        upper_trees = self._upper_trees(train_set, design[validation], target[validation], chosen)
        n_upper_rows = int(len(design) * (1 - self.calibration_fraction))
        return {
            "n_estimators": min(n_trees, self.max_estimators),
            "upper_n_estimators": min(
                int(np.ceil(upper_trees * n_upper_rows / n_fit_rows)), self.max_estimators
            ),
            "upper_validation_trees": upper_trees,
            "settings": chosen["settings"],
            "half_life_days": chosen["half_life_days"],
            "chosen_validation_trees": trees,
            "validation_days": int(np.unique(period[validation]).size),
            "validation_rows": int(validation.sum()),
            "budget_s": round(budget, 1),
            "search_s": round(time.perf_counter() - started, 2),
            "trials": trials,
        }

    def _upper_trees(
        self,
        train_set: lgb.Dataset,
        validation_design: pd.DataFrame,
        validation_target: NDArray[np.float64],
        chosen: dict[str, Any],
    ) -> int:
        """Trees of the quantile booster: early stopping on the validation days' pinball loss.

        The quantile booster overfits sooner than the median one (its calibration absorbs
        a constant error, not noise), so its count is chosen on its own loss.
        """
        train_set.set_weight(None)  # the upper booster is fitted unweighted
        params = {**self._lgb_params(chosen["settings"]), "objective": "quantile"}
        booster = lgb.train(
            {**params, "alpha": self.quantile, "metric": "quantile", "feature_pre_filter": False},
            train_set,
            num_boost_round=self.max_estimators,
            valid_sets=[lgb.Dataset(validation_design, validation_target, reference=train_set)],
            callbacks=[lgb.early_stopping(_PATIENCE, verbose=False)],
        )
        return max(int(booster.best_iteration), 1)

    def _smallest_near_best(self, trials: list[dict[str, Any]]) -> tuple[dict[str, Any], int]:
        """The trial and tree count of the cheapest model within ``size_tolerance`` of the
        best validation MAE; the cost of a tree is its depth, ``log2(num_leaves)``. With no
        tolerance, the best trial at its early-stopping tree count."""
        if self.size_tolerance == 0:
            best_trial = min(trials, key=lambda trial: trial["validation_mae_s"])
            return best_trial, best_trial["best_iteration"]
        candidates = [
            (trial, trees, mae)
            for trial in trials
            for trees, mae in [
                (trial["best_iteration"], trial["validation_mae_s"]),
                *trial["truncations"].items(),
            ]
        ]
        best = min(mae for _, _, mae in candidates)
        near = [c for c in candidates if c[2] <= best * (1 + self.size_tolerance)]

        def cost(candidate: tuple[dict[str, Any], int, float]) -> tuple[float, float]:
            trial, trees, mae = candidate
            leaves = self._lgb_params(trial["settings"])["num_leaves"]
            return trees * np.log2(max(leaves, 2)), mae

        trial, trees, _ = min(near, key=cost)
        return trial, trees

    def model_inputs(self, X: pd.DataFrame) -> pd.DataFrame:
        """What the boosters read: the used features of ``X`` and the zone statistics."""
        X = self._check_fitted_input(X)
        return pd.DataFrame(self._design(X), columns=self._design_columns(), index=X.index)

    def _design_columns(self) -> list[str]:
        zones = list(ZONE_STAT_COLUMNS) if self.zone_statistics_ is not None else []
        return [*self.feature_names_used_, *zones]

    def _design(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """The design matrix of a checked ``X`` (columns :attr:`feature_names_in_`)."""
        block = X.to_numpy(dtype=np.float64, na_value=np.nan)  # a view of a float frame
        position = {name: k for k, name in enumerate(self.feature_names_in_)}
        values = block[:, [position[name] for name in self.feature_names_used_]]
        if self.zone_statistics_ is None:
            return values
        coordinates = block[:, [position[name] for name in COORDINATE_COLUMNS]]
        return np.column_stack([values, self.zone_statistics_.transform(coordinates)])

    def predict(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Median duration (s) of each trip."""
        X = self._check_fitted_input(X)
        (raw,) = self._raw_scores(self._design(X), upper=False)
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
        median_raw, upper_raw = self._raw_scores(self._design(X), upper=True)
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
        (_, upper_raw) = self._raw_scores(self._design(X), upper=True)
        residual = log_ratio(X, np.asarray(y, dtype=float)) - upper_raw
        recalibrated = copy.copy(self)  # shares the boosters (and their compiled trees)
        recalibrated.calibration_ = ConditionalCalibration(self.quantile).fit(
            residual, X, sample_weight
        )
        recalibrated.upper_offset_ = recalibrated.calibration_.global_offset_
        return recalibrated

    def _raw_scores(self, values: NDArray[np.float64], *, upper: bool) -> list[NDArray[np.float64]]:
        """Raw scores of the median booster, then of the upper one if ``upper``."""
        boosters = (self.median_, self.upper_)[: 1 + upper]
        compiled = self._compiled_boosters()
        if compiled is None:
            frame = pd.DataFrame(values, columns=self._design_columns())
            return [np.asarray(booster.predict(frame), dtype=np.float64) for booster in boosters]
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
        return "median_" in self.__dict__

    def _check_fitted_input(self, X: pd.DataFrame) -> pd.DataFrame:
        if not self.__sklearn_is_fitted__():
            msg = "this EtaModel is not fitted yet; call fit first"
            raise NotFittedError(msg)
        X = check_frame(X)
        expected = list(self.feature_names_in_)
        if list(X.columns) != expected:
            missing = sorted(set(expected) - set(X.columns))
            extra = sorted(set(X.columns) - set(expected))
            if missing or extra:
                msg = f"features differ from training: missing {missing}, unexpected {extra}"
                raise ValueError(msg)
            X = X[expected]
        return X


def _periods(
    times: pd.Series | ArrayLike | None, n_rows: int
) -> tuple[NDArray[np.int64], NDArray[np.float64] | None]:
    """Period (day) number of each row and its age in days before the latest row.

    Without times, the rows (taken in time order) are cut into equal periods and have
    no age.
    """
    if times is None:
        n_periods = max(min(_ROW_ORDER_PERIODS, n_rows), 1)
        return (np.arange(n_rows) * n_periods // max(n_rows, 1)).astype(np.int64), None
    stamps = pd.Series(
        pd.to_datetime(np.asarray(times) if not isinstance(times, pd.Series) else times)
    )
    if len(stamps) != n_rows:
        msg = f"times must have one timestamp per row of X, got {len(stamps)} for {n_rows}"
        raise ValueError(msg)
    if stamps.isna().any():
        msg = "times must not be missing"
        raise ValueError(msg)
    days = stamps.dt.tz_localize(None) if stamps.dt.tz is not None else stamps
    day = days.dt.floor("D").to_numpy()
    _, period = np.unique(day, return_inverse=True)
    age = (stamps.max() - stamps).dt.total_seconds().to_numpy() / 86_400.0
    return period.astype(np.int64), np.asarray(age, dtype=np.float64)


def _validation_rows(period: NDArray[np.int64], validation_days: int | str) -> NDArray[np.bool_]:
    """Rows of the latest ``validation_days`` periods (``"auto"``: 15 % of them, at least 1)."""
    n_periods = int(period.max()) + 1 if period.size else 0
    if n_periods < 2:
        msg = "choosing the number of trees needs rows of at least two days (or times=None)"
        raise ValueError(msg)
    if validation_days == "auto":
        n_val = int(np.ceil(0.15 * n_periods))
    elif isinstance(validation_days, int) and validation_days >= 1:
        n_val = validation_days
    else:
        msg = f"validation_days must be 'auto' or a positive int, got {validation_days!r}"
        raise ValueError(msg)
    n_val = min(n_val, n_periods - 1)
    return np.asarray(period >= n_periods - n_val)


def _auto_budget_s(n_rows: int) -> float:
    """Search time for ``n_rows``: a second per 2,000 rows, between 5 s and 2 minutes."""
    return float(np.clip(n_rows / 2_000, 5.0, 120.0))


def _recency_weights(
    age_days: NDArray[np.float64] | None, half_life: float | None
) -> NDArray[np.float64] | None:
    if age_days is None or half_life is None:
        return None
    return np.asarray(0.5 ** (age_days / half_life))


def _informative_columns(X: pd.DataFrame) -> tuple[list[str], dict[str, str]]:
    """Columns that vary (``free_flow_s`` always kept), and why the others are left out."""
    used, left_out = [], {}
    for column in X.columns:
        values = X[column].to_numpy(dtype=np.float64)
        known = values[~np.isnan(values)]
        if column != "free_flow_s" and known.size == 0:
            left_out[column] = "missing in every training row"
        elif column != "free_flow_s" and np.all(known == known[0]):
            left_out[column] = f"the same value ({known[0]:g}) in every known training row"
        else:
            used.append(column)
    return used, left_out


def check_frame(X: pd.DataFrame) -> pd.DataFrame:
    """``X`` if it is a frame of features with ``free_flow_s``; TypeError or ValueError."""
    if not isinstance(X, pd.DataFrame):
        msg = f"X must be a pandas DataFrame of features, got {type(X).__name__}"
        raise TypeError(msg)
    if "free_flow_s" not in X.columns:
        msg = "X must contain the column 'free_flow_s'"
        raise ValueError(msg)
    return X


def log_ratio(X: pd.DataFrame, y: NDArray[np.float64]) -> NDArray[np.float64]:
    """log(y / free_flow_s) per row: what the models learn; ValueError for bad durations."""
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
    X = check_frame(X)
    if model is None:
        free_flow = X["free_flow_s"].to_numpy(dtype=float)
        return free_flow, free_flow.copy()
    return model.predict_with_p90(X)
