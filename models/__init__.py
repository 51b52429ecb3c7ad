"""Learned corrections to free-flow travel times: data, cleaning, features, ETA model, monitoring.

"Model" here means a fitted estimator, never a pydantic class (those are only the schema).
"""

from .cleaning import CleaningParams, CleaningReport, clean_trips
from .comparison import Comparison, Requirement, compare_models, model_families
from .compiled_trees import CompiledTrees
from .drift import DriftReference, population_stability_index
from .eta import EtaModel, predict_durations
from .exceptions import (
    ModelSchemaError,
    ModelsError,
    MonitoringError,
    NotFittedError,
    TripDataError,
)
from .features import FEATURE_COLUMNS, build_features
from .metrics import regression_metrics
from .monitor import EtaMonitor, MonitorStatus
from .plots import plot_daily_error, save_figure
from .promotion import EtaPredictor, HoldoutSplit, PromotionDecision, decide_promotion
from .records import parse_column_map, read_trips
from .registry import (
    SavedModel,
    load_model,
    load_reference,
    save_model,
    save_reference,
    save_trained,
)
from .retraining import retrain_and_decide
from .route_table import RouteTable
from .schema import REQUIRED_COLUMNS, TripRecord, WeatherCondition
from .training import PreparedTrips, TrainingResult, prepare_trips, train_eta
from .zones import ZoneStatistics

__all__ = [
    "FEATURE_COLUMNS",
    "REQUIRED_COLUMNS",
    "CleaningParams",
    "CleaningReport",
    "Comparison",
    "CompiledTrees",
    "DriftReference",
    "EtaModel",
    "EtaMonitor",
    "EtaPredictor",
    "HoldoutSplit",
    "ModelSchemaError",
    "ModelsError",
    "MonitorStatus",
    "MonitoringError",
    "NotFittedError",
    "PreparedTrips",
    "PromotionDecision",
    "Requirement",
    "RouteTable",
    "SavedModel",
    "TrainingResult",
    "TripDataError",
    "TripRecord",
    "WeatherCondition",
    "ZoneStatistics",
    "build_features",
    "clean_trips",
    "compare_models",
    "decide_promotion",
    "load_model",
    "load_reference",
    "model_families",
    "parse_column_map",
    "plot_daily_error",
    "population_stability_index",
    "predict_durations",
    "prepare_trips",
    "read_trips",
    "regression_metrics",
    "retrain_and_decide",
    "save_figure",
    "save_model",
    "save_reference",
    "save_trained",
    "train_eta",
]
