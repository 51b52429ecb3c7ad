"""Vehicles over the store: register, read, and report positions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response

from ...domain import Location, Vehicle
from ..deps import StateDep
from ..errors import invalid, not_found
from ..estimates import snap
from ..schemas import VEHICLE_EXAMPLES, PositionIn, PositionOut, VehicleIn
from ..state import ServiceState
from ..store import now_utc
from . import INVALID, UNKNOWN

router = APIRouter(prefix="/v1/vehicles", tags=["vehicles"])


def _stored(state: ServiceState, vehicle_id: str) -> Vehicle:
    assert state.store is not None
    vehicle = state.store.vehicle(vehicle_id)
    if vehicle is None:
        raise not_found("vehicle_id", f"no vehicle with id {vehicle_id!r}")
    return vehicle


@router.put("/{vehicle_id}", response_model=Vehicle, responses=INVALID)
def put_vehicle(
    vehicle_id: str,
    vehicle: Annotated[VehicleIn, Body(openapi_examples=VEHICLE_EXAMPLES)],
    state: StateDep,
    response: Response,
) -> Vehicle:
    """Register a vehicle (201) or replace its record (200)."""
    assert state.store is not None and state.graph is not None
    if vehicle.id != vehicle_id:
        raise invalid("id", f"the body's id {vehicle.id!r} differs from the path's {vehicle_id!r}")
    places = [("depot", vehicle.depot)]
    if vehicle.position is not None:
        places.append(("position", vehicle.position))
    snap(state.graph, places, state.settings.max_snap_m)
    plain = vehicle.to_domain()
    if state.store.put_vehicle(plain, now=now_utc()):
        response.status_code = 201
    return plain


@router.get("/{vehicle_id}", response_model=Vehicle, responses=UNKNOWN)
def get_vehicle(vehicle_id: str, state: StateDep) -> Vehicle:
    """A registered vehicle with its last known position."""
    return _stored(state, vehicle_id)


@router.post("/{vehicle_id}/position", response_model=PositionOut, responses={**INVALID, **UNKNOWN})
def report_position(vehicle_id: str, report: PositionIn, state: StateDep) -> PositionOut:
    """Where the vehicle is now; a report older than the last stored one is ignored."""
    assert state.store is not None and state.graph is not None
    vehicle = _stored(state, vehicle_id)
    where = Location(lat=report.lat, lon=report.lon)
    snap(state.graph, [("lat", where)], state.settings.max_snap_m)
    moved = vehicle.model_copy(update={"position": where})
    stored = state.store.move_vehicle(moved, report.at, now=now_utc())
    current = moved if stored else _stored(state, vehicle_id)
    return PositionOut(vehicle_id=vehicle_id, stored=stored, position=current.position)
