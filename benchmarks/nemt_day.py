"""Benchmark plan_day on a NEMT-sized day on the default map.

Random pre-booked requests (60% ambulatory, 30% wheelchair, 10% stretcher; a third
arrive-by, the rest ready-by; 15% with an escort) between random nodes of the embedded
Baltimore graph, a fleet of sedans, wheelchair vans, reconfigurable vans and stretcher
vans at one depot, shifts 06:00-18:00, free-flow costs. Plans each day with OR-Tools and
with our ALNS; reports the trips served, the vehicles used, vehicle and driving hours, the
checker's verdict and the wall time. Writes the ``## NEMT day`` section of BENCHMARKS.md.
Usage: ``.venv/bin/python benchmarks/nemt_day.py [--time-limit 30] [--no-write]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import numpy as np
from _report import machine, markdown_table, write_section

import routing
from dispatch.checker import CheckReport, check_plan
from dispatch.costs import CostProvider
from dispatch.domain import (
    RECONFIGURABLE_VAN,
    SEDAN,
    STRETCHER_VAN,
    WHEELCHAIR_VAN,
    Location,
    Mobility,
    TripRequest,
    Vehicle,
)
from dispatch.planner import plan_day

DAY = dt.datetime(2026, 3, 2, tzinfo=ZoneInfo("America/New_York"))
FLEET = (SEDAN,) * 12 + (WHEELCHAIR_VAN,) * 8 + (RECONFIGURABLE_VAN,) * 6 + (STRETCHER_VAN,) * 4
MOBILITY = (Mobility.AMBULATORY, Mobility.WHEELCHAIR, Mobility.STRETCHER)
SIZES = (200, 400, 600)
FIRST_PLAN_S = 5.0  # the budget of the quick plan


def day_instance(
    graph: routing.RoadGraph, n_requests: int, seed: int
) -> tuple[list[TripRequest], list[Vehicle]]:
    """Random requests and the fleet (see the module docstring)."""
    rng = np.random.default_rng(seed)

    def place(node: int) -> Location:
        return Location(lat=float(graph.lat[node]), lon=float(graph.lon[node]))

    depot = place(int(rng.integers(graph.n_nodes)))
    vehicles = [
        Vehicle(
            id=f"V{k:02d}",
            type=t,
            depot=depot,
            shift_start=DAY + dt.timedelta(hours=6),
            shift_end=DAY + dt.timedelta(hours=18),
        )
        for k, t in enumerate(FLEET)
    ]
    requests = []
    for r in range(n_requests):
        a, b = (int(x) for x in rng.choice(graph.n_nodes, 2, replace=False))
        at = DAY + dt.timedelta(hours=float(rng.uniform(7.5, 15.5)))
        common = {
            "id": f"T{r:04d}",
            "rider_id": f"R{r:04d}",
            "pickup": place(a),
            "dropoff": place(b),
            "mobility": MOBILITY[int(rng.choice(3, p=[0.6, 0.3, 0.1]))],
            "escorts": int(rng.random() < 0.15),
        }
        when = {"appointment_at": at} if r % 3 == 0 else {"ready_at": at}
        requests.append(TripRequest(**common, **when))
    return requests, vehicles


RUNS = (("ortools", 1, None), ("alns", 2, None), ("alns", 2, FIRST_PLAN_S))
"""(search, workers, budget): OR-Tools and the ALNS at the full budget, the ALNS at 5 s."""


def main(argv: Sequence[str] | None = None) -> int:
    """Plan days of several sizes with each search, print and write the section; 1 if a
    plan is infeasible or a target fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=30.0, help="solver budget (s)")
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    args = parser.parse_args(argv)
    graph = routing.load_graph()
    routing.warm_up()
    rows, feasible, results = [], True, {}
    for n in SIZES:
        requests, vehicles = day_instance(graph, n, seed=0)
        for search, workers, budget in RUNS:
            limit = budget or args.time_limit
            started = time.perf_counter()
            day = plan_day(
                requests,
                vehicles,
                CostProvider(graph),
                time_limit_s=limit,
                search=search,
                workers=workers,
            )
            wall = time.perf_counter() - started
            report = check_plan(day.problem, day.plan)
            feasible &= report.feasible
            results[n, search, limit] = report
            rows.append(
                [
                    str(n),
                    f"{search} ({workers} process{'es' if workers > 1 else ''})",
                    f"{limit:g}",
                    f"{report.n_served}",
                    str(report.vehicles_used),
                    f"{report.span / 3600:.1f}",
                    f"{report.cost / 3600:.1f}",
                    "yes" if report.feasible else "**NO**",
                    f"{wall:.1f}",
                ]
            )
            print(" | ".join(rows[-1]), flush=True)
    targets = _targets(results, args.time_limit)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = "\n\n".join(
        [
            "## NEMT day",
            "Command (from the project root): `.venv/bin/python benchmarks/nemt_day.py`  \n"
            f"Run: {when}  \nMachine: {machine(('ortools', 'numpy', 'numba'))}",
            "`plan_day` on free-flow costs, seed 0 (requests and fleet as described in the "
            'script), with each search: OR-Tools (`search="ortools"`) and our ALNS '
            '(`search="alns"`, two searches in parallel processes, the better kept), at '
            f"a {args.time_limit:g} s budget, and the ALNS at {FIRST_PLAN_S:g} s. Vehicle "
            "hours: the time the used vehicles are out, from leaving the depot as late as "
            "the plan allows to coming back, idle time between trips included; driving "
            "hours: the plan's cost (free-flow driving time). Wall time includes the cost "
            "matrix. Every plan is checked by the independent checker.",
            markdown_table(
                [
                    "requests",
                    "search",
                    "budget s",
                    "served",
                    "vehicles used",
                    "vehicle hours",
                    "driving hours",
                    "feasible (checker)",
                    "wall s",
                ],
                rows,
            ),
            "### Targets",
            markdown_table(["target", "measured", "result"], targets),
        ]
    )
    print(section)
    if not args.no_write:
        write_section("## NEMT day", section)
    return 0 if feasible and all(row[2] == "PASS" for row in targets) else 1


def _targets(results: dict[tuple[int, str, float], CheckReport], budget: float) -> list[list[str]]:
    """The issue's NEMT-day targets on the largest day: served, vehicle hours, a first plan."""
    n = max(SIZES)
    ortools, alns = results[n, "ortools", budget], results[n, "alns", budget]
    first = results[n, "alns", FIRST_PLAN_S]
    checks = [
        (
            f"{n} trips: the ALNS serves at least as many as OR-Tools",
            f"{alns.n_served} vs {ortools.n_served}",
            alns.n_served >= ortools.n_served,
        ),
        (
            f"{n} trips: fewer vehicle hours than OR-Tools",
            f"{alns.span / 3600:.1f} h vs {ortools.span / 3600:.1f} h",
            alns.span < ortools.span,
        ),
        (
            f"{n} trips: a feasible plan within {FIRST_PLAN_S:g} s",
            f"{first.n_served} served, {'feasible' if first.feasible else 'infeasible'}",
            first.feasible and first.n_served > 0,
        ),
    ]
    return [[what, measured, "PASS" if ok else "**FAIL**"] for what, measured, ok in checks]


if __name__ == "__main__":
    sys.exit(main())
