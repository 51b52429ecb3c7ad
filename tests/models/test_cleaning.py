"""Cleaning trip records: every crafted bad row is dropped under its reason; fills and flags."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import routing
from models.cleaning import WEATHER_COLUMNS, CleaningParams, CleaningReport, clean_trips
from models.training import PreparedTrips

N_GOOD = 12
REASONS = (
    "unparseable",
    "duplicate",
    "non-positive",
    "absurd",
    "beyond",
    "identical",
    "straight-line",
    "network speed",
)
OPTIONAL_OBSERVED = (*WEATHER_COLUMNS, "congestion_index")


def reason_count(report: CleaningReport, reason: str) -> int:
    """Rows dropped under the one reason key containing ``reason``."""
    keys = [key for key in report.dropped if reason in key]
    assert len(keys) == 1, f"expected one reason key containing {reason!r}, got {keys}"
    return report.dropped[keys[0]]


def raw_rows(prepared: PreparedTrips, index: pd.Index | list[int]) -> pd.DataFrame:
    """Rows of the cleaned history, without the columns cleaning adds."""
    return prepared.trips.loc[index].drop(columns=["origin_node", "dest_node"])


@pytest.fixture(scope="module")
def good(prepared: PreparedTrips) -> pd.DataFrame:
    """Twelve real trips of one day that cleaning keeps (with unique ids: legs share trip ids)."""
    dates = prepared.local_dates()
    day = np.unique(dates)[2]
    index = prepared.trips.index[dates == day][:N_GOOD]
    frame = raw_rows(prepared, index).reset_index(drop=True)
    return frame.assign(trip_id=[f"good-{i}" for i in range(N_GOOD)])


def template(
    prepared: PreparedTrips, condition: pd.Series, trip_id: str
) -> tuple[pd.DataFrame, pd.Series]:
    """A real row (later than the good day's rows) meeting ``condition``, and its features."""
    candidates = prepared.X.index[condition.to_numpy() & (prepared.X.index > 1000)]
    assert len(candidates), "no history row satisfies the template condition"
    row = raw_rows(prepared, [candidates[0]]).reset_index(drop=True)
    return row.assign(trip_id=trip_id), prepared.X.loc[candidates[0]]


def crafted_rows(prepared: PreparedTrips, good: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One bad row per case (keys are the parametrize ids), each built from a real trip."""
    X = prepared.X
    any_row = X["distance_m"] > 0
    rows: dict[str, pd.DataFrame] = {}

    row, _ = template(prepared, any_row, "bad-unparseable")
    rows["unparseable"] = row.assign(origin_lat=np.nan)
    row, _ = template(prepared, any_row, "bad-unparseable-time")
    row["pickup_time"] = pd.Series(pd.NaT, index=row.index, dtype=row["pickup_time"].dtype)
    rows["unparseable-time"] = row
    rows["duplicate"] = good.iloc[[0]].copy()
    row, _ = template(prepared, any_row, "bad-zero")
    rows["non-positive"] = row.assign(duration_s=0.0)
    row, _ = template(prepared, any_row, "bad-negative")
    rows["non-positive-negative"] = row.assign(duration_s=-60.0)
    row, _ = template(prepared, any_row, "bad-short")
    rows["absurd"] = row.assign(duration_s=10.0)
    row, _ = template(prepared, any_row, "bad-long")
    rows["absurd-long"] = row.assign(duration_s=5 * 3600.0)
    row, _ = template(prepared, any_row, "bad-far")
    rows["beyond"] = row.assign(origin_lat=row["origin_lat"] + 0.5)  # about 55 km north
    row, _ = template(prepared, any_row, "bad-same")
    rows["identical"] = row.assign(dest_lat=row["origin_lat"], dest_lon=row["origin_lon"])
    rows["identical-same-node"] = row.assign(
        trip_id="bad-same-node",
        dest_lat=row["origin_lat"] + 1e-6,
        dest_lon=row["origin_lon"] - 1e-6,
    )
    # 150 km/h as the crow flies (so also on the network): straight-line is checked first.
    row, features = template(prepared, X["straight_m"] >= 2000, "bad-straight")
    rows["straight-line"] = row.assign(duration_s=features["straight_m"] / (150 / 3.6))
    # 140 km/h along the network but under 110 km/h as the crow flies (detour >= 1.6).
    detour = (X["detour_ratio"] >= 1.6) & (X["distance_m"] >= 2000)
    row, features = template(prepared, detour, "bad-network-fast")
    rows["network speed"] = row.assign(duration_s=features["distance_m"] / (140 / 3.6))
    # 1 km/h along the network, still under the 4 h absurd-duration limit.
    row, features = template(prepared, X["distance_m"].between(1000, 3000), "bad-network-slow")
    rows["network speed-slow"] = row.assign(duration_s=features["distance_m"] / (1 / 3.6))
    return rows


@pytest.fixture(scope="module")
def crafted(prepared: PreparedTrips, good: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The crafted bad rows by id."""
    return crafted_rows(prepared, good)


def test_good_rows_are_all_kept(good: pd.DataFrame, baltimore: routing.RoadGraph) -> None:
    """The real rows used as the clean background drop nothing (so counts below are exact)."""
    clean, report = clean_trips(good, baltimore)
    assert report.rows_in == report.rows_out == len(clean) == N_GOOD
    assert sum(report.dropped.values()) == 0
    assert len(report.dropped) == len(REASONS)


@pytest.mark.parametrize(
    "case",
    [
        "unparseable",
        "unparseable-time",
        "duplicate",
        "non-positive",
        "non-positive-negative",
        "absurd",
        "absurd-long",
        "beyond",
        "identical",
        "identical-same-node",
        "straight-line",
        "network speed",
        "network speed-slow",
    ],
)
def test_each_bad_row_is_dropped_under_its_reason(
    case: str,
    good: pd.DataFrame,
    crafted: dict[str, pd.DataFrame],
    baltimore: routing.RoadGraph,
) -> None:
    """One crafted bad row is counted once under its own reason and under no other."""
    reason = case.split("-")[0]
    trips = pd.concat([good, crafted[case]], ignore_index=True)
    clean, report = clean_trips(trips, baltimore)
    assert reason_count(report, reason) == 1, str(report)
    others = {k: n for k, n in report.dropped.items() if reason not in k}
    assert sum(others.values()) == 0, str(report)
    assert report.rows_in == N_GOOD + 1
    assert report.rows_out == len(clean) == N_GOOD
    assert sorted(clean["trip_id"]) == sorted(good["trip_id"])


def test_all_reasons_counted_at_once(
    good: pd.DataFrame, crafted: dict[str, pd.DataFrame], baltimore: routing.RoadGraph
) -> None:
    """With one bad row per reason mixed into real rows, each reason counts exactly 1."""
    bad = pd.concat([crafted[reason] for reason in REASONS], ignore_index=True)
    trips = pd.concat([good, bad], ignore_index=True).sample(frac=1.0, random_state=0)
    clean, report = clean_trips(trips, baltimore)
    assert {reason: reason_count(report, reason) for reason in REASONS} == dict.fromkeys(REASONS, 1)
    assert report.rows_in == N_GOOD + len(REASONS)
    assert report.rows_out == len(clean) == N_GOOD
    assert sorted(clean["trip_id"]) == sorted(good["trip_id"])


def test_reasons_are_applied_in_documented_order(
    good: pd.DataFrame, baltimore: routing.RoadGraph
) -> None:
    """The report lists the eight reasons in the order they are applied."""
    _, report = clean_trips(good, baltimore)
    keys = list(report.dropped)
    assert [next(r for r in REASONS if r in key) for key in keys] == list(REASONS)


def test_output_has_snapped_nodes(good: pd.DataFrame, baltimore: routing.RoadGraph) -> None:
    """The cleaned frame carries each endpoint's nearest graph node."""
    clean, _ = clean_trips(good, baltimore)
    origin = routing.nearest_nodes(baltimore, clean["origin_lat"], clean["origin_lon"])
    dest = routing.nearest_nodes(baltimore, clean["dest_lat"], clean["dest_lon"])
    np.testing.assert_array_equal(clean["origin_node"], origin)
    np.testing.assert_array_equal(clean["dest_node"], dest)


def test_input_is_not_modified(
    good: pd.DataFrame, crafted: dict[str, pd.DataFrame], baltimore: routing.RoadGraph
) -> None:
    """Cleaning returns a new frame and leaves the caller's frame as it was."""
    trips = pd.concat([good, crafted["beyond"], crafted["duplicate"]], ignore_index=True)
    trips.loc[3, "precipitation_mm"] = np.nan
    before = trips.copy()
    clean_trips(trips, baltimore)
    pd.testing.assert_frame_equal(trips, before)


def test_custom_params_change_limits_and_labels(
    good: pd.DataFrame, baltimore: routing.RoadGraph
) -> None:
    """CleaningParams move the absurd-duration limit, and the reason label says so."""
    limit = float(np.median(good["duration_s"]))
    _, report = clean_trips(good, baltimore, CleaningParams(min_duration_s=limit))
    expected = int((good["duration_s"] < limit).sum())
    assert expected > 0
    assert report.dropped[f"absurd duration (outside {limit:g}-14400 s)"] == expected


def test_full_history_drops_nothing_silently(
    records: pd.DataFrame, prepared: PreparedTrips
) -> None:
    """On the whole history, rows in minus every counted drop equals rows out."""
    report = prepared.report
    assert report.rows_in == len(records)
    assert report.rows_in - sum(report.dropped.values()) == report.rows_out == len(prepared.y)


# --- filling and flagging observations -----------------------------------------------------

# Minutes after the first trip; the row at 60 misses its observations, the row at 65 is the
# nearest known one (after it), the row at 40 the nearest before it.
MINUTES = [0, 20, 40, 60, 65, 100, 130, 160, 190, 220, 250, 280]


@pytest.fixture
def timed(good: pd.DataFrame) -> pd.DataFrame:
    """The good rows at controlled times, with distinct observations per row."""
    start = good["pickup_time"].min()
    frame = good.copy()
    frame["pickup_time"] = start + pd.to_timedelta(MINUTES, unit="min")
    frame["precipitation_mm"] = np.arange(N_GOOD) + 0.5
    frame["temperature_c"] = np.arange(N_GOOD) - 3.25
    frame["congestion_index"] = 1 + np.arange(N_GOOD) / 10
    frame["weather_condition"] = ["clear", "cloudy", "clear", "clear", "rain", *["cloudy"] * 7]
    frame["snow"] = pd.array([False, False, False, False, True, *[False] * 7], dtype="boolean")
    return frame


def with_isolated_row(frame: pd.DataFrame, minutes: float, trip_id: str) -> pd.DataFrame:
    """``frame`` plus a copy of its last row moved ``minutes`` after the first trip."""
    extra = frame.iloc[[-1]].copy()
    extra["trip_id"] = trip_id
    extra["pickup_time"] = frame["pickup_time"].min() + pd.Timedelta(minutes=minutes)
    return pd.concat([frame, extra], ignore_index=True)


def observed_row(clean: pd.DataFrame, trip_id: str) -> pd.Series:
    """The cleaned row of ``trip_id``."""
    return clean.set_index("trip_id").loc[trip_id]


def test_missing_weather_filled_from_nearest_in_time(
    timed: pd.DataFrame, baltimore: routing.RoadGraph
) -> None:
    """A row missing weather and congestion takes them from the nearest row in time."""
    trips = timed.copy()
    target = trips.loc[3, "trip_id"]
    trips.loc[3, ["precipitation_mm", "temperature_c", "congestion_index"]] = np.nan
    trips.loc[3, "weather_condition"] = None
    trips.loc[3, "snow"] = pd.NA
    clean, report = clean_trips(trips, baltimore)
    row = observed_row(clean, target)
    nearest = timed.loc[4]
    assert row["precipitation_mm"] == nearest["precipitation_mm"]
    assert row["temperature_c"] == nearest["temperature_c"]
    assert row["congestion_index"] == nearest["congestion_index"]
    assert row["weather_condition"] == "rain"
    assert bool(row["snow"]) is True
    assert report.filled == {f"{c} from nearest observation": 1 for c in OPTIONAL_OBSERVED}
    assert report.flagged == {}
    assert report.rows_out == N_GOOD


def test_weather_without_near_observation_is_flagged(
    timed: pd.DataFrame, baltimore: routing.RoadGraph
) -> None:
    """A row missing weather with no observation within 2 h keeps NaN and is flagged."""
    trips = with_isolated_row(timed, MINUTES[-1] + 180, "lonely")
    trips.loc[trips["trip_id"] == "lonely", ["precipitation_mm", "temperature_c"]] = np.nan
    clean, report = clean_trips(trips, baltimore)
    row = observed_row(clean, "lonely")
    assert np.isnan(row["precipitation_mm"]) and np.isnan(row["temperature_c"])
    assert report.flagged == {
        "precipitation_mm still missing": 1,
        "temperature_c still missing": 1,
    }
    assert report.filled == {}
    assert report.rows_out == N_GOOD + 1


def test_congestion_has_a_shorter_fill_window(
    timed: pd.DataFrame, baltimore: routing.RoadGraph
) -> None:
    """45 min from the nearest observation, weather is filled but congestion is flagged."""
    trips = with_isolated_row(timed, MINUTES[-1] + 45, "late")
    late = trips["trip_id"] == "late"
    trips.loc[late, ["precipitation_mm", "congestion_index"]] = np.nan
    clean, report = clean_trips(trips, baltimore)
    row = observed_row(clean, "late")
    assert row["precipitation_mm"] == timed["precipitation_mm"].iloc[-1]
    assert np.isnan(row["congestion_index"])
    assert report.filled == {"precipitation_mm from nearest observation": 1}
    assert report.flagged == {"congestion_index still missing": 1}


def test_all_missing_column_is_flagged_not_filled(
    timed: pd.DataFrame, baltimore: routing.RoadGraph
) -> None:
    """A column with no observation at all stays missing and every row is flagged."""
    trips = timed.assign(temperature_c=np.nan)
    clean, report = clean_trips(trips, baltimore)
    assert clean["temperature_c"].isna().all()
    assert report.flagged == {"temperature_c still missing": N_GOOD}


def test_absent_optional_columns_are_flagged(
    good: pd.DataFrame, baltimore: routing.RoadGraph
) -> None:
    """Data without weather or congestion columns is kept, and each absence is flagged."""
    bare = good.drop(columns=list(OPTIONAL_OBSERVED))
    clean, report = clean_trips(bare, baltimore)
    assert report.rows_out == len(clean) == N_GOOD
    assert report.flagged == {f"{c} absent from the data": N_GOOD for c in OPTIONAL_OBSERVED}
    assert report.filled == {}


# --- the report ----------------------------------------------------------------------------


@pytest.fixture
def mixed_report(
    good: pd.DataFrame, crafted: dict[str, pd.DataFrame], baltimore: routing.RoadGraph
) -> CleaningReport:
    """The report of good rows, two bad ones and one missing temperature."""
    trips = pd.concat([good, crafted["beyond"], crafted["duplicate"]], ignore_index=True)
    trips.loc[2, "temperature_c"] = np.nan
    return clean_trips(trips, baltimore)[1]


def test_report_prints_every_count(mixed_report: CleaningReport) -> None:
    """str(report) has the row totals and one line per reason, fill and flag."""
    text = str(mixed_report)
    lines = text.splitlines()
    assert lines[0] == f"cleaning: {N_GOOD + 2} rows in, {N_GOOD} rows kept"
    assert len(lines) == 1 + len(mixed_report.dropped) + len(mixed_report.filled)
    for reason, count in mixed_report.dropped.items():
        assert any(reason in line and f" {count} " in line for line in lines), reason
    assert "temperature_c from nearest observation" in text


def test_report_saves_as_json(mixed_report: CleaningReport, tmp_path: Path) -> None:
    """report.save() writes JSON that reads back as report.as_dict()."""
    path = mixed_report.save(tmp_path / "cleaning.json")
    assert path == tmp_path / "cleaning.json"
    saved = json.loads(path.read_text())
    assert saved == mixed_report.as_dict()
    assert saved["rows_in"] == N_GOOD + 2
    assert saved["rows_out"] == N_GOOD
    assert saved["filled"] == {"temperature_c from nearest observation": 1}
