"""Prometheus metrics of one app: requests and latency per endpoint, solver time, ETA error.

Each app has its own :class:`~prometheus_client.CollectorRegistry`, so tests can build
several apps in one process. Endpoints are labelled by their route template
(``/v1/trips/{trip_id}``), never by the raw path, so ids cannot explode the label set.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_SOLVER_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300)


class Metrics:
    """The service's metrics in their own registry."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "dispatch_http_requests",
            "HTTP requests by method, endpoint (route template) and status code.",
            ["method", "endpoint", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "dispatch_http_request_duration_seconds",
            "HTTP request latency by method and endpoint.",
            ["method", "endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.solver = Histogram(
            "dispatch_solver_duration_seconds",
            "Wall time of the solvers (match, schedule, plan, insert).",
            ["solver"],
            buckets=_SOLVER_BUCKETS,
            registry=self.registry,
        )
        self.eta_pairs = Counter(
            "dispatch_eta_pairs", "Origin-destination pairs estimated.", registry=self.registry
        )
        self.eta_mae = Gauge(
            "dispatch_eta_rolling_mae_seconds",
            "Rolling mean absolute error of the ETA model on recorded outcomes.",
            registry=self.registry,
        )
        self.eta_bias = Gauge(
            "dispatch_eta_rolling_bias_seconds",
            "Rolling mean of predicted minus actual seconds (negative: trips run late).",
            registry=self.registry,
        )
        self.eta_coverage = Gauge(
            "dispatch_eta_rolling_p90_coverage",
            "Share of recent outcomes at or below their P90 prediction.",
            registry=self.registry,
        )
        self.eta_outcomes = Gauge(
            "dispatch_eta_rolling_outcomes",
            "Outcomes in the monitor's rolling window.",
            registry=self.registry,
        )
        self.drift_alert = Gauge(
            "dispatch_eta_drift_alert",
            "1 when a feature's PSI exceeds the alert threshold.",
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """ASGI middleware that counts and times HTTP requests into :class:`Metrics`."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; record its status, endpoint and duration."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            endpoint = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope.get("method", "")
            self.metrics.latency.labels(method, endpoint).observe(time.perf_counter() - started)
            self.metrics.requests.labels(method, endpoint, str(status)).inc()
