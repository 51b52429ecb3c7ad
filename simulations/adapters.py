"""The simulated world's trips and vehicles as dispatch domain objects."""

from __future__ import annotations

from collections.abc import Sequence

from dispatch.domain import STANDARD_TYPES, Location, Mobility, TripRequest, Vehicle

from .demand import Trip
from .estimator import TravelEstimator
from .fleet import FleetVehicle
from .view import VehicleView

_TYPES = {t.name: t for t in STANDARD_TYPES}


def place(estimator: TravelEstimator, node: int) -> Location:
    """The location of a graph node."""
    graph = estimator.world.graph
    return Location(lat=float(graph.lat[node]), lon=float(graph.lon[node]))


def trip_request(estimator: TravelEstimator, trip: Trip) -> TripRequest:
    """A booked trip as a dispatch request: ready-by, or arrive-by its appointment."""
    ready_at = None if trip.ready_s is None else estimator.moment(trip.ready_s)
    appointment_at = None if ready_at is not None else estimator.moment(trip.appointment_s or 0.0)
    return TripRequest(
        id=trip.trip_id,
        rider_id=trip.rider_id,
        pickup=place(estimator, trip.pickup),
        dropoff=place(estimator, trip.dropoff),
        mobility=Mobility(trip.mobility),
        escorts=trip.escorts,
        board_s=trip.board_s,
        alight_s=trip.alight_s,
        will_call=trip.kind == "will_call_return",
        ready_at=ready_at,
        appointment_at=appointment_at,
    )


def fleet_vehicle(
    estimator: TravelEstimator,
    vehicle: FleetVehicle,
    *,
    position: int | None = None,
    on_board: Sequence[str] = (),
    available_s: float | None = None,
) -> Vehicle:
    """A simulated vehicle as a dispatch vehicle, optionally with its live state."""
    return Vehicle(
        id=vehicle.vehicle_id,
        type=_TYPES[vehicle.vehicle_type.name],
        depot=place(estimator, vehicle.depot),
        shift_start=estimator.moment(vehicle.shift_start_s),
        shift_end=estimator.moment(vehicle.shift_end_s),
        position=None if position is None else place(estimator, position),
        on_board=tuple(on_board),
        available_from=None if available_s is None else estimator.moment(available_s),
    )


def live_vehicle(
    estimator: TravelEstimator, view: VehicleView, committed: Sequence[str], free_s: float
) -> Vehicle:
    """A vehicle where it will next be free, with its committed riders on board."""
    return fleet_vehicle(
        estimator, view.vehicle, position=view.node, on_board=committed, available_s=free_s
    )
