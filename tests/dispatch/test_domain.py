"""Domain types: field validation naming the field, vehicle space, cross-object checks, JSON."""

from __future__ import annotations

import itertools
import math
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from pydantic import BaseModel, ValidationError

import routing
from dispatch.domain import (
    RECONFIGURABLE_VAN,
    SEDAN,
    STANDARD_TYPES,
    STRETCHER_VAN,
    WHEELCHAIR_VAN,
    Location,
    Mobility,
    RideTimeRule,
    Route,
    SpaceLimit,
    Stop,
    StopKind,
    TripRequest,
    UnassignedReason,
    UnassignedTrip,
    Vehicle,
    VehicleType,
    capacity_dimensions,
    check_on_map,
    validate_requests,
)
from dispatch.exceptions import DomainError

AMB, WC, STR = Mobility.AMBULATORY, Mobility.WHEELCHAIR, Mobility.STRETCHER
EST = timezone(timedelta(hours=-5))
T0 = datetime(2025, 3, 4, 8, 0, tzinfo=EST)
HOME = Location(lat=39.2904, lon=-76.6122, name="home")
CLINIC = Location(lat=39.2970, lon=-76.5930, name="clinic")
ATLANTIC = Location(lat=36.0, lon=-70.0)


def make_request(**overrides: Any) -> TripRequest:
    """A valid arrive-by ambulatory trip, with ``overrides`` applied (None drops a field)."""
    fields: dict[str, Any] = {
        "id": "r1",
        "rider_id": "p1",
        "pickup": HOME,
        "dropoff": CLINIC,
        "mobility": AMB,
        "appointment_at": T0 + timedelta(hours=1),
    }
    fields.update(overrides)
    return TripRequest(**{k: v for k, v in fields.items() if v is not None})


def make_vehicle(**overrides: Any) -> Vehicle:
    """A valid wheelchair van on an 8-hour shift, with ``overrides`` applied."""
    fields: dict[str, Any] = {
        "id": "v1",
        "type": WHEELCHAIR_VAN,
        "depot": HOME,
        "shift_start": T0,
        "shift_end": T0 + timedelta(hours=8),
    }
    fields.update(overrides)
    return Vehicle(**fields)


def make_stop(**overrides: Any) -> Stop:
    """A valid pickup stop at ``T0``, with ``overrides`` applied."""
    fields: dict[str, Any] = {
        "request_id": "r1",
        "kind": StopKind.PICKUP,
        "location": HOME,
        "planned_arrival": T0,
        "planned_start": T0 + timedelta(minutes=2),
        "p90_arrival": T0 + timedelta(minutes=5),
        "load_after": {"seats": 1},
    }
    fields.update(overrides)
    return Stop(**fields)


def errors_of(exc: ValidationError) -> str:
    """Each error's field path and message, without the echoed input (which names every field)."""
    return " | ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


@pytest.fixture(scope="module")
def default_graph() -> routing.RoadGraph:
    """The embedded Baltimore map, loaded the way a user gets it."""
    return routing.load_graph()


# Field validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("lat", 90.5, "less than or equal to 90"),
        ("lat", math.nan, "finite"),
        ("lon", -180.5, "greater than or equal to -180"),
        ("lon", math.inf, "finite"),
    ],
)
def test_location_rejects_impossible_coordinates(field: str, value: float, reason: str) -> None:
    """Latitudes beyond +-90, longitudes beyond +-180 and non-finite values name the field."""
    with pytest.raises(ValidationError) as exc:
        Location(**{"lat": 39.0, "lon": -76.0, field: value})
    assert f"{field}: " in errors_of(exc.value)
    assert reason in errors_of(exc.value)


@pytest.mark.parametrize(
    "field", ["pickup_window_s", "early_arrival_s", "board_s", "alight_s", "max_ride_s"]
)
def test_request_rejects_negative_durations(field: str) -> None:
    """A negative duration is refused, naming the field."""
    with pytest.raises(ValidationError) as exc:
        make_request(**{field: -1.0})
    assert f"{field}: Input should be greater than" in errors_of(exc.value)


@pytest.mark.parametrize(
    "field", ["pickup_window_s", "early_arrival_s", "board_s", "alight_s", "max_ride_s"]
)
@pytest.mark.parametrize("value", [math.inf, math.nan])
def test_request_rejects_non_finite_durations(field: str, value: float) -> None:
    """An infinite or NaN duration is refused, naming the field."""
    with pytest.raises(ValidationError) as exc:
        make_request(**{field: value})
    assert f"{field}: Input should be a finite number" in errors_of(exc.value)


@pytest.mark.parametrize("field", ["ready_at", "appointment_at"])
def test_request_rejects_naive_datetimes(field: str) -> None:
    """A request time without a time zone is refused, naming the field."""
    naive = datetime(2025, 3, 4, 9, 0)
    other = "appointment_at" if field == "ready_at" else "ready_at"
    with pytest.raises(ValidationError) as exc:
        make_request(**{field: naive, other: None})
    assert f"{field}: Input should have timezone info" in errors_of(exc.value)


@pytest.mark.parametrize("field", ["shift_start", "shift_end", "available_from"])
def test_vehicle_rejects_naive_datetimes(field: str) -> None:
    """A vehicle time without a time zone is refused, naming the field."""
    with pytest.raises(ValidationError) as exc:
        make_vehicle(**{field: datetime(2025, 3, 4, 9, 0)})
    assert f"{field}: Input should have timezone info" in errors_of(exc.value)


def test_request_rejects_both_ready_at_and_appointment_at() -> None:
    """A trip cannot be both ready-by and arrive-by."""
    with pytest.raises(ValidationError) as exc:
        make_request(ready_at=T0)
    assert "exactly one of ready_at (pickup window) or appointment_at" in errors_of(exc.value)
    assert "got both" in errors_of(exc.value)


def test_request_rejects_neither_ready_at_nor_appointment_at() -> None:
    """A trip needs a pickup window or an appointment."""
    with pytest.raises(ValidationError) as exc:
        make_request(appointment_at=None)
    assert "exactly one of ready_at (pickup window) or appointment_at" in errors_of(exc.value)
    assert "got neither" in errors_of(exc.value)


def test_request_rejects_dropoff_at_pickup() -> None:
    """A trip whose dropoff has the pickup's coordinates is refused, even under another name."""
    with pytest.raises(ValidationError) as exc:
        make_request(dropoff=Location(lat=HOME.lat, lon=HOME.lon, name="same door"))
    assert "dropoff is the pickup location" in errors_of(exc.value)


@pytest.mark.parametrize("escorts", [-1, 5])
def test_request_rejects_escorts_out_of_range(escorts: int) -> None:
    """Escorts must be 0 to 4."""
    with pytest.raises(ValidationError) as exc:
        make_request(escorts=escorts)
    assert "escorts: Input should be" in errors_of(exc.value)


@pytest.mark.parametrize("priority", [0, 6])
def test_request_rejects_priority_out_of_range(priority: int) -> None:
    """Priority must be 1 to 5."""
    with pytest.raises(ValidationError) as exc:
        make_request(priority=priority)
    assert "priority: Input should be" in errors_of(exc.value)


def test_request_rejects_return_of_itself() -> None:
    """A trip cannot be the return of itself."""
    with pytest.raises(ValidationError) as exc:
        make_request(return_of="r1")
    assert "return_of names the request itself" in errors_of(exc.value)


def test_request_rejects_unknown_field_and_is_frozen() -> None:
    """Misspelled fields are refused and a request cannot be changed after validation."""
    with pytest.raises(ValidationError) as exc:
        make_request(escort=1)
    assert "escort: Extra inputs are not permitted" in errors_of(exc.value)
    with pytest.raises(ValidationError):
        make_request().escorts = 2  # type: ignore[misc]


def test_vehicle_rejects_shift_end_before_start() -> None:
    """A shift must end after it starts."""
    with pytest.raises(ValidationError) as exc:
        make_vehicle(shift_end=T0 - timedelta(hours=1))
    assert "shift_end" in errors_of(exc.value)
    assert "must be after shift_start" in errors_of(exc.value)


def test_vehicle_rejects_rider_on_board_twice() -> None:
    """The same trip cannot be on board twice."""
    with pytest.raises(ValidationError) as exc:
        make_vehicle(on_board=("r1", "r1"))
    assert "on_board: trip ids appear more than once: ['r1']" in errors_of(exc.value)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"limit": -1}, "limit"),
        ({"usage": {AMB: -1}}, "usage.ambulatory"),
        ({"usage": {"bicycle": 1}}, "usage.bicycle.[key]"),
    ],
)
def test_space_limit_rejects_bad_numbers(kwargs: dict[str, Any], field: str) -> None:
    """Negative limits and usages and unknown mobilities are refused, naming the field."""
    with pytest.raises(ValidationError) as exc:
        SpaceLimit(**{"name": "seats", "limit": 3, "usage": {AMB: 1}, **kwargs})
    assert f"{field}: " in errors_of(exc.value)


def test_vehicle_type_rejects_repeated_limit_names() -> None:
    """Two limits of one type cannot share a name."""
    seats = SpaceLimit(name="seats", limit=3, usage={AMB: 1})
    with pytest.raises(ValidationError) as exc:
        VehicleType(name="odd", limits=(seats, seats))
    assert "limits: names must be unique" in errors_of(exc.value)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": StopKind.DEPOT}, "request_id must be None at a depot stop"),
        ({"request_id": None}, "request_id is required at a pickup stop"),
        ({"planned_start": T0 - timedelta(seconds=1)}, "planned_start"),
        ({"p90_arrival": T0 - timedelta(seconds=1)}, "p90_arrival"),
        ({"load_after": {"seats": -1}}, "load_after.seats"),
    ],
)
def test_stop_rejects_impossible_plans(overrides: dict[str, Any], message: str) -> None:
    """Stops without their request, service before arrival, P90 before median are refused."""
    with pytest.raises(ValidationError) as exc:
        make_stop(**overrides)
    assert message in errors_of(exc.value)


def test_route_rejects_stops_out_of_time_order() -> None:
    """A stop cannot be reached before service at the previous one starts."""
    hour = T0 + timedelta(hours=1)
    later = make_stop(planned_arrival=hour, planned_start=hour, p90_arrival=hour)
    with pytest.raises(ValidationError) as exc:
        Route(vehicle_id="v1", stops=(later, make_stop()))
    assert "stops[1].planned_arrival is before stops[0].planned_start" in errors_of(exc.value)


# Defaults and derived times -----------------------------------------------------------


@pytest.mark.parametrize(
    ("mobility", "board_s", "alight_s"),
    [(AMB, 60.0, 60.0), (WC, 300.0, 240.0), (STR, 600.0, 480.0)],
)
def test_service_times_default_by_mobility(
    mobility: Mobility, board_s: float, alight_s: float
) -> None:
    """Boarding and alighting take 60/60 s walking, 300/240 s by wheelchair, 600/480 s by
    stretcher unless given."""
    request = make_request(mobility=mobility)
    assert (request.board_s, request.alight_s) == (board_s, alight_s)
    given = make_request(mobility=mobility, board_s=30.0, alight_s=0.0)
    assert (given.board_s, given.alight_s) == (30.0, 0.0)


def test_request_defaults() -> None:
    """No escorts, priority 3, not a will-call, no own ride limit, 30 min early arrival."""
    request = make_request()
    assert (request.escorts, request.priority, request.will_call) == (0, 3, False)
    assert request.max_ride_s is None
    assert request.early_arrival_s == 1800.0


def test_windows_of_ready_by_and_arrive_by_trips() -> None:
    """Ready-by: pickup within 15 min of ready_at; arrive-by: dropoff up to 30 min early."""
    arrive_by = make_request()
    assert arrive_by.pickup_window() is None
    assert arrive_by.dropoff_window() == (T0 + timedelta(minutes=30), T0 + timedelta(hours=1))
    ready_by = make_request(appointment_at=None, ready_at=T0, pickup_window_s=600.0)
    assert ready_by.pickup_window() == (T0, T0 + timedelta(minutes=10))
    assert ready_by.dropoff_window() is None


def test_ride_time_rule() -> None:
    """The default limit is 1200 s + 1.5 x direct; a and b are configurable; b < 1 is refused."""
    assert RideTimeRule().limit(600.0) == 2100.0
    assert RideTimeRule(a_s=600.0, b=2.0).limit(300.0) == 1200.0
    with pytest.raises(ValueError, match="direct_s must be finite and >= 0"):
        RideTimeRule().limit(-1.0)
    with pytest.raises(ValidationError) as exc:
        RideTimeRule(b=0.9)
    assert "b: Input should be greater than or equal to 1" in errors_of(exc.value)


def test_request_ride_limit_uses_own_limit_else_rule() -> None:
    """A request's own max_ride_s wins; without it the rule applies to the direct time."""
    assert make_request().ride_limit_s(600.0) == 2100.0
    assert make_request().ride_limit_s(600.0, RideTimeRule(a_s=0.0, b=1.0)) == 600.0
    assert make_request(max_ride_s=900.0).ride_limit_s(600.0) == 900.0


# Vehicle space ------------------------------------------------------------------------


def riders(ambulatory: int = 0, wheelchairs: int = 0, stretchers: int = 0) -> list[Any]:
    """A rider list without escorts."""
    return [(AMB, 0)] * ambulatory + [(WC, 0)] * wheelchairs + [(STR, 0)] * stretchers


@pytest.mark.parametrize(
    ("vtype", "load", "fits"),
    [
        (RECONFIGURABLE_VAN, riders(ambulatory=6), True),
        (RECONFIGURABLE_VAN, riders(ambulatory=2, wheelchairs=2), True),
        (RECONFIGURABLE_VAN, riders(ambulatory=4, wheelchairs=1), True),
        (RECONFIGURABLE_VAN, riders(ambulatory=7), False),
        (RECONFIGURABLE_VAN, riders(wheelchairs=3), False),
        (RECONFIGURABLE_VAN, riders(ambulatory=3, wheelchairs=2), False),
        (RECONFIGURABLE_VAN, riders(stretchers=1), False),
        (SEDAN, riders(ambulatory=3), True),
        (SEDAN, riders(ambulatory=4), False),
        (SEDAN, riders(wheelchairs=1), False),
        (WHEELCHAIR_VAN, riders(ambulatory=4, wheelchairs=2), True),
        (WHEELCHAIR_VAN, riders(ambulatory=5), False),
        (WHEELCHAIR_VAN, riders(wheelchairs=3), False),
        (WHEELCHAIR_VAN, riders(stretchers=1), False),
        (STRETCHER_VAN, riders(ambulatory=1, stretchers=1), True),
        (STRETCHER_VAN, riders(stretchers=2), False),
        (STRETCHER_VAN, riders(ambulatory=2), False),
        (STRETCHER_VAN, riders(wheelchairs=1), False),
        (SEDAN, [], True),
    ],
)
def test_standard_types_carry_the_right_riders(
    vtype: VehicleType, load: list[tuple[Mobility, int]], fits: bool
) -> None:
    """Each standard type fits exactly the rider mixes its seats and positions allow."""
    assert vtype.fits(load) is fits


def test_escorts_take_ambulatory_space() -> None:
    """An escort uses a seat: a stretcher van takes one escort, a sedan a rider and two."""
    assert STRETCHER_VAN.can_carry(STR, escorts=1)
    assert not STRETCHER_VAN.can_carry(STR, escorts=2)
    assert SEDAN.can_carry(AMB, escorts=2)
    assert not SEDAN.can_carry(AMB, escorts=3)
    assert RECONFIGURABLE_VAN.fits([(WC, 2), (WC, 0)])
    assert not RECONFIGURABLE_VAN.fits([(WC, 2), (WC, 1)])
    stretchers_only = VehicleType(
        name="stretchers_only", limits=(SpaceLimit(name="beds", limit=2, usage={STR: 1}),)
    )
    assert stretchers_only.can_carry(STR)
    assert not stretchers_only.can_carry(STR, escorts=1)


def test_usage_by_limit_name() -> None:
    """A wheelchair rider with one escort uses 3 convertible seats and 1 wheelchair position."""
    assert RECONFIGURABLE_VAN.usage(WC, escorts=1) == {
        "convertible_seats": 3,
        "wheelchair_positions": 1,
    }
    assert SEDAN.usage(WC) == {"seats": 0}


def test_capacity_dimensions_of_the_standard_fleet() -> None:
    """One dimension per limit name; lacking types get 0, or a non-binding bound when riders
    they carry use that space."""
    dims = capacity_dimensions(STANDARD_TYPES)
    assert dims.names == ("seats", "wheelchair_positions", "stretchers", "convertible_seats")
    # rows: ambulatory, wheelchair, stretcher
    assert_array_equal(dims.usage, [[1, 0, 0, 1], [0, 1, 0, 2], [0, 0, 1, 0]])
    expected = [
        [3, 0, 0, 3],  # sedan: 3 walking riders use at most 3 convertible seats
        [4, 2, 0, 8],  # wheelchair van: 4 seats + 2 wheelchairs x 2
        [1, 0, 1, 1],  # stretcher van
        [6, 2, 0, 6],  # reconfigurable van: at most 6 walking riders
    ]
    assert_array_equal(dims.limits, expected)
    assert_array_equal(dims.demand(WC, escorts=2), [2, 1, 0, 4])


def test_capacity_dimensions_keep_incompatible_riders_out() -> None:
    """A sedan has 0 wheelchair positions, so a wheelchair rider's demand exceeds its limits."""
    dims = capacity_dimensions([SEDAN, WHEELCHAIR_VAN])
    assert dims.names == ("seats", "wheelchair_positions")
    assert_array_equal(dims.limits, [[3, 0], [4, 2]])
    assert np.any(dims.demand(WC) > dims.limits[0])
    assert np.all(dims.demand(WC) <= dims.limits[1])


@pytest.mark.parametrize("vtype", STANDARD_TYPES, ids=lambda t: t.name)
def test_capacity_dimensions_reproduce_each_types_limits(vtype: VehicleType) -> None:
    """For every mix of riders a type can carry, the dimensions agree with the type's own
    fits()."""
    dims = capacity_dimensions(STANDARD_TYPES)
    row = dims.limits[STANDARD_TYPES.index(vtype)]
    outcomes = set()
    for a, w, s in itertools.product(range(8), range(4), range(3)):
        load = riders(a, w, s)
        if any(not vtype.can_carry(m, e) for m, e in load):
            continue
        total = sum((dims.demand(m, e) for m, e in load), np.zeros(len(dims.names), np.int64))
        assert vtype.fits(load) == bool(np.all(total <= row)), (a, w, s)
        outcomes.add(vtype.fits(load))
    assert outcomes == {True, False}


def test_capacity_dimensions_refuse_one_name_with_two_meanings() -> None:
    """Two types giving the limit 'seats' different usage raise, naming both types."""
    folding = VehicleType(
        name="folding_van",
        limits=(SpaceLimit(name="seats", limit=6, usage={AMB: 1, WC: 2}),),
    )
    with pytest.raises(DomainError, match="limit 'seats'") as exc:
        capacity_dimensions([SEDAN, folding])
    assert "'sedan'" in str(exc.value)
    assert "'folding_van'" in str(exc.value)


def test_capacity_dimensions_one_row_per_vehicle() -> None:
    """Passing one type per vehicle gives the vehicles' capacity matrix."""
    dims = capacity_dimensions([SEDAN, SEDAN, STRETCHER_VAN])
    assert_array_equal(dims.limits, [[3, 0], [3, 0], [1, 1]])
    assert capacity_dimensions([]).limits.shape == (0, 0)


# Cross-object checks ------------------------------------------------------------------


def test_validate_requests_accepts_a_consistent_day() -> None:
    """Outbound and return trips that the fleet can carry pass."""
    outbound = make_request(mobility=WC, escorts=1)
    back = make_request(
        id="r2",
        pickup=CLINIC,
        dropoff=HOME,
        mobility=WC,
        appointment_at=None,
        ready_at=T0 + timedelta(hours=2),
        return_of="r1",
        will_call=True,
    )
    validate_requests([outbound, back], [SEDAN, WHEELCHAIR_VAN])


@pytest.mark.parametrize(
    ("request_", "needle"),
    [
        (make_request(id="r9", mobility=STR), "request 'r9': mobility=stretcher with escorts=0"),
        (make_request(id="r9", escorts=4), "request 'r9': mobility=ambulatory with escorts=4"),
    ],
)
def test_validate_requests_refuses_space_no_type_has(request_: TripRequest, needle: str) -> None:
    """A stretcher (or a walking rider with 4 escorts) in a fleet of sedans and wheelchair vans
    is refused."""
    with pytest.raises(DomainError, match="is a space need no vehicle type has") as exc:
        validate_requests([request_], [SEDAN, WHEELCHAIR_VAN])
    assert needle in str(exc.value)


def test_validate_requests_refuses_duplicate_ids() -> None:
    """Two requests with one id are refused."""
    with pytest.raises(DomainError, match="request 'r1': id appears 2 times"):
        validate_requests([make_request(), make_request(rider_id="p2")], [SEDAN])


def test_validate_requests_refuses_return_without_outbound() -> None:
    """A return trip whose outbound is not in the batch is refused, naming return_of."""
    back = make_request(id="r2", return_of="r7")
    with pytest.raises(DomainError, match="request 'r2': return_of='r7' names no request"):
        validate_requests([make_request(), back], [SEDAN])


def test_validate_requests_refuses_return_before_outbound() -> None:
    """A return ready before the outbound's appointment is refused, naming ready_at."""
    back = make_request(
        id="r2",
        pickup=CLINIC,
        dropoff=HOME,
        appointment_at=None,
        ready_at=T0 + timedelta(minutes=30),
        return_of="r1",
    )
    with pytest.raises(DomainError, match="request 'r2': ready_at") as exc:
        validate_requests([make_request(), back], [SEDAN])
    assert "before the appointment_at" in str(exc.value)


def test_validate_requests_reports_every_problem() -> None:
    """All problems of a batch come in one error, so none is lost."""
    requests = [make_request(mobility=STR), make_request(id="r2", return_of="r8")]
    with pytest.raises(DomainError) as exc:
        validate_requests(requests, [SEDAN])
    assert "request 'r1'" in str(exc.value)
    assert "request 'r2'" in str(exc.value)


def test_check_on_map_accepts_places_on_the_default_map(default_graph: routing.RoadGraph) -> None:
    """Baltimore addresses and depots snap to the embedded map."""
    check_on_map([make_request(), make_vehicle(position=CLINIC)], default_graph)
    check_on_map([], default_graph)


def test_check_on_map_refuses_a_pickup_in_the_atlantic(default_graph: routing.RoadGraph) -> None:
    """A pickup in the ocean is refused naming the request and the field."""
    with pytest.raises(DomainError, match="request 'r1': pickup") as exc:
        check_on_map([make_request(pickup=ATLANTIC)], default_graph)
    assert "from the road network (limit 500 m)" in str(exc.value)
    assert "dropoff" not in str(exc.value)


def test_check_on_map_refuses_a_depot_off_the_map(default_graph: routing.RoadGraph) -> None:
    """A vehicle depot off the map is refused naming the vehicle and the field."""
    with pytest.raises(DomainError, match="vehicle 'v1': depot"):
        check_on_map([make_request(), make_vehicle(depot=ATLANTIC)], default_graph)


def test_check_on_map_uses_the_snap_limit(default_graph: routing.RoadGraph) -> None:
    """A dropoff ~1 km off the network passes a 5 km limit and fails a 100 m one."""
    node_lat, node_lon = float(default_graph.lat[0]), float(default_graph.lon[0])
    lat_min = float(np.min(default_graph.lat))
    away = Location(lat=lat_min - 0.01, lon=node_lon)  # ~1.1 km south of the southmost node
    request = make_request(pickup=Location(lat=node_lat, lon=node_lon), dropoff=away)
    check_on_map([request], default_graph, max_snap_m=5000.0)
    with pytest.raises(DomainError, match="request 'r1': dropoff"):
        check_on_map([request], default_graph, max_snap_m=100.0)


# JSON ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        HOME,
        RECONFIGURABLE_VAN,
        make_vehicle(position=CLINIC, on_board=("r1",), available_from=T0),
        make_request(mobility=WC, escorts=2, max_ride_s=3600.0, priority=1),
        make_request(appointment_at=None, ready_at=T0, return_of="r0", will_call=True),
        RideTimeRule(a_s=600.0, b=2.0),
        Route(
            vehicle_id="v1",
            stops=(
                make_stop(),
                make_stop(
                    kind=StopKind.DROPOFF,
                    location=CLINIC,
                    planned_arrival=T0 + timedelta(minutes=20),
                    planned_start=T0 + timedelta(minutes=21),
                    p90_arrival=T0 + timedelta(minutes=30),
                    load_after={"seats": 0},
                ),
            ),
        ),
        UnassignedTrip(
            request_id="r1", reason=UnassignedReason.WINDOW_UNREACHABLE, detail="23 min late"
        ),
    ],
    ids=lambda m: type(m).__name__,
)
def test_models_round_trip_through_json(model: BaseModel) -> None:
    """Every domain model survives model_dump_json / model_validate_json unchanged."""
    again = type(model).model_validate_json(model.model_dump_json())
    assert again == model
    assert again.model_dump_json() == model.model_dump_json()


def test_unassigned_reasons_are_machine_readable() -> None:
    """The reasons are the documented snake_case strings."""
    assert [r.value for r in UnassignedReason] == [
        "no_compatible_vehicle",
        "window_unreachable",
        "no_capacity_in_time",
        "ride_time_impossible",
        "outcompeted",
        "budget_exhausted",
    ]
