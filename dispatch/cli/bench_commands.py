"""``dispatch bench darp|pdptw``: the scheduling solver on literature instances, against BKS.

The search is the ALNS by default (``--solver alns``, two searches in parallel processes
by default; reproducible with ``--seed`` and ``--iterations``), OR-Tools with
``--solver ortools``.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from dispatch.checker import check_plan
from dispatch.instances import InstanceKind, read_bks, read_instance
from dispatch.scheduling import Search, SolveParams, schedule

from ._common import UsageError, print_table, write_json

# Li & Lim rank solutions by vehicles first, then distance: a used vehicle costs more than
# any distance saving it could buy on these instances.
VEHICLE_FIRST_COST = 100_000.0
SOLVERS: tuple[Search, ...] = ("alns", "ortools")


def bench_instances(
    kind: InstanceKind,
    files: list[Path],
    time_limit_s: float,
    *,
    solver: Search = "alns",
    seed: int = 0,
    iterations: int | None = None,
    workers: int = 1,
) -> list[dict[str, Any]]:
    """Solve each instance, check the plan, and compare with the BKS beside the file."""
    params = SolveParams(
        time_limit_s=time_limit_s,
        vehicle_fixed_cost=VEHICLE_FIRST_COST if kind == "pdptw" else 0.0,
        search=solver,
        seed=seed,
        iterations=iterations,
        workers=workers,
    )
    rows = []
    for path in tqdm(files, desc=f"solving {kind}", unit="instance", file=sys.stderr):
        problem = read_instance(path, kind=kind)
        started = time.perf_counter()
        plan = schedule(problem, params)
        seconds = time.perf_counter() - started
        bks_file = path.parent / "BKS.csv"
        bks = read_bks(bks_file).get(path.stem) if bks_file.is_file() else None
        report = check_plan(problem, plan)
        row: dict[str, Any] = {
            "instance": problem.name,
            "family": family(problem.name),
            "solver": solver,
            "requests": problem.n_requests,
            "method": plan.method,
            "cost": report.cost,
            "vehicles": report.vehicles_used,
            "unserved": int(plan.unserved.size),
            "feasible": report.feasible and plan.unserved.size == 0,
            "seconds": seconds,
            "violations": [v.message for v in report.violations[:5]],
        }
        if bks is not None:
            row |= {"bks_cost": bks[0], "bks_vehicles": bks[1], "gap": report.cost / bks[0] - 1.0}
        rows.append(row)
    return rows


def family(name: str) -> str:
    """An instance's family: the letters its name starts with (``a``, ``pr``, ``lrc``...)."""
    match = re.match(r"[A-Za-z]*", name)
    return match.group(0) if match and match.group(0) else name


def mean_gaps(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Mean gap to the BKS per family, over the rows that have one."""
    by_family: dict[str, list[float]] = {}
    for r in rows:
        if "gap" in r:
            by_family.setdefault(r["family"], []).append(r["gap"])
    return {f: sum(g) / len(g) for f, g in by_family.items()}


def _cmd_bench(args: argparse.Namespace) -> int:
    files = [Path(f) for f in args.files]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        msg = f"instance file(s) not found: {', '.join(missing)}"
        raise UsageError(msg)
    if args.time_limit <= 0:
        msg = f"--time-limit must be positive, got {args.time_limit}"
        raise UsageError(msg)
    if args.workers <= 0:
        msg = f"--workers must be positive, got {args.workers}"
        raise UsageError(msg)
    if args.iterations is not None and args.iterations <= 0:
        msg = f"--iterations must be positive, got {args.iterations}"
        raise UsageError(msg)
    rows = bench_instances(
        args.kind,
        files,
        args.time_limit,
        solver=args.solver,
        seed=args.seed,
        iterations=args.iterations,
        workers=args.workers,
    )
    table = [
        (
            r["instance"],
            r["requests"],
            f"{r['cost']:.2f}" if "cost" in r else "-",
            r.get("vehicles", "-"),
            "yes" if r["feasible"] else "NO",
            f"{r['seconds']:.1f}" if "seconds" in r else "-",
            f"{r['bks_cost']:.2f} / {r['bks_vehicles']}" if "bks_cost" in r else "-",
            f"{r['gap']:+.2%}" if "gap" in r else "-",
        )
        for r in rows
    ]
    print_table(
        ("instance", "requests", "cost", "vehicles", "feasible", "seconds", "BKS / veh", "gap"),
        table,
    )
    gaps = [r["gap"] for r in rows if "gap" in r]
    for name, gap in mean_gaps(rows).items():
        print(f"mean gap to BKS, family {name}: {gap:+.2%}")
    if gaps:
        print(f"mean gap to BKS: {sum(gaps) / len(gaps):+.2%} over {len(gaps)} instance(s)")
    if args.json:
        write_json(rows, args.json)
    return 0 if all(r["feasible"] for r in rows) else 1


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``bench darp`` and ``bench pdptw``."""
    bench = commands.add_parser("bench", help="solve literature benchmark instances")
    kinds = bench.add_subparsers(dest="kind", required=True)
    for kind, what in (
        ("darp", "Cordeau (2006) dial-a-ride instances"),
        ("pdptw", "Li & Lim pickup-and-delivery instances"),
    ):
        sub = kinds.add_parser(kind, help=what)
        sub.add_argument("files", nargs="+", help="instance files (BKS.csv beside them is used)")
        sub.add_argument("--time-limit", type=float, default=30.0, help="seconds per instance")
        sub.add_argument("--json", help="write the results to this JSON file")
        sub.add_argument(
            "--solver", choices=SOLVERS, default="alns", help="the search (default: alns)"
        )
        sub.add_argument("--seed", type=int, default=0, help="the ALNS's random seed")
        sub.add_argument(
            "--iterations",
            type=int,
            help="the ALNS's iteration limit (with --seed: the same plan every run)",
        )
        sub.add_argument(
            "--workers",
            type=int,
            default=2,
            help="ALNS searches in parallel processes, seeds from --seed up (default 2)",
        )
        sub.set_defaults(handler=_cmd_bench)
