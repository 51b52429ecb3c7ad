"""Benchmark the dial-a-ride searches on the literature instances of ../shared/data.

The ALNS and OR-Tools side by side at the same budgets, through the same code as
``dispatch bench darp|pdptw --solver S``: solve, check the plan with the independent
checker, recompute the cost in double precision, compare with the best-known solution.
Cordeau (2006) 'a' instances and the Cordeau & Laporte (2003) 'pr' instance at 10 s and
30 s, Li & Lim at 60 s (the budgets of the targets). Writes the ``## Scheduling`` section
of BENCHMARKS.md.
Usage: ``.venv/bin/python benchmarks/scheduling.py [--darp-budgets 10,30] [--pdptw-budget 60]
[--only NAME ...] [--no-write]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _report import ROOT, machine, markdown_table, write_section

from dispatch.cli.bench_commands import SOLVERS, bench_instances

DATA = ROOT.parent / "shared" / "data"
LIBRARIES = ("ortools", "numpy", "numba")
SEED = 0
WORKERS = 2  # ALNS searches in parallel, one per core

Results = dict[tuple[str, float], list[dict[str, Any]]]  # (solver, budget) -> rows


def _run(kind: str, files: list[Path], budgets: Sequence[float]) -> Results:
    results: Results = {}
    for budget in budgets:
        for solver in SOLVERS:
            results[solver, budget] = bench_instances(
                kind,  # type: ignore[arg-type]
                files,
                budget,
                solver=solver,
                seed=SEED,
                workers=WORKERS,
            )
    return results


def _cell(row: dict[str, Any], vehicles: bool) -> str:
    text = f"{row['cost']:.2f} ({row['gap']:+.2%})"
    if vehicles:
        text = f"{row['vehicles']} veh, " + text
    return text if row["feasible"] else f"**{text} infeasible**"


def _table(results: Results, vehicles: bool) -> str:
    keys = list(results)
    first = results[keys[0]]
    header = ["instance", "requests", "BKS"] + [f"{s} {b:g} s" for s, b in keys]
    rows = []
    for i, base in enumerate(first):
        bks = f"{base['bks_vehicles']} veh, {base['bks_cost']:.2f}" if vehicles else ""
        rows.append(
            [base["instance"], str(base["requests"]), bks or f"{base['bks_cost']:.2f}"]
            + [_cell(results[k][i], vehicles) for k in keys]
        )
    means = ["mean gap (every row)", "", ""] + [f"{_mean(results[k]):+.2%}" for k in keys]
    return markdown_table(header, [*rows, means])


def _mean(rows: list[dict[str, Any]]) -> float:
    return sum(r["gap"] for r in rows) / len(rows)


def _checks(darp: Results, pdptw: Results, budgets: Sequence[float], ll: float) -> list[Any]:
    checks = []
    for solver in SOLVERS:
        rows = [r for b in budgets for r in darp[solver, b]]
        checks.append((f"{solver}: every Cordeau plan feasible", all(r["feasible"] for r in rows)))
    for budget, limit in ((10.0, 0.01), (30.0, 0.005)):
        if budget not in budgets:
            continue
        a = [r for r in darp["alns", budget] if r["family"] == "a"]
        mean = _mean(a)
        checks.append(
            (f"alns {budget:g} s: 'a' mean gap <= {limit:.1%} ({mean:+.2%})", mean <= limit)
        )
        if budget == 30.0:
            worst = max(r["gap"] for r in a)
            checks.append((f"alns 30 s: no 'a' gap above 2% ({worst:+.2%})", worst <= 0.02))
            pr = [r for r in darp["alns", budget] if r["family"] == "pr"]
            if pr:
                ok = all(r["feasible"] and r["gap"] <= 0.01 for r in pr)
                checks.append(("alns 30 s: pr01 feasible within 1%", ok))
    if ("alns", ll) in pdptw:
        rows = pdptw["alns", ll]
        checks.append(
            (
                f"alns {ll:g} s: Li & Lim at the BKS vehicle count",
                all(r["feasible"] and r["vehicles"] <= r["bks_vehicles"] for r in rows),
            )
        )
        checks.append(
            (
                f"alns {ll:g} s: Li & Lim distance within 1% of the BKS",
                all(r["gap"] <= 0.01 for r in rows),
            )
        )
    return checks


def main(argv: Sequence[str] | None = None) -> int:
    """Run both instance sets with both searches, print and write the section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--darp-budgets", default="10,30", help="seconds, comma separated")
    parser.add_argument("--pdptw-budget", type=float, default=60.0, help="seconds")
    parser.add_argument("--only", nargs="*", help="instance names to run (default: all)")
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    args = parser.parse_args(argv)
    budgets = [float(b) for b in args.darp_budgets.split(",")]

    def pick(files: list[Path]) -> list[Path]:
        return [f for f in files if not args.only or f.stem in args.only]

    darp_files = pick(
        sorted((DATA / "darp/cordeau2006").glob("a*.txt"))
        + sorted((DATA / "darp/cordeau2003").glob("pr*.txt"))
    )
    pdptw_files = pick(sorted((DATA / "pdptw/lilim").glob("l*.txt")))
    darp = _run("darp", darp_files, budgets) if darp_files else {}
    pdptw = _run("pdptw", pdptw_files, [args.pdptw_budget]) if pdptw_files else {}
    checks = _checks(darp, pdptw, budgets, args.pdptw_budget) if darp and pdptw else []
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "## Scheduling",
        "Command (from the project root): `.venv/bin/python benchmarks/scheduling.py` "
        "(each cell as `dispatch bench "
        "darp|pdptw FILE... --solver S --time-limit B --seed 0 --workers 2`)  \n"
        f"Run: {when}  \nMachine: {machine(LIBRARIES)}",
        "Each cell: cost (gap to the best-known solution), the cost recomputed in double "
        "precision by the independent checker. alns: our adaptive large neighbourhood "
        "search (`dispatch.alns`, two searches in parallel processes: seed 0, and seed 1 "
        "with a warmer annealing; the better kept; time budget only); ortools: OR-Tools routing "
        "(parallel cheapest insertion, guided local search). Li & Lim runs put a fixed cost "
        "on each vehicle (fewest vehicles first, then distance).",
    ]
    if darp:
        parts.append(
            "### Cordeau (2006) 'a' and Cordeau & Laporte (2003) 'pr' dial-a-ride\n\n"
            + _table(darp, vehicles=False)
        )
    if pdptw:
        parts.append("### Li & Lim PDPTW\n\n" + _table(pdptw, vehicles=True))
    if checks:
        parts.append(
            "### Targets\n\n"
            + markdown_table(
                ["target", "result"], [[t, "PASS" if ok else "**FAIL**"] for t, ok in checks]
            )
        )
    section = "\n\n".join(parts)
    print(section)
    if not args.no_write and checks:
        write_section("## Scheduling", section)
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
