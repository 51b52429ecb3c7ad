"""The FastAPI application: ``create_app(settings)`` wires state, routes, errors, metrics
and the audit log.

Start-up (the lifespan) loads the graph, the model and the store once and warms the numba
kernels, in a worker thread; ``/health`` answers 503 until then. There is no module-level
app: ``dispatch serve`` builds it from its flags and environment, and one process serves
it (the live plan and the model monitor are held in memory).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import Depends, FastAPI

from .api_keys import RecentKeys
from .audit import AuditMiddleware
from .authorization import authorize
from .batching import EtaBatcher
from .body_limit import BodyLimitMiddleware
from .errors import install_error_handlers
from .metrics import MetricsMiddleware
from .oidc import OidcVerifier
from .policy import policy
from .rate_limit import RateLimitMiddleware
from .routes import audit, docs, fleet, health, model, plan, stateless, trips
from .settings import ServiceSettings
from .state import ServiceState

DESCRIPTION = """\
Dispatch engine for non-emergency medical transport over HTTP: learned ETAs on an
OpenStreetMap road graph, on-demand matching and day scheduling with OR-Tools, a durable
store of trips, outcomes that feed the model monitor, and retraining.

Every endpoint but `/health` needs `Authorization: Bearer <credential>`: an API key
(`dispatch keys create`) or an OIDC access token. Errors are JSON, `{"errors": [{"field":
"...", "reason": "..."}]}`: 401 without a valid credential, 403 for a role that may not,
422 for invalid input, 404 for unknown ids, 409 for state conflicts, 413 for a body over
the size limit, 429 over a credential's rate limit and 503 while the solvers are busy (both
with `Retry-After`), 500 with a request id for an internal failure. Every response
carries its request id in `X-Request-ID`; writes and reads of patient data are audited
(`GET /v1/audit`).
"""


def create_app(
    settings: ServiceSettings | None = None, state: ServiceState | None = None
) -> FastAPI:
    """The service for ``settings`` (default: from the environment).

    ``state`` may be given already loaded (``dispatch serve`` loads before listening so a
    bad map or model fails at once); otherwise the lifespan loads it. Every route is
    behind :func:`~.authorization.authorize`; ValueError for an unreadable JWKS file or a
    bad access setting.
    """
    settings = settings or ServiceSettings.from_env()
    service = state or ServiceState(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(service.load)
        try:
            yield
        finally:
            service.close()

    app = FastAPI(
        title="NEMT dispatch",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served by routes.docs, behind the policy
        dependencies=[Depends(authorize)],
    )
    app.state.policy = policy(settings)
    app.state.oidc = _verifier(settings)
    app.state.recent_keys = RecentKeys()
    app.state.service = service
    app.state.eta_batcher = EtaBatcher(service)
    install_error_handlers(app)
    for module in (health, stateless, trips, fleet, plan, model, audit, docs):
        app.include_router(module.router)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.rate_limit:
        app.add_middleware(RateLimitMiddleware, rate=settings.rate_limit)
    app.add_middleware(MetricsMiddleware, metrics=service.metrics)
    app.add_middleware(AuditMiddleware, service=service)
    return app


def _verifier(settings: ServiceSettings) -> OidcVerifier | None:
    if not (settings.oidc_issuer and settings.oidc_audience and settings.oidc_jwks):
        return None
    return OidcVerifier(
        issuer=settings.oidc_issuer,
        audience=settings.oidc_audience,
        jwks=settings.oidc_jwks,
        role_claim=settings.oidc_role_claim,
        vehicle_claim=settings.oidc_vehicle_claim,
    )
