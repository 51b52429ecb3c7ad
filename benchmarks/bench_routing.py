"""Routing benchmark: our numba shortest paths against scipy, igraph and networkx.

Measures, in one run: the Baltimore graph build (osmnx pipeline) and its cached load, the
JIT cost of the kernels in fresh processes (cold numba cache, then reused cache), and
one-pair queries and travel-time matrices on the embedded Baltimore map and on a seeded
synthetic road-like grid. Every engine works on the same CSR arrays and must return the
same travel times. Prints tables and writes the ``## Routing`` section of BENCHMARKS.md.

Run from the project root::

    .venv/bin/python benchmarks/bench_routing.py [--quick] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from statistics import median
from typing import Any

import igraph as ig
import networkx as nx
import numba
import numpy as np
from _report import REPORT, ROOT, machine, markdown_table, write_section
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

import routing
from routing import ROAD_CLASSES, RoadGraph

BALTIMORE_PBF = ROOT / "routing" / "data" / "baltimore.osm.pbf"
SECTION = "## Routing"
SEED = 20_240_611
RTOL = 1e-6  # relative agreement required between engines
ATOL = 1e-6  # seconds; absorbs the epsilon that stands in for zero weights in scipy
SCIPY_ZERO_WEIGHT = 1e-9  # scipy gets this instead of 0 s, in case explicit zeros get pruned
SCIPY_BLOCK = 100  # sources per scipy call: bounds its dense (sources x nodes) result
LIBRARIES = ("numpy", "numba", "scipy", "igraph", "networkx", "osmnx")
SYNTHETIC_HOW = (
    "jittered street grid, 100 m blocks; every 10th row and column a 60 km/h arterial, "
    "other streets 30 km/h both ways; 2% of street directions removed (one-ways, closures); "
    "largest strongly connected component; nodes in random (OSM-like) order; "
    "`RoadGraph.from_edges`"
)
SECOND_JIT = "JIT second process: import routing + warm_up()"
_START = time.perf_counter()

PairQuery = Callable[[int, int], float]


@dataclass(frozen=True)
class Plan:
    """How much to measure: grid size, samples, matrix sizes, repeats and time budgets."""

    grid_side: int
    pairs: int = 200
    min_pairs: int = 10
    pair_budget_s: float = 15.0  # a peer stops sampling pairs after this much query time
    nx_rows: int = 10
    matrix_sizes: tuple[int, ...] = (100, 1000)
    repeats: int = 3
    run_budget_s: float = 75.0  # no further matrix run if it would take the total past this


@dataclass(frozen=True)
class Result:
    """One measured query; peers carry ours' time on the same sample and the agreement."""

    graph: str
    query: str
    engine: str
    seconds: float
    method: str
    ours_seconds: float | None = None
    max_abs_diff: float | None = None
    agree: bool | None = None


@dataclass(frozen=True)
class Engines:
    """The same road graph in every engine's own form."""

    graph: RoadGraph
    scipy: csr_matrix
    igraph: ig.Graph
    networkx: nx.DiGraph
    zero_weights: int


def stage(message: str) -> None:
    """Print a progress line with the time elapsed since the start of the run."""
    print(f"[{time.perf_counter() - _START:7.1f} s] {message}", flush=True)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``fn`` once; return (seconds, its result)."""
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


# --- graphs ---------------------------------------------------------------------------


def synthetic_grid(side: int, seed: int) -> tuple[NDArray[Any], ...]:
    """Edge list of a ``side x side`` street grid made like an OSM extract (``SYNTHETIC_HOW``).

    Block corners are jittered by up to 25 m. Returns
    (lat, lon, tail, head, travel_time_s, length_m, road_class).
    """
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    row, col = np.divmod(idx.ravel(), side)
    y = row * 100.0 + rng.uniform(-25, 25, row.size)
    x = col * 100.0 + rng.uniform(-25, 25, col.size)
    west, east = idx[:, :-1].ravel(), idx[:, 1:].ravel()
    north, south = idx[:-1, :].ravel(), idx[1:, :].ravel()
    a, b = np.concatenate((west, north)), np.concatenate((east, south))
    arterial = np.concatenate((row[west] % 10 == 0, col[north] % 10 == 0))
    tail, head, fast = np.concatenate((a, b)), np.concatenate((b, a)), np.tile(arterial, 2)
    keep = fast | (rng.random(tail.size) >= 0.02)
    tail, head, fast = tail[keep], head[keep], fast[keep]
    tail, head, fast, nodes = _largest_strong_component(side * side, tail, head, fast)
    order = rng.permutation(nodes.size)  # position -> node: OSM-like, no spatial locality
    new = np.empty(side * side, dtype=np.int64)
    new[nodes[order]] = np.arange(nodes.size)
    length = np.hypot(x[tail] - x[head], y[tail] - y[head])
    time_s = length / np.where(fast, 60 / 3.6, 30 / 3.6)
    road_class = np.where(fast, ROAD_CLASSES.index("primary"), ROAD_CLASSES.index("residential"))
    lat = 39.25 + y[nodes[order]] / 111_320
    lon = -76.65 + x[nodes[order]] / (111_320 * np.cos(np.radians(39.25)))
    return lat, lon, new[tail], new[head], time_s, length, road_class


def _largest_strong_component(
    n: int, tail: NDArray[Any], head: NDArray[Any], fast: NDArray[np.bool_]
) -> tuple[NDArray[Any], ...]:
    """Edges inside the largest strongly connected component, and that component's nodes."""
    adjacency = csr_matrix((np.ones(tail.size), (tail, head)), shape=(n, n))
    _, labels = connected_components(adjacency, directed=True, connection="strong")
    largest = np.bincount(labels).argmax()
    inside = (labels[tail] == largest) & (labels[head] == largest)
    return tail[inside], head[inside], fast[inside], np.flatnonzero(labels == largest)


def build_engines(graph: RoadGraph) -> Engines:
    """Load the graph's CSR arrays into scipy, igraph and networkx."""
    n = graph.n_nodes
    tails = np.repeat(np.arange(n), np.diff(graph.indptr))
    weights = graph.travel_time_s
    scipy_weights = np.where(weights > 0, weights, SCIPY_ZERO_WEIGHT)
    scipy_graph = csr_matrix((scipy_weights, graph.indices, graph.indptr), shape=(n, n))
    igraph_graph = ig.Graph(
        n=n,
        edges=np.column_stack((tails, graph.indices)).tolist(),
        directed=True,
        edge_attrs={"weight": weights.tolist()},
    )
    nx_graph = nx.DiGraph()
    nx_graph.add_nodes_from(range(n))
    nx_graph.add_weighted_edges_from(
        zip(tails.tolist(), graph.indices.tolist(), weights.tolist(), strict=True)
    )
    zeros = int(np.count_nonzero(weights == 0))
    return Engines(graph, scipy_graph, igraph_graph, nx_graph, zeros)


# --- setup costs -----------------------------------------------------------------------

_JIT_CHILD = (
    "import time; t0 = time.perf_counter(); import routing; t1 = time.perf_counter(); "
    "routing.warm_up(); print(t1 - t0, time.perf_counter() - t1)"
)


def jit_cost(cache_dir: Path) -> tuple[float, float]:
    """(import s, warm_up s) of the kernels in a fresh process using ``cache_dir``."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}
    done = subprocess.run(
        [sys.executable, "-c", _JIT_CHILD],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    )
    import_s, warm_s = (float(v) for v in done.stdout.split())
    return import_s, warm_s


def setup_costs(repeats: int) -> list[tuple[str, float, str]]:
    """Graph build, cached load and JIT costs as (step, seconds, how measured)."""
    stage("importing osmnx (kept out of the build time)")
    osmnx_import, _ = timed(lambda: import_module("osmnx"))
    stage("Baltimore: build_graph (no cache), then cached load_graph")
    build_s, built = timed(lambda: routing.build_graph(BALTIMORE_PBF))
    routing.load_graph(None)  # make sure the cache holds the graph
    loads = [timed(lambda: routing.load_graph(None))[0] for _ in range(5)]
    stage("JIT: warm_up() in fresh processes (empty numba cache, then reused)")
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        cold = jit_cost(Path(cache))
        second = min((jit_cost(Path(cache)) for _ in range(repeats)), key=sum)
    return [
        ("build_graph, Baltimore .osm.pbf (pyosmium + numpy)", build_s,
         f"one build, {built.n_nodes:,} nodes; osmnx import ({osmnx_import:.1f} s) excluded"),
        ("load_graph(), cached .npz", median(loads), "median of 5 loads, file hash included"),
        ("JIT cold: import routing + warm_up()", sum(cold),
         f"fresh process, empty NUMBA_CACHE_DIR; import {cold[0]:.2f} s + compile {cold[1]:.2f} s"),
        (SECOND_JIT, sum(second),
         f"fresh process reusing that cache, best of {repeats}; "
         f"import {second[0]:.2f} s + warm_up {second[1]:.2f} s"),
    ]


# --- queries ---------------------------------------------------------------------------


def agreement(ours: NDArray[np.float64], peer: NDArray[np.float64]) -> tuple[float, bool]:
    """Max absolute difference over finite entries, and whether all agree (inf == inf)."""
    finite = np.isfinite(ours) & np.isfinite(peer)
    diff = np.abs(ours[finite] - peer[finite])
    agree = np.allclose(peer, ours, rtol=RTOL, atol=ATOL)
    return float(diff.max()) if diff.size else 0.0, bool(agree)


def pair_queries(e: Engines) -> dict[str, tuple[PairQuery, str]]:
    """One-pair travel time in each engine, and how it is computed."""
    return {
        "ours": (
            lambda s, t: routing.travel_time(e.graph, s, t),
            "travel_time: bidirectional Dijkstra",
        ),
        "scipy": (
            lambda s, t: float(dijkstra(e.scipy, indices=s)[t]),
            "dijkstra(indices=s): a full row, scipy has no single-target mode",
        ),
        "igraph": (
            lambda s, t: e.igraph.distances(source=s, target=t, weights="weight")[0][0],
            "distances(source=s, target=t, weights=...)",
        ),
        "networkx": (
            lambda s, t: nx.bidirectional_dijkstra(e.networkx, s, t, weight="weight")[0],
            "bidirectional_dijkstra",
        ),
    }


def time_pairs(
    query: PairQuery, pairs: Sequence[tuple[int, int]], plan: Plan, budget_s: float
) -> tuple[list[float], NDArray[np.float64]]:
    """Seconds and travel time per pair, in order, until ``budget_s`` of query time is spent.

    One untimed warm call first; at least ``plan.min_pairs`` pairs are measured.
    """
    query(pairs[0][0], pairs[0][0])
    times: list[float] = []
    values: list[float] = []
    for s, t in pairs:
        if len(times) >= plan.min_pairs and sum(times) > budget_s:
            break
        seconds, value = timed(lambda s=s, t=t: query(s, t))
        times.append(seconds)
        values.append(value)
    return times, np.array(values, dtype=np.float64)


def bench_pairs(name: str, e: Engines, plan: Plan, rng: np.random.Generator) -> list[Result]:
    """One-pair queries on random pairs; each peer's speed-up is on the pairs it managed."""
    pairs = [(int(s), int(t)) for s, t in rng.integers(0, e.graph.n_nodes, (plan.pairs, 2))]
    queries = pair_queries(e)
    query, how = queries.pop("ours")
    stage(f"{name}: one pair, ours")
    ours_times, ours_values = time_pairs(query, pairs, plan, float("inf"))
    method = f"median of {len(pairs)} random pairs; {how}"
    results = [Result(name, "one pair", "ours", median(ours_times), method)]
    for engine, (query, how) in queries.items():
        stage(f"{name}: one pair, {engine}")
        times, values = time_pairs(query, pairs, plan, plan.pair_budget_s)
        k = len(times)
        method = f"median of {k} random pairs; {how}"
        if k < len(pairs):
            method = f"median of the first {k} pairs (time budget); {how}"
        diff, agree = agreement(ours_values[:k], values)
        ours_same = median(ours_times[:k])
        result = Result(name, "one pair", engine, median(times), method, ours_same, diff, agree)
        results.append(result)
    return results


def repeated(fn: Callable[[], NDArray[Any]], plan: Plan) -> tuple[float, str, NDArray[Any]]:
    """Best wall time of up to ``plan.repeats`` runs within ``plan.run_budget_s``, how, result.

    The best run is the one least disturbed by other work on the machine; "how" gives the
    number of runs and the CPU seconds per wall second of that run (cores actually used).
    """
    runs = []
    total = 0.0
    while not runs or (len(runs) < plan.repeats and total + runs[-1][0] <= plan.run_budget_s):
        cpu = time.process_time()
        seconds, value = timed(fn)
        runs.append((seconds, (time.process_time() - cpu) / seconds, value))
        total += seconds
    seconds, cpu_per_s, value = min(runs, key=lambda run: run[0])
    count = f"best of {len(runs)} runs" if len(runs) > 1 else "one run"
    return seconds, f"{count} ({cpu_per_s:.2f} CPU s per s)", value


def single_threaded(fn: Callable[[], NDArray[Any]]) -> NDArray[Any]:
    """Run ``fn`` with numba limited to one thread."""
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return fn()
    finally:
        numba.set_num_threads(threads)


def scipy_matrix(graph: csr_matrix, sources: NDArray[Any], targets: NDArray[Any]) -> NDArray[Any]:
    """Full rows from scipy, then the target columns; sources in blocks to bound memory."""
    blocks = [
        dijkstra(graph, indices=sources[i : i + SCIPY_BLOCK])[:, targets]
        for i in range(0, sources.size, SCIPY_BLOCK)
    ]
    return np.vstack(blocks)


def networkx_rows(graph: nx.DiGraph, sources: NDArray[Any], targets: NDArray[Any]) -> NDArray[Any]:
    """Matrix rows from full single-source searches in networkx."""
    rows = []
    for s in sources.tolist():
        dist = nx.single_source_dijkstra_path_length(graph, s, weight="weight")
        rows.append([dist.get(t, np.inf) for t in targets.tolist()])
    return np.array(rows, dtype=np.float64)


def matrix_runs(
    e: Engines, sources: NDArray[Any], targets: NDArray[Any]
) -> dict[str, tuple[Callable[[], NDArray[Any]], str]]:
    """Full-matrix computation and how it is done, per engine (networkx is sampled apart)."""

    def ours() -> NDArray[Any]:
        return routing.travel_time_matrix(e.graph, sources, targets)

    return {
        "ours": (ours, f"travel_time_matrix on {numba.get_num_threads()} numba threads"),
        "ours, 1 thread": (
            lambda: single_threaded(ours),
            "the same limited to 1 thread (its 'faster by' is our parallel speed-up)",
        ),
        "scipy": (
            lambda: scipy_matrix(e.scipy, sources, targets),
            f"dijkstra(indices=sources) in blocks of {SCIPY_BLOCK}, then the target columns",
        ),
        "igraph": (
            lambda: np.array(
                e.igraph.distances(
                    source=sources.tolist(), target=targets.tolist(), weights="weight"
                )
            ),
            "distances(source=sources, target=targets, weights=...)",
        ),
    }


def bench_matrix(
    name: str, e: Engines, size: int, plan: Plan, rng: np.random.Generator
) -> list[Result]:
    """A ``size x size`` travel-time matrix between random nodes in every engine."""
    sources = rng.choice(e.graph.n_nodes, size, replace=False)
    targets = rng.choice(e.graph.n_nodes, size, replace=False)
    query = f"{size}x{size} matrix"
    runs = matrix_runs(e, sources, targets)
    fn, how = runs.pop("ours")
    stage(f"{name}: {query}, ours")
    ours_s, count, ours = repeated(fn, plan)
    results = [Result(name, query, "ours", ours_s, f"{count}; {how}")]
    for engine, (fn, how) in runs.items():
        stage(f"{name}: {query}, {engine}")
        seconds, count, value = repeated(fn, plan)
        diff, agree = agreement(ours, value)
        method = f"{count}; {how}"
        results.append(Result(name, query, engine, seconds, method, ours_s, diff, agree))
    k = min(plan.nx_rows, size)
    stage(f"{name}: {query}, networkx ({k} sampled rows)")
    seconds, rows = timed(lambda: networkx_rows(e.networkx, sources[:k], targets))
    method = (
        f"{k} of {size} rows by single_source_dijkstra_path_length, time extrapolated x{size / k:g}"
    )
    diff, agree = agreement(ours[:k], rows)
    results.append(Result(name, query, "networkx", seconds * size / k, method, ours_s, diff, agree))
    return results


def bench_graph(name: str, graph: RoadGraph, plan: Plan, seed: int) -> tuple[list[Result], int]:
    """All queries on one graph; returns the results and its number of zero-weight edges."""
    stage(f"{name}: {graph.n_nodes:,} nodes, {graph.n_edges:,} edges into scipy, igraph, networkx")
    engines = build_engines(graph)
    rng = np.random.default_rng(seed)
    results = bench_pairs(name, engines, plan, rng)
    for size in plan.matrix_sizes:
        results += bench_matrix(name, engines, size, plan, rng)
    return results, engines.zero_weights


# --- report ----------------------------------------------------------------------------


def fmt_seconds(seconds: float) -> str:
    """Human time in s, ms or µs, three significant digits (whole seconds above 100 s)."""
    if seconds >= 100:
        return f"{seconds:.0f} s"
    unit, scale = ("s", 1.0) if seconds >= 1 else ("ms", 1e-3) if seconds >= 1e-3 else ("µs", 1e-6)
    return f"{seconds / scale:.3g} {unit}"


def results_table(results: Sequence[Result]) -> str:
    """Times, speed-ups of ours over each peer, and agreement, one row per engine."""
    rows = []
    for r in results:
        if r.ours_seconds is None:
            speedup, diff, agree = "—", "—", "reference"
        else:
            speedup = f"{r.seconds / r.ours_seconds:.1f}x"
            diff = f"{r.max_abs_diff:.1e}"
            agree = "yes" if r.agree else "**NO**"
        time_s = fmt_seconds(r.seconds)
        rows.append([r.graph, r.query, r.engine, time_s, speedup, diff, agree, r.method])
    header = ["graph", "query", "engine", "time", "ours faster by", "max abs diff (s)", "agree",
              "how measured"]
    return markdown_table(header, rows)


# (query, peer, minimum speed-up of ours over that peer), checked on every graph
TARGETS = (
    ("1000x1000 matrix", "scipy", 1.5),
    ("one pair", "scipy", 2.0),
    ("one pair", "networkx", 10.0),
)


def targets(results: Sequence[Result], second_jit_s: float) -> list[tuple[str, str, str, bool]]:
    """Each target as (target, graph, measured, passed)."""
    checks = []
    for query, peer, factor in TARGETS:
        for r in results:
            if r.query == query and r.engine == peer and r.ours_seconds:
                ratio = r.seconds / r.ours_seconds
                label = f"{query}: ours >= {factor:g}x faster than {peer}"
                checks.append((label, r.graph, f"{ratio:.1f}x", ratio >= factor))
    jit = ("second-process JIT (import + warm_up) < 1 s", "—", fmt_seconds(second_jit_s),
           second_jit_s < 1.0)
    return [*checks, jit]


METHOD_NOTES = """\
- Every engine gets the same CSR arrays (`indptr`, `indices`, `travel_time_s`) of our
  `RoadGraph`, so all benefit alike from its Hilbert-curve node order. Zero-weight edges
  reach scipy as 1e-9 s: a sparse operation that prunes explicit zeros would turn them
  into missing edges. The graphs table counts them.
- Agreement: every peer's travel times are compared with ours on the same queries;
  "agree" means equal within 1e-6 relative (1e-6 s absolute), unreachable = inf on both.
- "ours faster by" divides the peer's time by ours on the same sample: the same pairs
  (a peer that runs out of its time budget is compared on the pairs it did) or the same
  matrix.
- Ours runs matrix searches in parallel on all numba threads; scipy, igraph and networkx
  use one thread, and "ours, 1 thread" is the like-for-like kernel comparison. "CPU s per
  s" is the process's CPU time over wall time: well below the thread count, other work
  on the machine took cores from the run (on short runs, idle OpenMP threads spinning can
  push it above). One-pair queries are single-threaded everywhere.
- scipy has no single-target search: one pair costs a full single-source row. igraph
  and our kernels stop once the targets are settled. networkx matrices are sampled rows,
  extrapolated to the full matrix.
- Times are wall-clock `time.perf_counter`, including each library's Python-side
  overhead (validation, argument conversion), as a caller would see it."""


def report(
    command: str,
    load_at_start: float,
    graphs: Sequence[Sequence[str]],
    setup: Sequence[tuple[str, float, str]],
    results: Sequence[Result],
    checks: Sequence[tuple[str, str, str, bool]],
) -> str:
    """The ``## Routing`` section of BENCHMARKS.md."""
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    setup_rows = [[step, fmt_seconds(s), how] for step, s, how in setup]
    target_rows = [[t, g, m, "PASS" if ok else "**FAIL**"] for t, g, m, ok in checks]
    load = f"{load_at_start:.2f} before the run, {os.getloadavg()[0]:.2f} at its end (run included)"
    parts = [
        SECTION,
        f"Command (from the project root): `{command}`  \nRun: {when}  \n"
        f"Machine: {machine(LIBRARIES)}  \nLoad average (1 min): {load}",
        "### Graphs\n\n" + markdown_table(["graph", "size", "how made"], graphs),
        "### Setup costs\n\n" + markdown_table(["step", "time", "how measured"], setup_rows),
        "### Queries\n\n" + results_table(results),
        "### Targets\n\n" + markdown_table(["target", "graph", "measured", "result"], target_rows),
        "### Method\n\n" + METHOD_NOTES,
    ]
    return "\n\n".join(parts) + "\n"


# --- main ------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="Routing benchmark vs scipy, igraph, networkx.")
    parser.add_argument("--quick", action="store_true", help="100x100 synthetic grid (smoke run)")
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    return parser.parse_args(argv)


def synthetic_graph(side: int) -> tuple[RoadGraph, tuple[str, float, str]]:
    """The seeded synthetic graph, and its compile time as a setup-cost row."""
    stage(f"synthetic {side}x{side} grid: generating the edge list, RoadGraph.from_edges")
    gen_s, edges = timed(lambda: synthetic_grid(side, SEED))
    compile_s, graph = timed(lambda: RoadGraph.from_edges(*edges[:6], road_class=edges[6]))
    row = (f"RoadGraph.from_edges, synthetic {side}x{side} grid", compile_s,
           f"{len(edges[2]):,} edges in (edge list generated in {gen_s:.2f} s, excluded)")
    return graph, row


def main(argv: Sequence[str] | None = None) -> int:
    """Run every measurement, print the report, write BENCHMARKS.md; 1 if engines disagree."""
    args = parse_args(argv)
    load_at_start = os.getloadavg()[0]
    plan = Plan(grid_side=100 if args.quick else 500)
    stage("warming up the kernels in this process")
    routing.warm_up()
    setup = setup_costs(plan.repeats)
    synthetic, compile_row = synthetic_graph(plan.grid_side)
    setup.append(compile_row)
    side = plan.grid_side
    graphs = (
        ("Baltimore", routing.load_graph(None), "embedded OSM extract, `load_graph()`"),
        (f"synthetic grid {side}x{side}", synthetic, f"{SYNTHETIC_HOW}; seed {SEED}"),
    )
    results: list[Result] = []
    graph_rows = []
    for offset, (name, graph, how) in enumerate(graphs):
        graph_results, zeros = bench_graph(name, graph, plan, SEED + offset)
        results += graph_results
        size = f"{graph.n_nodes:,} nodes, {graph.n_edges:,} edges, {zeros} zero-weight edges"
        graph_rows.append([name, size, how])

    second_jit = next(seconds for step, seconds, _ in setup if step == SECOND_JIT)
    options = sys.argv[1:] if argv is None else list(argv)
    command = " ".join([".venv/bin/python", "benchmarks/bench_routing.py", *options])
    checks = targets(results, second_jit)
    section = report(command, load_at_start, graph_rows, setup, results, checks)
    print("\n" + section, flush=True)
    if not args.no_write:
        write_section(SECTION, section)
        stage(f"wrote {REPORT}")
    return 0 if all(r.agree is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
