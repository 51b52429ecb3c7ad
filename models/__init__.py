"""Learned corrections to free-flow travel times: data, cleaning, features, ETA model, monitoring.

"Model" here means a fitted estimator, never a pydantic class (those are only the schema).
"""

from .baselines import RawCoordinateLightGBM, raw_coordinate_features
from .calibration import ConditionalCalibration
from .ch_routes import ContractionRouteTotals
from .cleaning import CleaningParams, CleaningReport, clean_trips
from .comparison import Comparison, Requirement, compare_models, model_families
from .compiled_trees import CompiledTrees
from .drift import DriftReference, population_stability_index
from .eta import TRAINING_REVISION, EtaModel, predict_durations
from .exceptions import (
    ModelSchemaError,
    ModelsError,
    MonitoringError,
    NotFittedError,
    TripDataError,
)
from .features import FEATURE_COLUMNS, build_features
from .metrics import bootstrap_means, metric_intervals, regression_metrics
from .model_card import baseline_predictions, build_model_card, write_model_card
from .monitor import DriftKind, EtaMonitor, MonitorStatus
from .paired import PairedComparison, paired_comparison
from .plots import plot_daily_error, save_figure
from .promotion import (
    EtaPredictor,
    HoldoutSplit,
    PromotionDecision,
    TrustedCheck,
    check_trusted,
    decide_promotion,
)
from .records import parse_column_map, read_trips
from .registry import (
    HOLDOUT_FILE,
    SavedModel,
    load_model,
    load_reference,
    save_holdout,
    save_model,
    save_reference,
    save_trained,
)
from .retraining import Recalibratable, Recalibration, recalibrate_recent, retrain_and_decide
from .route_table import RouteTable
from .schema import REQUIRED_COLUMNS, TripRecord, WeatherCondition
from .training import PreparedTrips, TrainingResult, prepare_trips, train_eta
from .zones import ZoneStatistics

__all__ = [
    "FEATURE_COLUMNS",
    "HOLDOUT_FILE",
    "REQUIRED_COLUMNS",
    "TRAINING_REVISION",
    "CleaningParams",
    "CleaningReport",
    "Comparison",
    "CompiledTrees",
    "ConditionalCalibration",
    "ContractionRouteTotals",
    "DriftKind",
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
    "PairedComparison",
    "PreparedTrips",
    "PromotionDecision",
    "RawCoordinateLightGBM",
    "Recalibratable",
    "Recalibration",
    "Requirement",
    "RouteTable",
    "SavedModel",
    "TrainingResult",
    "TripDataError",
    "TripRecord",
    "TrustedCheck",
    "WeatherCondition",
    "ZoneStatistics",
    "baseline_predictions",
    "bootstrap_means",
    "build_features",
    "build_model_card",
    "check_trusted",
    "clean_trips",
    "compare_models",
    "decide_promotion",
    "load_model",
    "load_reference",
    "metric_intervals",
    "model_families",
    "paired_comparison",
    "parse_column_map",
    "plot_daily_error",
    "population_stability_index",
    "predict_durations",
    "prepare_trips",
    "raw_coordinate_features",
    "read_trips",
    "recalibrate_recent",
    "regression_metrics",
    "retrain_and_decide",
    "save_figure",
    "save_holdout",
    "save_model",
    "save_reference",
    "save_trained",
    "train_eta",
    "write_model_card",
]
