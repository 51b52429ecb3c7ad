"""Benchmark the learned ETA on real trips: San Francisco taxis, May 17 - June 10, 2008.

The 172,800 trips of ``../shared/data/trips/sf_taxi_trips.csv.gz`` (pickup and drop-off
points and times, no weather) are cleaned against the north San Francisco OSM extract.
Train on the days up to 2008-06-01 (local time), test on 2008-06-02 .. 2008-06-10, and
score on the same test trips: free flow, free flow x hour-of-week ratio, the EtaModel
with its defaults (``train_eta``) and the map-free raw-coordinate LightGBM
(:class:`models.baselines.RawCoordinateLightGBM`). The EtaModel is paired against the
raw-coordinate baseline with a bootstrap interval of the MAE difference: does the map
earn its keep? Writes a plot of the error by hour of day.

Writes the ``## ETA on real trips`` section of BENCHMARKS.md.
Usage: ``.venv/bin/python benchmarks/eta_real.py [--no-write] [--plots DIR]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from _report import ROOT, machine, markdown_table, write_section

import routing
from models.baselines import FreeFlow, HourOfWeekRatio, RawCoordinateLightGBM
from models.metrics import metric_intervals, regression_metrics
from models.paired import paired_comparison
from models.plots import plot_error_by_hour
from models.records import read_trips
from models.training import prepare_trips, train_eta

COMMAND = ".venv/bin/python benchmarks/eta_real.py"
LIBRARIES = ("numpy", "pandas", "scikit-learn", "lightgbm")
DATA = Path(os.environ.get("NEMT_SHARED_DATA", ROOT.parent / "shared" / "data"))
TRIPS = DATA / "trips" / "sf_taxi_trips.csv.gz"
MAP = DATA / "osm" / "san-francisco-north.osm.bz2"
COLUMN_MAP = {
    "pickup_time": "started_at",
    "origin_lat": "pickup_lat",
    "origin_lon": "pickup_lon",
    "dest_lat": "dropoff_lat",
    "dest_lon": "dropoff_lon",
    "duration_s": "trip_seconds",
}
UNTIL, LAST_TEST_DAY = dt.date(2008, 6, 1), dt.date(2008, 6, 10)
FREE_FLOW, HOUR_OF_WEEK = "free-flow", "free-flow x hour-of-week ratio"
ETA, RAW = "EtaModel (defaults)", "raw-coordinate LightGBM"
SEED = 0


def stage(message: str) -> None:
    """Progress line on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison, print it, write BENCHMARKS.md unless --no-write."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    parser.add_argument(
        "--plots", default=str(ROOT / "out" / "eta_real"), help="folder of the error-by-hour plot"
    )
    args = parser.parse_args(argv)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = (
        f"Command (from the project root): `{COMMAND}`  \nRun: {when}  \n"
        f"Machine: {machine(LIBRARIES)}"
    )

    stage(f"reading {TRIPS.name} and {MAP.name}")
    started = time.perf_counter()
    trips = read_trips(TRIPS, column_map=COLUMN_MAP)
    graph = routing.load_graph(MAP)
    data = prepare_trips(trips, graph)
    prepare_s = time.perf_counter() - started
    data = data.subset(data.local_dates() <= LAST_TEST_DAY)

    stage("EtaModel (train_eta defaults)")
    started = time.perf_counter()
    result = train_eta(data, until=UNTIL)
    times = {ETA: time.perf_counter() - started}
    dates = data.local_dates()
    train, test = dates <= UNTIL, dates > UNTIL
    y_train, y_test = data.y[train], data.y[test]
    X_test = data.X[test]
    eta, eta_p90 = result.model.predict_with_p90(X_test)

    raw_model = RawCoordinateLightGBM(random_state=SEED)
    predictions = {}
    for name, estimator, frame in (
        (FREE_FLOW, FreeFlow(), data.X),
        (HOUR_OF_WEEK, HourOfWeekRatio(), data.X),
        (RAW, raw_model, data.trips),
    ):
        stage(name)
        started = time.perf_counter()
        estimator.fit(frame[train], y_train)
        times[name] = time.perf_counter() - started
        predictions[name] = estimator.predict(frame[test])
    predictions = {
        FREE_FLOW: predictions[FREE_FLOW],
        HOUR_OF_WEEK: predictions[HOUR_OF_WEEK],
        ETA: eta,
        RAW: predictions[RAW],
    }

    stage("metrics and paired bootstrap")
    rows = []
    for name, predicted in predictions.items():
        metrics = regression_metrics(y_test, predicted, eta_p90 if name == ETA else None)
        intervals = metric_intervals(y_test, predicted, random_state=SEED)
        (mae_low, mae_high), (mape_low, mape_high) = intervals["mae_s"], intervals["mape"]
        rows.append(
            [
                name,
                f"{metrics['mae_s']:.1f} ({mae_low:.1f} .. {mae_high:.1f})",
                f"{100 * metrics['mape']:.1f} ({100 * mape_low:.1f} .. {100 * mape_high:.1f})",
                f"{metrics['rmsle']:.3f}",
                f"{metrics['p90_coverage']:.3f}" if "p90_coverage" in metrics else "",
                f"{times[name]:.1f}",
            ]
        )
    paired = {
        reference: paired_comparison(
            y_test, eta, predictions[reference], names=(ETA, reference), random_state=SEED
        )
        for reference in (RAW, HOUR_OF_WEEK)
    }
    paired_rows = [
        [
            f"{ETA} - {reference}",
            f"{p.mae_difference_s:+.1f} ({p.mae_difference_ci[0]:+.1f} .. "
            f"{p.mae_difference_ci[1]:+.1f})",
            f"{p.mae_difference_pct:+.1f} ({p.mae_difference_pct_ci[0]:+.1f} .. "
            f"{p.mae_difference_pct_ci[1]:+.1f})",
        ]
        for reference, p in paired.items()
    ]
    plot = plot_error_by_hour(
        X_test["hour"].to_numpy(), y_test, predictions, Path(args.plots) / "error_by_hour.png"
    )
    report = data.report
    dropped = ", ".join(f"{n:,} {reason}" for reason, n in report.dropped.items() if n)
    (train_start, train_end), (test_start, test_end) = (
        (dates[train].min(), dates[train].max()),
        (dates[test].min(), dates[test].max()),
    )
    section = "\n\n".join(
        [
            "## ETA on real trips",
            header,
            f"Data: `{TRIPS.relative_to(DATA)}` (San Francisco taxis, pickup and drop-off "
            f"points and times, no weather), map `{MAP.relative_to(DATA)}` "
            f"({graph.n_nodes:,} nodes), times in {graph.timezone}. Cleaning kept "
            f"{report.rows_out:,} of {report.rows_in:,} trips (dropped: {dropped}); read, "
            f"cleaned and featurised in {prepare_s:.1f} s. Train {train_start} .. {train_end} "
            f"({int(train.sum()):,} trips), test {test_start} .. {test_end} "
            f"({int(test.sum()):,} trips), every model on the same test trips.",
            "### Models on the test days\n\n"
            + markdown_table(
                ["model", "MAE s (95% CI)", "MAPE % (95% CI)", "RMSLE", "P90 coverage", "train s"],
                rows,
            )
            + f"\n\nThe raw-coordinate LightGBM stopped at {raw_model.n_rounds_} rounds "
            f"(early stopping on {raw_model.validation_window_[0]} .. "
            f"{raw_model.validation_window_[1]}, then refitted on all training days). "
            "Intervals: 1,000 bootstrap resamples of the test trips, seed 0.",
            "### Paired: the EtaModel against the baselines (same trips, paired bootstrap)\n\n"
            + markdown_table(["difference", "MAE s (95% CI)", "MAE % (95% CI)"], paired_rows)
            + f"\n\n**Verdict:** {paired[RAW].verdict()}.",
            f"Error by hour of day: `{_shown(plot)}`.",
        ]
    )
    print(section)
    if not args.no_write:
        write_section("## ETA on real trips", section)
    return 0


def _shown(path: Path) -> str:
    """The path relative to the project root when it is inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
