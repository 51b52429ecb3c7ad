"""Helpers shared by the subcommands: progress bars, graph loading, policies, tables, errors."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

import routing
from simulations.scenario import Scenario, parse_policy

_BUILD_STAGES = 6


class UsageError(ValueError):
    """A flag has an invalid value; the message names the flag."""


class StageBar:
    """A progress bar over named stages, on stderr (shown only if the work takes a while)."""

    def __init__(self, desc: str, total: int) -> None:
        self._bar = tqdm(
            total=total, desc=desc, unit="step", file=sys.stderr, leave=False, delay=0.5
        )

    def __call__(self, stage: str) -> None:
        self._bar.set_postfix_str(stage)
        self._bar.update(1)

    def close(self) -> None:
        """Remove the bar."""
        self._bar.close()


def load_graph(
    source: str | None, place: str | None = None, use_cache: bool = True
) -> routing.RoadGraph:
    """Load a map (default: the embedded one) with a progress bar over the build stages."""
    bar = StageBar("building road graph", _BUILD_STAGES)
    try:
        if place is not None:
            return routing.graph_from_place(place, progress=bar)
        return routing.load_graph(source, use_cache=use_cache, progress=bar)
    finally:
        bar.close()


def policy_names(text: str) -> list[str]:
    """The comma-separated policy names of ``--policies``, each checked."""
    names = [p.strip() for p in text.split(",") if p.strip()]
    if not names:
        msg = "--policies must name at least one policy"
        raise UsageError(msg)
    for name in names:
        try:
            parse_policy(name)
        except ValueError as exc:
            raise UsageError(f"--policies: {exc}") from exc
    return names


def scenario_from_args(
    args: argparse.Namespace, *, seed: int, vehicles: int, riders: int
) -> Scenario:
    """The scenario of the simulation flags (``--demand``, ``--history-days``, ``--weather``,
    ``--plan-seconds``, ``--map``) with this seed, fleet and riders; a UsageError naming
    the flag of a field the scenario refuses."""
    try:
        return Scenario(
            seed=seed,
            vehicles=vehicles,
            riders=riders,
            demand=args.demand,
            history_days=args.history_days,
            weather=args.weather,
            plan_s=args.plan_seconds,
            map_path=args.map,
        )
    except ValueError as exc:
        raise UsageError(str(exc).replace("scenario field ", "--").replace("_", "-")) from exc


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a right-aligned text table."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for k, row in enumerate(cells):
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
        if k == 0:
            print("  ".join("-" * w for w in widths))


def write_json(data: Any, path: str | Path) -> Path:
    """Write JSON (dates and numpy scalars as strings/numbers) and say so."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str))
    print(f"wrote {path}")
    return path
