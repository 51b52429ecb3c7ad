"""OSRM (MLD) on one map, for benchmarks/contraction.py: preprocessing and query timings.

Run by an interpreter that has the ``osrm-bindings`` package (it needs Python 3.12, our
project is 3.11), so it imports nothing of ours. Preprocesses the map with OSRM's car
profile through the MLD pipeline (``extract``, ``partition``, ``customize``), cached in
``--cache`` under a hash of the map and the profile with the timings of the run that built
it, then times ``Table`` queries on the coordinates of ``--queries`` (an .npz of
``pairs``: (n, 2, 2) source and target (lon, lat); ``table_<k>``: (k, 2) (lon, lat) of a
k x k table). Writes ``--out`` (JSON: timings, pair durations) and each table's durations
next to it as ``<out stem>.table_<k>.npy`` (seconds, inf where OSRM finds no route)::

    /path/to/python3.12 benchmarks/osrm_peer.py MAP.osm.pbf --cache DIR --queries Q.npz --out R.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np
import osrm
from numpy.typing import NDArray

PROFILE = Path(osrm.__file__).parent / "share" / "profiles" / "car.lua"
STEPS = ("extract", "partition", "customize")
TABLE_REPEATS = {100: 3, 1000: 1}  # runs per table size (median); other sizes: 1


def cache_key(pbf: Path, profile: Path) -> str:
    """Hash of the map's and the profile's bytes: a changed map or profile is rebuilt."""
    digest = hashlib.sha256(pbf.read_bytes())
    digest.update(profile.read_bytes())
    return digest.hexdigest()[:16]


def preprocess(pbf: Path, cache: Path, profile: Path, budget_s: float) -> dict[str, Any]:
    """The MLD files of ``pbf`` (built once into ``cache``) and the timings of their build.

    Returns ``{"base": path, "seconds": {step: s}, "built": UTC time, "cached": bool}``, or
    ``{"timeout": step, ...}`` when the steps together exceed ``budget_s``."""
    folder = cache / f"{pbf.name.split('.')[0]}-{cache_key(pbf, profile)}"
    base = folder / "map.osrm"
    record = folder / "timings.json"
    if record.is_file():
        return {**json.loads(record.read_text()), "base": str(base), "cached": True}
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "map.osm.pbf"
    source.unlink(missing_ok=True)
    source.symlink_to(pbf.resolve())
    seconds: dict[str, float] = {}
    commands = {
        "extract": ["extract", "-p", str(profile), str(source)],
        "partition": ["partition", str(base)],
        "customize": ["customize", str(base)],
    }
    for step in STEPS:
        cmd = [sys.executable, "-m", "osrm", *commands[step]]
        start = time.perf_counter()
        try:
            run = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                timeout=max(budget_s - sum(seconds.values()), 1.0),
            )
        except subprocess.TimeoutExpired:
            seconds[step] = time.perf_counter() - start
            return {"timeout": step, "seconds": seconds, "budget_s": budget_s, "cached": False}
        seconds[step] = time.perf_counter() - start
        if run.returncode != 0:
            raise RuntimeError(f"osrm {step} failed: {run.stderr[-2000:]}")
    built = {"seconds": seconds, "built": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")}
    record.write_text(json.dumps(built))
    return {**built, "base": str(base), "cached": False}


def durations(result: Any) -> NDArray[np.float64]:
    """A Table answer's durations as a matrix (inf where there is no route)."""
    rows = [[np.inf if v is None else float(v) for v in row] for row in result["durations"]]
    return np.array(rows, dtype=np.float64)


def table_call(engine: Any, coords: NDArray[np.float64], pair: bool) -> Any:
    """One ``Table`` request: the first coordinate to the second (``pair``), else all to all."""
    params = osrm.TableParameters(
        coordinates=[(float(lon), float(lat)) for lon, lat in coords],
        sources=[0] if pair else [],
        destinations=[1] if pair else [],
        annotations=["duration"],
        generate_hints=False,
    )
    return engine.Table(params)


def timed(fn: Any) -> tuple[float, Any]:
    """Wall seconds of one call, and its result."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def measure(base: str, queries: Any, out: Path) -> dict[str, Any]:
    """Load time, single-pair and table timings; writes the tables' .npy files."""
    load_s, engine = timed(
        lambda: osrm.OSRM(storage_config=base, algorithm="MLD", use_shared_memory=False)
    )
    pairs = np.asarray(queries["pairs"], dtype=np.float64)
    table_call(engine, pairs[0], True)  # warm-up
    pair_times, pair_durations = [], []
    for pair in pairs:
        seconds, result = timed(lambda pair=pair: table_call(engine, pair, True))
        pair_times.append(seconds)
        pair_durations.append(float(durations(result)[0, 0]))
    tables = {}
    for key in sorted(k for k in queries.files if k.startswith("table_")):
        coords = np.asarray(queries[key], dtype=np.float64)
        k = len(coords)
        runs = [
            timed(lambda coords=coords: table_call(engine, coords, False))
            for _ in range(TABLE_REPEATS.get(k, 1))
        ]
        path = out.with_name(f"{out.stem}.{key}.npy")
        np.save(path, durations(runs[-1][1]))
        tables[str(k)] = {
            "seconds": median(s for s, _ in runs),
            "runs": len(runs),
            "durations": str(path),
        }
    return {
        "load_s": load_s,
        "pair_s": median(pair_times),
        "pair_runs": len(pair_times),
        "pair_durations": [None if np.isinf(d) else d for d in pair_durations],
        "tables": tables,
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("map", type=Path, help="the .osm.pbf")
    parser.add_argument("--cache", type=Path, required=True, help="preprocessed maps")
    parser.add_argument("--queries", type=Path, required=True, help=".npz of coordinates")
    parser.add_argument("--out", type=Path, required=True, help="result JSON")
    parser.add_argument("--profile", type=Path, default=PROFILE, help="OSRM Lua profile")
    parser.add_argument(
        "--budget", type=float, default=900.0, help="seconds allowed for the preprocessing"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Preprocess (or reuse), measure, write the result."""
    args = parse_args(argv)
    prep = preprocess(args.map, args.cache, args.profile, args.budget)
    result: dict[str, Any] = {
        "osrm": version("osrm-bindings"),
        "profile": str(args.profile),
        "python": sys.version.split()[0],
        "preprocessing": prep,
    }
    if "timeout" not in prep:
        with np.load(args.queries) as queries:
            result.update(measure(prep["base"], queries, args.out))
    args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
