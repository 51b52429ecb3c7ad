"""Vehicles: register, read, remove, report positions, and a vehicle's manifest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response

from ...domain import Location, Route, Vehicle
from ...exceptions import VehicleNotFoundError
from ..deps import ServiceDep
from ..errors import invalid, not_found
from ..estimates import snap
from ..schemas import VEHICLE_EXAMPLES, PositionIn, PositionOut, VehicleIn
from ..store import now_utc
from ..time_window import check_in_window, check_recent, vehicle_times
from . import INVALID, UNKNOWN, VehicleId

router = APIRouter(prefix="/v1/vehicles", tags=["vehicles"])


@router.put("/{vehicle_id}", response_model=Vehicle, responses=INVALID)
def put_vehicle(
    vehicle_id: VehicleId,
    vehicle: Annotated[VehicleIn, Body(openapi_examples=VEHICLE_EXAMPLES)],
    service: ServiceDep,
    response: Response,
) -> Vehicle:
    """Register a vehicle (201) or replace its record (200)."""
    if vehicle.id != vehicle_id:
        raise invalid("id", f"the body's id {vehicle.id!r} differs from the path's {vehicle_id!r}")
    check_in_window(vehicle_times(vehicle), service.settings, now_utc())
    places = [("depot", vehicle.depot)]
    if vehicle.position is not None:
        places.append(("position", vehicle.position))
    snap(service.graph, places, service.settings.max_snap_m)
    plain = vehicle.to_domain()
    if service.store.put_vehicle(plain, now=now_utc()):
        response.status_code = 201
    return plain


@router.get("/{vehicle_id}", response_model=Vehicle, responses=UNKNOWN)
def get_vehicle(vehicle_id: VehicleId, service: ServiceDep) -> Vehicle:
    """A registered vehicle with its last known position."""
    return service.vehicle(vehicle_id)


@router.delete("/{vehicle_id}", status_code=204, responses=UNKNOWN)
def delete_vehicle(vehicle_id: VehicleId, service: ServiceDep) -> Response:
    """Remove a vehicle from the fleet; the next plan leaves it out."""
    if not service.store.delete_vehicle(vehicle_id):
        msg = f"no vehicle with id {vehicle_id!r}"
        raise VehicleNotFoundError(msg)
    return Response(status_code=204)


@router.post("/{vehicle_id}/position", response_model=PositionOut, responses={**INVALID, **UNKNOWN})
def report_position(vehicle_id: VehicleId, report: PositionIn, service: ServiceDep) -> PositionOut:
    """Where the vehicle is now; a report older than the last stored one is ignored."""
    check_recent("at", report.at, service.settings, now_utc())
    vehicle = service.vehicle(vehicle_id)
    where = Location(lat=report.lat, lon=report.lon)
    snap(service.graph, [("lat", where)], service.settings.max_snap_m)
    moved = vehicle.model_copy(update={"position": where})
    stored = service.store.move_vehicle(moved, report.at, now=now_utc())
    current = moved if stored else service.vehicle(vehicle_id)
    return PositionOut(vehicle_id=vehicle_id, stored=stored, position=current.position)


@router.get("/{vehicle_id}/manifest", response_model=Route, responses=UNKNOWN)
def manifest(vehicle_id: str, service: ServiceDep) -> Route:
    """The vehicle's route in the current plan: its stops in order, with planned times."""
    service.vehicle(vehicle_id)
    latest = service.store.latest_plan()
    routes = [] if latest is None else latest.plan["routes"]
    found = next((r for r in routes if r["vehicle_id"] == vehicle_id), None)
    if found is None:
        raise not_found("vehicle_id", f"vehicle {vehicle_id!r} has no route in the current plan")
    return Route.model_validate(found)
