"""The default ETA model: trained on first use from the default world's history, then cached.

The cache key is the map file's content hash, the world's size and seed, the model's
hyperparameters and the training revision (``models.TRAINING_REVISION``), so another map,
world, model configuration or training code trains its own model. The model directory is
written beside its final name and renamed into place, so a crash never leaves a
half-written model behind. The test days are saved beside it as its trusted holdout
(``models.HOLDOUT_FILE``); a cached model without one is retrained.
``$DISPATCH_MODEL_CACHE`` overrides the cache folder (default: the user's cache folder).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import platformdirs

import routing
from models import (
    HOLDOUT_FILE,
    TRAINING_REVISION,
    EtaModel,
    ModelSchemaError,
    baseline_predictions,
    load_model,
    prepare_trips,
    save_trained,
)
from models.training import train_eta
from routing.loading import cache_key

from .history_commands import simulate_history

CACHE_ENV = "DISPATCH_MODEL_CACHE"
DAYS, VEHICLES, SEED = 30, 40, 0


def model_cache_dir() -> Path:
    """Folder of default models: ``$DISPATCH_MODEL_CACHE``, else the user's cache folder."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    return Path(platformdirs.user_cache_dir("nemt-dispatch")) / "models"


def default_model(
    map_file: str | None = None,
    *,
    days: int = DAYS,
    vehicles: int = VEHICLES,
    seed: int = SEED,
) -> Path:
    """Directory of the default model for ``map_file`` (default: the embedded map).

    Trained from ``days`` days of the map's simulated world (``vehicles``, ``seed``) the
    first time, and reused afterwards.
    """
    map_path = routing.default_map_path() if map_file is None else Path(map_file)
    if not map_path.is_file():
        msg = f"map file not found: {map_path}"
        raise routing.GraphSourceError(msg)
    model = EtaModel(n_jobs=1)
    key = f"{cache_key(map_path)}-d{days}-v{vehicles}-s{seed}-{_params_key(model)}"
    directory = model_cache_dir() / key
    if directory.is_dir():
        try:
            load_model(directory)
            if (directory / HOLDOUT_FILE).is_file():
                return directory
            print("note: cached default model has no trusted holdout (older version); retraining")
        except ModelSchemaError as exc:
            print(f"note: cached default model unusable ({exc}); retraining")
        shutil.rmtree(directory)
    print(f"training the default model on {days} simulated days (first use; cached after)")
    world, history, _ = simulate_history(map_file, days, vehicles, seed, None)
    data = prepare_trips(history.records, world.graph)
    result = train_eta(data, model=model)
    partial = directory.with_name(f"{directory.name}.partial-{os.getpid()}")
    tested = data.local_dates() > result.train_window[1]
    save_trained(
        result,
        data,
        world.graph,
        partial,
        data.X[~tested],
        # the raw-coordinate baseline would add seconds to the first use; `dispatch train`
        # and `compare-models` run it
        baselines=baseline_predictions(data, result, raw_coordinates=False),
        holdout=data.trips[tested],  # the test days: the trusted holdout of retraining
    )
    try:
        partial.rename(directory)
    except OSError:  # another process finished first: use its model
        shutil.rmtree(partial, ignore_errors=True)
    print(f"default model cached in {directory}")
    return directory


def _params_key(model: EtaModel) -> str:
    """Short hash of the model's hyperparameters and of the training code's revision."""
    params = json.dumps([TRAINING_REVISION, model.get_params()], sort_keys=True)
    return hashlib.sha256(params.encode()).hexdigest()[:8]
