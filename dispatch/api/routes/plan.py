"""The current plan of the stored trips on the registered vehicles."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import ServiceDep
from ..errors import not_found
from ..planning import replan
from ..schemas import PlanRequest, StoredPlanOut
from ..store import Store
from . import CONFLICT, INVALID, UNKNOWN

router = APIRouter(prefix="/v1/plan", tags=["plan"])


def _current(store: Store) -> StoredPlanOut:
    found = store.latest_plan()
    if found is None:
        raise not_found("plan", "no plan yet: POST /v1/plan makes one")
    return StoredPlanOut(
        plan_id=found.id, reason=found.reason, created_at=found.created_at, **found.plan
    )


@router.get("", response_model=StoredPlanOut, responses=UNKNOWN)
def current_plan(service: ServiceDep) -> StoredPlanOut:
    """The current routes (the latest plan) and the trips they leave out, with reasons."""
    return _current(service.store)


@router.post("", status_code=201, response_model=StoredPlanOut, responses={**INVALID, **CONFLICT})
def make_plan(body: PlanRequest, service: ServiceDep) -> StoredPlanOut:
    """Plan every booked trip on every registered vehicle within the time budget.

    A plan from scratch (the day's plan, made before it starts): trips under way or done
    are not in it. During the day, a called will-call return is inserted into the live
    plan instead (``POST /v1/trips/{id}/will-call``), keeping riders on board where they are.
    """
    with service.state.plan_lock:
        replan(service, body.time_limit_s, risk_aware=body.risk_aware, reason="planned")
    return _current(service.store)
