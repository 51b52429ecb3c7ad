"""``dispatch simulate``: replay a weekday under each policy and compare the KPIs."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from models.plots import plot_daily_error
from simulations import day_report
from simulations.drift import DriftDay, DriftScenario, run_drift
from simulations.scenario import (
    DEFAULT_POLICIES,
    Comparison,
    Scenario,
    compare_policies,
)

from ._common import (
    UsageError,
    load_graph,
    policy_names,
    print_table,
    scenario_from_args,
    write_json,
)

_TABLE = (
    ("served", "trips served"),
    ("unserved", "trips unserved"),
    ("no_shows", "no-shows"),
    ("cancelled", "cancelled"),
    ("on_time_pickup_rate", "on-time pickup rate"),
    ("pickup_lateness_p50_s", "pickup lateness P50 (s)"),
    ("pickup_lateness_p95_s", "pickup lateness P95 (s)"),
    ("on_time_appointment_rate", "on-time appointment arrival"),
    ("booked_on_time_appointment_rate", "on-time appointment, of booked"),
    ("ride_time_mean_s", "ride time mean (s)"),
    ("ride_over_direct_mean", "ride / direct time"),
    ("will_call_response_mean_s", "will-call response mean (s)"),
    ("riders_per_revenue_hour", "riders per vehicle revenue hour"),
    ("deadhead_share", "deadhead share of distance"),
    ("utilisation", "utilisation"),
    ("vehicles_used", "vehicles used"),
    ("eta_mae_s", "plan ETA MAE (s)"),
    ("eta_bias_s", "plan ETA bias (s)"),
    ("solver_mean_s", "solver time per decision (s)"),
)


def _cmd_simulate(args: argparse.Namespace) -> int:
    if args.scenario == "drift":
        return _cmd_drift(args)
    scenario = scenario_from_args(
        args,
        seed=args.seed,
        vehicles=Scenario.vehicles if args.vehicles is None else args.vehicles,
        riders=Scenario.riders if args.riders is None else args.riders,
    )
    policies = policy_names(args.policies)
    load_graph(args.map)  # builds and caches the graph once, with its progress bar
    started = time.perf_counter()
    done: dict[str, float] = {}
    with tqdm(
        total=len(policies) + 1,
        desc="simulating",
        unit="step",
        file=sys.stderr,
        bar_format="{l_bar}{bar}| {n:.2f}/{total} [{elapsed}<{remaining}{postfix}]",
    ) as bar:

        def advance(stage: str, share: float) -> None:
            """A stage (the history, or a policy's day) is ``share`` done."""
            done[stage] = share
            bar.set_postfix_str(f"{stage} {share:.0%}", refresh=False)
            bar.update(sum(done.values()) - bar.n)

        try:
            comparison = compare_policies(
                scenario, policies, workers=args.workers, progress=advance
            )
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    elapsed = time.perf_counter() - started
    _print_kpis(comparison)
    _write_outputs(comparison, Path(args.out), elapsed)
    print(f"simulated {len(policies)} policies in {elapsed:.1f} s")
    return 0


def _print_kpis(comparison: Comparison) -> None:
    kpis = comparison.kpis
    world_day = (
        f"seed {comparison.scenario.seed}, day {comparison.scenario.day}, {comparison.weather}"
    )
    print(f"KPIs ({world_day}, {kpis[0]['requested']} trips requested)")
    rows = [(label, *(_cell(k.get(key)) for k in kpis)) for key, label in _TABLE]
    print_table(("KPI", *(k["policy"] for k in kpis)), rows)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.0f}"
    return str(value)


def _write_outputs(comparison: Comparison, out: Path, elapsed: float) -> None:
    model = comparison.model
    summary = {
        "scenario": {k: v for k, v in vars(comparison.scenario).items() if k != "world"},
        "weather": comparison.weather,
        "model": None
        if model is None
        else {"version": model.version, "n_train": model.n_train, "test_metrics": model.metrics},
        "seconds": round(elapsed, 1),
        "kpis": comparison.kpis,
    }
    write_json(summary, out / "kpis.json")
    last = comparison.results[-1]  # timelines and map: the last policy listed
    graph = load_graph(comparison.scenario.map_path)
    for written in (
        day_report.plot_kpis(comparison.kpis, out / "kpis_by_policy.png"),
        day_report.plot_lateness(comparison.results, out / "lateness.png"),
        day_report.plot_timelines(last, out / "vehicle_timelines.png"),
        day_report.write_vehicle_map(last, graph, out / "vehicle_day.html"),
    ):
        print(f"wrote {written}")


def _cmd_drift(args: argparse.Namespace) -> int:
    """The drift scenario: a snowy week after the training history, monitor and retraining."""
    try:
        drift = DriftScenario(
            seed=args.seed,
            vehicles=DriftScenario.vehicles if args.vehicles is None else args.vehicles,
            riders=DriftScenario.riders if args.riders is None else args.riders,
            history_days=args.history_days,
            map_path=args.map,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    load_graph(args.map)
    rows = []
    with tqdm(total=drift.replay_days, desc="replaying days", unit="day", file=sys.stderr) as bar:

        def step(day: DriftDay) -> None:
            rows.append(day)
            bar.set_postfix_str(f"day {day.day} {day.weather} MAE {day.mae_s:.0f} s")
            bar.update(1)

        run = run_drift(drift, progress=step)
    print_table(
        ("day", "weather", "drives", "MAE s", "bias s", "P90 cover", "model", "alert", "action"),
        [
            (
                d.day,
                d.weather,
                d.legs,
                f"{d.mae_s:.0f}",
                f"{d.bias_s:+.0f}",
                f"{d.p90_coverage:.2f}",
                d.model,
                ", ".join(
                    name
                    for name, on in (
                        ("error", d.alert),
                        ("P90 under", d.coverage_alert == "under"),
                        ("P90 over", d.coverage_alert == "over"),
                    )
                    if on
                ),
                d.action,
            )
            for d in rows
        ],
    )
    out = Path(args.out)
    write_json({"scenario": vars(drift), "days": [vars(d) for d in rows]}, out / "drift.json")
    plot = plot_daily_error(run.daily_error, out / "drift_error.png", events=run.dates)
    print(f"wrote {plot}")
    return 0


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``simulate``."""
    sim = commands.add_parser(
        "simulate", help="replay a weekday under each dispatch policy and compare the KPIs"
    )
    sim.add_argument(
        "--scenario",
        choices=("default", "drift"),
        default="default",
        help="default: compare policies on a weekday; drift: a snowy week after the "
        "model's history, the monitor and retraining in the loop",
    )
    sim.add_argument("--map", help="map file (default: embedded Baltimore map)")
    sim.add_argument("--seed", type=int, default=0, help="seed of the simulated world")
    sim.add_argument(
        "--vehicles", type=int, help="fleet size (default: 40; 20 for the drift scenario)"
    )
    sim.add_argument(
        "--riders",
        type=int,
        help="riders booking rides, whatever the fleet size (default: 800; 400 for drift)",
    )
    sim.add_argument(
        "--demand", type=float, default=1.0, help="demand level, scales the riders (default 1)"
    )
    sim.add_argument(
        "--history-days", type=int, default=28, help="days of history the ETA model learns from"
    )
    sim.add_argument(
        "--weather", choices=("dry", "rain", "snow"), help="force the simulated day's weather"
    )
    sim.add_argument(
        "--policies",
        default=",".join(DEFAULT_POLICIES),
        help="comma-separated kind/times, kind in greedy|batch|scheduled, "
        "times in free-flow|eta-model",
    )
    sim.add_argument(
        "--plan-seconds", type=float, default=20.0, help="budget of the day's advance plan"
    )
    sim.add_argument("--workers", type=int, default=2, help="processes running policies")
    sim.add_argument("--out", default="simulation", help="folder for JSON, PNGs and the map")
    sim.set_defaults(handler=_cmd_simulate)
