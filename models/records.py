"""Read trip records from Parquet or CSV into the canonical columns of :mod:`models.schema`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .exceptions import TripDataError
from .schema import REQUIRED_COLUMNS

NUMERIC_COLUMNS = (
    "origin_lat",
    "origin_lon",
    "dest_lat",
    "dest_lon",
    "duration_s",
    "precipitation_mm",
    "temperature_c",
    "congestion_index",
)
DURATION_UNITS = {"s": 1.0, "ms": 0.001, "min": 60.0, "h": 3600.0}
# A required column where more than this share of values cannot be parsed is a type error,
# not a few bad rows (which cleaning drops and counts).
_MAX_BAD_SHARE = 0.5


def parse_column_map(text: str | None) -> dict[str, str]:
    """Parse ``"pickup_time=started_at,duration_s=trip_seconds"`` into {canonical: source}."""
    if not text:
        return {}
    mapping = {}
    for item in text.split(","):
        canonical, sep, source = item.partition("=")
        if not sep or not canonical.strip() or not source.strip():
            msg = f"column map entry {item!r} must look like canonical=source"
            raise TripDataError(msg)
        mapping[canonical.strip()] = source.strip()
    return mapping


def read_trips(
    path: str | Path,
    *,
    column_map: Mapping[str, str] | None = None,
    duration_unit: str = "s",
    timezone: str | None = None,
) -> pd.DataFrame:
    """Read a Parquet or CSV file of trips into canonical columns.

    ``column_map`` maps canonical names to the file's names. ``duration_unit`` is the unit
    of the duration column (s, ms, min, h). Naive pickup times need ``timezone``. Rows
    with unparseable values are kept (as NaN/NaT) for cleaning to count; a column that is
    missing or mostly unparseable raises :class:`TripDataError` naming it.
    """
    path = Path(path)
    frame = _read_file(path)
    mapping = dict(column_map or {})
    missing_sources = [s for s in mapping.values() if s not in frame.columns]
    if missing_sources:
        msg = (
            f"{path.name}: mapped column(s) {missing_sources} not in the file"
            f" (it has {list(frame.columns)})"
        )
        raise TripDataError(msg)
    frame = frame.rename(columns={source: canonical for canonical, source in mapping.items()})
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        msg = (
            f"{path.name}: missing required column(s) {missing}; the file has {list(frame.columns)}"
            " (use a column map such as pickup_time=started_at)"
        )
        raise TripDataError(msg)
    if duration_unit not in DURATION_UNITS:
        msg = f"duration unit must be one of {sorted(DURATION_UNITS)}, got {duration_unit!r}"
        raise TripDataError(msg)
    frame["pickup_time"] = _parse_times(frame["pickup_time"], timezone, path.name)
    for column in NUMERIC_COLUMNS:
        if column in frame.columns:
            frame[column] = _parse_numbers(frame[column], column, path.name)
    frame["duration_s"] = frame["duration_s"] * DURATION_UNITS[duration_unit]
    if "snow" in frame.columns:
        frame["snow"] = frame["snow"].map(_parse_bool).astype("boolean")
    return frame


def _read_file(path: Path) -> pd.DataFrame:
    if not path.is_file():
        msg = f"trip file not found: {path}"
        raise TripDataError(msg)
    name = path.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            return pd.read_parquet(path)
        if name.endswith((".csv", ".csv.gz")):
            return pd.read_csv(path, low_memory=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        msg = f"cannot read trip file {path}: {exc}"
        raise TripDataError(msg) from exc
    msg = f"unknown trip file type {path.name!r}: expected .parquet or .csv"
    raise TripDataError(msg)


def _parse_times(values: pd.Series, timezone: str | None, file: str) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values
    try:
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
    except ValueError:  # several UTC offsets (e.g. across a DST change): same instants in UTC
        parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    _check_parse_share(values, parsed, "pickup_time", file)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return parsed.dt.tz_convert(timezone) if timezone else parsed
    if timezone is None:
        msg = (
            f"{file}: pickup_time has no time zone; declare one (e.g. timezone='America/New_York')"
        )
        raise TripDataError(msg)
    return parsed.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward")


def _parse_numbers(values: pd.Series, column: str, file: str) -> pd.Series:
    parsed = pd.to_numeric(values, errors="coerce").astype(float)
    if column in REQUIRED_COLUMNS:
        _check_parse_share(values, parsed, column, file)
    return parsed


def _check_parse_share(raw: pd.Series, parsed: pd.Series, column: str, file: str) -> None:
    bad = parsed.isna() & raw.notna()
    if len(raw) and bad.mean() > _MAX_BAD_SHARE:
        examples = raw[bad].astype(str).unique()[:3].tolist()
        msg = (
            f"{file}: column {column!r} has the wrong type: {int(bad.sum())} of {len(raw)} "
            f"values cannot be parsed, e.g. {examples}"
        )
        raise TripDataError(msg)


def _parse_bool(value: object) -> bool | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "y", "t"}:
        return True
    if text in {"0", "false", "no", "n", "f"}:
        return False
    return None
