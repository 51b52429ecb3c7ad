"""Building the road graph from an OSM file: our array pipeline against the osmnx pipeline.

For each map (the embedded Baltimore map, the shared OSM extracts, the synthetic metro maps
of the shared tool), each pipeline builds the graph in a fresh process, so that the peak
memory (the child's maximum resident set) is its own: ours (``routing.build_graph``:
pyosmium, numpy, scipy, a numba path walk) and osmnx's (``network_from_osm_file`` then
``compile_network``, the reference it is tested against). Where both ran, the two graphs
are compared array for array. The osmnx pipeline is skipped on maps above ``--osmnx-max``
nodes (the 253k map took it 242 s and 5.2 GB). Targets on the 253k map: at most 60 s and
2.5 GB. Writes the ``## Graph build`` section of BENCHMARKS.md.

Run from the project root (about 2 minutes with the osmnx pipeline on the 51k map)::

    .venv/bin/python benchmarks/graph_build.py [--sizes 234 520] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from _report import REPORT, ROOT, machine, markdown_table, write_section
from contraction import TOOL, metro_map, stage

import routing
from routing.graph import ARRAY_FIELDS

SECTION = "## Graph build"
SHARED_OSM = ROOT.parent / "shared" / "data" / "osm"
TARGET_S, TARGET_GB = 60.0, 2.5

_CHILD = """
import json, resource, sys, time
from pathlib import Path
import routing
from routing.build import compile_network, network_from_osm_file
path, pipeline, out = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
routing.warm_up()
import osmnx  # imported before the clock starts, by both pipelines alike
started = time.perf_counter()
if pipeline == "ours":
    graph = routing.build_graph(path)
else:
    graph = compile_network(network_from_osm_file(path), path.name)
seconds = time.perf_counter() - started
graph.save(out)
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_gb": peak_kb / 2**20, "nodes": graph.n_nodes,
                  "edges": graph.n_edges}))
"""


def build(path: Path, pipeline: str, out: Path) -> dict[str, float]:
    """Build ``path`` with ``pipeline`` (ours or osmnx) in a fresh process; its figures."""
    run = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), pipeline, str(out)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    figures: dict[str, float] = json.loads(run.stdout.strip().splitlines()[-1])
    return figures


def equal(first: Path, second: Path) -> str:
    """Whether two saved graphs have the same arrays (every one a saved graph holds)."""
    a, b = routing.RoadGraph.load(first), routing.RoadGraph.load(second)
    same = all(np.array_equal(getattr(a, name), getattr(b, name)) for name in ARRAY_FIELDS)
    return "equal" if same else "**different**"


def maps(sizes: Sequence[int], metro_dir: Path) -> list[tuple[str, Path]]:
    """(label, path) of every map measured, smallest first."""
    found = [("Baltimore (embedded)", routing.default_map_path())]
    found += [(p.name, p) for p in sorted(SHARED_OSM.glob("*.osm*")) if routing.is_osm_file(p)]
    found += [(f"metro --n {n}", metro_map(n, metro_dir, TOOL)) for n in sizes]
    return found


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[234, 520])
    parser.add_argument("--metro-dir", type=Path, default=routing.cache_dir() / "metro")
    parser.add_argument(
        "--osmnx-max", type=int, default=100_000, help="largest map (nodes) osmnx builds"
    )
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Build every map with both pipelines, print the table, write BENCHMARKS.md."""
    args = parse_args(argv)
    load = os.getloadavg()[0]
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows, largest = [], None
    with tempfile.TemporaryDirectory(prefix="graph-build-") as tmp:
        for label, path in maps(args.sizes, args.metro_dir):
            stage(f"{label}: our pipeline")
            ours = build(path, "ours", f"{tmp}/ours.npz")
            largest = ours
            theirs, same = None, "not run (too large)"
            if ours["nodes"] <= args.osmnx_max:
                stage(f"{label}: osmnx pipeline")
                theirs = build(path, "osmnx", f"{tmp}/osmnx.npz")
                same = equal(Path(f"{tmp}/ours.npz"), Path(f"{tmp}/osmnx.npz"))
            rows.append(
                [
                    label,
                    f"{ours['nodes']:,} / {ours['edges']:,}",
                    f"{ours['seconds']:.2f} s, {ours['peak_gb']:.2f} GB",
                    ""
                    if theirs is None
                    else f"{theirs['seconds']:.2f} s, {theirs['peak_gb']:.2f} GB",
                    same,
                ]
            )
    assert largest is not None
    met = largest["seconds"] <= TARGET_S and largest["peak_gb"] <= TARGET_GB
    options = sys.argv[1:] if argv is None else list(argv)
    command = " ".join([".venv/bin/python", "benchmarks/graph_build.py", *options])
    table = markdown_table(
        ["map", "nodes / edges", "ours: time, peak memory", "osmnx pipeline", "graphs"], rows
    )
    section = (
        f"{SECTION}\n\nCommand (from the project root): `{command}`  \nRun: {when} (load "
        f"{load:.1f} at the start)  \nMachine: {machine(['osmnx', 'osmium', 'numpy'])}\n\n"
        f"Each build in a fresh process after `routing.warm_up()` and the osmnx import; time "
        f"of the build call, peak memory the process's maximum resident set (interpreter "
        f"and libraries included). 'graphs' compares every array of the two saved results "
        f"(node ids and coordinates, CSR arrays both ways, times, lengths, road classes, "
        f"signals, bearings and geometry).\n\n{table}\n\n"
        f"Target on the largest map: at most {TARGET_S:.0f} s and {TARGET_GB} GB: "
        f"{'met' if met else '**not met**'}. The osmnx pipeline took 242 s and 5.2 GB on "
        f"the 253k map (measured before, not rerun).\n"
    )
    print("\n" + section, flush=True)
    if not args.no_write:
        write_section(SECTION, section)
        stage(f"wrote {REPORT}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
