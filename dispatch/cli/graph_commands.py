"""``dispatch graph build|info`` and ``dispatch route``: road graphs and free-flow routes."""

from __future__ import annotations

import argparse
import time

import numpy as np

import routing

from ._common import UsageError, load_graph, print_table, write_json


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
    print_table(("graph", "value"), rows)


def _cmd_graph_build(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    graph = load_graph(args.source, args.place, use_cache=not args.no_cache)
    print(f"built in {time.perf_counter() - started:.1f} s")
    _print_summary(graph)
    if args.out:
        print(f"wrote {graph.save(args.out)}")
    return 0


def _cmd_graph_info(args: argparse.Namespace) -> int:
    _print_summary(load_graph(args.source))
    return 0


def _parse_point(text: str, flag: str) -> tuple[float, float]:
    try:
        lat, lon = (float(v) for v in text.split(","))
    except ValueError:
        msg = f"{flag} must be LAT,LON in decimal degrees, got {text!r}"
        raise UsageError(msg) from None
    return lat, lon


def _cmd_route(args: argparse.Namespace) -> int:
    graph = load_graph(args.map)
    routing.warm_up()
    if (args.origin is None) != (args.destination is None):
        msg = "give both --from and --to, or neither for sample routes"
        raise UsageError(msg)
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
    print_table(("from", "to", "free-flow min", "km", "signals", "turns", "query ms"), rows)
    sources = np.unique(nodes)
    started = time.perf_counter()
    routing.travel_time_matrix(graph, sources, sources)
    print(
        f"\n{sources.size}x{sources.size} travel-time matrix in "
        f"{(time.perf_counter() - started) * 1000:.1f} ms on {graph!r}"
    )
    if args.json:
        write_json(records, args.json)
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


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``graph build``, ``graph info`` and ``route``."""
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
    route.add_argument(
        "--max-snap-m",
        type=float,
        default=routing.DEFAULT_MAX_SNAP_M,
        help="maximum snap distance (m)",
    )
    route.add_argument("--json", help="write the routes to this JSON file")
    route.set_defaults(handler=_cmd_route)
