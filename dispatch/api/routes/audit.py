"""The audit log: who wrote or read patient data (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from ..deps import ServiceDep
from ..schemas import AuditOut, AuditRowOut
from . import INVALID

router = APIRouter(prefix="/v1/audit", tags=["audit"])

MAX_ROWS = 1000


@router.get("", response_model=AuditOut, responses=INVALID)
def audit_log(
    service: ServiceDep,
    since: Annotated[AwareDatetime, Query(description="the earliest time, with its zone")],
    limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 100,
) -> AuditOut:
    """The audited requests from ``since`` on, oldest first (page on: the last row's ``at``)."""
    rows = service.store.audit_rows(since, limit)
    return AuditOut(rows=[AuditRowOut.model_validate(row, from_attributes=True) for row in rows])
