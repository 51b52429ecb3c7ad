"""Per-credential rate limits (the ``limits`` library: a sliding-window counter in memory).

The sliding-window counter weighs the previous window's count by how much of it still
overlaps the last ``period``: constant work per request, unlike a moving window, which
keeps one entry per request (tens of thousands at a high limit) and sweeps them from a
timer thread. The asyncio flavour of the library runs on the event loop, with no thread.

:func:`client_key` is the one place that says who a request counts against: its bearer
credential (a digest of it, so the limiter holds no secret), or the client's address
when it sends none. ``/health`` and ``/metrics`` are never limited, so probes and scrapes
always get through.
"""

from __future__ import annotations

import hashlib
import json
import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import FieldError, error_body

UNLIMITED_PATHS = frozenset({"/health", "/metrics"})


def client_key(request: Request) -> str:
    """Who ``request`` counts against: its credential, else its client's address."""
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credential.strip():
        return "credential:" + hashlib.sha256(credential.strip().encode()).hexdigest()
    return "address:" + (request.client.host if request.client is not None else "unknown")


class RateLimitMiddleware:
    """ASGI middleware answering 429 with ``Retry-After`` to a client over ``rate``."""

    def __init__(self, app: ASGIApp, rate: str) -> None:
        self.app = app
        self.rate: RateLimitItem = parse(rate)
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the request against its client; refuse it over the limit."""
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        key = client_key(Request(scope))
        if await self._limiter.hit(self.rate, key):
            await self.app(scope, receive, send)
            return
        reset = (await self._limiter.get_window_stats(self.rate, key)).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        reason = f"more than {self.rate} requests with this credential: retry in {wait} s"
        body = json.dumps(error_body([FieldError(None, reason)])).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(wait).encode()),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})
