"""Reading trip files: Parquet and CSV round trips, column maps, units and clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models import REQUIRED_COLUMNS, TripRecord
from models.exceptions import ModelsError, TripDataError
from models.records import parse_column_map, read_trips

from .conftest import TIMEZONE

NUMERIC_REQUIRED = [c for c in REQUIRED_COLUMNS if c != "pickup_time"]


@pytest.fixture
def sample(records: pd.DataFrame) -> pd.DataFrame:
    """A copy of the first 300 history rows (enough for the parse-share rule, quick to write)."""
    return records.head(300).copy()


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as CSV without the index."""
    frame.to_csv(path, index=False)
    return path


def assert_same_trips(read: pd.DataFrame, original: pd.DataFrame) -> None:
    """Same instants and same required numbers (CSV text may round the last float digit)."""
    assert read["pickup_time"].dt.tz is not None
    pd.testing.assert_series_equal(
        read["pickup_time"].dt.tz_convert("UTC").astype("datetime64[us, UTC]"),
        original["pickup_time"].dt.tz_convert("UTC").astype("datetime64[us, UTC]"),
        check_names=False,
        check_index=False,
    )
    for column in NUMERIC_REQUIRED:
        np.testing.assert_allclose(read[column], original[column], rtol=1e-12, err_msg=column)


# --- round trips ---------------------------------------------------------------------------


def test_parquet_round_trip_keeps_everything(sample: pd.DataFrame, tmp_path: Path) -> None:
    """A Parquet file of the history reads back with the same times, numbers and columns."""
    path = tmp_path / "trips.parquet"
    sample.to_parquet(path)
    read = read_trips(path)
    assert list(read.columns) == list(sample.columns)
    assert_same_trips(read, sample)
    assert str(read["pickup_time"].dt.tz) == TIMEZONE
    assert read["snow"].tolist() == sample["snow"].tolist()
    assert read["weather_condition"].tolist() == sample["weather_condition"].tolist()


def test_csv_with_offsets_round_trip(sample: pd.DataFrame, tmp_path: Path) -> None:
    """A CSV whose times carry a UTC offset reads back as the same instants, no zone needed."""
    path = write_csv(sample, tmp_path / "trips.csv")
    read = read_trips(path)
    assert_same_trips(read, sample)
    assert read["snow"].dtype == "boolean"
    assert read["snow"].tolist() == sample["snow"].tolist()
    np.testing.assert_allclose(read["congestion_index"], sample["congestion_index"])


def test_csv_with_offsets_across_dst_reads_as_same_instants(
    sample: pd.DataFrame, tmp_path: Path
) -> None:
    """A CSV spanning a DST change (offsets -05:00 and -04:00) reads back as the same instants."""
    spanning = sample.copy()
    summer = np.arange(len(spanning)) % 2 == 1
    spanning.loc[summer, "pickup_time"] = spanning.loc[summer, "pickup_time"] + pd.Timedelta(
        days=180
    )
    path = write_csv(spanning, tmp_path / "dst.csv")
    text = path.read_text()
    assert "-05:00" in text and "-04:00" in text
    read = read_trips(path)
    assert_same_trips(read, spanning)


def test_csv_naive_times_need_a_timezone(sample: pd.DataFrame, tmp_path: Path) -> None:
    """Naive CSV times without ``timezone`` raise TripDataError naming pickup_time."""
    naive = sample.assign(pickup_time=sample["pickup_time"].dt.tz_localize(None))
    path = write_csv(naive, tmp_path / "naive.csv")
    with pytest.raises(TripDataError, match="pickup_time"):
        read_trips(path)


def test_csv_naive_times_are_localised(sample: pd.DataFrame, tmp_path: Path) -> None:
    """With ``timezone``, naive local CSV times become the original aware instants."""
    naive = sample.assign(pickup_time=sample["pickup_time"].dt.tz_localize(None))
    path = write_csv(naive, tmp_path / "naive.csv")
    read = read_trips(path, timezone=TIMEZONE)
    assert str(read["pickup_time"].dt.tz) == TIMEZONE
    assert_same_trips(read, sample)


def test_read_rows_validate_against_the_schema(sample: pd.DataFrame, tmp_path: Path) -> None:
    """Rows read from a CSV satisfy the documented pydantic TripRecord schema."""
    path = write_csv(sample, tmp_path / "trips.csv")
    read = read_trips(path)
    for row in read.head(20).to_dict("records"):
        fields = {k: v for k, v in row.items() if k in TripRecord.model_fields}
        fields["pickup_time"] = fields["pickup_time"].to_pydatetime()
        fields["snow"] = bool(fields["snow"])
        record = TripRecord(**fields)
        assert record.duration_s > 0
        assert record.pickup_time.tzinfo is not None


# --- column maps and units -----------------------------------------------------------------


def test_column_map_and_minutes(sample: pd.DataFrame, tmp_path: Path) -> None:
    """Foreign names map to canonical ones, and durations in minutes are scaled by 60."""
    foreign = sample.rename(columns={"pickup_time": "started_at", "duration_s": "trip_seconds"})
    foreign["trip_seconds"] = foreign["trip_seconds"] / 60.0
    path = write_csv(foreign, tmp_path / "foreign.csv")
    mapping = parse_column_map("pickup_time=started_at,duration_s=trip_seconds")
    assert mapping == {"pickup_time": "started_at", "duration_s": "trip_seconds"}
    read = read_trips(path, column_map=mapping, duration_unit="min")
    assert "started_at" not in read.columns and "trip_seconds" not in read.columns
    assert_same_trips(read, sample)


@pytest.mark.parametrize(("unit", "factor"), [("s", 1.0), ("ms", 0.001), ("h", 3600.0)])
def test_duration_units(sample: pd.DataFrame, tmp_path: Path, unit: str, factor: float) -> None:
    """Each duration unit is converted to seconds."""
    path = write_csv(sample.assign(duration_s=sample["duration_s"] / factor), tmp_path / "t.csv")
    read = read_trips(path, duration_unit=unit)
    np.testing.assert_allclose(read["duration_s"], sample["duration_s"], rtol=1e-12)


def test_unknown_duration_unit_raises(sample: pd.DataFrame, tmp_path: Path) -> None:
    """An unknown duration unit raises TripDataError naming it."""
    path = write_csv(sample, tmp_path / "trips.csv")
    with pytest.raises(TripDataError, match="fortnight"):
        read_trips(path, duration_unit="fortnight")


def test_mapped_source_missing_raises(sample: pd.DataFrame, tmp_path: Path) -> None:
    """A column map naming a column the file lacks raises TripDataError naming that column."""
    path = write_csv(sample, tmp_path / "trips.csv")
    with pytest.raises(TripDataError, match="started_at"):
        read_trips(path, column_map={"pickup_time": "started_at"})


@pytest.mark.parametrize("text", ["pickup_time", "pickup_time=", "=started_at", "a=b,,c=d"])
def test_bad_column_map_syntax_raises(text: str) -> None:
    """Column map entries that are not canonical=source raise TripDataError."""
    with pytest.raises(TripDataError, match="canonical=source"):
        parse_column_map(text)


@pytest.mark.parametrize("text", [None, ""])
def test_empty_column_map_is_identity(text: str | None) -> None:
    """No column map text means no renaming."""
    assert parse_column_map(text) == {}


def test_column_map_strips_spaces() -> None:
    """Spaces around names in a column map are ignored."""
    assert parse_column_map(" pickup_time = started_at , duration_s=secs ") == {
        "pickup_time": "started_at",
        "duration_s": "secs",
    }


# --- bad files -----------------------------------------------------------------------------


@pytest.mark.parametrize("column", REQUIRED_COLUMNS)
def test_missing_required_column_is_named(
    sample: pd.DataFrame, tmp_path: Path, column: str
) -> None:
    """A CSV missing a required column raises TripDataError naming that column."""
    path = write_csv(sample.drop(columns=[column]), tmp_path / "missing.csv")
    with pytest.raises(TripDataError, match=f"missing required column.*'{column}'"):
        read_trips(path)


@pytest.mark.parametrize("column", REQUIRED_COLUMNS)
def test_wrong_type_column_is_named(sample: pd.DataFrame, tmp_path: Path, column: str) -> None:
    """A required column of text that is not a number or time raises TripDataError naming it."""
    path = write_csv(sample.assign(**{column: "abc"}), tmp_path / "wrong.csv")
    with pytest.raises(TripDataError, match=f"'{column}' has the wrong type"):
        read_trips(path, timezone=TIMEZONE)


def test_few_bad_values_become_missing(sample: pd.DataFrame, tmp_path: Path) -> None:
    """A few unparseable values become NaN/NaT for cleaning to count, not an error."""
    bad = sample.astype({"origin_lat": object, "duration_s": object, "pickup_time": object})
    bad.loc[3, "origin_lat"] = "abc"
    bad.loc[5, "duration_s"] = "n/a"
    bad.loc[7, "pickup_time"] = "yesterday"
    path = write_csv(bad, tmp_path / "few.csv")
    read = read_trips(path)
    assert np.isnan(read.loc[3, "origin_lat"])
    assert np.isnan(read.loc[5, "duration_s"])
    assert pd.isna(read.loc[7, "pickup_time"])
    others = read.drop(index=[3, 5, 7])
    assert others[list(REQUIRED_COLUMNS)].notna().all().all()
    assert len(read) == len(sample)


@pytest.mark.parametrize("name", ["trips.json", "trips.xlsx", "trips"])
def test_unknown_file_type_raises(tmp_path: Path, name: str) -> None:
    """A file that is neither Parquet nor CSV raises TripDataError."""
    path = tmp_path / name
    path.write_text("{}")
    with pytest.raises(TripDataError, match="unknown trip file type"):
        read_trips(path)


def test_missing_file_raises(tmp_path: Path) -> None:
    """A path that does not exist raises TripDataError naming it."""
    with pytest.raises(TripDataError, match=r"not found.*nowhere\.csv"):
        read_trips(tmp_path / "nowhere.csv")


def test_corrupt_parquet_raises(tmp_path: Path) -> None:
    """A .parquet file that is not Parquet raises TripDataError, not a pyarrow error."""
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"this is not parquet")
    with pytest.raises(TripDataError, match="cannot read"):
        read_trips(path)


def test_errors_are_models_and_value_errors() -> None:
    """TripDataError is both the package's base error and a ValueError."""
    assert issubclass(TripDataError, ModelsError)
    assert issubclass(TripDataError, ValueError)
