"""The dispatch service: an HTTP API (FastAPI) over a durable store.

``create_app(settings)`` builds the app; ``dispatch serve`` runs it with uvicorn, and
``dispatch db upgrade`` migrates its :class:`Store`.
"""

from .app import create_app
from .settings import ServiceSettings
from .state import ServiceState
from .store import Store

__all__ = ["ServiceSettings", "ServiceState", "Store", "create_app"]
