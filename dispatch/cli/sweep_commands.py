"""``dispatch sweep``: a grid of scenarios x seeds on Dask, gathered into one table."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

from simulations.scenario import DEFAULT_POLICIES, DEFAULT_RIDERS
from simulations.sweep import SweepGrid, run_sweep

from ._common import UsageError, print_table

T = TypeVar("T")
_SHOWN = (
    "served",
    "on_time_pickup_rate",
    "on_time_appointment_rate",
    "riders_per_revenue_hour",
    "deadhead_share",
    "eta_mae_s",
)


def _values(text: str, flag: str, parse: Callable[[str], T]) -> tuple[T, ...]:
    try:
        values = tuple(parse(v.strip()) for v in text.split(",") if v.strip())
    except ValueError as exc:
        msg = f"{flag}: {exc}"
        raise UsageError(msg) from exc
    if not values:
        msg = f"{flag} needs at least one value"
        raise UsageError(msg)
    return values


def _weather(text: str) -> str | None:
    if text == "drawn":
        return None
    if text not in ("dry", "rain", "snow"):
        msg = f"weather must be drawn, dry, rain or snow, got {text!r}"
        raise ValueError(msg)
    return text


def _grid(args: argparse.Namespace) -> SweepGrid:
    grid = SweepGrid(
        vehicles=_values(args.vehicles, "--vehicles", int),
        riders=args.riders,
        demand=_values(args.demand, "--demand", float),
        weather=_values(args.weather, "--weather", _weather),
        seeds=_values(args.seeds, "--seeds", int),
        policies=_values(args.policies, "--policies", str),
        history_days=args.history_days,
        plan_s=args.plan_seconds,
    )
    try:
        grid.scenarios()
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    return grid


def _client(args: argparse.Namespace) -> Any:
    from distributed import Client, LocalCluster

    if args.scheduler:
        try:
            return Client(args.scheduler, timeout=args.connect_timeout)
        except OSError as exc:
            msg = f"--scheduler {args.scheduler}: cannot connect ({exc})"
            raise UsageError(msg) from exc
    cluster = LocalCluster(
        n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    return Client(cluster)


def _cmd_sweep(args: argparse.Namespace) -> int:
    grid = _grid(args)
    n = len(grid.scenarios())
    started = time.perf_counter()
    client = _client(args)
    try:
        with tqdm(total=n, desc="scenarios", unit="scenario", file=sys.stderr) as bar:
            table = run_sweep(grid, client, progress=lambda _: bar.update(1))
    finally:
        cluster = getattr(client, "cluster", None)
        client.close()
        if cluster is not None:
            cluster.close()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(out, index=False)
    columns = ["seed", "vehicles", "demand", "weather", "policy", *_SHOWN]
    print_table(columns, [[_cell(v) for v in row] for row in table[columns].itertuples(False)])
    print(f"wrote {out} ({len(table)} rows, {n} scenarios, {time.perf_counter() - started:.0f} s)")
    return 0


def _cell(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``sweep``."""
    sweep = commands.add_parser(
        "sweep", help="run a grid of scenarios x seeds x policies on Dask, one table of KPIs"
    )
    sweep.add_argument("--scheduler", help="address of a Dask scheduler (default: local cluster)")
    sweep.add_argument("--workers", type=int, default=2, help="local cluster worker processes")
    sweep.add_argument("--connect-timeout", default="10s", help="timeout to reach --scheduler")
    sweep.add_argument("--vehicles", default="30,40", help="fleet sizes, comma-separated")
    sweep.add_argument(
        "--riders", type=int, default=DEFAULT_RIDERS, help="riders, the same for every fleet size"
    )
    sweep.add_argument("--demand", default="1.0", help="demand levels (scale the riders)")
    sweep.add_argument("--weather", default="drawn", help="drawn, dry, rain, snow; comma-separated")
    sweep.add_argument("--seeds", default="0,1", help="seeds, comma-separated")
    sweep.add_argument(
        "--policies", default=",".join(DEFAULT_POLICIES), help="policies, comma-separated"
    )
    sweep.add_argument("--history-days", type=int, default=28, help="days the model learns from")
    sweep.add_argument("--plan-seconds", type=float, default=20.0, help="advance plan budget")
    sweep.add_argument("--out", default="sweep.parquet", help="Parquet file of the results")
    sweep.set_defaults(handler=_cmd_sweep)
