"""ETA batching on the loaded service: one evaluation for concurrent requests, sliced back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import numpy as np
import pytest
from fastapi.testclient import TestClient

from dispatch.api.batching import BatchAnswer, EtaBatcher
from dispatch.api.errors import ApiError
from dispatch.api.estimates import estimate

from .helpers import CLINIC, DEPOT, HOME, OFF_MAP

FIELDS = ("p50_s", "p90_s", "free_flow_s", "distance_m")


def _request(
    batcher: EtaBatcher, places: list[dict[str, float]], hour: int
) -> asyncio.Future[BatchAnswer]:
    """One request of ``len(places) // 2`` pairs, leaving at ``hour`` UTC."""
    departure = datetime(2026, 3, 2, hour, tzinfo=UTC).timestamp()
    return batcher.estimate(
        np.array([p["lat"] for p in places]),
        np.array([p["lon"] for p in places]),
        np.full(len(places) // 2, departure),
        [{}] * (len(places) // 2),
        lambda i: f"items.{i // 2}.{'destination' if i % 2 else 'origin'}",
    )


def test_concurrent_requests_share_a_batch_and_get_their_own_answers(
    shared_client: TestClient,
) -> None:
    state = shared_client.app.state.service  # type: ignore[attr-defined]
    first = [DEPOT, CLINIC, CLINIC, HOME]
    bad = [DEPOT, CLINIC, HOME, OFF_MAP]
    last = [HOME, DEPOT, CLINIC, DEPOT, DEPOT, HOME]

    async def together() -> list[BatchAnswer | BaseException]:
        batcher = EtaBatcher(state)
        return await asyncio.gather(
            _request(batcher, first, 13),
            _request(batcher, bad, 14),
            _request(batcher, last, 22),
            return_exceptions=True,
        )

    async def alone(places: list[dict[str, float]], hour: int) -> BatchAnswer:
        return await _request(EtaBatcher(state), places, hour)

    answers = asyncio.run(together())
    for places, hour, answer in ((first, 13, answers[0]), (last, 22, answers[2])):
        assert isinstance(answer, BatchAnswer)
        reference = asyncio.run(alone(places, hour))
        for name in FIELDS:
            np.testing.assert_array_equal(getattr(answer, name), getattr(reference, name))
        assert answer.p50_s.size == len(places) // 2
    assert isinstance(answers[1], ApiError)
    assert answers[1].status == 422
    assert [e.field for e in answers[1].errors] == ["items.1.destination"]


def test_a_request_alone_is_not_delayed_by_an_empty_queue(shared_client: TestClient) -> None:
    state = shared_client.app.state.service  # type: ignore[attr-defined]
    answer = asyncio.run(_request(EtaBatcher(state), [DEPOT, CLINIC], 13))
    assert answer.p50_s.shape == (1,) and answer.p50_s[0] > 0


@pytest.mark.parametrize("size", [1, 3])
def test_route_table_and_route_search_agree(shared_client: TestClient, size: int) -> None:
    """The service's route table gives the same estimates as searching each route."""
    state = shared_client.app.state.service  # type: ignore[attr-defined]
    assert state.route_table is not None  # the Baltimore map fits the default budget
    nodes = np.arange(2 * size, dtype=np.int32) * 97
    when = [datetime(2026, 3, 2, 15, tzinfo=UTC)] * size
    model = state.live.model
    with_table = estimate(
        state.graph, model, nodes[::2], nodes[1::2], when, None, state.route_table
    )
    searched = estimate(state.graph, model, nodes[::2], nodes[1::2], when)
    np.testing.assert_array_equal(with_table.p50_s, searched.p50_s)
    np.testing.assert_array_equal(with_table.p90_s, searched.p90_s)
