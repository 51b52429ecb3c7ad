"""Contraction hierarchies on metro-size maps: ours against our Dijkstra, scipy and pandana.

Generates the synthetic metro maps with the shared tool (``make_metro_osm.py``, cached in
``--metro-dir``), loads their graphs through the content-hashed graph cache, and measures
on each map and on the embedded Baltimore map: the hierarchy's build (and a customisation
to new weights), one pair, 100 x 100 and 1000 x 1000 matrices, for our CH, our Dijkstra,
scipy's csgraph Dijkstra, pandana's CH (if installed) and, with ``--osrm-python``, OSRM's
MLD (``osrm_peer.py`` run by that interpreter: osrm-bindings needs Python 3.12). Every CH
answer is checked against our Dijkstra on the same pairs. Prints the report and writes the
``## Contraction hierarchies`` section of BENCHMARKS.md.

Run from the project root (takes about 10 minutes; building a 253k graph the first time
takes 4 more, OSRM adds its queries and, the first time, its preprocessing)::

    .venv/bin/python benchmarks/contraction.py [--sizes 234 520] [--no-write]
        [--osrm-python /path/to/python3.12]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
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
OSRM_PEER = Path(__file__).with_name("osrm_peer.py")
OSRM_PAIRS = 300  # single-pair requests timed by OSRM (the pairs checked against Dijkstra)
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
    osrm: float | None = None


@dataclass
class Queries:
    """The node pairs and matrices every engine answered, with our Dijkstra's answers."""

    pairs: NDArray[np.int64]  # (OSRM_PAIRS, 2)
    pair_times: NDArray[np.float64]
    tables: dict[int, tuple[NDArray[np.int64], NDArray[np.float64]]]  # k: (nodes, matrix)


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


def bench_map(
    name: str, graph: routing.RoadGraph, seed: int, quick: bool
) -> tuple[list[Row], Queries]:
    """Every measurement on one graph, and the queries with our Dijkstra's answers."""
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
    pair_times = np.array([routing.travel_time(graph, s, t) for s, t in pairs[:OSRM_PAIRS]])
    pair_check = agreement(
        np.array([ch.travel_time(s, t) for s, t in pairs[:OSRM_PAIRS]]), pair_times, RTOL
    )
    queries = Queries(pairs[:OSRM_PAIRS], pair_times, {})
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
        queries.tables[k] = (nodes, expected)
    return rows, queries


def osrm_peer(
    python: Path, pbf: Path, graph: routing.RoadGraph, queries: Queries, cache: Path, budget: float
) -> dict[str, Any]:
    """OSRM's answer (``osrm_peer.py`` run by ``python``) to ``queries`` at the graph nodes'
    coordinates, its tables loaded from their .npy files."""
    lonlat = np.column_stack([graph.lon, graph.lat])
    arrays: dict[str, Any] = {
        f"table_{k}": lonlat[nodes] for k, (nodes, _) in queries.tables.items()
    }
    arrays["pairs"] = lonlat[queries.pairs]
    with tempfile.TemporaryDirectory() as tmp:
        request, out = Path(tmp) / "queries.npz", Path(tmp) / "osrm.json"
        np.savez(request, **arrays)
        cmd = [str(python), str(OSRM_PEER), str(pbf), "--cache", str(cache)]
        cmd += ["--queries", str(request), "--out", str(out), "--budget", str(budget)]
        subprocess.run(cmd, check=True)
        result: dict[str, Any] = json.loads(out.read_text())
        for table in result.get("tables", {}).values():
            table["durations"] = np.load(table["durations"])
    return result


def add_osrm(rows: list[Row], result: dict[str, Any], queries: Queries) -> None:
    """OSRM's column: preprocessing, engine load and query times, and in the answers its
    relative difference from our Dijkstra."""
    by_work = {r.work: r for r in rows}
    prep = result["preprocessing"]
    steps = " + ".join(f"{step} {fmt(s)}" for step, s in prep["seconds"].items())
    first = by_work["CH preprocessing"]
    if "timeout" in prep:
        first.check += (
            f"; OSRM MLD: preprocessing stopped in {prep['timeout']} after {steps} "
            f"(budget {fmt(prep['budget_s'])}), no queries"
        )
        return
    first.osrm = sum(prep["seconds"].values())
    when = f"built {prep['built']}" + (
        ", read from its cache in this run" if prep["cached"] else ""
    )
    first.check += f"; OSRM MLD: {steps} ({when})"
    by_work["CH load from the cache"].osrm = result["load_s"]
    pair = by_work["1 pair"]
    pair.osrm = result["pair_s"]
    got = np.array([np.inf if d is None else d for d in result["pair_durations"]])
    pair.check += f"; OSRM: {difference(got, queries.pair_times)}"
    for k, table in result["tables"].items():
        row = by_work[f"{k} x {k}"]
        row.osrm = table["seconds"]
        row.check += f"; OSRM: {difference(table['durations'], queries.tables[int(k)][1])}"


def difference(got: NDArray[np.float64], expected: NDArray[np.float64]) -> str:
    """Largest and median relative difference from ours over the pairs both connect, and
    how many pairs only one of them connects."""
    both = np.isfinite(got) & np.isfinite(expected) & (expected > 0)
    diff = np.abs(got[both] - expected[both]) / expected[both]
    text = f"max rel. diff {diff.max():.2f}, median {np.median(diff):.2f}" if diff.size else "-"
    one = int((np.isfinite(got) != np.isfinite(expected)).sum())
    return text + (f", {one:,} pairs connected by one engine only" if one else "")


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


def report(
    command: str, load: float, maps: list[tuple[str, str, list[Row]]], osrm: str | None
) -> str:
    """The BENCHMARKS.md section; ``osrm`` is OSRM's version line, None if it was not run."""
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        import pandana  # noqa: F401

        libraries = (*LIBRARIES, "pandana")
    except ImportError:
        libraries = LIBRARIES
    parts = [
        SECTION,
        f"Command (from the project root): `{command}`  \nRun: {when}  \n"
        f"Machine: {machine(libraries)}" + (f"; {osrm}" if osrm else "") + "  \n"
        f"Load average (1 min): {load:.2f} before the run, {os.getloadavg()[0]:.2f} at its end",
    ]
    header = ["work", "ours: CH", "ours: Dijkstra", "scipy Dijkstra", "pandana CH"]
    header += ["OSRM MLD", "answers"] if osrm else ["answers"]
    for name, size, rows in maps:
        table = [
            [r.work, fmt(r.ours_ch), fmt(r.ours_dijkstra), fmt(r.scipy), fmt(r.pandana)]
            + ([fmt(r.osrm)] if osrm else [])
            + [r.check]
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
    if osrm:
        parts[-1] += (
            "\n\nOSRM runs in a Python 3.12 subprocess (`benchmarks/osrm_peer.py`; osrm-bindings "
            "does not install on our 3.11) on the same .osm.pbf with its own car profile, "
            "preprocessed by its MLD pipeline (`extract`, `partition`, `customize`, each timed, "
            "the files cached by a hash of the map and profile: a rerun reads them and reports the "
            "timings of the run that built them). OSRM's CH pipeline (`contract`) is not "
            "measured: it took 24 minutes on the 51k map and would take hours on the 253k one. "
            "Its queries are `Table` requests (durations only, no hints) at our graph nodes' exact "
            "coordinates, which OSRM snaps to its own road segments: the median of "
            f"{OSRM_PAIRS} single-pair requests (the pairs checked above), 3 runs of the 100 x 100 "
            "table, 1 of the 1000 x 1000; its load is the `OSRM(...)` constructor on the files. "
            "OSRM answers one request on one thread. Its times are reported with their largest "
            "and median relative difference from our Dijkstra, not judged: OSRM's car profile "
            "has its own speeds (maxspeed tags scaled by 0.8, its own highway-class defaults), "
            "turn, U-turn and traffic-signal penalties, and picks routes by its 'routability' "
            "weight before reporting their duration, where our graph's travel times follow the "
            "sanitised maxspeed and per-class default speeds (osmnx's rules) with no turn "
            "costs; OSRM rounds durations to 0.1 s."
        )
    else:
        parts[-1] += (
            "\n\nOSRM was not run: its Python package (osrm-bindings) needs Python 3.12 and "
            "this project runs on 3.11; pass `--osrm-python` with a 3.12 interpreter that has "
            "it to add its MLD column (`benchmarks/osrm_peer.py` runs there)."
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
    parser.add_argument(
        "--osrm-python",
        type=Path,
        default=None,
        help="a Python 3.12 with osrm-bindings: adds OSRM's MLD (benchmarks/osrm_peer.py)",
    )
    parser.add_argument(
        "--osrm-cache",
        type=Path,
        default=routing.cache_dir() / "osrm",
        help="OSRM's preprocessed maps",
    )
    parser.add_argument(
        "--osrm-budget", type=float, default=900.0, help="seconds for OSRM's preprocessing per map"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every measurement, print the report, write BENCHMARKS.md."""
    args = parse_args(argv)
    load = os.getloadavg()[0]
    routing.warm_up()
    warm = routing.contraction_hierarchy(routing.load_graph(None), use_cache=False)
    warm.travel_time_matrix([0, 1])
    maps, osrm = [], None
    sources = [
        (f"metro --n {size}", metro_map(size, args.metro_dir, args.tool), SEED + offset)
        for offset, size in enumerate(args.sizes)
    ]
    sources.append(("Baltimore, embedded OSM map", routing.default_map_path(), SEED))
    for label, path, seed in sources:
        stage(f"loading {path} (built once into the graph cache)")
        graph = routing.load_graph(path)
        rows, queries = bench_map(label, graph, seed, args.quick)
        if args.osrm_python is not None:
            stage(f"{label}: OSRM")
            result = osrm_peer(
                args.osrm_python, path, graph, queries, args.osrm_cache, args.osrm_budget
            )
            add_osrm(rows, result, queries)
            osrm = f"OSRM: osrm-bindings {result['osrm']} on Python {result['python']}"
        maps.append((label, f"{graph.n_nodes:,} nodes, {graph.n_edges:,} edges", rows))
    options = sys.argv[1:] if argv is None else list(argv)
    command = " ".join([".venv/bin/python", "benchmarks/contraction.py", *options])
    section = report(command, load, maps, osrm)
    print("\n" + section, flush=True)
    if not args.no_write:
        write_section(SECTION, section)
        stage(f"wrote {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
