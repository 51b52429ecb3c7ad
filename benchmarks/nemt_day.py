"""Benchmark plan_day on a NEMT-sized day on the default map.

Random pre-booked requests (60% ambulatory, 30% wheelchair, 10% stretcher; a third
arrive-by, the rest ready-by; 15% with an escort) between random nodes of the embedded
Baltimore graph, a fleet of sedans, wheelchair vans, reconfigurable vans and stretcher
vans at one depot, shifts 06:00-18:00, free-flow costs. Reports the wall time, the trips
served, the vehicles used and the checker's verdict. Writes the ``## NEMT day`` section of
BENCHMARKS.md. Usage: ``.venv/bin/python benchmarks/nemt_day.py [--no-write]``
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
from dispatch.checker import check_plan
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


def main(argv: Sequence[str] | None = None) -> int:
    """Plan days of several sizes, print and write the section; 1 if a plan is infeasible."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=30.0, help="solver budget (s)")
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    args = parser.parse_args(argv)
    graph = routing.load_graph()
    routing.warm_up()
    rows, feasible = [], True
    for n in (200, 400, 600):
        requests, vehicles = day_instance(graph, n, seed=0)
        started = time.perf_counter()
        day = plan_day(requests, vehicles, CostProvider(graph), time_limit_s=args.time_limit)
        wall = time.perf_counter() - started
        report = check_plan(day.problem, day.plan)
        feasible &= report.feasible
        rows.append(
            [
                str(n),
                str(len(vehicles)),
                f"{n - len(day.unassigned)}",
                str(report.vehicles_used),
                "yes" if report.feasible else "**NO**",
                day.method,
                f"{wall:.1f}",
            ]
        )
        print(rows[-1], flush=True)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = "\n\n".join(
        [
            "## NEMT day",
            "Command (from the project root): `.venv/bin/python benchmarks/nemt_day.py`  \n"
            f"Run: {when}  \nMachine: {machine(('ortools', 'numpy'))}",
            f"`plan_day` with a {args.time_limit:g} s budget, free-flow costs, seed 0 (requests "
            "and fleet as described in the script). Wall time includes the cost matrix.",
            markdown_table(
                [
                    "requests",
                    "vehicles",
                    "served",
                    "vehicles used",
                    "feasible (checker)",
                    "method",
                    "wall s",
                ],
                rows,
            ),
        ]
    )
    print(section)
    if not args.no_write:
        write_section("## NEMT day", section)
    return 0 if feasible else 1


if __name__ == "__main__":
    sys.exit(main())
