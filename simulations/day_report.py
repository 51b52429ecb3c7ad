"""What a simulated day looks like: KPIs by policy, lateness, vehicle timelines, a map.

Every function writes one file and returns its path. The HTML map draws one vehicle's
day on OpenStreetMap tiles with Leaflet (both loaded from the web when the page is
opened; the data is in the page).
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

import routing
from models.plots import save_figure

from .engine import DayResult
from .view import TaskKind, TripPhase

_BARS = (
    ("on_time_pickup_rate", "on-time pickup rate"),
    ("on_time_appointment_rate", "on-time appointment arrival"),
    ("riders_per_revenue_hour", "riders per vehicle revenue hour"),
    ("deadhead_share", "deadhead share of distance"),
    ("eta_mae_s", "plan ETA error, MAE (s)"),
    ("served", "trips served"),
)
_ACTIVITY_COLOURS = {
    "empty": "#bbbbbb",
    "loaded": "#1f77b4",
    "board": "#2ca02c",
    "alight": "#ff7f0e",
    "wait": "#eeeeee",
    "no_show": "#d62728",
}


def plot_kpis(kpis: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """Bars of the main KPIs, one bar per policy."""
    names = [k["policy"] for k in kpis]
    fig = Figure(figsize=(13, 7))
    axes = fig.subplots(2, 3)
    colours = colormaps["tab10"](np.arange(len(names)))
    for ax, (key, title) in zip(axes.flat, _BARS, strict=True):
        values = [k.get(key) or 0.0 for k in kpis]
        ax.bar(range(len(names)), values, color=colours)
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
        ax.set_title(title, fontsize=10)
        for x, v in enumerate(values):
            ax.annotate(f"{v:.3g}", (x, v), ha="center", va="bottom", fontsize=8)
    fig.suptitle(f"KPIs by policy (day {kpis[0]['day']})")
    return save_figure(fig, path)


def plot_lateness(results: Sequence[DayResult], path: str | Path) -> Path:
    """Share of trips at most x minutes late: pickups (ready-by) and appointment arrivals."""
    fig = Figure(figsize=(12, 4.5))
    left, right = fig.subplots(1, 2, sharey=True)
    for result in results:
        served = [r for r in result.trips if r.phase is TripPhase.SERVED]
        pickup = [(r.pickup_s or 0.0) - r.trip.ready_s for r in served if r.trip.ready_s]
        arrival = [
            (r.dropoff_s or 0.0) - r.trip.appointment_s for r in served if r.trip.appointment_s
        ]
        for ax, late in ((left, pickup), (right, arrival)):
            minutes = np.sort(np.asarray(late, dtype=float)) / 60
            if minutes.size:
                ax.step(minutes, np.arange(1, minutes.size + 1) / minutes.size, label=result.policy)
    left.axvline(15, color="grey", ls="--", lw=0.8)
    right.axvline(0, color="grey", ls="--", lw=0.8)
    left.set(xlabel="pickup minus ready time (min)", ylabel="share of trips", xlim=(-5, 120))
    right.set(xlabel="arrival minus appointment (min)", xlim=(-60, 90))
    left.set_title("Pickups (on time: within 15 min)", fontsize=10)
    right.set_title("Appointment arrivals (on time: before the appointment)", fontsize=10)
    right.legend(fontsize=8, loc="lower right")
    return save_figure(fig, path)


def plot_timelines(result: DayResult, path: str | Path, max_vehicles: int = 40) -> Path:
    """Each vehicle's day: driving empty or loaded, boarding, alighting, waiting."""
    vehicles = [v.vehicle_id for v in result.fleet][:max_vehicles]
    row = {v: k for k, v in enumerate(vehicles)}
    fig = Figure(figsize=(13, 0.22 * len(vehicles) + 1.5))
    ax = fig.add_subplot()
    for a in result.activities:
        if a.vehicle_id not in row:
            continue
        kind = ("loaded" if a.riders else "empty") if a.kind == "drive" else a.kind
        ax.barh(
            row[a.vehicle_id],
            (a.end_s - a.start_s) / 3600,
            left=a.start_s / 3600,
            color=_ACTIVITY_COLOURS[kind],
            height=0.8,
        )
    for v in result.fleet[:max_vehicles]:
        ax.plot([v.shift_start_s / 3600, v.shift_end_s / 3600], [row[v.vehicle_id]] * 2, "k|")
    ax.set_yticks(range(len(vehicles)), vehicles, fontsize=6)
    ax.invert_yaxis()
    handles = [Rectangle((0, 0), 1, 1, color=c) for c in _ACTIVITY_COLOURS.values()]
    ax.legend(handles, list(_ACTIVITY_COLOURS), ncol=6, fontsize=8, loc="upper right")
    ax.set(xlabel="hour of day", title=f"Vehicle timelines: {result.policy} (|: shift)")
    return save_figure(fig, path)


def busiest_vehicle(result: DayResult) -> str:
    """The vehicle that served the most trips."""
    served = [
        r.vehicle_id
        for r in result.trips
        if r.phase is TripPhase.SERVED and r.vehicle_id is not None
    ]
    return max(set(served), key=lambda v: (served.count(v), v)) if served else ""


def write_vehicle_map(
    result: DayResult, graph: routing.RoadGraph, path: str | Path, vehicle_id: str | None = None
) -> Path:
    """An HTML map of one vehicle's day: its drives and its stops with their times."""
    vehicle_id = vehicle_id or busiest_vehicle(result)
    legs = [leg for leg in result.legs if leg.vehicle_id == vehicle_id]
    lines = []
    for leg in legs:
        lat, lon = routing.router(graph).shortest_path(leg.origin, leg.dest).geometry(graph)
        lines.append(
            {
                "points": np.round(np.column_stack([lat, lon]), 6).tolist(),
                "loaded": leg.riders > 0,
                "label": f"{_clock(leg.depart_s)}-{_clock(leg.arrive_s)} {leg.kind}",
            }
        )
    stops = []
    for r in result.trips:
        if r.vehicle_id != vehicle_id or r.pickup_s is None:
            continue
        for kind, node, at in (
            (TaskKind.PICKUP, r.trip.pickup, r.pickup_s),
            (TaskKind.DROPOFF, r.trip.dropoff, r.dropoff_s),
        ):
            if at is not None:
                text = f"{kind} {r.trip.trip_id} ({r.trip.mobility}) at {_clock(at)}"
                stops.append(
                    {"at": [float(graph.lat[node]), float(graph.lon[node])], "label": text}
                )
    page = _MAP_PAGE.replace("__TITLE__", html.escape(f"{vehicle_id}: {result.policy}"))
    page = page.replace("__DATA__", json.dumps({"lines": lines, "stops": stops}))
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page)
    return out


def _clock(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


_MAP_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>__TITLE__</title>
<link rel="stylesheet" href="https://unpkg.com/leaflet@1.9.4/dist/leaflet.css">
<script src="https://unpkg.com/leaflet@1.9.4/dist/leaflet.js"></script>
<style>html,body,#map{height:100%;margin:0}</style></head>
<body><div id="map"></div><script>
const data = __DATA__;
const map = L.map("map");
L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
  maxZoom: 19, attribution: "(c) OpenStreetMap contributors, ODbL"}).addTo(map);
const bounds = [];
for (const line of data.lines) {
  L.polyline(line.points, {color: line.loaded ? "#1f77b4" : "#999999", weight: 4})
    .bindTooltip(line.label).addTo(map);
  bounds.push(...line.points);
}
for (const stop of data.stops) {
  L.circleMarker(stop.at, {radius: 6}).bindPopup(stop.label).addTo(map);
  bounds.push(stop.at);
}
if (bounds.length) { map.fitBounds(bounds); } else { map.setView([0, 0], 2); }
L.control.attribution({prefix: "__TITLE__"}).addTo(map);
</script></body></html>
"""
