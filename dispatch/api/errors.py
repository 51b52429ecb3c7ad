"""Errors as JSON naming the field and the reason; the only module that maps errors to HTTP.

Every error body is ``{"errors": [{"field": "requests.0.pickup", "reason": "..."}]}``:
401 without a valid credential (with ``WWW-Authenticate: Bearer``), 403 for a role that
may not do it, 422 for invalid input (request validation, domain rules, points off the
map, numbers out of range, any other :class:`~dispatch.exceptions.DispatchError`), 404 for
unknown ids, 409 for state conflicts, 413 for a body over the limit, 429 over a client's
rate limit, 503 while the service loads, the store is unavailable or the solvers are busy
(with ``Retry-After``), and 500 with a request id, its traceback logged under that id, for
a crashed solver or any unexpected error.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from ..exceptions import (
    DispatchError,
    DomainError,
    DuplicateTripError,
    IdempotencyMismatchError,
    NoVehiclesError,
    OffMapError,
    SolverBusyError,
    SolverCrashedError,
    StoreError,
    TripInputError,
    TripNotFoundError,
    TripStateError,
    VehicleNotFoundError,
)
from .request_ids import HEADER, request_id

LOG = logging.getLogger("dispatch.api")


@dataclass(frozen=True)
class FieldError:
    """One problem: the dotted path of the field (None for the whole request) and why."""

    field: str | None
    reason: str


class ApiError(Exception):
    """An error with its HTTP status and the field errors to report."""

    def __init__(
        self,
        status: int,
        errors: Sequence[FieldError],
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__("; ".join(e.reason for e in errors))
        self.status = status
        self.errors = list(errors)
        self.headers = dict(headers or {})


def unauthenticated(reason: str, *, invalid_token: bool = False) -> ApiError:
    """401: no credential, or one that is not valid (RFC 6750's ``WWW-Authenticate``)."""
    challenge = 'Bearer error="invalid_token"' if invalid_token else "Bearer"
    headers = {"WWW-Authenticate": challenge}
    return ApiError(401, [FieldError("header.Authorization", reason)], headers)


def forbidden(reason: str) -> ApiError:
    """403: the caller is known, and may not do this."""
    return ApiError(403, [FieldError(None, reason)])


def invalid(field: str | None, reason: str) -> ApiError:
    """422: the input is invalid."""
    return ApiError(422, [FieldError(field, reason)])


def not_found(field: str, reason: str) -> ApiError:
    """404: an unknown id."""
    return ApiError(404, [FieldError(field, reason)])


def conflict(field: str | None, reason: str) -> ApiError:
    """409: the request conflicts with the current state."""
    return ApiError(409, [FieldError(field, reason)])


def error_body(errors: Sequence[FieldError]) -> dict[str, list[dict[str, str | None]]]:
    """The JSON body of an error response."""
    return {"errors": [{"field": e.field, "reason": e.reason} for e in errors]}


def _response(
    status: int, errors: Sequence[FieldError], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(errors), status_code=status, headers=headers)


def _dotted(loc: Sequence[int | str]) -> str | None:
    """``("body", "items", 0, "origin")`` -> ``items.0.origin``; other sources keep a prefix."""
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or None


def _location(error: dict[str, object]) -> tuple[int | str, ...]:
    loc = error.get("loc", ())
    return tuple(loc) if isinstance(loc, (list, tuple)) else ()


def validation_errors(errors: Sequence[dict[str, object]]) -> list[FieldError]:
    """Field errors from pydantic's error list, without the consequences of another error
    (defaults left uncomputed, a list too short once its bad items are dropped)."""
    out = []
    locations = [_location(e) for e in errors]
    for error, loc_key in zip(errors, locations, strict=True):
        if error.get("type") == "default_factory_not_called":
            continue
        inner = [
            loc for loc in locations if len(loc) > len(loc_key) and loc[: len(loc_key)] == loc_key
        ]
        if error.get("type") == "too_short" and inner:
            continue
        if error.get("type") == "json_invalid":
            ctx = error.get("ctx")
            detail = ctx.get("error") if isinstance(ctx, dict) else None
            out.append(FieldError(None, f"the body is not valid JSON ({detail or 'unparseable'})"))
            continue
        path = _dotted(loc_key)
        out.append(FieldError(path, str(error.get("msg", "invalid value"))))
    return out


async def _on_api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return _response(exc.status, exc.errors, exc.headers)


async def _on_request_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _response(422, validation_errors(list(exc.errors())))


async def _on_pydantic_validation(_request: Request, exc: Exception) -> JSONResponse:
    # a domain object built inside a handler from valid parts that are impossible together
    assert isinstance(exc, ValidationError)
    return _response(422, validation_errors(list(exc.errors())))  # type: ignore[arg-type]


async def _on_domain_error(_request: Request, exc: Exception) -> JSONResponse:
    return _response(422, [FieldError("requests", str(exc))])


async def _on_dispatch_error(_request: Request, exc: Exception) -> JSONResponse:
    return _response(422, [FieldError(None, str(exc))])


async def _on_store_error(_request: Request, exc: Exception) -> JSONResponse:
    return _response(503, [FieldError(None, f"the store is unavailable ({exc})")])


async def _on_overflow(_request: Request, exc: Exception) -> JSONResponse:
    reason = f"a time or duration is out of the representable range ({exc})"
    return _response(422, [FieldError(None, reason)])


async def _on_duplicate(_request: Request, exc: Exception) -> JSONResponse:
    return _response(409, [FieldError("id", str(exc))])


async def _on_key_reuse(_request: Request, exc: Exception) -> JSONResponse:
    return _response(422, [FieldError("header.Idempotency-Key", str(exc))])


async def _on_off_map(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OffMapError)
    return _response(422, [FieldError(field, reason) for field, reason in exc.places])


async def _on_trip_input(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TripInputError)
    return _response(422, [FieldError(exc.field, str(exc))])


async def _on_unknown_trip(_request: Request, exc: Exception) -> JSONResponse:
    return _response(404, [FieldError("trip_id", str(exc))])


async def _on_unknown_vehicle(_request: Request, exc: Exception) -> JSONResponse:
    return _response(404, [FieldError("vehicle_id", str(exc))])


async def _on_trip_state(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TripStateError)
    return _response(409, [FieldError(exc.field, str(exc))])


async def _on_no_vehicles(_request: Request, exc: Exception) -> JSONResponse:
    return _response(409, [FieldError(None, f"{exc}: PUT /v1/vehicles/{{id}} first")])


async def _on_solver_busy(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SolverBusyError)
    response = _response(503, [FieldError(None, str(exc))])
    response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


async def _on_solver_crash(request: Request, exc: Exception) -> JSONResponse:
    return _internal(request, exc, f"{exc}; the service runs on: retry")


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    return _internal(request, exc, "an internal error")


def _internal(request: Request, exc: Exception, reason: str) -> JSONResponse:
    """500 naming the request's id (also in its ``X-Request-ID`` header); the traceback goes
    to the server's log under that id."""
    rid = request_id(request.scope)
    LOG.error("request %s: %s %s failed", rid, request.method, request.url.path, exc_info=exc)
    headers = {HEADER: rid}
    return _response(500, [FieldError(None, f"{reason} (request id {rid})")], headers)


def install_error_handlers(app: FastAPI) -> None:
    """Map every expected error to its JSON response."""
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(ValidationError, _on_pydantic_validation)
    app.add_exception_handler(DispatchError, _on_dispatch_error)
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(StoreError, _on_store_error)
    app.add_exception_handler(OverflowError, _on_overflow)
    app.add_exception_handler(DuplicateTripError, _on_duplicate)
    app.add_exception_handler(IdempotencyMismatchError, _on_key_reuse)
    app.add_exception_handler(OffMapError, _on_off_map)
    app.add_exception_handler(TripInputError, _on_trip_input)
    app.add_exception_handler(TripNotFoundError, _on_unknown_trip)
    app.add_exception_handler(VehicleNotFoundError, _on_unknown_vehicle)
    app.add_exception_handler(TripStateError, _on_trip_state)
    app.add_exception_handler(NoVehiclesError, _on_no_vehicles)
    app.add_exception_handler(SolverBusyError, _on_solver_busy)
    app.add_exception_handler(SolverCrashedError, _on_solver_crash)
    app.add_exception_handler(Exception, _on_unexpected)
