"""``dispatch fleet-size``: per policy, the smallest fleet reaching a target on-time rate."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tqdm import tqdm

from simulations.fleet_sizing import SIZES, FleetSizing, size_fleets
from simulations.scenario import Scenario, parse_policy

from ._common import (
    UsageError,
    load_graph,
    policy_names,
    print_table,
    scenario_from_args,
    write_json,
)


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        msg = f"--seeds: {exc}"
        raise UsageError(msg) from exc
    if not seeds:
        msg = "--seeds needs at least one seed"
        raise UsageError(msg)
    return seeds


def _checked(args: argparse.Namespace) -> tuple[Scenario, list[str], list[int]]:
    """The scenario, policies and seeds, or a UsageError naming the flag."""
    if not 0 < args.target_on_time <= 1:
        msg = f"--target-on-time must be in (0, 1], got {args.target_on_time}"
        raise UsageError(msg)
    if args.min_vehicles < 1 or args.min_vehicles > args.max_vehicles:
        msg = (
            f"--min-vehicles {args.min_vehicles} and --max-vehicles {args.max_vehicles}: "
            "need 1 <= min <= max"
        )
        raise UsageError(msg)
    policies = policy_names(args.policies)
    seeds = _seeds(args.seeds)
    scenario = scenario_from_args(args, seed=seeds[0], vehicles=args.vehicles, riders=args.riders)
    return scenario, policies, seeds


def _cmd_fleet_size(args: argparse.Namespace) -> int:
    scenario, policies, seeds = _checked(args)
    graph = load_graph(args.map)
    started = time.perf_counter()
    with tqdm(desc="sizing fleets", unit="day", file=sys.stderr) as bar:
        shown = [-1]

        def step(message: str) -> None:
            bar.set_postfix_str(message)
            bar.update(1)

        def clock(t_s: float) -> None:
            hour = int(t_s // 3600)
            if hour != shown[0]:
                shown[0] = hour
                bar.set_description_str(f"sizing fleets, day at {hour:02d}:00")

        sizings = size_fleets(
            scenario,
            policies,
            args.target_on_time,
            seeds=seeds,
            low=args.min_vehicles,
            high=args.max_vehicles,
            graph=graph,
            progress=step,
            clock=clock,
        )
    elapsed = time.perf_counter() - started
    _print_sizings(sizings, seeds, args.max_vehicles)
    write_json(
        {
            "scenario": {k: v for k, v in vars(scenario).items() if k not in ("world", "seed")},
            "seeds": seeds,
            "target_on_time": args.target_on_time,
            "vehicles_range": [args.min_vehicles, args.max_vehicles],
            "sizings": [vars(s) for s in sizings],
            "seconds": round(elapsed, 1),
        },
        Path(args.out),
    )
    print(f"sized {len(policies)} policies in {elapsed:.0f} s")
    return 0


def _print_sizings(sizings: list[FleetSizing], seeds: list[int], high: int) -> None:
    for sizing in sizings:
        print(f"{sizing.policy}: booked on-time appointment rate, mean over seeds {seeds}")
        print_table(
            ("vehicles", "on-time rate", f"reaches {sizing.target}"),
            [
                (n, f"{rate:.3f}", "yes" if rate >= sizing.target else "no")
                for n, rate in sorted(sizing.rates.items())
            ],
        )
        print(_verdict(sizing, high))
    greedy = next((s for s in sizings if parse_policy(s.policy)[0] == "greedy"), None)
    if greedy is not None:
        for other in sizings:
            if parse_policy(other.policy)[0] != "greedy":
                print(_saving(other, greedy, high))


def _verdict(sizing: FleetSizing, high: int) -> str:
    if sizing.smallest is None:
        return f"{sizing.policy} does not reach {sizing.target} with up to {high} vehicles"
    return f"{sizing.policy} needs {sizing.smallest} vehicles"


def _saving(sizing: FleetSizing, greedy: FleetSizing, high: int) -> str:
    """The line saying how many vehicles a policy (the scheduled one) saves over greedy."""
    if sizing.smallest is None:
        return f"{_verdict(sizing, high)}; {_verdict(greedy, high)}: no saving to report"
    needs = f"{sizing.policy} needs {sizing.smallest} vehicles"
    if greedy.smallest is None:
        return (
            f"{needs}, {greedy.policy} more than {high}: saves more than {high - sizing.smallest}"
        )
    saving = greedy.smallest - sizing.smallest
    return f"{needs}, {greedy.policy} needs {greedy.smallest}: " + (
        f"saves {saving}" if saving >= 0 else f"needs {-saving} more"
    )


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``fleet-size``."""
    sizing = commands.add_parser(
        "fleet-size",
        help="per policy, the smallest fleet whose on-time appointment rate reaches a target "
        "(same riders and days for every size)",
    )
    sizing.add_argument(
        "--target-on-time",
        type=float,
        default=0.95,
        help="target booked on-time appointment rate, mean over the seeds (default 0.95)",
    )
    sizing.add_argument("--seeds", default="0", help="seeds, comma-separated (default 0)")
    sizing.add_argument(
        "--policies",
        default="greedy/free-flow,scheduled/eta-model",
        help="comma-separated kind/times, as for dispatch simulate",
    )
    sizing.add_argument(
        "--min-vehicles", type=int, default=SIZES[0], help=f"smallest fleet (default {SIZES[0]})"
    )
    sizing.add_argument(
        "--max-vehicles", type=int, default=SIZES[1], help=f"largest fleet (default {SIZES[1]})"
    )
    sizing.add_argument(
        "--vehicles",
        type=int,
        default=Scenario.vehicles,
        help="fleet the search starts from and the model's history was logged with (default 40)",
    )
    sizing.add_argument(
        "--riders", type=int, default=Scenario.riders, help="riders (default 800), every size"
    )
    sizing.add_argument("--demand", type=float, default=1.0, help="demand level, scales riders")
    sizing.add_argument(
        "--history-days", type=int, default=28, help="days of history the ETA model learns from"
    )
    sizing.add_argument(
        "--weather", choices=("dry", "rain", "snow"), help="force the simulated day's weather"
    )
    sizing.add_argument(
        "--plan-seconds", type=float, default=20.0, help="budget of the day's advance plan"
    )
    sizing.add_argument("--map", help="map file (default: embedded Baltimore map)")
    sizing.add_argument("--out", default="fleet_sizing.json", help="JSON file of the results")
    sizing.set_defaults(handler=_cmd_fleet_size)
