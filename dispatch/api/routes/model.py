"""Model operations: what is in service, how it does live, retraining and rollback."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from ..deps import ServiceDep
from ..errors import conflict
from ..retraining import retrain
from ..rollback import roll_back
from ..schemas import ModelOut, PromotionOut, RetrainIn, RetrainOut, RollbackOut
from . import CONFLICT, INVALID

router = APIRouter(prefix="/v1/model", tags=["model"])


@router.get("", response_model=ModelOut)
def model(service: ServiceDep) -> ModelOut:
    """Version, training window, test metrics, the live rolling error and drift status, and
    the promotions a rollback would undo."""
    state = service.state
    live = state.live
    meta = live.metadata
    assert state.store is not None
    promoted = state.store.promotions(state.base_version)
    return ModelOut(
        version=live.version,
        source=None if live.source is None else Path(live.source).name,
        created_at=meta.get("created_at"),
        train_window=meta.get("train_window"),
        test_window=meta.get("test_window"),
        n_train=meta.get("n_train"),
        metrics=meta.get("metrics") or {},
        baseline_metrics=meta.get("baseline_metrics") or {},
        monitor=live.status(),
        promotions=[
            PromotionOut(
                version=p.version,
                replaced_version=p.previous_version,
                promoted_at=p.promoted_at.isoformat(),
            )
            for p in promoted
        ],
        rollback_to=(promoted[0].previous_version or state.base_version) if promoted else None,
    )


@router.post("/retrain", response_model=RetrainOut, responses={**INVALID, **CONFLICT})
def retrain_model(service: ServiceDep, params: RetrainIn | None = None) -> RetrainOut:
    """Retrain on the plausible stored outcomes; promote only if the candidate beats the
    current model on the most recent held-out days and is no worse on the trusted holdout,
    and say why or why not (both figures)."""
    state = service.state
    if not state.retrain_lock.acquire(blocking=False):
        raise conflict(None, "a retraining or rollback is running")
    try:
        return retrain(state, params or RetrainIn())
    finally:
        state.retrain_lock.release()


@router.post("/rollback", response_model=RollbackOut, responses=CONFLICT)
def rollback_model(service: ServiceDep) -> RollbackOut:
    """Put the model the latest promotion replaced back in service (also after a restart);
    409 when no promoted model is in service."""
    state = service.state
    if not state.retrain_lock.acquire(blocking=False):
        raise conflict(None, "a retraining or rollback is running")
    try:
        return roll_back(state)
    finally:
        state.retrain_lock.release()
