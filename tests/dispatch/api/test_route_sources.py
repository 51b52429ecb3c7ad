"""Where /v1/eta reads its routes: the route table if it fits, else a contraction hierarchy."""

from __future__ import annotations

import dataclasses

import numpy as np

import routing
from dispatch.api import ServiceSettings
from models import ContractionRouteTotals, RouteTable

from .helpers import started


def test_eta_from_the_hierarchy_equals_eta_from_the_table(
    settings: ServiceSettings, baltimore: routing.RoadGraph
) -> None:
    """With no room for the route table (``route_table_mb=0``) the service answers from the
    map's contraction hierarchy, with exactly the same estimates as from the table (the
    model's trees would magnify even a last-bit difference in a route's totals)."""
    rng = np.random.default_rng(21)
    nodes = rng.integers(0, baltimore.n_nodes, (40, 2))
    items = [
        {
            "origin": {"lat": float(baltimore.lat[o]), "lon": float(baltimore.lon[o])},
            "destination": {"lat": float(baltimore.lat[d]), "lon": float(baltimore.lon[d])},
            "departure": f"2026-03-02T{6 + k % 12:02d}:15:00-05:00",
        }
        for k, (o, d) in enumerate(nodes)
    ]
    answers = {}
    for megabytes, source in ((settings.route_table_mb, RouteTable), (0.0, ContractionRouteTotals)):
        with started(dataclasses.replace(settings, route_table_mb=megabytes)) as client:
            assert isinstance(client.app.state.service.route_table, source)  # type: ignore[attr-defined]
            response = client.post("/v1/eta", json={"items": items})
            assert response.status_code == 200, response.text
            answers[source] = response.json()
    table, hierarchy = answers[RouteTable], answers[ContractionRouteTotals]
    assert hierarchy["model_version"] == table["model_version"]
    assert len(hierarchy["estimates"]) == len(items)
    assert hierarchy["estimates"] == table["estimates"]
