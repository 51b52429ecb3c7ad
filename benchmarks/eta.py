"""Benchmark the simulated history and the learned ETA on the default world.

1. History: 60 days of a 40-vehicle world on the embedded Baltimore map (target < 2 min).
2. Features: cleaning and route features for the history, and for 100,000 trips.
3. ETA: train on the first 45 days, test on the next 15; every model family of the
   comparison, then the LightGBM model's MAE against free flow and the hour-of-week
   ratio, its P90 coverage and its latency per row in batches of 10,000.

Writes the ``## Trip history`` and ``## ETA model`` sections of BENCHMARKS.md.
Usage: ``.venv/bin/python benchmarks/eta.py [--no-write]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd
from _report import machine, markdown_table, write_section

import routing
from models.comparison import compare_models
from models.features import build_features
from models.training import prepare_trips, train_eta
from simulations.history import generate_history
from simulations.world import World, WorldParams

COMMAND = ".venv/bin/python benchmarks/eta.py"
LIBRARIES = ("numpy", "numba", "pandas", "scikit-learn", "lightgbm")
DAYS, TRAIN_DAYS, VEHICLES, SEED = 60, 45, 40, 0


def stage(message: str) -> None:
    """Progress line on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def best_latency_us(predict, X: pd.DataFrame, repeats: int = 5) -> float:  # type: ignore[no-untyped-def]
    """Best-of-``repeats`` seconds per row of one batch prediction, in microseconds."""
    best = np.inf
    for _ in range(repeats):
        started = time.perf_counter()
        predict(X)
        best = min(best, time.perf_counter() - started)
    return float(best / len(X) * 1e6)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the measurements, print them, write BENCHMARKS.md unless --no-write."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    args = parser.parse_args(argv)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = (
        f"Command (from the project root): `{COMMAND}`  \nRun: {when}  \n"
        f"Machine: {machine(LIBRARIES)}"
    )

    graph = routing.load_graph()
    routing.warm_up()
    stage(f"history: {DAYS} days, {VEHICLES} vehicles")
    started = time.perf_counter()
    world = World(
        graph,
        days=DAYS,
        seed=SEED,
        params=WorldParams(n_vehicles=VEHICLES),
        map_path=routing.default_map_path(),
    )
    history = generate_history(world)
    history_s = time.perf_counter() - started
    records = history.records
    served = sum(d.served for d in history.days)
    requested = sum(d.requested for d in history.days)
    history_rows = [
        [
            "world + history",
            f"{history_s:.1f} s",
            f"{len(records):,} legs, {requested:,} trips requested, {served:,} served",
        ],
        ["target", "< 120 s", "PASS" if history_s < 120 else "**FAIL**"],
    ]

    stage("cleaning and features")
    started = time.perf_counter()
    data = prepare_trips(records, graph)
    prepare_s = time.perf_counter() - started
    big = data.trips.sample(100_000, replace=True, random_state=0).reset_index(drop=True)
    started = time.perf_counter()
    build_features(big, graph)
    features_100k_s = time.perf_counter() - started

    until = world.dates[TRAIN_DAYS - 1]
    stage("model comparison")
    comparison = compare_models(data, until=until, progress=lambda name: stage(f"  {name}"))
    stage("LightGBM ETA model")
    result = train_eta(data, until=until)
    test = data.local_dates() > until
    batch = data.X[test].iloc[:10_000]
    p50_us = best_latency_us(result.model.predict, batch)
    p90_us = best_latency_us(result.model.predict_p90, batch)

    (train_start, train_end), (test_start, test_end) = (
        comparison.train_window,
        comparison.test_window,
    )
    table = comparison.table.set_index("model")
    free_flow = table.loc["free-flow", "mae_s"]
    hour_of_week = table.loc["free-flow x hour-of-week ratio", "mae_s"]
    lgbm = result.metrics["mae_s"]
    coverage = result.metrics["p90_coverage"]
    checks = [
        (
            "LightGBM MAE >= 40% below free flow",
            f"{1 - lgbm / free_flow:.0%} below",
            lgbm <= 0.6 * free_flow,
        ),
        (
            "LightGBM MAE >= 15% below hour-of-week ratio",
            f"{1 - lgbm / hour_of_week:.0%} below",
            lgbm <= 0.85 * hour_of_week,
        ),
        ("P90 coverage in [0.88, 0.92]", f"{coverage:.3f}", 0.88 <= coverage <= 0.92),
        ("P50 prediction < 20 µs per row (batch of 10,000)", f"{p50_us:.1f} µs", p50_us < 20),
    ]
    comparison_rows = [
        [
            r.model,
            f"{r.mae_s:.1f}",
            f"{r.mape:.3f}",
            f"{r.rmsle:.3f}",
            f"{r.p90_abs_error_s:.1f}",
            f"{r.train_s:.2f}",
            f"{r.latency_us_per_row:.2f}",
            f"{r.size_kb:,.0f}",
        ]
        for r in comparison.table.itertuples()
    ]
    history_section = "\n\n".join(
        [
            "## Trip history",
            header,
            f"Default world (embedded Baltimore map), seed {SEED}: {DAYS} days, "
            f"{VEHICLES} vehicles, the nearest-vehicle rule.",
            markdown_table(["step", "time", "what"], history_rows),
        ]
    )
    eta_section = "\n\n".join(
        [
            "## ETA model",
            header,
            f"Data: the history above, cleaned ({data.report.rows_out:,} of "
            f"{data.report.rows_in:,} legs kept) in {prepare_s:.1f} s including route features; "
            f"features for 100,000 trips (resampled) in {features_100k_s:.2f} s. "
            f"Train {train_start} .. {train_end} ({TRAIN_DAYS} days), "
            f"test {test_start} .. {test_end}.",
            "### Model comparison (test days)\n\n"
            + markdown_table(
                [
                    "model",
                    "MAE s",
                    "MAPE",
                    "RMSLE",
                    "P90 abs err s",
                    "train s",
                    "µs/row",
                    "size KB",
                ],
                comparison_rows,
            )
            + f"\n\nRequirement: {comparison.requirement.describe()} -> **{comparison.chosen}**.",
            "### LightGBM ETA model (P50 + calibrated P90)\n\n"
            + markdown_table(
                ["metric", "value"],
                [
                    ["MAE (s)", f"{lgbm:.1f}"],
                    ["free-flow MAE (s)", f"{free_flow:.1f}"],
                    ["hour-of-week ratio MAE (s)", f"{hour_of_week:.1f}"],
                    ["P90 coverage", f"{coverage:.3f}"],
                    ["P50 latency, batch of 10,000", f"{p50_us:.1f} µs/row"],
                    ["P50 + P90 latency, batch of 10,000", f"{p90_us:.1f} µs/row"],
                ],
            ),
            "### Targets\n\n"
            + markdown_table(
                ["target", "measured", "result"],
                [[t, m, "PASS" if ok else "**FAIL**"] for t, m, ok in checks],
            ),
        ]
    )
    print(history_section, "\n\n", eta_section)
    if not args.no_write:
        write_section("## Trip history", history_section)
        write_section("## ETA model", eta_section)
    return 0 if all(ok for *_, ok in checks) and history_s < 120 else 1


if __name__ == "__main__":
    sys.exit(main())
