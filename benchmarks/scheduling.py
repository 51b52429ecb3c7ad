"""Benchmark the dial-a-ride solver on the literature instances of ../shared/data.

Every Cordeau (2006) instance and every Li & Lim instance given there, 30 s each (as the
targets ask), through the same code as ``dispatch bench darp|pdptw``: solve, check the
plan with the independent checker, recompute the cost in double precision, compare with
the best-known solution. Writes the ``## Scheduling`` section of BENCHMARKS.md.
Usage: ``.venv/bin/python benchmarks/scheduling.py [--time-limit S] [--no-write]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from typing import Any

from _report import ROOT, machine, markdown_table, write_section

from dispatch.cli.bench_commands import bench_instances

DATA = ROOT.parent / "shared" / "data"
LIBRARIES = ("ortools", "numpy")


def _rows(results: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            r["instance"],
            str(r["requests"]),
            f"{r['cost']:.2f}",
            str(r["vehicles"]),
            f"{r['bks_cost']:.2f}",
            str(r["bks_vehicles"]),
            f"{r['gap']:+.2%}",
            "yes" if r["feasible"] else "**NO**",
            r["method"],
            f"{r['seconds']:.1f}",
        ]
        for r in results
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run both instance sets, print and write the section; 1 if a target fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds per instance")
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    args = parser.parse_args(argv)
    darp = bench_instances(
        "darp", sorted((DATA / "darp/cordeau2006").glob("a*.txt")), args.time_limit
    )
    pdptw = bench_instances("pdptw", sorted((DATA / "pdptw/lilim").glob("l*.txt")), args.time_limit)
    mean_gap = sum(r["gap"] for r in darp) / len(darp)
    checks = [
        ("every Cordeau instance feasible", all(r["feasible"] for r in darp)),
        (f"Cordeau mean gap to BKS <= 3% (measured {mean_gap:+.2%})", mean_gap <= 0.03),
        (
            "Li & Lim feasible with at most BKS + 1 vehicles",
            all(r["feasible"] and r["vehicles"] <= r["bks_vehicles"] + 1 for r in pdptw),
        ),
    ]
    header = [
        "instance",
        "requests",
        "cost",
        "vehicles",
        "BKS",
        "BKS vehicles",
        "gap",
        "feasible (checker)",
        "method",
        "seconds",
    ]
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = "\n\n".join(
        [
            "## Scheduling",
            f"Command (from the project root): `.venv/bin/python benchmarks/scheduling.py` "
            f"(as `dispatch bench darp|pdptw FILE... --time-limit {args.time_limit:g}`)  \n"
            f"Run: {when}  \nMachine: {machine(LIBRARIES)}",
            f"OR-Tools routing (parallel cheapest insertion, guided local search), "
            f"{args.time_limit:g} s per instance; costs recomputed in double precision by the "
            "independent checker. Li & Lim runs put a fixed cost on each vehicle (fewest vehicles "
            "first, then distance).",
            "### Cordeau (2006) dial-a-ride\n\n" + markdown_table(header, _rows(darp)),
            "### Li & Lim PDPTW\n\n" + markdown_table(header, _rows(pdptw)),
            "### Targets\n\n"
            + markdown_table(
                ["target", "result"], [[t, "PASS" if ok else "**FAIL**"] for t, ok in checks]
            ),
        ]
    )
    print(section)
    if not args.no_write:
        write_section("## Scheduling", section)
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
