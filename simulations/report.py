"""Plots that let a person judge a history's realism at a glance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from models.plots import save_figure

_CONDITION_ORDER = ("clear", "cloudy", "rain", "snow")


def plot_history(records: pd.DataFrame, out_dir: str | Path) -> list[Path]:
    """Write PNGs of actual / free-flow time by hour of day and by weather; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = records.assign(
        ratio=records["duration_s"] / records["free_flow_s"],
        hour=records["pickup_time"].dt.hour,
        weekend=records["pickup_time"].dt.day_of_week >= 5,
    )
    return [
        _by_hour(data, out / "ratio_by_hour.png"),
        _by_weather(data, out / "ratio_by_weather.png"),
    ]


def _by_hour(data: pd.DataFrame, path: Path) -> Path:
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    for weekend, label in ((False, "weekdays"), (True, "weekends")):
        part = data[data["weekend"] == weekend].groupby("hour")["ratio"]
        if part.ngroups == 0:
            continue
        q = part.quantile(np.array([0.25, 0.5, 0.75])).unstack()
        line = ax.plot(q.index, q[0.5], marker="o", label=f"{label} (median)")[0]
        ax.fill_between(q.index, q[0.25], q[0.75], alpha=0.2, color=line.get_color())
    ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    ax.set(
        xlabel="hour of departure",
        ylabel="actual / free-flow time",
        title="Drive time over free-flow time by hour (band: middle 50%)",
    )
    ax.legend()
    return save_figure(fig, path)


def _by_weather(data: pd.DataFrame, path: Path) -> Path:
    present = [c for c in _CONDITION_ORDER if (data["weather_condition"] == c).any()]
    groups = [data.loc[data["weather_condition"] == c, "ratio"].to_numpy() for c in present]
    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    ax.boxplot(
        groups,
        tick_labels=[f"{c}\n(n={len(g):,})" for c, g in zip(present, groups, strict=True)],
        showfliers=False,
    )
    ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    ax.set(
        ylabel="actual / free-flow time", title="Drive time over free-flow time by observed weather"
    )
    return save_figure(fig, path)
