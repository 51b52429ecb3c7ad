"""The numba kernels on their own, on tiny CSR arrays, against networkx.

This is the one test module that imports ``routing._kernels``: the kernels trust their
input, so here they get well-formed arrays (parallel edges and self-loops included, which
the public ``RoadGraph`` never holds) and their workspaces are inspected after each call.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from routing import _kernels

from . import reference

SEEDS = range(24)


def _workspace(n: int, m: int) -> tuple[np.ndarray, ...]:
    """A fresh search workspace as documented in ``routing._kernels``."""
    return (
        np.full(n, np.inf),
        np.full(n, -1, dtype=np.int32),
        np.empty(n, dtype=np.int32),
        np.empty(m + 1),
        np.empty(m + 1, dtype=np.int32),
    )


def _assert_reset(ws: tuple[np.ndarray, ...], mark: np.ndarray | None = None) -> None:
    """Assert a workspace is as a kernel must leave it: dist inf, pred -1, mark 0."""
    dist, pred = ws[:2]
    assert np.all(np.isinf(dist)), f"dist not reset: {dist}"
    assert_array_equal(pred, -1, "pred not reset")
    if mark is not None:
        assert_array_equal(mark, 0, "target marks not reset")


def _random_csr(seed: int) -> tuple[int, dict[str, np.ndarray], nx.MultiDiGraph]:
    """A seeded random multigraph (zero weights, parallel edges, self-loops) and its nx twin."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 16))
    m = int(rng.integers(0, 4 * n + 1))
    tail, head, weights = reference.random_edge_list(rng, n, m, zero_share=0.3)
    arrays = reference.csr_arrays(n, tail.tolist(), head.tolist(), weights.tolist())
    return n, arrays, reference.multidigraph(n, tail, head, weights)


def _bidirectional(a: dict[str, np.ndarray], n: int, source: int, target: int, fwd, bwd, out):  # type: ignore[no-untyped-def]
    return _kernels.bidirectional(
        a["indptr"],
        a["indices"],
        a["weights"],
        a["rev_indptr"],
        a["rev_indices"],
        a["rev_edge"],
        a["edge_tail"],
        source,
        target,
        *fwd,
        *bwd,
        out,
    )


# --- hand-made cases ------------------------------------------------------------------

# 0 -> 1 -> 3 costs 1 + 1; 0 -> 2 -> 3 costs 0 + 5; 0 -> 3 directly costs 3; 4 is isolated;
# 1 -> 1 is a self-loop and 1 -> 3 has a slower parallel twin.
DIAMOND = {
    "tail": [0, 0, 0, 1, 1, 1, 2, 3],
    "head": [1, 2, 3, 3, 3, 1, 3, 0],
    "weights": [1.0, 0.0, 3.0, 1.0, 7.0, 0.5, 5.0, 2.0],
}
DIAMOND_DIST_FROM_0 = [0.0, 1.0, 0.0, 2.0, np.inf]


def test_shortest_path_tree_on_a_diamond() -> None:
    """The full search finds the known distances, skips self-loops and slower twins."""
    a = reference.csr_arrays(5, **DIAMOND)
    dist, pred = _kernels.shortest_path_tree(a["indptr"], a["indices"], a["weights"], 0)
    assert_allclose(dist, DIAMOND_DIST_FROM_0)
    assert pred[0] == -1 and pred[4] == -1
    # node 3 is reached over the fast 1 -> 3 edge (weight 1), not the parallel one (7)
    assert a["edge_tail"][pred[3]] == 1 and a["weights"][pred[3]] == 1.0


def test_path_edges_on_a_diamond() -> None:
    """Path reconstruction walks the tree from the target back to the source."""
    a = reference.csr_arrays(5, **DIAMOND)
    _, pred = _kernels.shortest_path_tree(a["indptr"], a["indices"], a["weights"], 0)
    edges, found = _kernels.path_edges(pred, a["edge_tail"], 0, 3)
    assert found
    assert reference.check_path(a["edge_tail"], a["indices"], a["weights"], 0, 3, edges) == 2.0
    edges, found = _kernels.path_edges(pred, a["edge_tail"], 0, 0)
    assert found
    assert edges.size == 0
    edges, found = _kernels.path_edges(pred, a["edge_tail"], 0, 4)
    assert not found
    assert edges.size == 0


@pytest.mark.parametrize(("target", "expected"), list(enumerate(DIAMOND_DIST_FROM_0)))
def test_bidirectional_on_a_diamond(target: int, expected: float) -> None:
    """One-to-one search gives the known distance and a path of that cost."""
    a = reference.csr_arrays(5, **DIAMOND)
    m = a["indices"].size
    fwd, bwd, out = _workspace(5, m), _workspace(5, m), np.full(16, -7, dtype=np.int32)
    cost, n_edges = _bidirectional(a, 5, 0, target, fwd, bwd, out)
    assert cost == expected
    if np.isfinite(expected):
        time = reference.check_path(
            a["edge_tail"], a["indices"], a["weights"], 0, target, out[:n_edges]
        )
        assert time == expected
    else:
        assert n_edges == 0
    _assert_reset(fwd)
    _assert_reset(bwd)


def test_single_node_graph() -> None:
    """A graph of one node and no edges: distance 0 to itself from every kernel."""
    a = reference.csr_arrays(1, [], [], [])
    dist, pred = _kernels.shortest_path_tree(a["indptr"], a["indices"], a["weights"], 0)
    assert_array_equal(dist, [0.0])
    assert_array_equal(pred, [-1])
    ws, mark = _workspace(1, 0), np.zeros(1, dtype=np.uint8)
    out = _kernels.one_to_many(
        a["indptr"], a["indices"], a["weights"], 0, np.zeros(1, np.int32), *ws, mark
    )
    assert_array_equal(out, [0.0])
    _assert_reset(ws, mark)
    matrix = _kernels.many_to_many(
        a["indptr"], a["indices"], a["weights"], np.zeros(1, np.int32), np.zeros(1, np.int32), 1
    )
    assert_array_equal(matrix, [[0.0]])
    fwd, bwd, path = _workspace(1, 0), _workspace(1, 0), np.empty(1, dtype=np.int32)
    assert _bidirectional(a, 1, 0, 0, fwd, bwd, path) == (0.0, 0)


# --- random multigraphs against networkx ----------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_shortest_path_tree_matches_networkx(seed: int) -> None:
    """Full Dijkstra distances equal networkx's; every predecessor edge is tight."""
    n, a, G = _random_csr(seed)
    for source in range(n):
        dist, pred = _kernels.shortest_path_tree(a["indptr"], a["indices"], a["weights"], source)
        assert_allclose(dist, reference.distances_from(G, source, n), rtol=1e-12, atol=1e-12)
        assert pred[source] == -1
        reached = np.flatnonzero(np.isfinite(dist))
        assert_array_equal(pred[np.isinf(dist)], -1, "unreachable nodes must have no predecessor")
        for v in reached[reached != source]:
            e = pred[v]
            assert a["indices"][e] == v
            assert_allclose(dist[a["edge_tail"][e]] + a["weights"][e], dist[v], rtol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_path_edges_match_tree_distances(seed: int) -> None:
    """Paths rebuilt from a tree are contiguous and cost exactly the tree's distance."""
    n, a, _ = _random_csr(seed)
    for source in range(n):
        dist, pred = _kernels.shortest_path_tree(a["indptr"], a["indices"], a["weights"], source)
        for target in range(n):
            edges, found = _kernels.path_edges(pred, a["edge_tail"], source, target)
            assert found == np.isfinite(dist[target])
            if not found:
                assert edges.size == 0
                continue
            time = reference.check_path(
                a["edge_tail"], a["indices"], a["weights"], source, target, edges
            )
            assert_allclose(time, dist[target], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_one_to_many_matches_networkx_and_resets_workspace(seed: int) -> None:
    """One-to-many equals networkx for duplicate targets too, and leaves the workspace clean."""
    n, a, G = _random_csr(seed)
    rng = np.random.default_rng(1000 + seed)
    ws, mark = _workspace(n, a["indices"].size), np.zeros(n, dtype=np.uint8)
    for source in range(n):
        expected = reference.distances_from(G, source, n)
        # duplicates, the source itself, and an early-stopping subset, on one shared workspace
        for targets in (
            np.arange(n),
            rng.integers(0, n, 2 * n),
            np.array([source, source]),
            rng.integers(0, n, 1),
        ):
            targets = targets.astype(np.int32)
            out = _kernels.one_to_many(
                a["indptr"], a["indices"], a["weights"], source, targets, *ws, mark
            )
            assert_allclose(out, expected[targets], rtol=1e-12, atol=1e-12)
            _assert_reset(ws, mark)


@pytest.mark.parametrize("n_chunks", [1, 2, 3, 7, 40])
@pytest.mark.parametrize("seed", SEEDS[:8])
def test_many_to_many_matches_networkx(seed: int, n_chunks: int) -> None:
    """The parallel matrix equals networkx whatever the number of chunks (even > sources)."""
    n, a, G = _random_csr(seed)
    rng = np.random.default_rng(2000 + seed)
    sources = rng.integers(0, n, int(rng.integers(1, 12))).astype(np.int32)
    targets = rng.integers(0, n, int(rng.integers(1, 12))).astype(np.int32)
    out = _kernels.many_to_many(a["indptr"], a["indices"], a["weights"], sources, targets, n_chunks)
    expected = reference.distance_matrix(G, sources, targets, n)
    assert out.shape == (sources.size, targets.size)
    assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_bidirectional_matches_networkx_and_resets_workspaces(seed: int) -> None:
    """Every pair: networkx's distance, a valid path of <= n-1 edges, clean workspaces."""
    n, a, G = _random_csr(seed)
    fwd, bwd = _workspace(n, a["indices"].size), _workspace(n, a["indices"].size)
    sentinel = -7
    for source in range(n):
        expected = reference.distances_from(G, source, n)
        for target in range(n):
            out = np.full(2 * n + 2, sentinel, dtype=np.int32)
            cost, n_edges = _bidirectional(a, n, source, target, fwd, bwd, out)
            assert_allclose(cost, expected[target], rtol=1e-12, atol=1e-12)
            # the public wrapper allocates n-1 slots for the path: it must never need more
            assert n_edges <= max(n - 1, 0)
            assert_array_equal(out[n_edges:], sentinel, "kernel wrote past the path it reported")
            if np.isfinite(cost):
                time = reference.check_path(
                    a["edge_tail"], a["indices"], a["weights"], source, target, out[:n_edges]
                )
                assert_allclose(time, cost, rtol=1e-12, atol=1e-12)
            else:
                assert n_edges == 0
            _assert_reset(fwd)
            _assert_reset(bwd)


def test_bidirectional_on_zero_weight_cycles() -> None:
    """A ring of zero-weight edges: cost 0 between any two nodes, over a simple path."""
    n = 6
    tail = list(range(n)) + [(i + 1) % n for i in range(n)]
    head = [(i + 1) % n for i in range(n)] + list(range(n))
    a = reference.csr_arrays(n, tail, head, [0.0] * (2 * n))
    fwd, bwd = _workspace(n, a["indices"].size), _workspace(n, a["indices"].size)
    for source in range(n):
        for target in range(n):
            out = np.full(2 * n, -7, dtype=np.int32)
            cost, n_edges = _bidirectional(a, n, source, target, fwd, bwd, out)
            assert cost == 0.0
            edges = out[:n_edges]
            reference.check_path(a["edge_tail"], a["indices"], a["weights"], source, target, edges)
            visited = np.concatenate(([source], a["indices"][edges]))
            assert np.unique(visited).size == visited.size, f"path revisits a node: {visited}"
