"""The dispatch service: an HTTP API (FastAPI) over a durable store.

``create_app(settings)`` builds the app; ``dispatch serve`` runs it with uvicorn.
"""

from .app import create_app
from .settings import ServiceSettings
from .state import ServiceState

__all__ = ["ServiceSettings", "ServiceState", "create_app"]
