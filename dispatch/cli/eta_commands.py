"""``dispatch train``, ``dispatch evaluate``, ``dispatch compare-models``: the learned ETA.

Without ``--trips`` each first simulates history on the default world, so the commands
work offline out of the box.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

import routing
from models.comparison import ETA_FAMILY, RAW_FAMILY, Requirement, compare_models, model_families
from models.metrics import regression_metrics
from models.model_card import RAW_COORDINATES, baseline_predictions
from models.paired import paired_comparison
from models.plots import plot_error_by_hour, plot_error_by_model, plot_predicted_vs_actual
from models.records import parse_column_map, read_trips
from models.registry import load_model, save_trained
from models.training import PreparedTrips, TrainingResult, prepare_trips, train_eta

from ._common import UsageError, load_graph, print_table, write_json
from .history_commands import add_world_arguments, simulate_history


def _date(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        msg = f"{flag} must be a date YYYY-MM-DD, got {text!r}"
        raise UsageError(msg) from None


def _prepared_trips(args: argparse.Namespace) -> tuple[routing.RoadGraph, PreparedTrips]:
    """Read ``--trips`` (or simulate history), clean it against the map, compute features."""
    if args.trips is None:
        print(
            f"no --trips given: simulating {args.days} days of the default world (seed {args.seed})"
        )
        world, history, _ = simulate_history(
            args.map, args.days, args.vehicles, args.seed, args.timezone
        )
        trips, graph = history.records, world.graph
    else:
        trips = read_trips(
            args.trips,
            column_map=parse_column_map(args.column_map),
            duration_unit=args.duration_unit,
            timezone=args.timezone,
        )
        graph = load_graph(args.map)
    data = prepare_trips(trips, graph)
    print(data.report)
    if len(data.y) == 0:
        msg = "no trips left after cleaning; see the report above"
        raise UsageError(msg)
    return graph, data


def _metric_rows(
    metrics: dict[str, float], baseline: dict[str, float]
) -> list[tuple[str, str, str]]:
    return [
        (name, f"{metrics[name]:.3f}", f"{baseline[name]:.3f}" if name in baseline else "")
        for name in metrics
        if name != "n"
    ]


def _cmd_train(args: argparse.Namespace) -> int:
    graph, data = _prepared_trips(args)
    bar = tqdm(total=1, desc="training LightGBM (P50 + P90)", file=sys.stderr)
    result = train_eta(data, until=_date(args.until, "--until"))
    bar.update(1)
    bar.close()
    baselines = _fit_baselines(data, result)
    tested = data.local_dates() > result.train_window[1]
    out = save_trained(
        result,
        data,
        graph,
        args.out,
        data.X[~tested],
        baselines=baselines,
        holdout=data.trips[tested] if tested.any() else None,
    )
    print(
        f"trained on {result.n_train:,} trips {result.train_window[0]} .. {result.train_window[1]}"
    )
    _print_tuning(result.model.tuning_report_)
    if result.test_window:
        print(
            f"tested on {result.n_test:,} trips {result.test_window[0]} .. {result.test_window[1]}"
        )
        print_table(
            ("metric", "model", "free-flow"), _metric_rows(result.metrics, result.baseline_metrics)
        )
        test = data.subset(tested)
        predicted = result.model.predict(test.X)
        _print_baselines(test, predicted, baselines)
        _accuracy_plots(test, predicted, out / "plots", "test days", baselines)
    print(f"wrote model to {out}")
    return 0


def _print_tuning(report: dict[str, Any]) -> None:
    """The settings fit chose, the validation scores behind them, and the features left out."""
    if "trials" in report:
        print(
            f"settings chosen on the last {report['validation_days']} training days "
            f"({report['validation_rows']:,} trips), search {report['search_s']:.0f} s "
            f"of a {report['budget_s']:.0f} s budget:"
        )
        rows = [
            (
                _settings(trial["settings"]),
                "none" if trial["half_life_days"] is None else f"{trial['half_life_days']:g} d",
                str(trial["best_iteration"]),
                f"{trial['validation_mae_s']:.2f}",
                f"{trial['validation_rmsle']:.4f}",
            )
            for trial in report["trials"]
        ]
        print_table(("settings", "half-life", "trees", "val MAE s", "val RMSLE"), rows)
    half_life = report["half_life_days"]
    print(
        f"final median booster: {report['n_estimators']} trees, "
        + _settings(report["settings"])
        + f", recency half-life {'none' if half_life is None else f'{half_life:g} days'}"
    )
    for name, reason in report["left_out_features"].items():
        print(f"left out feature {name}: {reason}")


def _settings(settings: dict[str, Any]) -> str:
    return ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in settings.items()
    )


def _fit_baselines(data: PreparedTrips, result: TrainingResult) -> dict[str, NDArray[np.float64]]:
    """The baselines' predictions of the test rows (the raw-coordinate one takes a while)."""
    bar = tqdm(total=1, desc="training the raw-coordinate baseline", file=sys.stderr)
    baselines = baseline_predictions(data, result)
    bar.update(1)
    bar.close()
    return baselines


def _print_baselines(
    test: PreparedTrips, predicted: NDArray[np.float64], baselines: dict[str, NDArray[np.float64]]
) -> None:
    """The baselines on the same test rows, and the model paired against the raw-coordinate one."""
    rows = [("model", *_mae_mape_rmsle(regression_metrics(test.y, predicted)))]
    rows += [
        (name, *_mae_mape_rmsle(regression_metrics(test.y, p))) for name, p in baselines.items()
    ]
    print_table(("on the same test trips", "MAE s", "MAPE", "RMSLE"), rows)
    if RAW_COORDINATES in baselines:
        paired = paired_comparison(
            test.y, predicted, baselines[RAW_COORDINATES], names=("model", RAW_COORDINATES)
        )
        print(paired.verdict())


def _mae_mape_rmsle(metrics: dict[str, float]) -> tuple[str, str, str]:
    return f"{metrics['mae_s']:.1f}", f"{metrics['mape']:.3f}", f"{metrics['rmsle']:.3f}"


def _accuracy_plots(
    data: PreparedTrips,
    predicted: NDArray[np.float64],
    folder: Path,
    title: str,
    baselines: dict[str, NDArray[np.float64]] | None = None,
) -> None:
    """Error by hour (model against free flow, or ``baselines``) and predicted against actual."""
    lines = {"model": predicted, **(baselines or {"free-flow": data.X["free_flow_s"].to_numpy()})}
    for plot in (
        plot_error_by_hour(data.X["hour"].to_numpy(), data.y, lines, folder / "error_by_hour.png"),
        plot_predicted_vs_actual(data.y, predicted, folder / "predicted_vs_actual.png", title),
    ):
        print(f"wrote {plot}")


def _cmd_evaluate(args: argparse.Namespace) -> int:
    saved = load_model(args.model)
    _, data = _prepared_trips(args)
    since = _date(args.since, "--from")
    if since is not None:
        data = data.subset(data.local_dates() >= since)
    if len(data.y) == 0:
        msg = f"no trips on or after {since}"
        raise UsageError(msg)
    predicted, upper = saved.model.predict_with_p90(data.X)
    metrics = regression_metrics(data.y, predicted, upper)
    baseline = regression_metrics(data.y, data.X["free_flow_s"].to_numpy())
    print(f"model {saved.version}, trained on {saved.metadata['train_window']}")
    print_table(("metric", "model", "free-flow"), _metric_rows(metrics, baseline))
    if args.json:
        write_json(
            {"model_version": saved.version, "metrics": metrics, "free_flow": baseline}, args.json
        )
    if args.plots:
        _accuracy_plots(data, predicted, Path(args.plots), saved.version)
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    _, data = _prepared_trips(args)
    requirement = Requirement(max_latency_ms=args.max_latency_ms)
    bar = tqdm(total=len(model_families()), desc="comparing models", unit="model", file=sys.stderr)

    def step(name: str) -> None:
        bar.set_postfix_str(name)
        bar.update(1)

    try:
        result = compare_models(
            data,
            until=_date(args.until, "--until"),
            sample=args.sample,
            requirement=requirement,
            progress=step,
        )
    finally:
        bar.close()
    (train_start, train_end), (test_start, test_end) = result.train_window, result.test_window
    print(f"train {train_start} .. {train_end}, test {test_start} .. {test_end}")
    columns = [
        "mae_s",
        "mape",
        "rmsle",
        "p90_abs_error_s",
        "train_s",
        "latency_us_per_row",
        "size_kb",
    ]
    rows = [
        (
            r["model"],
            *(f"{r[c]:.3f}" if c in ("mape", "rmsle") else f"{r[c]:.1f}" for c in columns),
            r["notes"],
        )
        for _, r in result.table.iterrows()
    ]
    print_table(("model", *columns, "notes"), rows)
    print(f"requirement: {requirement.describe()} -> {result.chosen or 'no model qualifies'}")
    paired = result.paired(ETA_FAMILY, RAW_FAMILY)
    print(paired.verdict())
    if args.json:
        write_json(
            {
                "requirement": requirement.describe(),
                "chosen": result.chosen,
                "train_window": result.train_window,
                "test_window": result.test_window,
                "table": result.table.to_dict(orient="records"),
                "paired": paired.as_dict(),
            },
            args.json,
        )
    if args.plots:
        plots = Path(args.plots)
        best = {
            k: v
            for k, v in result.test_predictions.items()
            if k in {"free-flow", "free-flow x hour-of-week ratio", RAW_FAMILY, result.chosen}
        }
        for plot in (
            plot_error_by_model(result.table, result.chosen, plots / "error_by_model.png"),
            plot_error_by_hour(result.test_hour, result.test_y, best, plots / "error_by_hour.png"),
        ):
            print(f"wrote {plot}")
    return 0


def _add_trip_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trips", help="Parquet or CSV trip records (default: simulate history)")
    parser.add_argument("--column-map", help="canonical=source column names, comma separated")
    parser.add_argument("--duration-unit", default="s", choices=["s", "ms", "min", "h"])
    add_world_arguments(parser, days=60)


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``train``, ``evaluate`` and ``compare-models``."""
    train = commands.add_parser("train", help="train the ETA model on trip records")
    _add_trip_arguments(train)
    train.add_argument(
        "--until", metavar="DATE", help="train on trips up to this date; test on later ones"
    )
    train.add_argument("--out", default="model", help="model directory to write")
    train.set_defaults(handler=_cmd_train)

    evaluate = commands.add_parser("evaluate", help="score a saved model on trip records")
    evaluate.add_argument("--model", required=True, help="model directory")
    _add_trip_arguments(evaluate)
    evaluate.add_argument(
        "--from", dest="since", metavar="DATE", help="only trips on or after this date"
    )
    evaluate.add_argument("--json", help="write the metrics to this JSON file")
    evaluate.add_argument("--plots", metavar="DIR", help="write PNG plots here")
    evaluate.set_defaults(handler=_cmd_evaluate)

    compare = commands.add_parser("compare-models", help="compare ETA model families on later days")
    _add_trip_arguments(compare)
    compare.add_argument(
        "--until", metavar="DATE", help="train up to this date (default: first 75%% of days)"
    )
    compare.add_argument("--sample", type=float, default=1.0, help="fraction of trips to use")
    compare.add_argument(
        "--max-latency-ms", type=float, default=1.0, help="latency cap of the requirement"
    )
    compare.add_argument("--json", help="write the comparison to this JSON file")
    compare.add_argument("--plots", metavar="DIR", help="write PNG plots here")
    compare.set_defaults(handler=_cmd_compare)
