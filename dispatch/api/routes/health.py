"""Operations: readiness and Prometheus metrics."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from ..schemas import HealthOut
from ..state import ServiceState

router = APIRouter(tags=["operations"])


@router.get("/health", response_model=HealthOut, responses={503: {"model": HealthOut}})
def health(request: Request) -> Response:
    """Ready (200) once the graph, the model and the store are loaded; 503 before."""
    state: ServiceState = request.app.state.service
    service = state.loaded()
    if service is None:
        return JSONResponse(HealthOut(status="loading").model_dump(), status_code=503)
    body = HealthOut(
        status="ready",
        graph=Path(str(service.graph.metadata.get("source"))).name,
        nodes=service.graph.n_nodes,
        model_version=state.live.version,
    )
    return JSONResponse(body.model_dump())


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Request counts and latency per endpoint, solver time and the rolling ETA error."""
    state: ServiceState = request.app.state.service
    return Response(state.metrics.exposition(), media_type=state.metrics.content_type)
