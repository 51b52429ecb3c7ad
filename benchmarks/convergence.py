"""Convergence of the dial-a-ride searches: gap to the best-known solution over time.

Each Cordeau (2006) 'a' instance of ../shared/data is solved once per search (the ALNS
with its two parallel searches, OR-Tools) at the same budget through
``dispatch.scheduling.schedule`` with ``trace=True``: the plan records each shorter plan
serving every request the search found, and when. The gap to the best-known solution is
a step function of time per instance; the mean is taken over the instances that have a
plan at that moment (their number is plotted below the gaps). Writes the figure
``benchmarks/figures/convergence.png`` and the ``## Convergence`` section of BENCHMARKS.md;
the traces go to a JSON file, from which ``--from-traces`` redraws without solving.
Usage: ``.venv/bin/python benchmarks/convergence.py [--budget 30] [--only NAME ...]
[--traces FILE] [--from-traces FILE] [--no-write]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _report import ROOT, machine, markdown_table, write_section
from matplotlib.figure import Figure
from numpy.typing import NDArray

from dispatch.checker import check_plan
from dispatch.cli.bench_commands import SOLVERS
from dispatch.instances import read_bks, read_instance
from dispatch.scheduling import SolveParams, schedule
from models.plots import save_figure

COMMAND = ".venv/bin/python benchmarks/convergence.py"
HEADING = "## Convergence"
LIBRARIES = ("ortools", "numpy", "numba", "matplotlib")
CORDEAU = ROOT.parent / "shared" / "data" / "darp" / "cordeau2006"
FIGURE = ROOT / "benchmarks" / "figures" / "convergence.png"
TRACES = ROOT / "out" / "convergence_traces.json"
SEED = 0
WORKERS = 2  # ALNS searches in parallel, one per core
MOMENTS = (1.0, 3.0, 10.0, 30.0)  # seconds, for the table
COLOURS = {"alns": "tab:blue", "ortools": "tab:orange"}


def stage(message: str) -> None:
    """Progress line on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _warm_up() -> None:
    """Compile the ALNS kernels and load OR-Tools before any clock runs."""
    problem = read_instance(CORDEAU / "a2-16.txt")
    schedule(problem, SolveParams(time_limit_s=5.0, search="alns", iterations=20, trace=True))
    schedule(problem, SolveParams(time_limit_s=0.5, search="ortools", trace=True))


def _solve(files: list[Path], budget: float) -> list[dict[str, Any]]:
    """One run per instance and search: its trace, final plan check and the BKS."""
    bks = read_bks(CORDEAU / "BKS.csv")
    runs = []
    for path in files:
        problem = read_instance(path)
        for solver in SOLVERS:
            stage(f"{problem.name} {solver} {budget:g} s")
            params = SolveParams(
                time_limit_s=budget, search=solver, seed=SEED, workers=WORKERS, trace=True
            )
            plan = schedule(problem, params)
            report = check_plan(problem, plan)
            runs.append(
                {
                    "instance": problem.name,
                    "solver": solver,
                    "bks": bks[path.stem][0],
                    "feasible": report.feasible and plan.unserved.size == 0,
                    "cost": report.cost,
                    "seconds": plan.solve_seconds,
                    "trace": [list(point) for point in plan.trace or ()],
                }
            )
    return runs


def gap_at(run: dict[str, Any], moments: NDArray[np.float64]) -> NDArray[np.float64]:
    """The run's gap to the BKS at each moment (a step function; NaN before its first plan)."""
    if not run["trace"]:
        return np.full(moments.size, np.nan)
    seconds, distances = np.asarray(run["trace"], dtype=np.float64).T
    index = np.searchsorted(seconds, moments, side="right") - 1
    gaps = distances[np.maximum(index, 0)] / run["bks"] - 1.0
    return np.where(index >= 0, gaps, np.nan)


def mean_gaps(
    runs: list[dict[str, Any]], solver: str, moments: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Mean gap over the instances with a plan at each moment, and how many have one."""
    gaps = np.array([gap_at(r, moments) for r in runs if r["solver"] == solver])
    have = np.sum(~np.isnan(gaps), axis=0)
    total = np.nansum(gaps, axis=0)
    return np.where(have > 0, total / np.maximum(have, 1), np.nan), have


def plot(runs: list[dict[str, Any]], budget: float, path: Path) -> Path:
    """Mean gap (%) against time (log), per search, above the instances with a plan.

    Solid where every instance has a plan; dashed before (the mean of fewer instances,
    which jumps when one with a larger gap joins).
    """
    first = min((r["trace"][0][0] for r in runs if r["trace"]), default=budget / 100)
    grid = np.geomspace(first / 1.5, budget, 800)
    n = len({r["instance"] for r in runs})
    fig = Figure(figsize=(8, 6))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (3, 1)})
    for solver in SOLVERS:
        mean, have = mean_gaps(runs, solver, grid)
        colour = COLOURS.get(solver)
        every = have == n
        # the partial curve runs up to the first moment with every plan, so the two join
        partial = ~every | (np.cumsum(every) == 1)
        top.step(
            grid, np.where(every, 100 * mean, np.nan), where="post", color=colour, label=f"{solver}"
        )
        top.step(
            grid,
            np.where(partial, 100 * mean, np.nan),
            where="post",
            color=colour,
            linestyle="--",
            alpha=0.6,
            label=f"{solver} (some instances without a plan)",
        )
        bottom.step(grid, have, where="post", color=colour, label=solver)
    top.set(
        xscale="log",
        ylabel="mean gap to best known (%)",
        title=f"Cordeau (2006) 'a' instances ({n}): mean gap of the best plan so far",
    )
    top.set_ylim(bottom=0)
    top.grid(True, which="both", alpha=0.3)
    top.legend()
    bottom.set(xlabel="seconds since the solve started (log)", ylabel="instances\nwith a plan")
    bottom.set_ylim(0, n + 0.5)
    bottom.set_yticks(range(0, n + 1, max(n // 4, 1)))
    bottom.grid(True, which="both", alpha=0.3)
    return save_figure(fig, path)


def _mean_table(runs: list[dict[str, Any]], moments: Sequence[float]) -> str:
    n = len({r["instance"] for r in runs})
    at = np.asarray(moments, dtype=np.float64)
    columns = {solver: mean_gaps(runs, solver, at) for solver in SOLVERS}
    rows = []
    for i, moment in enumerate(moments):
        row = [f"{moment:g} s"]
        for mean, have in columns.values():
            cell = "no plan" if have[i] == 0 else f"{mean[i]:+.2%}"
            row.append(cell if have[i] == n else f"{cell} ({have[i]} of {n} instances)")
        rows.append(row)
    return markdown_table(["time", *(f"{s} mean gap" for s in SOLVERS)], rows)


def _instance_table(runs: list[dict[str, Any]]) -> str:
    """Per instance and search: first full plan (time, gap), time to within 1%, final gap."""
    rows = []
    for name in dict.fromkeys(r["instance"] for r in runs):
        row = [name]
        for solver in SOLVERS:
            run = next(r for r in runs if r["instance"] == name and r["solver"] == solver)
            trace = run["trace"]
            if not trace:
                row += ["none", "-", "-"]
                continue
            first_s, first_d = trace[0]
            within = next((s for s, d in trace if d <= 1.01 * run["bks"]), None)
            final = f"{run['cost'] / run['bks'] - 1:+.2%}"
            row += [
                f"{first_s:.3f} s ({first_d / run['bks'] - 1:+.1%})",
                "never" if within is None else f"{within:.2f} s",
                final if run["feasible"] else f"**{final} infeasible**",
            ]
        rows.append(row)
    header = ["instance"] + [
        f"{s} {what}" for s in SOLVERS for what in ("first plan", "within 1%", "final")
    ]
    return markdown_table(header, rows)


def section(runs: list[dict[str, Any]], budget: float, header: str, figure: Path) -> str:
    """The BENCHMARKS.md section."""
    shown = figure.resolve()
    if shown.is_relative_to(ROOT):
        shown = shown.relative_to(ROOT)
    return "\n\n".join(
        [
            HEADING,
            header,
            f"Each Cordeau (2006) 'a' instance solved once per search at {budget:g} s, as in "
            "the Scheduling section (`schedule` with `SolveParams(search=S, seed=0, workers=2, "
            "trace=True)`: the ALNS as two searches in parallel processes, their traces "
            "merged; OR-Tools with guided local search, its trace from a solution callback). "
            "A trace records the distance of each shorter plan serving every request and "
            "when it was found, counted from the call; the gap to the best-known solution "
            "is a step function of time. The means are over the instances that have a plan "
            "at that moment (the count is given where it is not all of them).",
            "### Mean gap over time\n\n" + _mean_table(runs, [m for m in MOMENTS if m <= budget]),
            f"![Mean gap to the best-known solution over time]({shown})",
            "### Per instance\n\n"
            + _instance_table(runs)
            + "\n\nFirst plan: when the first plan serving every request was found, and its "
            "gap. Final: the returned plan, checked by the independent checker.",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Solve (or read traces), plot, print and write the section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per solve")
    parser.add_argument("--only", nargs="*", help="instance names to run (default: all 'a')")
    parser.add_argument("--traces", type=Path, default=TRACES, help="JSON file of the traces")
    parser.add_argument("--from-traces", type=Path, help="redraw from this JSON, no solving")
    parser.add_argument("--figure", type=Path, default=FIGURE, help="PNG to write")
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    args = parser.parse_args(argv)

    if args.from_traces:
        saved = json.loads(args.from_traces.read_text())
        runs, budget, header = saved["runs"], saved["budget"], saved["header"]
    else:
        files = [f for f in sorted(CORDEAU.glob("a*.txt")) if not args.only or f.stem in args.only]
        load = os.getloadavg()[0]
        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        stage("warming up (ALNS kernels compiled, OR-Tools loaded)")
        _warm_up()
        budget = args.budget
        runs = _solve(files, budget)
        header = (
            f"Command (from the project root): `{COMMAND}`  \nRun: {when}  \n"
            f"Machine: {machine(LIBRARIES)}  \n"
            f"Load average (1 min): {load:.2f} before the run, "
            f"{os.getloadavg()[0]:.2f} at its end"
        )
        args.traces.parent.mkdir(parents=True, exist_ok=True)
        args.traces.write_text(json.dumps({"budget": budget, "header": header, "runs": runs}))
    figure = plot(runs, budget, args.figure)
    text = section(runs, budget, header, figure)
    print(text)
    if not args.no_write:
        write_section(HEADING, text)
    return 0 if all(r["feasible"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
