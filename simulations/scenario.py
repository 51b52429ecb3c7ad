"""A scenario: a world, the ETA model trained on its earlier days, and policies compared on one day.

The model learns from the history of days ``0 .. history_days - 1`` (played with the
nearest-vehicle rule, as a provider's logs would be); the policies are compared on day
``history_days``, which the model never saw. Policies are named ``kind/times``: ``kind``
one of :data:`POLICY_KINDS`, ``times`` ``free-flow`` or ``eta-model``.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

import routing
from models import EtaModel
from models.training import prepare_trips, train_eta

from .engine import DAY_END_S, DayResult, Policy, run_day
from .estimator import TravelEstimator, congestion_profile
from .exceptions import ScenarioError
from .history import generate_history
from .kpis import day_kpis
from .policies import BatchPolicy, GreedyPolicy, ScheduledPolicy
from .weather import REGIMES, WeatherParams
from .world import World, WorldParams

POLICY_KINDS = ("greedy", "batch", "scheduled")
TIME_SOURCES = ("free-flow", "eta-model")
DEFAULT_RIDERS = 800  # the riders of the default fleet of 40 vehicles, 20 each
DEFAULT_POLICIES = (
    "greedy/free-flow",
    "batch/eta-model",
    "scheduled/free-flow",
    "scheduled/eta-model",
)
HISTORY_STAGE = "history"
RELAY_EVERY_S = 0.2  # how often the policy workers' progress is passed on

Progress = Callable[[str, float], None]
"""Told a stage (:data:`HISTORY_STAGE`, or a policy's name) and the share of it done, 0..1."""

_worker_progress: multiprocessing.Queue[tuple[str, float]] | None = None  # in policy workers


@dataclass(frozen=True)
class Scenario:
    """Everything that defines a comparison run (a world, a day, solver budgets)."""

    seed: int = 0
    vehicles: int = 40
    riders: int = DEFAULT_RIDERS  # the population booking rides, whatever the fleet size
    demand: float = 1.0  # scales the riders
    history_days: int = 28  # day 28 from the default start date is a Monday
    weather: str | None = None  # force the simulated day's weather regime
    plan_s: float = 20.0
    reoptimise_every_s: float = 3600.0
    reoptimise_s: float = 2.0
    solution_limit: int | None = None  # repeatable plans (see dispatch.scheduling)
    map_path: str | None = None
    world: WorldParams = field(default_factory=WorldParams)

    def __post_init__(self) -> None:
        checks = {
            "vehicles": self.vehicles >= 1,
            "riders": self.riders >= 1,
            "demand": self.demand > 0,
            "history_days": self.history_days >= 2,
            "weather": self.weather is None or self.weather in REGIMES,
            "plan_s": self.plan_s > 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            msg = f"invalid scenario field {bad[0]}={getattr(self, bad[0])!r}"
            raise ScenarioError(msg)

    @property
    def day(self) -> int:
        """Index of the simulated day."""
        return self.history_days

    def world_params(self) -> WorldParams:
        """The world's parameters with this scenario's fleet, demand and weather.

        The riders, hence the demand, do not depend on the fleet size.
        """
        base = self.world
        demand = replace(base.demand, riders=max(round(self.riders * self.demand), 1))
        weather: WeatherParams = base.weather
        if self.weather is not None:
            weather = replace(weather, forced=((self.day, self.weather),))
        return replace(base, n_vehicles=self.vehicles, demand=demand, weather=weather)


@dataclass(frozen=True)
class TrainedModel:
    """The ETA model of a world, what it was trained on, and the typical congestion."""

    model: EtaModel
    version: str
    profile: np.ndarray
    metrics: dict[str, float]  # on the latest days, of a fit that left them out
    n_train: int


def build_world(
    scenario: Scenario, graph: routing.RoadGraph | None = None, *, days: int | None = None
) -> World:
    """The scenario's world: its history days plus the simulated day (or ``days`` days)."""
    graph = graph or routing.load_graph(scenario.map_path)
    map_path = Path(scenario.map_path) if scenario.map_path else routing.default_map_path()
    return World(
        graph,
        days=days or scenario.history_days + 1,
        seed=scenario.seed,
        params=scenario.world_params(),
        map_path=map_path,
    )


def train_model(
    world: World, history_days: int, progress: Callable[[float], None] | None = None
) -> TrainedModel:
    """LightGBM ETA model of the world's first ``history_days`` days of logs (``progress``
    is told the share of the days played).

    Scored on the latest 15% of the days by a model fitted on the others (``metrics``),
    then fitted again on every day for the policies: the latest days are the most like
    the simulated one (on the default day, snow the model saw only the day before: the
    plan's ETA bias went from -136 to -117 s and on-time arrival from 0.71 to 0.75).
    """
    played = None if progress is None else (lambda day: progress((day + 1) / history_days))
    history = generate_history(world, played, days=history_days).records
    data = prepare_trips(history, world.graph)
    scored = train_eta(data, test_fraction=0.15)
    deployed = train_eta(data, until=max(data.local_dates()))
    version = f"eta-{data.data_sha256[:12]}"
    return TrainedModel(
        deployed.model, version, congestion_profile(history), scored.metrics, deployed.n_train
    )


def parse_policy(name: str) -> tuple[str, str]:
    """``(kind, times)`` of a policy name, or a ValueError saying what is expected."""
    kind, _, times = name.partition("/")
    if kind not in POLICY_KINDS or times not in TIME_SOURCES:
        msg = (
            f"policy {name!r}: expected kind/times with kind in {POLICY_KINDS} "
            f"and times in {TIME_SOURCES}"
        )
        raise ScenarioError(msg)
    return kind, times


def make_policy(
    name: str, world: World, scenario: Scenario, trained: TrainedModel | None
) -> Policy:
    """The policy ``kind/times`` for the scenario's day."""
    kind, times = parse_policy(name)
    if times == "eta-model" and trained is None:
        msg = f"policy {name!r} needs a trained model"
        raise ScenarioError(msg)
    estimator = (
        TravelEstimator(
            world.public,
            scenario.day,
            trained.model,
            model_version=trained.version,
            profile=trained.profile,
            # a day planned hours ahead is checked against P90 drive times: on-time arrival
            # 0.857 -> 0.899 over the five seeds of benchmarks/simulation.py
            risk_aware=kind == "scheduled",
        )
        if times == "eta-model" and trained is not None
        else TravelEstimator(world.public, scenario.day)
    )
    if kind == "greedy":
        return GreedyPolicy(estimator)
    if kind == "batch":
        return BatchPolicy(estimator)
    return ScheduledPolicy(
        estimator,
        plan_s=scenario.plan_s,
        reoptimise_every_s=scenario.reoptimise_every_s,
        reoptimise_s=scenario.reoptimise_s,
        solution_limit=scenario.solution_limit,
    )


@dataclass
class Comparison:
    """The day under each policy, its KPIs, and the model the ETA policies used."""

    scenario: Scenario
    results: list[DayResult]
    kpis: list[dict[str, Any]]
    model: TrainedModel | None
    weather: str  # the simulated day's weather regime


def compare_policies(
    scenario: Scenario,
    policies: Sequence[str] = DEFAULT_POLICIES,
    *,
    workers: int = 1,
    progress: Progress | None = None,
) -> Comparison:
    """Replay the scenario's day under each policy (in ``workers`` processes); ``progress``
    hears of the history played and of each policy's simulated day as it goes."""
    report = progress or (lambda _stage, _done: None)
    world = build_world(scenario)
    if workers <= 1:
        trained = _train_for(world, scenario, any(map(_needs_model, policies)), report)
        results: dict[str, DayResult] = {}
        for name in policies:
            results[name] = run_day(
                world,
                scenario.day,
                make_policy(name, world, scenario, trained),
                progress=_DayProgress(name, report),
            )
            report(name, 1.0)
    else:
        trained, results = _compare_in_workers(world, scenario, policies, workers, report)
    ordered = [results[name] for name in policies]
    kpis = [day_kpis(r) for r in ordered]
    return Comparison(scenario, ordered, kpis, trained, world.weather[scenario.day].regime)


def _needs_model(policy: str) -> bool:
    return parse_policy(policy)[1] == "eta-model"


def _train_for(
    world: World, scenario: Scenario, needs_model: bool, report: Progress
) -> TrainedModel | None:
    """The scenario's model if a policy needs one (the history's progress told), else None."""
    trained = (
        train_model(world, scenario.history_days, lambda done: report(HISTORY_STAGE, done))
        if needs_model
        else None
    )
    report(HISTORY_STAGE, 1.0)
    return trained


def _compare_in_workers(
    world: World, scenario: Scenario, policies: Sequence[str], workers: int, report: Progress
) -> tuple[TrainedModel | None, dict[str, DayResult]]:
    """The model (if needed) and each policy's day, in a pool of ``workers`` processes.

    The policies on free-flow times start at once, while this process plays the history
    and trains the model (one core: the other is free); the ones on the model follow.
    The longest days (scheduled policies) start first within each group. If training
    fails, the policies not started are cancelled; the ones running are waited for.
    """
    context = multiprocessing.get_context("spawn")
    told: multiprocessing.Queue[tuple[str, float]] = context.Queue()
    results: dict[str, DayResult] = {}
    with (
        ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_tell, initargs=(told,)
        ) as pool,
        _Relay(told, report) as relay,
    ):

        def submit(names: Sequence[str], trained: TrainedModel | None) -> None:
            for name in sorted(names, key=lambda n: parse_policy(n)[0] != "scheduled"):
                pending[pool.submit(_run_policy, scenario, name, trained)] = name

        pending: dict[Future[DayResult], str] = {}
        on_model = [name for name in policies if _needs_model(name)]
        submit([name for name in policies if name not in on_model], None)
        try:
            trained = _train_for(world, scenario, bool(on_model), relay)
        except BaseException:
            for future in pending:
                future.cancel()
            raise
        submit(on_model, trained)
        for future in as_completed(pending):
            name = pending[future]
            results[name] = future.result()
            relay.finish(name)
    return trained, results


class _Relay:
    """Tells ``report`` what the policy workers tell, from a thread, while this process
    plays the history and trains; every report (the history's too) goes through one lock,
    and a stage told finished hears nothing later (a worker's last share can arrive after
    its result)."""

    def __init__(self, told: multiprocessing.Queue[tuple[str, float]], report: Progress) -> None:
        self.told = told
        self.report = report
        self.lock = threading.RLock()
        self.finished: set[str] = set()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="progress-relay", daemon=True)

    def __call__(self, stage: str, done: float) -> None:
        with self.lock:
            if stage not in self.finished:
                self.report(stage, done)

    def finish(self, stage: str) -> None:
        """``stage`` is done: what was told of it before, then 1.0, and nothing after."""
        with self.lock:
            self._drain()
            self(stage, 1.0)
            self.finished.add(stage)

    def __enter__(self) -> _Relay:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopped.set()
        self.thread.join()
        self._drain()

    def _run(self) -> None:
        while not self.stopped.wait(RELAY_EVERY_S):
            self._drain()

    def _drain(self) -> None:
        while True:
            try:
                stage, done = self.told.get_nowait()
            except queue.Empty:
                return
            self(stage, done)


class _DayProgress:
    """Turns a simulated day's clock into the share of the day done, told at each 1%."""

    def __init__(self, stage: str, report: Progress) -> None:
        self.stage = stage
        self.report = report
        self.start: float | None = None
        self.told = 0.0

    def __call__(self, now_s: float) -> None:
        if self.start is None:
            self.start = now_s
        done = min(max((now_s - self.start) / max(DAY_END_S - self.start, 1.0), 0.0), 1.0)
        if done >= self.told + 0.01:
            self.told = done
            self.report(self.stage, done)


def _tell(told: multiprocessing.Queue[tuple[str, float]]) -> None:
    """Policy worker initializer: where its day's progress goes."""
    global _worker_progress
    _worker_progress = told


def _run_policy(scenario: Scenario, name: str, trained: TrainedModel | None) -> DayResult:
    """One policy's day, in a worker process (the world is rebuilt from its seed)."""
    world = build_world(scenario)
    told = _worker_progress
    progress = None if told is None else _DayProgress(name, lambda s, d: told.put((s, d)))
    return run_day(
        world, scenario.day, make_policy(name, world, scenario, trained), progress=progress
    )
