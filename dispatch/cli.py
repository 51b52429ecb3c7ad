"""The ``dispatch`` command line: the application's composition root.

Subcommands stay thin: parse, call the library, print. ``main(argv)`` is callable from tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

import routing

_BUILD_STAGES = 6


class _StageBar:
    """A progress bar over the named stages of a graph build, on stderr."""

    def __init__(self, desc: str) -> None:
        self._bar = tqdm(
            total=_BUILD_STAGES, desc=desc, unit="step", file=sys.stderr, leave=False, delay=0.5
        )

    def __call__(self, stage: str) -> None:
        self._bar.set_postfix_str(stage)
        self._bar.update(1)

    def close(self) -> None:
        self._bar.close()


def _load(
    source: str | None, place: str | None = None, use_cache: bool = True
) -> routing.RoadGraph:
    bar = _StageBar("building road graph")
    try:
        if place is not None:
            return routing.graph_from_place(place, progress=bar)
        return routing.load_graph(source, use_cache=use_cache, progress=bar)
    finally:
        bar.close()


def _print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for k, row in enumerate(cells):
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
        if k == 0:
            print("  ".join("-" * w for w in widths))


def _print_summary(graph: routing.RoadGraph) -> None:
    summary = graph.summary()
    rows = [
        ("source", summary["source"]),
        ("nodes", f"{summary['nodes']:,}"),
        ("directed edges", f"{summary['edges']:,}"),
        ("road length", f"{summary['road_km']:,} km"),
        ("traffic signals passed", f"{summary['signals']:,}"),
        (
            "bounding box",
            "{south:.4f},{west:.4f} .. {north:.4f},{east:.4f}".format(**summary["bbox"]),
        ),
        ("speed tags corrected", summary["speed_tags_corrected"] or "none"),
    ]
    rows += [(f"  {name}", f"{km} km") for name, km in summary["km_by_class"].items()]
    _print_table(("graph", "value"), rows)


def _cmd_graph_build(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    graph = _load(args.source, args.place, use_cache=not args.no_cache)
    print(f"built in {time.perf_counter() - started:.1f} s")
    _print_summary(graph)
    if args.out:
        print(f"wrote {graph.save(args.out)}")
    return 0


def _cmd_graph_info(args: argparse.Namespace) -> int:
    _print_summary(_load(args.source))
    return 0


def _parse_point(text: str, flag: str) -> tuple[float, float]:
    try:
        lat, lon = (float(v) for v in text.split(","))
    except ValueError:
        msg = f"{flag} must be LAT,LON in decimal degrees, got {text!r}"
        raise routing.SnapError(msg, []) from None
    return lat, lon


def _cmd_route(args: argparse.Namespace) -> int:
    graph = _load(args.map)
    routing.warm_up()
    if (args.origin is None) != (args.destination is None):
        print("error: give both --from and --to, or neither for sample routes", file=sys.stderr)
        return 2
    if args.origin is not None:
        points = [(_parse_point(args.origin, "--from"), _parse_point(args.destination, "--to"))]
    else:
        points = _sample_points(graph, args.pairs, args.seed)
    lat = [c for pair in points for c in (pair[0][0], pair[1][0])]
    lon = [c for pair in points for c in (pair[0][1], pair[1][1])]
    nodes = routing.nearest_nodes(graph, lat, lon, max_distance_m=args.max_snap_m)
    rows, records = [], []
    for k, (origin, destination) in enumerate(points):
        started = time.perf_counter()
        path = routing.shortest_path(graph, int(nodes[2 * k]), int(nodes[2 * k + 1]))
        elapsed_ms = (time.perf_counter() - started) * 1000
        stats = routing.route_statistics(graph, path)
        rows.append(
            (
                f"{origin[0]:.5f},{origin[1]:.5f}",
                f"{destination[0]:.5f},{destination[1]:.5f}",
                f"{path.travel_time_s / 60:.1f}",
                f"{path.length_m / 1000:.2f}",
                stats.n_signals,
                stats.n_turns,
                f"{elapsed_ms:.2f}",
            )
        )
        records.append(
            {
                "from": origin,
                "to": destination,
                "travel_time_s": path.travel_time_s,
                "length_m": path.length_m,
                **stats.as_dict(),
            }
        )
    _print_table(("from", "to", "free-flow min", "km", "signals", "turns", "query ms"), rows)
    sources = np.unique(nodes)
    started = time.perf_counter()
    routing.travel_time_matrix(graph, sources, sources)
    print(
        f"\n{sources.size}x{sources.size} travel-time matrix in "
        f"{(time.perf_counter() - started) * 1000:.1f} ms on {graph!r}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(records, indent=2))
        print(f"wrote {args.json}")
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    from simulations.history import generate_history, write_history
    from simulations.report import plot_history
    from simulations.world import World, WorldParams

    if args.days < 1 or args.vehicles < 1:
        print("error: --days and --vehicles must be at least 1", file=sys.stderr)
        return 2
    graph = _load(args.map)
    map_path = routing.default_map_path() if args.map is None else Path(args.map)
    params = WorldParams(n_vehicles=args.vehicles, timezone=args.timezone)
    world = World(graph, days=args.days, seed=args.seed, params=params, map_path=map_path)
    for note in world.notes:
        print(f"note: {note}")
    started = time.perf_counter()
    with tqdm(total=args.days, desc="simulating days", unit="day", file=sys.stderr) as bar:
        history = generate_history(world, progress=lambda _: bar.update(1))
    elapsed = time.perf_counter() - started
    path = write_history(history, args.out)
    totals = {
        k: sum(getattr(d, k) for d in history.days)
        for k in ("requested", "served", "unserved", "no_shows", "cancelled", "legs")
    }
    _print_table(
        ("history", "value"),
        [
            ("days", args.days),
            ("vehicles", len(world.fleet)),
            ("seed", args.seed),
            *totals.items(),
            ("seconds", f"{elapsed:.1f}"),
            ("written", path),
        ],
    )
    if args.report:
        for plot in plot_history(history.records, args.report):
            print(f"wrote {plot}")
    return 0


def _sample_points(
    graph: routing.RoadGraph, pairs: int, seed: int
) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Random node locations of the graph, paired, for a demonstration."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(graph.n_nodes, size=(pairs, 2))
    return [
        ((float(graph.lat[a]), float(graph.lon[a])), (float(graph.lat[b]), float(graph.lon[b])))
        for a, b in picks
    ]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``dispatch`` command."""
    parser = argparse.ArgumentParser(prog="dispatch", description="NEMT dispatch engine.")
    commands = parser.add_subparsers(dest="command", required=True)

    graph = commands.add_parser("graph", help="build or inspect road graphs")
    graph_commands = graph.add_subparsers(dest="graph_command", required=True)
    build = graph_commands.add_parser("build", help="compile a map into a road graph (cached)")
    build.add_argument(
        "source", nargs="?", help="OSM/GraphML file (default: embedded Baltimore map)"
    )
    build.add_argument("--place", help="download a place by name through osmnx (needs network)")
    build.add_argument("--out", help="also write the compiled graph to this .npz file")
    build.add_argument(
        "--no-cache", action="store_true", help="rebuild even if a cached graph exists"
    )
    build.set_defaults(handler=_cmd_graph_build)
    info = graph_commands.add_parser("info", help="summarise a road graph")
    info.add_argument(
        "source", nargs="?", help="map or .npz file (default: embedded Baltimore map)"
    )
    info.set_defaults(handler=_cmd_graph_info)

    route = commands.add_parser("route", help="fastest routes (free flow) between points")
    route.add_argument("--map", help="map or .npz file (default: embedded Baltimore map)")
    route.add_argument("--from", dest="origin", metavar="LAT,LON", help="origin")
    route.add_argument("--to", dest="destination", metavar="LAT,LON", help="destination")
    route.add_argument("--pairs", type=int, default=8, help="sample routes when no --from/--to")
    route.add_argument("--seed", type=int, default=0, help="seed of the sample routes")
    route.add_argument("--max-snap-m", type=float, default=500.0, help="maximum snap distance (m)")
    route.add_argument("--json", help="write the routes to this JSON file")
    route.set_defaults(handler=_cmd_route)
    history = commands.add_parser("history", help="simulate days of trips and log every drive")
    history.add_argument("--map", help="map file (default: embedded Baltimore map)")
    history.add_argument("--days", type=int, default=60, help="number of days")
    history.add_argument("--vehicles", type=int, default=40, help="fleet size")
    history.add_argument("--seed", type=int, default=0, help="seed of the world")
    history.add_argument("--timezone", default="America/New_York", help="local time zone")
    history.add_argument("--out", default="history.parquet", help="Parquet file to write")
    history.add_argument("--report", metavar="DIR", help="write PNG plots of the history here")
    history.set_defaults(handler=_cmd_history)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except routing.RoutingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
