"""Plots of ETA accuracy (by hour, predicted against actual, by model, per day) and the saver.

Figures are built with the object-oriented API (:class:`matplotlib.figure.Figure`), so no
pyplot state and no backend choice is involved; :func:`save_figure` writes them as PNG.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from numpy.typing import NDArray

from .exceptions import MonitoringError


def save_figure(fig: Figure, path: str | Path, *, dpi: int = 110) -> Path:
    """Write ``fig`` as a PNG at ``dpi`` (parent folders are created); return the path.

    A figure made without a layout engine is laid out with ``tight_layout`` first; one
    made with a layout (``layout="constrained"``) keeps it.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fig.get_layout_engine() is None:
        fig.tight_layout()
    fig.savefig(out, dpi=dpi)
    return out


def plot_error_by_hour(
    hour: NDArray[np.float64],
    actual: NDArray[np.float64],
    predictions: dict[str, NDArray[np.float64]],
    path: str | Path,
) -> Path:
    """Mean absolute error per hour of departure, one line per model."""
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    hours = np.floor(hour).astype(int)
    for name, predicted in predictions.items():
        mae = pd.Series(np.abs(predicted - actual)).groupby(hours).mean()
        ax.plot(mae.index, mae.to_numpy(), marker="o", label=name)
    ax.set(xlabel="hour of departure", ylabel="mean absolute error (s)", title="ETA error by hour")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def plot_predicted_vs_actual(
    actual: NDArray[np.float64], predicted: NDArray[np.float64], path: str | Path, title: str
) -> Path:
    """Density of predicted against actual durations (minutes), with the diagonal."""
    fig = Figure(figsize=(6, 6))
    ax = fig.add_subplot()
    top = float(np.quantile(actual, 0.995)) / 60
    ax.hexbin(
        actual / 60,
        predicted / 60,
        gridsize=60,
        bins="log",
        extent=(0, top, 0, top),
        cmap="viridis",
    )
    ax.plot([0, top], [0, top], color="red", lw=1)
    ax.set(xlabel="actual (min)", ylabel="predicted (min)", title=title)
    return save_figure(fig, path)


def plot_error_by_model(table: pd.DataFrame, chosen: str | None, path: str | Path) -> Path:
    """MAE per model family, the chosen one highlighted, latency per row as a label."""
    ordered = table.sort_values("mae_s", ascending=False)
    fig = Figure(figsize=(8, 0.5 * len(ordered) + 1.5))
    ax = fig.add_subplot()
    colors = ["tab:green" if m == chosen else "tab:blue" for m in ordered["model"]]
    bars = ax.barh(ordered["model"], ordered["mae_s"], color=colors)
    for bar, latency in zip(bars, ordered["latency_us_per_row"], strict=True):
        ax.text(
            bar.get_width(),
            bar.get_y() + bar.get_height() / 2,
            f"  {latency:.1f} µs/row",
            va="center",
            fontsize=8,
        )
    ax.set(
        xlabel="mean absolute error on later days (s)", title=f"Model comparison (chosen: {chosen})"
    )
    ax.set_xlim(0, ordered["mae_s"].max() * 1.3)
    return save_figure(fig, path)


def plot_daily_error(
    daily: pd.DataFrame, path: str | Path, *, events: dict[str, date] | None = None
) -> Path:
    """Plot MAE per day, P90 coverage on a twin axis and dated events; write a PNG.

    Parameters
    ----------
    daily
        Per-day table with columns ``mae_s`` and ``p90_coverage`` indexed by day, as
        returned by :meth:`models.EtaMonitor.daily_error`.
    path
        Where to write the PNG (parent folders are created).
    events
        Vertical lines labelled by name, e.g. ``{"drift starts": date(2024, 3, 21)}``.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    MonitoringError
        If ``daily`` is empty or lacks a column.
    """
    missing = {"mae_s", "p90_coverage"} - set(daily.columns)
    if missing:
        msg = f"daily is missing columns {sorted(missing)}"
        raise MonitoringError(msg)
    if len(daily) == 0:
        msg = "daily is empty: nothing to plot"
        raise MonitoringError(msg)
    days = pd.to_datetime(pd.Index(daily.index))
    fig = Figure(figsize=(9, 4.5), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(days, daily["mae_s"], marker="o", color="C0", label="MAE (s)")
    ax.set_ylabel("MAE per day (s)")
    ax.set_ylim(bottom=0)
    twin = ax.twinx()
    twin.plot(days, daily["p90_coverage"], marker=".", color="C1", label="P90 coverage")
    twin.set_ylabel("share of trips within P90")
    twin.set_ylim(0, 1.05)
    for k, (name, day) in enumerate((events or {}).items()):
        ax.axvline(
            pd.Timestamp(day),  # type: ignore[arg-type]  # stub says float; the date axis converts
            color=f"C{k + 2}",
            linestyle="--",
            label=name,
        )
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize="small")
    ax.set_title("ETA error per day")
    fig.autofmt_xdate()
    return save_figure(fig, path, dpi=100)
