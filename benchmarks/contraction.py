"""Contraction hierarchies on metro-size maps: ours against our Dijkstra, scipy and pandana.

Generates the synthetic metro maps with the shared tool (``make_metro_osm.py``, cached in
``--metro-dir``), loads their graphs through the content-hashed graph cache, and measures
on each map and on the embedded Baltimore map: the hierarchy's build (and a customisation
to new weights), one pair, 100 x 100 and 1000 x 1000 matrices, for our CH, our Dijkstra,
scipy's csgraph Dijkstra and pandana's CH (if installed). Every CH answer is checked
against our Dijkstra on the same pairs. Prints the report and writes the
``## Contraction hierarchies`` section of BENCHMARKS.md.

Run from the project root (takes about 10 minutes; building a 253k graph the first time
takes 4 more)::

    .venv/bin/python benchmarks/contraction.py [--sizes 234 520] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np
from _report import REPORT, ROOT, machine, markdown_table, write_section
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

import routing

SECTION = "## Contraction hierarchies"
SEED = 20_261_207
RTOL = 1e-6
TOOL = ROOT.parent / "shared" / "tools" / "make_metro_osm.py"
LIBRARIES = ("numpy", "numba", "scipy")
TARGETS = (  # (row label, limit in seconds) on the largest metro map
    ("CH preprocessing", 60.0),
    ("1 pair", 50e-6),
    ("100 x 100", 20e-3),
    ("1000 x 1000", 0.5),
)
_START = time.perf_counter()


def stage(message: str) -> None:
    """Progress line on stderr."""
    print(f"[{time.perf_counter() - _START:7.1f} s] {message}", file=sys.stderr, flush=True)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Wall seconds of one call, and its result."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall seconds of ``repeats`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        seconds, result = timed(fn)
        times.append(seconds)
    return median(times), result


@dataclass
class Row:
    """One measurement: what, on which map, per engine (seconds, or None if not run)."""

    work: str
    ours_ch: float | None
    ours_dijkstra: float | None
    scipy: float | None
    pandana: float | None
    check: str


def metro_map(size: int, folder: Path, tool: Path) -> Path:
    """The metro extract of ``--n size``, generated once into ``folder``."""
    path = folder / f"metro{size}.osm.pbf"
    if not path.is_file():
        stage(f"generating {path} with {tool}")
        folder.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, str(tool), "--n", str(size), "--out", str(path)]
        subprocess.run(cmd, check=True, capture_output=True)
    return path


def agreement(got: NDArray[np.float64], expected: NDArray[np.float64], rtol: float | None) -> str:
    """ "equal (n pairs)" or "DIFFERENT", with the largest relative difference on finite
    entries; ``rtol=None`` only reports the difference."""
    same_inf = np.array_equal(np.isinf(expected), np.isinf(got))
    finite = np.isfinite(expected)
    diff = np.abs(got[finite] - expected[finite]) / np.maximum(expected[finite], 1e-9)
    worst = float(diff.max()) if diff.size else 0.0
    if rtol is None:
        return f"max rel. diff {worst:.1e}"
    verdict = "equal" if same_inf and worst <= rtol else "**DIFFERENT**"
    return f"{verdict} ({expected.size:,} pairs, max rel. diff {worst:.1e})"


def bench_map(name: str, graph: routing.RoadGraph, seed: int, quick: bool) -> list[Row]:
    """Every measurement on one graph."""
    rng = np.random.default_rng(seed)
    n = graph.n_nodes
    stage(f"{name}: contracting {n:,} nodes")
    build_s, ch = timed(lambda: routing.contraction_hierarchy(graph, use_cache=False))
    stage(f"{name}: {ch}, {build_s:.1f} s")
    weights = graph.travel_time_s * rng.uniform(0.8, 1.5, graph.n_edges)
    custom_s, custom = timed(lambda: ch.customize(weights, use_cache=False))
    pairs = rng.integers(0, n, (2000, 2))
    sample = rng.integers(0, n, (100, 2))
    custom_check = agreement(
        np.array([custom.travel_time(s, t) for s, t in sample]),
        np.array([routing.travel_time(graph, s, t, weights=weights) for s, t in sample]),
        RTOL,
    )
    routing.contraction_hierarchy(graph)  # into the cache
    load_s, _ = median_time(lambda: routing.contraction_hierarchy(graph), 3)

    csr = csr_matrix(
        (np.maximum(graph.travel_time_s, 1e-9), (graph.edge_tail, graph.indices)), shape=(n, n)
    )
    pandana_net, pandana_s = pandana_network(graph)
    rows = [
        Row("CH preprocessing", build_s, None, None, pandana_s, ch_size(ch)),
        Row(
            "CH customisation (new weights, same order)",
            custom_s,
            None,
            None,
            None,
            f"100 pairs vs Dijkstra: {custom_check}",
        ),
        Row("CH load from the cache", load_s, None, None, None, ""),
    ]

    stage(f"{name}: one pair")
    ch.travel_time(0, 1)
    ch_pair = median(timed(lambda s=s, t=t: ch.travel_time(s, t))[0] for s, t in pairs)
    few = pairs[:50]
    dij_pair = median(timed(lambda s=s, t=t: routing.travel_time(graph, s, t))[0] for s, t in few)
    scipy_pair = median(timed(lambda s=s: dijkstra(csr, indices=int(s)))[0] for s, _ in pairs[:20])
    pd_pair = None
    if pandana_net is not None:
        pd_pair = median(
            timed(lambda s=s, t=t: pandana_net.shortest_path_lengths([s], [t]))[0]
            for s, t in pairs[:500]
        )
    pair_check = agreement(
        np.array([ch.travel_time(s, t) for s, t in pairs[:300]]),
        np.array([routing.travel_time(graph, s, t) for s, t in pairs[:300]]),
        RTOL,
    )
    rows.append(Row("1 pair", ch_pair, dij_pair, scipy_pair, pd_pair, f"CH: {pair_check}"))

    for k in (100,) if quick else (100, 1000):
        stage(f"{name}: {k} x {k}")
        nodes = rng.integers(0, n, k)
        ch_s, got = median_time(lambda nodes=nodes: ch.travel_time_matrix(nodes), 5)
        dij_s, expected = timed(lambda nodes=nodes: routing.travel_time_matrix(graph, nodes))
        scipy_s, scipy_m = timed(lambda nodes=nodes: scipy_rows(csr, nodes))
        check = f"CH: {agreement(got, expected, RTOL)}; scipy: {agreement(scipy_m, expected, RTOL)}"
        pd_s = None
        if pandana_net is not None:
            a, b = np.repeat(nodes, k), np.tile(nodes, k)
            pd_s, pd_m = timed(lambda a=a, b=b: pandana_net.shortest_path_lengths(a, b))
            pd_matrix = np.asarray(pd_m, dtype=np.float64).reshape(k, k)
            check += f"; pandana: {agreement(pd_matrix, expected, None)}"
        rows.append(Row(f"{k} x {k}", ch_s, dij_s, scipy_s, pd_s, check))
    return rows


def scipy_rows(csr: csr_matrix, nodes: NDArray[np.int64]) -> NDArray[np.float64]:
    """scipy's Dijkstra matrix, 100 source rows per call (bounds its dense result)."""
    blocks = [
        dijkstra(csr, indices=nodes[i : i + 100])[:, nodes] for i in range(0, nodes.size, 100)
    ]
    return np.vstack(blocks)


def ch_size(ch: routing.ContractionHierarchy) -> str:
    """Arcs of the hierarchy."""
    return f"{ch.other.size:,} arcs ({ch.graph.n_edges:,} edges)"


def pandana_network(graph: routing.RoadGraph) -> tuple[Any, float | None]:
    """pandana's contracted network of the same arcs and weights, with its build time."""
    try:
        import pandana
        import pandas as pd
    except ImportError:
        return None, None
    x = pd.Series(graph.lon, index=np.arange(graph.n_nodes))
    y = pd.Series(graph.lat, index=np.arange(graph.n_nodes))
    edges = pd.DataFrame({"w": graph.travel_time_s})
    tail = pd.Series(graph.edge_tail.astype(np.int64))
    head = pd.Series(graph.indices.astype(np.int64))
    seconds, net = timed(lambda: pandana.Network(x, y, tail, head, edges, twoway=False))
    return net, seconds


def fmt(seconds: float | None) -> str:
    """Human units."""
    if seconds is None:
        return ""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def report(command: str, load: float, maps: list[tuple[str, str, list[Row]]]) -> str:
    """The BENCHMARKS.md section."""
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        import pandana  # noqa: F401

        libraries = (*LIBRARIES, "pandana")
    except ImportError:
        libraries = LIBRARIES
    parts = [
        SECTION,
        f"Command (from the project root): `{command}`  \nRun: {when}  \n"
        f"Machine: {machine(libraries)}  \n"
        f"Load average (1 min): {load:.2f} before the run, {os.getloadavg()[0]:.2f} at its end",
    ]
    header = ["work", "ours: CH", "ours: Dijkstra", "scipy Dijkstra", "pandana CH", "answers"]
    for name, size, rows in maps:
        table = [
            [r.work, fmt(r.ours_ch), fmt(r.ours_dijkstra), fmt(r.scipy), fmt(r.pandana), r.check]
            for r in rows
        ]
        parts.append(f"### {name} ({size})\n\n" + markdown_table(header, table))
    name, _, rows = maps[0]
    by_work = {r.work: r.ours_ch for r in rows}
    checks = [
        [
            f"{work} <= {fmt(limit)}",
            fmt(by_work[work]),
            "PASS" if (by_work[work] or np.inf) <= limit else "**FAIL**",
        ]
        for work, limit in TARGETS
        if work in by_work
    ]
    parts.append(
        f"### Targets on {name}\n\n" + markdown_table(["target", "ours", "result"], checks)
    )
    parts.append(
        "### Method\n\n"
        "Medians of wall time: 2,000 random pairs (CH), 50 (our Dijkstra), 20 (scipy: one "
        "single-source search, it cannot stop at the target), 500 (pandana, one call per pair); "
        "matrices are 5 runs of ours (CH), 1 of the others; pandana answers a matrix as one "
        "vectorised call of k² pairs (it has no many-to-many). Our CH matrices take a numba "
        "thread per 500 searches (one per source and per target): both cores for 1000 x 1000, "
        "one for 100 x 100; our Dijkstra matrices both cores. CH preprocessing is a fresh "
        "build (`use_cache=False`); customisation "
        "reuses its node order under weights scaled by U(0.8, 1.5) per edge. Every CH answer is "
        "compared with our Dijkstra (`travel_time`, `travel_time_matrix`) on the same pairs "
        "(relative tolerance 1e-6); pandana's answers are reported with their largest "
        "relative difference from ours, not judged."
    )
    return "\n\n".join(parts) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[520, 234],
        help="metro maps by the tool's --n (520: 253k nodes, 234: 51k)",
    )
    parser.add_argument("--metro-dir", type=Path, default=routing.cache_dir() / "metro")
    parser.add_argument("--tool", type=Path, default=TOOL, help="make_metro_osm.py")
    parser.add_argument("--quick", action="store_true", help="no 1000 x 1000 matrices")
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every measurement, print the report, write BENCHMARKS.md."""
    args = parse_args(argv)
    load = os.getloadavg()[0]
    routing.warm_up()
    warm = routing.contraction_hierarchy(routing.load_graph(None), use_cache=False)
    warm.travel_time_matrix([0, 1])
    maps = []
    for offset, size in enumerate(args.sizes):
        path = metro_map(size, args.metro_dir, args.tool)
        stage(f"loading {path} (built once into the graph cache)")
        graph = routing.load_graph(path)
        label = f"metro --n {size}"
        rows = bench_map(label, graph, SEED + offset, args.quick)
        maps.append((label, f"{graph.n_nodes:,} nodes, {graph.n_edges:,} edges", rows))
    baltimore = routing.load_graph(None)
    rows = bench_map("Baltimore", baltimore, SEED, args.quick)
    size = f"{baltimore.n_nodes:,} nodes, {baltimore.n_edges:,} edges"
    maps.append(("Baltimore, embedded OSM map", size, rows))
    options = sys.argv[1:] if argv is None else list(argv)
    command = " ".join([".venv/bin/python", "benchmarks/contraction.py", *options])
    section = report(command, load, maps)
    print("\n" + section, flush=True)
    if not args.no_write:
        write_section(SECTION, section)
        stage(f"wrote {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
