"""Worlds and the trip history they log."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import routing
from dispatch.cli import main
from models import TripRecord
from simulations.history import COLUMNS, LEG_KINDS, History, generate_history, write_history
from simulations.truth import TruthParams
from simulations.weather import WeatherParams, simulate_weather
from simulations.world import World, WorldParams

SMALL = WorldParams(n_vehicles=12)


@pytest.fixture(scope="module")
def history(baltimore: routing.RoadGraph, baltimore_path: Path) -> History:
    """Five days of a 12-vehicle world on Baltimore, seed 7."""
    return generate_history(World(baltimore, days=5, seed=7, params=SMALL, map_path=baltimore_path))


def test_same_seed_same_history(
    baltimore: routing.RoadGraph, baltimore_path: Path, history: History
) -> None:
    """Replaying the same seed gives an identical history."""
    again = generate_history(
        World(baltimore, days=5, seed=7, params=SMALL, map_path=baltimore_path)
    )
    pd.testing.assert_frame_equal(history.records, again.records)


def test_different_seed_different_history(
    baltimore: routing.RoadGraph, baltimore_path: Path, history: History
) -> None:
    """Another seed gives another history."""
    other = generate_history(
        World(baltimore, days=5, seed=8, params=SMALL, map_path=baltimore_path)
    )
    assert not history.records.equals(other.records)


def test_every_record_passes_the_schema(history: History) -> None:
    """Each logged leg validates as a models.TripRecord, with timezone-aware start times."""
    rows = history.records.to_dict(orient="records")
    assert len(rows) > 500
    for row in rows:
        TripRecord.model_validate(row)
    assert str(history.records["pickup_time"].dt.tz) == "America/New_York"


def test_records_hold_no_hidden_truth(history: History) -> None:
    """The history has exactly the documented columns: nothing of the per-edge truth leaks."""
    assert tuple(history.records.columns) == COLUMNS


def test_durations_respect_the_floor(history: History) -> None:
    """No drive is faster than noise_floor x its free-flow time (allowing rounding to 0.1 s)."""
    floor = TruthParams().noise_floor
    r = history.records
    assert (r["duration_s"] >= floor * r["free_flow_s"] - 0.1).all()
    assert (r["duration_s"] > 0).all()


def test_legs_and_days_are_consistent(history: History) -> None:
    """Every leg kind appears, legs per day add up, and served trips have a with-rider leg."""
    r = history.records
    assert set(r["leg_kind"]) == set(LEG_KINDS)
    assert [d.legs for d in history.days] == r.groupby("day").size().reindex(
        range(5), fill_value=0
    ).tolist()
    served = sum(d.served for d in history.days)
    assert (r["leg_kind"] == "with_rider").sum() <= served
    assert served > 0.8 * sum(d.requested - d.cancelled - d.no_shows for d in history.days)


def test_history_trips_are_slower_at_rush_hour(history: History) -> None:
    """Logged drives at 7-9 am on weekdays are slower relative to free flow than before 6 am."""
    r = history.records
    ratio = r["duration_s"] / r["free_flow_s"]
    hour = r["pickup_time"].dt.hour
    weekday = r["pickup_time"].dt.day_of_week < 5
    assert ratio[weekday & hour.between(7, 8)].median() > ratio[weekday & (hour < 6)].median() + 0.2


def test_weather_has_dry_rain_and_snow_days() -> None:
    """Sixty days of weather hold dry and rainy days and at least one snow day."""
    days = simulate_weather(60, WeatherParams(), np.random.default_rng(0))
    regimes = {d.regime for d in days}
    assert regimes == {"dry", "rain", "snow"}


def test_world_on_monaco_uses_fallback_facilities(
    monaco: routing.RoadGraph, monaco_path: Path
) -> None:
    """A world on Monaco runs; it tops up its few tagged facilities and says so."""
    params = WorldParams(n_vehicles=6, timezone="Europe/Monaco")
    world = World(monaco, days=2, seed=1, params=params, map_path=monaco_path)
    assert any("fallback" in note for note in world.notes)
    assert len(world.facilities) >= params.min_facilities
    records = generate_history(world).records
    assert len(records) > 50
    assert str(records["pickup_time"].dt.tz) == "Europe/Monaco"


def test_parquet_round_trip(tmp_path: Path, history: History) -> None:
    """Written Parquet reads back with the same columns and values."""
    path = write_history(history, tmp_path / "h.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(path), history.records)


def test_cli_history_writes_parquet_and_plots(tmp_path: Path) -> None:
    """`dispatch history --report` writes the Parquet file and two PNG plots."""
    out = tmp_path / "history.parquet"
    report = tmp_path / "report"
    assert (
        main(
            [
                "history",
                "--days",
                "2",
                "--vehicles",
                "8",
                "--out",
                str(out),
                "--report",
                str(report),
            ]
        )
        == 0
    )
    assert len(pd.read_parquet(out)) > 0
    assert sorted(p.name for p in report.glob("*.png")) == [
        "ratio_by_hour.png",
        "ratio_by_weather.png",
    ]


def test_cli_history_rejects_zero_days(capsys: pytest.CaptureFixture[str]) -> None:
    """`dispatch history --days 0` exits 2 with a message naming the flag."""
    assert main(["history", "--days", "0"]) == 2
    assert "--days" in capsys.readouterr().err
