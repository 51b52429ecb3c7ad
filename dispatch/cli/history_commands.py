"""``dispatch history``: simulate days of a world and log every drive as trip records."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tqdm import tqdm

import routing
from simulations.history import History, generate_history, write_history
from simulations.report import plot_history
from simulations.world import World, WorldParams

from ._common import UsageError, load_graph, print_table


def simulate_history(
    map_file: str | None, days: int, vehicles: int, seed: int, timezone: str | None
) -> tuple[World, History, float]:
    """Build a world on a map and play it forward with a progress bar over days."""
    if days < 1:
        msg = f"--days must be at least 1, got {days}"
        raise UsageError(msg)
    if vehicles < 1:
        msg = f"--vehicles must be at least 1, got {vehicles}"
        raise UsageError(msg)
    graph = load_graph(map_file)
    map_path = routing.default_map_path() if map_file is None else Path(map_file)
    params = WorldParams(n_vehicles=vehicles, timezone=timezone)
    world = World(graph, days=days, seed=seed, params=params, map_path=map_path)
    for note in world.notes:
        print(f"note: {note}")
    started = time.perf_counter()
    with tqdm(total=days, desc="simulating days", unit="day", file=sys.stderr) as bar:
        history = generate_history(world, progress=lambda _: bar.update(1))
    return world, history, time.perf_counter() - started


def _cmd_history(args: argparse.Namespace) -> int:
    world, history, elapsed = simulate_history(
        args.map, args.days, args.vehicles, args.seed, args.timezone
    )
    path = write_history(history, args.out)
    totals = {
        k: sum(getattr(d, k) for d in history.days)
        for k in ("requested", "served", "unserved", "no_shows", "cancelled", "legs")
    }
    rows = [
        ("days", args.days),
        ("vehicles", len(world.fleet)),
        ("seed", args.seed),
        *totals.items(),
    ]
    print_table(("history", "value"), [*rows, ("seconds", f"{elapsed:.1f}"), ("written", path)])
    if args.report:
        for plot in plot_history(history.records, args.report):
            print(f"wrote {plot}")
    return 0


def add_world_arguments(parser: argparse.ArgumentParser, days: int) -> None:
    """Flags of a simulated world (used where history is generated)."""
    parser.add_argument("--map", help="map file (default: embedded Baltimore map)")
    parser.add_argument("--days", type=int, default=days, help="days of simulated history")
    parser.add_argument(
        "--vehicles", type=int, default=40, help="fleet size of the simulated world"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated world")
    parser.add_argument(
        "--timezone", help="local time zone of naive times and of the world (default: the map's)"
    )


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``history``."""
    history = commands.add_parser("history", help="simulate days of trips and log every drive")
    add_world_arguments(history, days=60)
    history.add_argument("--out", default="history.parquet", help="Parquet file to write")
    history.add_argument("--report", metavar="DIR", help="write PNG plots of the history here")
    history.set_defaults(handler=_cmd_history)
