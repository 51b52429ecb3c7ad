"""Retrain the ETA model on the stored outcomes; promote it only if it beats the current one.

The outcomes are cleaned and featurised like any trip history; a candidate with the
current model's hyper-parameters is fitted on the ``train_days`` before the last
``holdout_days`` and both models are scored on those held-out days
(:func:`models.retrain_and_decide`, whose decision carries the split). A promoted
candidate is saved under the service's models folder with its drift reference (its
training rows), recorded in the store (so a restart keeps it) and put in service at once.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from models import (
    EtaModel,
    PreparedTrips,
    PromotionDecision,
    TrainingResult,
    prepare_trips,
    regression_metrics,
    retrain_and_decide,
    save_trained,
)

from .errors import conflict
from .schemas import RetrainIn, RetrainOut
from .state import ServiceState
from .store import now_utc

MIN_OUTCOMES = 50


def retrain(state: ServiceState, params: RetrainIn) -> RetrainOut:
    """Fit a candidate on the stored outcomes and decide; 409 when there is too little data."""
    assert state.store is not None and state.graph is not None
    records = state.store.outcome_records()
    if len(records) < MIN_OUTCOMES:
        msg = f"{len(records)} outcomes are stored; retraining needs at least {MIN_OUTCOMES}"
        raise conflict(None, msg)
    trips = pd.DataFrame(records)
    trips["pickup_time"] = pd.to_datetime(trips["pickup_time"], utc=True)
    data = prepare_trips(trips, state.graph)
    if len(data.y) < MIN_OUTCOMES:
        msg = f"{len(data.y)} outcomes are left after cleaning ({data.report}); need {MIN_OUTCOMES}"
        raise conflict(None, msg)
    current = state.live
    hyper = current.model.get_params() if current.model is not None else {}

    def fit(X: pd.DataFrame, y: np.ndarray) -> EtaModel:
        return EtaModel(**hyper).fit(X, y)

    times = data.trips["pickup_time"]
    try:
        candidate, decision = retrain_and_decide(
            current.model,
            fit,
            data.X,
            data.y,
            times,
            train_days=params.train_days,
            holdout_days=params.holdout_days,
            min_improvement=params.min_improvement,
        )
    except ValueError as exc:
        raise conflict(None, f"cannot retrain on the stored outcomes: {exc}") from None
    candidate_version = None
    if decision.promote:
        candidate_version = _promote(state, candidate, data, decision)
    return RetrainOut(
        promoted=decision.promote,
        reason=decision.reason,
        model_version=state.live.version,
        candidate_version=candidate_version,
        decision=_json_safe(decision.as_dict()),
        n_outcomes=len(records),
    )


def _promote(
    state: ServiceState,
    candidate: EtaModel,
    data: PreparedTrips,
    decision: PromotionDecision,
) -> str:
    """Save the candidate with its metrics and reference, record it, put it in service."""
    assert state.store is not None and state.graph is not None
    split = decision.split
    assert split is not None  # retrain_and_decide always records its split
    X_test, y_test = data.X[split.holdout], data.y[split.holdout]
    result = TrainingResult(
        model=candidate,
        metrics=regression_metrics(y_test, *candidate.predict_with_p90(X_test)),
        baseline_metrics=regression_metrics(y_test, X_test["free_flow_s"].to_numpy()),
        train_window=split.train_window,
        test_window=split.holdout_window,
        n_train=int(split.train.sum()),
        n_test=int(split.holdout.sum()),
    )
    now = now_utc()
    directory = state.settings.promoted_models_dir() / f"retrained-{now:%Y%m%d-%H%M%S-%f}"
    save_trained(result, data, state.graph, directory, data.X[split.train])
    live = state.open_model(directory)
    assert live.version is not None
    state.store.add_model(
        live.version,
        str(directory),
        base_version=state.base_version,
        decision=_json_safe(decision.as_dict()),
        now=now,
    )
    state.live = live
    state.update_gauges(live)
    return live.version


def _json_safe(values: dict[str, Any]) -> dict[str, Any]:
    """Non-finite floats become None (JSON has no inf or NaN)."""
    return {
        k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in values.items()
    }
