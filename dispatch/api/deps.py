"""Dependencies of the routes: the loaded service and the ETA batcher."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from .batching import EtaBatcher
from .errors import ApiError, FieldError
from .state import LoadedService, ServiceState


def loaded_service(request: Request) -> LoadedService:
    """The loaded service; 503 while the graph, model or store are not loaded."""
    state: ServiceState = request.app.state.service
    service = state.loaded()
    if service is None:
        raise ApiError(503, [FieldError(None, "the service is loading the graph and the model")])
    return service


ServiceDep = Annotated[LoadedService, Depends(loaded_service)]


def get_batcher(request: Request) -> EtaBatcher:
    """The app's ETA batcher."""
    batcher: EtaBatcher = request.app.state.eta_batcher
    return batcher
