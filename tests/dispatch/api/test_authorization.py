"""Authorization: every endpoint x every role x no credential, against the policy table;
the README's table is the policy's; drivers act only on their own vehicle and trips."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from dispatch.api import ServiceSettings, create_app
from dispatch.api.identity import Role
from dispatch.api.policy import DRIVER, RULES, markdown_table, policy

from .helpers import PAST_DAY_WINDOW, errors_of, grant, started, trip, vehicle

README = Path(__file__).parents[3] / "README.md"
POLICY = policy(ServiceSettings())
ENDPOINTS = sorted(POLICY, key=lambda e: (e[1], e[0]))
# path parameters: the driver's own vehicle, and a trip the plan assigns to it
FILLERS = {"vehicle_id": "van-1", "trip_id": "trip-1"}
# a DELETE (no body to make invalid) names objects that do not exist, so nothing changes
DELETE_FILLERS = {"vehicle_id": "van-gone", "trip_id": "trip-gone"}


def _routes(settings: ServiceSettings) -> set[tuple[str, str]]:
    """(method, path) of every API route, those of included routers with their prefix."""
    found: set[tuple[str, str]] = set()
    for route in create_app(settings).routes:
        # FastAPI >= 0.165 wraps an included router; its contexts are the routes it serves
        contexts = getattr(route, "effective_route_contexts", None)
        served = list(contexts()) if contexts else [route] if isinstance(route, APIRoute) else []
        found |= {(m, r.path) for r in served for m in r.methods}
    return found


def test_every_route_and_every_documented_operation_has_a_rule() -> None:
    """The policy names exactly the app's routes, so a new endpoint without a rule fails."""
    settings = ServiceSettings()
    assert _routes(settings) == set(POLICY)
    documented = create_app(settings).openapi()["paths"]
    operations = {(m.upper(), p) for p, methods in documented.items() for m in methods}
    assert operations <= set(POLICY)


def test_readme_table_is_the_policy_table() -> None:
    """The README lists every endpoint with its roles, as the policy table writes it."""
    assert markdown_table() in README.read_text()


def test_driver_rules_name_an_object_of_the_driver() -> None:
    """Every endpoint open to drivers has a vehicle or trip in its path, to check it is theirs."""
    for (_method, path), rule in RULES.items():
        if DRIVER in rule.roles:
            assert re.search(r"\{(vehicle_id|trip_id)\}", path), path


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Iterator[TestClient]:
    """A started app (admin key by default) with van-1 carrying trip-1 in the current plan,
    and van-2 registered after the plan, with no route."""
    folder = tmp_path_factory.mktemp("authorization")
    settings = ServiceSettings(
        model=str(model_dir),
        db=f"sqlite:///{folder / 'dispatch.sqlite'}",
        models_dir=str(folder / "models"),
        eta_workers=0,
        **PAST_DAY_WINDOW,
    )
    with started(settings) as client:
        assert client.put("/v1/vehicles/van-1", json=vehicle()).status_code == 201
        assert client.post("/v1/trips", json=trip("trip-1")).status_code == 201
        assert client.post("/v1/plan", json={"time_limit_s": 1}).status_code == 201
        assert client.put("/v1/vehicles/van-2", json=vehicle("van-2")).status_code == 201
        yield client


@pytest.fixture(scope="module")
def role_headers(app_client: TestClient) -> dict[Role, dict[str, str]]:
    """Headers with a key of each role; the driver's is bound to van-1."""
    app = app_client.app
    return {
        role: grant(app, role, "van-1" if role is Role.DRIVER else None)  # type: ignore[arg-type]
        for role in Role
    }


def _call(
    client: TestClient, method: str, path: str, headers: dict[str, str]
) -> tuple[int, dict[str, str]]:
    """Call an endpoint with its path filled; bodies are invalid (``[]``) and deletions name
    unknown objects, so nothing changes."""
    url = path.format(**(DELETE_FILLERS if method == "DELETE" else FILLERS))
    body = [] if method in {"POST", "PUT"} else None
    response = client.request(method, url, json=body, headers=headers)
    assert response.status_code < 500, response.text
    return response.status_code, dict(response.headers)


@pytest.mark.parametrize("role", [*Role, None], ids=[*Role, "no-credential"])
@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_authorization_matrix(
    app_client: TestClient,
    role_headers: dict[Role, dict[str, str]],
    method: str,
    path: str,
    role: Role | None,
) -> None:
    """Each role gets through where the policy allows it and 403 elsewhere; no credential
    gets 401 with a Bearer challenge, except on public endpoints."""
    rule = POLICY[(method, path)]
    headers = {"Authorization": ""} if role is None else role_headers[role]
    status, answer = _call(app_client, method, path, headers)
    if rule.public:
        assert status not in {401, 403}
    elif role is None:
        assert status == 401
        assert answer["www-authenticate"] == "Bearer"
    elif role in rule.roles:
        assert status not in {401, 403}, (method, path, role, status)
    else:
        assert status == 403, (method, path, role, status)


def test_driver_is_bound_to_its_vehicle_and_trips(
    app_client: TestClient, role_headers: dict[Role, dict[str, str]]
) -> None:
    """A driver of van-1 reports its position and reads its manifest (trip-1 on it); another
    vehicle, or a trip not assigned to it, is 403 naming why."""
    driver = role_headers[Role.DRIVER]
    report = {"lat": 39.2950, "lon": -76.6000, "at": "2026-03-02T08:40:00-05:00"}
    own = app_client.post("/v1/vehicles/van-1/position", json=report, headers=driver)
    assert own.status_code == 200, own.text
    manifest = app_client.get("/v1/vehicles/van-1/manifest", headers=driver)
    assert manifest.status_code == 200, manifest.text
    riders = {s["request_id"] for s in manifest.json()["stops"]} - {None}  # None: the depot
    assert riders == {"trip-1"}
    other = app_client.post("/v1/vehicles/van-2/position", json=report, headers=driver)
    assert other.status_code == 403
    assert "may not act on vehicle 'van-2'" in errors_of(other)[0]["reason"]
    admin = role_headers[Role.ADMIN]
    assert app_client.post("/v1/trips", json=trip("trip-9"), headers=admin).status_code == 201
    event = {"kind": "picked_up", "at": "2026-03-02T09:00:00-05:00"}
    foreign = app_client.post("/v1/trips/trip-9/events", json=event, headers=driver)
    assert foreign.status_code == 403
    assert "not assigned to vehicle 'van-1'" in errors_of(foreign)[0]["reason"]


def test_errors_name_the_reason(
    app_client: TestClient, role_headers: dict[Role, dict[str, str]]
) -> None:
    """401 and 403 bodies are the service's JSON errors, naming what is missing or refused."""
    missing = app_client.get("/v1/plan", headers={"Authorization": ""})
    assert "no credential" in errors_of(missing)[0]["reason"]
    forged = app_client.get("/v1/plan", headers={"Authorization": "Bearer nemt_00_forged"})
    assert forged.status_code == 401
    assert forged.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    refused = app_client.get("/v1/plan", headers=role_headers[Role.ANALYST])
    assert "the role analyst may not GET /v1/plan" in errors_of(refused)[0]["reason"]


def test_model_status_shows_no_server_path(app_client: TestClient, model_dir: Path) -> None:
    """The model status and the public /health name no folder of the server."""
    model = app_client.get("/v1/model")
    assert str(model_dir) not in model.text
    assert model.json()["source"] == model_dir.name
    assert "/" not in app_client.get("/health").json()["graph"]
