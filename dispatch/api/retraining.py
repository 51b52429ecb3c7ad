"""Retrain the ETA model on the stored outcomes; promote it only if it beats the current one.

The outcomes are cleaned and featurised like any trip history, and only the plausible ones
are kept (:mod:`.outcome_rules`; the rejected are counted in the answer). A candidate with
the current model's hyper-parameters is fitted on the ``train_days`` before the last
``holdout_days``; it is promoted only if it beats the current model on those held-out days
AND is no worse than it (beyond ``tolerance``) on the trusted holdout: trips no client can
write, ``DISPATCH_TRUSTED_HOLDOUT`` or else the test days saved beside the configured model
(:func:`models.retrain_and_decide`, whose decision carries both). Without a trusted
holdout nothing is promoted. A promoted candidate is saved under the service's models
folder with its drift reference (its training rows), recorded in the store with the
version it replaced (so a restart keeps it, and :mod:`.rollback` can undo it) and put in
service at once.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models import (
    HOLDOUT_FILE,
    EtaModel,
    ModelsError,
    PreparedTrips,
    PromotionDecision,
    TrainingResult,
    prepare_trips,
    read_trips,
    regression_metrics,
    retrain_and_decide,
    save_trained,
)

from .errors import conflict
from .outcome_rules import OutcomeRules, plausible_outcomes
from .schemas import RetrainIn, RetrainOut
from .state import ServiceState
from .store import now_utc

MIN_OUTCOMES = 50


def retrain(state: ServiceState, params: RetrainIn) -> RetrainOut:
    """Fit a candidate on the stored outcomes and decide; 409 when there is too little data
    or no trusted holdout."""
    assert state.store is not None and state.graph is not None
    records = state.store.outcome_records()
    if len(records) < MIN_OUTCOMES:
        msg = f"{len(records)} outcomes are stored; retraining needs at least {MIN_OUTCOMES}"
        raise conflict(None, msg)
    trusted = _trusted_holdout(state)
    trips = pd.DataFrame(records)
    trips["pickup_time"] = pd.to_datetime(trips["pickup_time"], utc=True)
    cleaned = prepare_trips(trips, state.graph)
    rules = OutcomeRules(clock_skew_s=state.settings.clock_skew_s)
    data, implausible = plausible_outcomes(cleaned, rules)
    rejected = {k: v for k, v in {**cleaned.report.dropped, **implausible}.items() if v}
    if len(data.y) < MIN_OUTCOMES:
        msg = (
            f"{len(data.y)} outcomes are left after cleaning and validation (rejected: "
            f"{rejected}); retraining needs at least {MIN_OUTCOMES}"
        )
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
            trusted=(trusted.X, trusted.y),
            tolerance=params.tolerance,
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
        rejected=rejected,
    )


def _trusted_holdout(state: ServiceState) -> PreparedTrips:
    """The trusted holdout, prepared; 409 when there is none or it cannot be read."""
    assert state.graph is not None
    settings = state.settings
    if settings.trusted_holdout is not None:
        path = Path(settings.trusted_holdout)
    elif settings.model is not None:
        path = Path(settings.model) / HOLDOUT_FILE
    else:
        path = None
    if path is None or not path.is_file():
        msg = (
            "no trusted holdout to judge a candidate on: set DISPATCH_TRUSTED_HOLDOUT to a "
            "trips file, or serve a model saved with its test days (dispatch train)"
        )
        raise conflict(None, msg)
    try:
        data = prepare_trips(read_trips(path), state.graph)
    except (ModelsError, OSError, ValueError) as exc:
        raise conflict(None, f"cannot read the trusted holdout {path.name}: {exc}") from None
    if len(data.y) == 0:
        raise conflict(None, f"the trusted holdout {path.name} has no usable trips")
    return data


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
        previous_version=state.live.version,
        decision=_json_safe(decision.as_dict()),
        now=now,
    )
    state.serve(live)
    return live.version


def _json_safe(values: dict[str, Any]) -> dict[str, Any]:
    """Non-finite floats become None (JSON has no inf or NaN), in nested mappings too."""
    return {k: _json_value(v) for k, v in values.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return _json_safe(value)
    return None if isinstance(value, float) and not math.isfinite(value) else value
