"""Property-based fuzzing of the OpenAPI schema (schemathesis): no input produces a 5xx.

Every operation gets valid and invalid bodies, paths, queries and headers generated from
the app's own OpenAPI document, against the real app on a real SQLite store, sent with
the API key of each role (the admin, allowed everything, gets the most examples). The
number of examples is bounded so the suite stays quick, and the generation is
deterministic.
(schemathesis' own pytest loader does not run under pytest 9 yet, so the operations are
parametrized here and their strategies drawn with Hypothesis directly.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from dispatch.api import ServiceSettings, create_app
from dispatch.api.identity import Role

from .helpers import bearer, new_key

EXAMPLES_PER_OPERATION = {Role.ADMIN: 30, Role.DISPATCHER: 8, Role.DRIVER: 8, Role.ANALYST: 8}
# Each ETA worker loads and compiles the model on its first batch: from a cold cache on a
# loaded machine that alone can pass schemathesis' default 10 s read timeout.
READ_TIMEOUT_S = 120
OPERATIONS = sorted(
    f"{method.upper()} {path}"
    for path, methods in create_app(ServiceSettings()).openapi()["paths"].items()
    for method in methods
)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Iterator[FastAPI]:
    """A loaded app on a fresh store, its ETAs answered by workers."""
    folder = tmp_path_factory.mktemp("fuzz")
    app = create_app(
        ServiceSettings(
            model=str(model_dir),
            db=f"sqlite:///{folder / 'dispatch.sqlite'}",
            models_dir=str(folder / "models"),
        )
    )
    app.state.service.load()  # what the lifespan does; the ASGI transport skips it
    yield app
    app.state.service.close()


@pytest.fixture(scope="module")
def role_keys(fuzz_app: FastAPI) -> dict[Role, str]:
    """An API key of each role (the driver's bound to van-1) in the app's store."""
    store = fuzz_app.state.service.store
    return {role: new_key(store, role, "van-1" if role is Role.DRIVER else None) for role in Role}


@pytest.fixture(scope="module")
def api_schema(fuzz_app: FastAPI, role_keys: dict[Role, str]) -> schemathesis.schemas.BaseSchema:
    """The app's OpenAPI schema, read with the admin's key."""
    return schemathesis.openapi.from_asgi(
        "/openapi.json", fuzz_app, headers=bearer(role_keys[Role.ADMIN])
    )


def test_every_operation_is_fuzzed(api_schema: schemathesis.schemas.BaseSchema) -> None:
    """The parametrization below covers every operation of the served schema."""
    served = sorted(
        f"{op.ok().method.upper()} {op.ok().path}" for op in api_schema.get_all_operations()
    )
    assert served == OPERATIONS


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("label", OPERATIONS)
def test_no_input_makes_a_server_error(
    api_schema: schemathesis.schemas.BaseSchema,
    role_keys: dict[Role, str],
    label: str,
    role: Role,
) -> None:
    """Whatever the schema allows or forbids, and whoever sends it, the answer is never a 5xx."""
    headers = bearer(role_keys[role])
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=EXAMPLES_PER_OPERATION[role],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def check(case: schemathesis.Case) -> None:
        response = case.call(headers=headers, timeout=READ_TIMEOUT_S)
        case.validate_response(response, checks=[not_a_server_error])

    check()
