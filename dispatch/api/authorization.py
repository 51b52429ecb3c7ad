"""Authentication and authorization of every request, in one app-wide dependency.

The matched route's method and path template select the rule of :mod:`.policy`; an
endpoint without one is refused (403) to everyone. A credential is a bearer token: an API
key (:mod:`.api_keys`, looked up in the store) or, when OIDC is configured, an access
token (:mod:`.oidc`). A key verified within the last second is trusted without the store
(:class:`~.api_keys.RecentKeys`), so the hot path never leaves the event loop; every
other check runs in a worker thread. No credential or an invalid one: 401 with
``WWW-Authenticate``; a role the rule does not list: 403. A driver acts only on its own
vehicle (the path's ``{vehicle_id}``) and on the trips the current plan assigns to that
vehicle (``{trip_id}``).
"""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .api_keys import RecentKeys, is_api_key, verify_key
from .deps import loaded_service
from .errors import ApiError, FieldError, forbidden, unauthenticated
from .identity import Principal, Role
from .oidc import OidcVerifier, TokenError
from .planning import planned_stops
from .policy import Endpoint, Rule
from .state import LoadedService

bearer = HTTPBearer(
    auto_error=False,
    description="An API key (`dispatch keys create`) or, when OIDC is configured, an access "
    "token of the configured issuer.",
)


def _endpoint(request: Request) -> Endpoint:
    route = request.scope.get("route")
    path = route.path if isinstance(route, APIRoute) else request.url.path
    method = "GET" if request.method == "HEAD" else request.method
    return method, path


def _rule(request: Request) -> Rule:
    method, path = _endpoint(request)
    rules: dict[Endpoint, Rule] = request.app.state.policy
    rule = rules.get((method, path))
    if rule is None:
        raise forbidden(f"{method} {path} has no access rule: it is refused to everyone")
    if not rule.roles and not rule.public:
        raise ApiError(404, [FieldError(None, f"{path} is off ({rule.setting}=off)")])
    return rule


async def _authenticate(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    if credentials is None:
        raise unauthenticated(
            "no credential: send `Authorization: Bearer <API key or access token>`"
        )
    token = credentials.credentials
    if is_api_key(token):
        recent: RecentKeys = request.app.state.recent_keys
        store = loaded_service(request).store
        principal = await recent.principal(
            token, lambda: anyio.to_thread.run_sync(verify_key, store, token)
        )
        if principal is None:
            raise unauthenticated("the API key is unknown or revoked", invalid_token=True)
        return principal
    verifier: OidcVerifier | None = request.app.state.oidc
    if verifier is None:
        raise unauthenticated("the credential is not an API key", invalid_token=True)
    try:
        return await anyio.to_thread.run_sync(verifier.verify, token)
    except TokenError as exc:
        raise unauthenticated(str(exc), invalid_token=True) from None


def _check_own(service: LoadedService, principal: Principal, params: dict[str, str]) -> None:
    """Refuse a driver anything but its own vehicle and the trips assigned to it."""
    own = principal.vehicle_id
    vehicle_id, trip_id = params.get("vehicle_id"), params.get("trip_id")
    if vehicle_id is not None and vehicle_id != own:
        raise forbidden(f"a driver of vehicle {own!r} may not act on vehicle {vehicle_id!r}")
    if trip_id is not None:
        latest = service.store.latest_plan()
        planned = planned_stops(None if latest is None else latest.plan, trip_id)
        if planned is None or planned["vehicle_id"] != own:
            msg = f"trip {trip_id!r} is not assigned to vehicle {own!r} in the current plan"
            raise forbidden(msg)
    if vehicle_id is None and trip_id is None:
        raise forbidden("a driver may act only on its own vehicle and its trips")


async def authorize(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal | None:
    """The caller, allowed by the endpoint's rule (None on a public endpoint)."""
    rule = _rule(request)
    if rule.public:
        return None
    principal = await _authenticate(request, credentials)
    request.state.principal = principal  # known, even if refused: the audit log names it
    method, path = _endpoint(request)
    if principal.role not in rule.roles:
        allowed = ", ".join(sorted(rule.roles))
        raise forbidden(f"the role {principal.role} may not {method} {path} (allowed: {allowed})")
    if principal.role is Role.DRIVER:
        service, params = loaded_service(request), dict(request.path_params)
        await anyio.to_thread.run_sync(_check_own, service, principal, params)
    return principal
