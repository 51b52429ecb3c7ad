"""Benchmark the main job: `dispatch simulate` on the default scenario, over five seeds.

Seed 0 runs the real command (`dispatch simulate` with no arguments, in a subprocess:
world, history, model training, four policies in two processes, plots and map) and its
wall time is the main job's time (target: under 3 minutes). Every seed's KPIs are read
from the command's kpis.json. The claims checked on the mean over seeds (and counted per
seed): the scheduled policy with the learned model beats greedy on on-time appointment
arrival and on riders per vehicle revenue hour, and beats the same policy with free-flow
times on on-time arrival. Writes the ``## Simulated day`` section of BENCHMARKS.md.
Usage: ``.venv/bin/python benchmarks/simulation.py [--seeds 5] [--no-write]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from _report import machine, markdown_table, write_section

ROOT = Path(__file__).resolve().parents[1]
DISPATCH = Path(sys.executable).with_name("dispatch")
SHOWN = (
    ("served", "served", "{:.0f}"),
    ("on_time_pickup_rate", "on-time pickup", "{:.3f}"),
    ("on_time_appointment_rate", "on-time appointment", "{:.3f}"),
    ("appointment_lateness_p95_s", "appt. lateness P95 s", "{:.0f}"),
    ("riders_per_revenue_hour", "riders / revenue h", "{:.3f}"),
    ("deadhead_share", "deadhead share", "{:.3f}"),
    ("eta_mae_s", "plan ETA MAE s", "{:.0f}"),
    ("solver_mean_s", "solver s / decision", "{:.3f}"),
)
BEST, GREEDY, FREE = "scheduled/eta-model", "greedy/free-flow", "scheduled/free-flow"


def run_seed(seed: int, out: Path) -> tuple[dict, float]:
    """`dispatch simulate` for one seed; its kpis.json and the wall time."""
    command = [str(DISPATCH), "simulate", "--out", str(out)]
    if seed:
        command += ["--seed", str(seed)]
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    return json.loads((out / "kpis.json").read_text()), wall


def main(argv: Sequence[str] | None = None) -> int:
    """Run the seeds, print and write the section; 1 if a claim fails on the mean."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1")
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    args = parser.parse_args(argv)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            summary, wall = run_seed(seed, Path(tmp) / f"seed{seed}")
            runs.append((seed, summary, wall))
            print(f"seed {seed}: {wall:.1f} s, weather {summary['weather']}", flush=True)
    by_policy: dict[str, list[dict]] = {}
    for _, summary, _ in runs:
        for k in summary["kpis"]:
            by_policy.setdefault(k["policy"], []).append(k)
    mean = {p: {key: _mean(ks, key) for key, _, _ in SHOWN} for p, ks in by_policy.items()}
    rows = [[p] + [fmt.format(mean[p][key]) for key, _, fmt in SHOWN] for p in by_policy]
    claims = _claims(by_policy, mean)
    seed_rows = [
        [
            str(seed),
            summary["weather"],
            str(summary["kpis"][0]["requested"]),
            f"{wall:.0f}",
            *(
                f"{k['on_time_appointment_rate']:.3f} / {k['riders_per_revenue_hour']:.2f}"
                for k in summary["kpis"]
            ),
        ]
        for seed, summary, wall in runs
    ]
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    walls = [w for _, _, w in runs]
    section = "\n\n".join(
        [
            "## Simulated day",
            "Command (from the project root): `.venv/bin/python benchmarks/simulation.py` "
            "(runs `dispatch simulate [--seed N]` once per seed)  \n"
            f"Run: {when}  \nMachine: {machine(('ortools', 'lightgbm', 'numpy'))}",
            "Default scenario: the embedded Baltimore map, 40 vehicles, the world's day 28 "
            "(a Monday, its weather as drawn), the ETA model trained on days 0-27; four "
            "policies in two processes. Main job wall time (history, training, four "
            f"policies, plots, map): {min(walls):.0f}-{max(walls):.0f} s per seed, "
            f"mean {np.mean(walls):.0f} s (target: under 180 s).",
            f"Mean over {len(runs)} seeds:",
            markdown_table(["policy"] + [label for _, label, _ in SHOWN], rows),
            "Per seed: on-time appointment arrival / riders per vehicle revenue hour.",
            markdown_table(
                ["seed", "weather", "trips", "wall s", *by_policy.keys()], seed_rows
            ),
            "Claims (mean over seeds; seeds where it holds):",
            "\n".join(f"- {c}" for c in claims),
        ]
    )
    print(section)
    if not args.no_write:
        write_section("## Simulated day", section)
    return 0 if all("holds" in c for c in claims) else 1


def _mean(kpis: list[dict], key: str) -> float:
    values = [k[key] for k in kpis if k.get(key) is not None]
    return float(np.mean(values)) if values else float("nan")


def _claims(by_policy: dict[str, list[dict]], mean: dict[str, dict]) -> list[str]:
    out = []
    for other, key in (
        (GREEDY, "on_time_appointment_rate"),
        (GREEDY, "riders_per_revenue_hour"),
        (FREE, "on_time_appointment_rate"),
    ):
        wins = sum(
            a[key] > b[key] for a, b in zip(by_policy[BEST], by_policy[other], strict=True)
        )
        verdict = "holds" if mean[BEST][key] > mean[other][key] else "**fails**"
        out.append(
            f"{BEST} vs {other} on {key}: {mean[BEST][key]:.3f} vs {mean[other][key]:.3f}, "
            f"{verdict} ({wins}/{len(by_policy[BEST])} seeds)"
        )
    return out


if __name__ == "__main__":
    sys.exit(main())
