"""One router per area of the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from ...domain import ID_PATTERN
from ..schemas import ErrorsOut

TripId = Annotated[str, Path(pattern=ID_PATTERN, description="the trip's id")]
VehicleId = Annotated[str, Path(pattern=ID_PATTERN, description="the vehicle's id")]

INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorsOut, "description": "Invalid input: each error names the field"}
}
UNKNOWN: dict[int | str, dict[str, Any]] = {404: {"model": ErrorsOut, "description": "Unknown id"}}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorsOut, "description": "Conflicts with the current state"}
}
