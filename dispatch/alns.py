"""Adaptive large neighbourhood search (ALNS) for dial-a-ride problems.

After Ropke & Pisinger (2006): each iteration removes some requests with one of the
removal operators of :mod:`dispatch.alns_operators` and inserts them again with greedy
or regret-k insertion (k = 2, 3), the pair drawn by adaptive weights (scores per segment
of iterations: a new best plan, a better new plan, an accepted new plan). Acceptance is
simulated annealing, the temperature falling geometrically from one at which a plan 5%
worse is accepted with probability 1/2 to a 500th of it (a 20th in a second, parallel
search: a portfolio). Objective: requests served
first (each unserved one costs a penalty above any route), then the total arc cost
(+ ``fixed_cost`` per used vehicle, for "fewest vehicles first").

Reproducible: with ``iterations`` set, the annealing follows the iteration count, and
every random draw comes from one ``numpy.random.Generator(seed)``, so seed + iterations
give the same plan (unless ``time_limit_s`` stops the search first); with ``workers``
searches in parallel processes (consecutive seeds) the best of them. Without an
iteration limit the annealing follows the clock. Every route is kept feasible by the
exact evaluation of :mod:`dispatch.route_feasibility`.

Not supported (callers fall back to OR-Tools, see :func:`supports`): soft deadlines
(``window_due``), a price on vehicle time (``span_cost``), locked route prefixes.
"""

from __future__ import annotations

import math
import multiprocessing
import pickle
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np

from .alns_operators import REMOVALS, Instance, SearchState, regret_insert
from .problem import PdpProblem, Plan, Trace, travel_cost

_SCORES = (33.0, 9.0, 13.0)  # new best, better than current (new), accepted (new)
_INSERTIONS = {"greedy": 1, "regret-2": 2, "regret-3": 3}


@dataclass(frozen=True)
class AlnsParams:
    """Search settings.

    ``iterations`` (None: until the budget ends) and ``seed`` make a run reproducible;
    ``time_limit_s`` is a wall-clock budget, honoured whichever comes first. Each
    iteration removes between ``min_remove`` and ``max_remove_share`` of the requests
    (at most ``max_remove``). ``segment`` iterations make one weight update, with
    ``reaction`` the share of the new scores. ``workers`` searches run in parallel
    processes, with consecutive seeds. The annealing starts at the temperature
    where a plan ``start_worse`` (a share) worse than the first is accepted with
    probability 1/2 and falls geometrically to an end temperature, as a share of it:
    worker ``w`` takes ``end_temperatures[w % len(end_temperatures)]`` (a portfolio: the
    low end suits the Cordeau instances, the high one long routes with wide windows such
    as Li & Lim's lrc201, whose deep local optimum only a warmer search leaves).
    ``trace`` records the plan's :attr:`Plan.trace`: each new best plan serving every
    request that is shorter than the earlier ones (every new best one without
    ``fixed_cost``), the workers' traces merged.
    """

    time_limit_s: float = 10.0
    iterations: int | None = None
    seed: int = 0
    fixed_cost: float = 0.0
    min_remove: int = 4
    max_remove_share: float = 0.4
    max_remove: int = 60
    segment: int = 100
    reaction: float = 0.1
    noise: float = 0.025
    start_worse: float = 0.05
    end_temperatures: tuple[float, ...] = (0.002, 0.05)
    removals: tuple[str, ...] = field(default=tuple(REMOVALS))
    insertions: tuple[str, ...] = field(default=tuple(_INSERTIONS))
    workers: int = 1
    trace: bool = False


def supports(problem: PdpProblem) -> str | None:
    """Why the search cannot solve ``problem`` faithfully (None if it can)."""
    if problem.window_due is not None and problem.late_cost > 0:
        return "soft deadlines (window_due)"
    if problem.span_cost > 0:
        return "a price on vehicle time (span_cost)"
    return None


def alns_plan(problem: PdpProblem, params: AlnsParams | None = None) -> Plan:
    """The best plan the search finds, starting from regret-2 insertion.

    With ``workers > 1``, that many searches run at once (seeds ``seed``, ``seed + 1``,
    ...; one in this process, the others in forked processes) and the best plan is kept
    (fewest unserved, then cost, then lowest seed), with the best of their traces at
    each moment. Raises ``ValueError`` for a problem :func:`supports` rejects.
    """
    p = params or AlnsParams()
    reason = supports(problem)
    if reason is not None:
        msg = f"the ALNS does not support {reason}; use the OR-Tools path"
        raise ValueError(msg)
    started = time.perf_counter()
    if p.workers <= 1:
        return _search(problem, p, started)
    seeds = [
        replace(p, seed=p.seed + w, workers=1, end_temperatures=(_end(p, w),))
        for w in range(p.workers)
    ]
    context = multiprocessing.get_context("fork")
    # pickled here, before this process's search fills the problem's cached properties:
    # the pool pickles its arguments in a background thread, which would race with it
    jobs = [pickle.dumps((problem, q, started)) for q in seeds[1:]]
    with ProcessPoolExecutor(max_workers=p.workers - 1, mp_context=context) as pool:
        others = [pool.submit(_search_pickled, job) for job in jobs]
        plans = [_search(problem, seeds[0], started)] + [f.result() for f in others]
    ranks = [(int(q.unserved.size), q.cost(problem), w) for w, q in enumerate(plans)]
    best = plans[min(ranks)[2]]
    trace = _merged([q.trace for q in plans if q.trace is not None]) if p.trace else None
    return replace(best, solve_seconds=time.perf_counter() - started, trace=trace)


def warm_up() -> None:
    """Compile (or load from numba's cache) the search's kernels on a two-request problem,
    so that a service's first plan spends its budget searching (a cold start compiles for
    several seconds)."""
    nodes = 5  # a depot, then two pickup-delivery pairs
    alns_plan(
        PdpProblem(
            travel_time=np.ones((nodes, nodes)) - np.eye(nodes),
            service_time=np.zeros(nodes),
            window_open=np.zeros(nodes),
            window_close=np.full(nodes, 100.0),
            demand=np.array([[0.0], [1.0], [1.0], [-1.0], [-1.0]]),
            pickups=np.array([1, 2]),
            deliveries=np.array([3, 4]),
            max_ride_time=np.full(2, 10.0),
            vehicle_start=np.zeros(1, dtype=np.int64),
            vehicle_end=np.zeros(1, dtype=np.int64),
            capacity=np.ones((1, 1)),
            shift_start=np.zeros(1),
            shift_end=np.full(1, 100.0),
            max_route_duration=np.full(1, np.inf),
            compatible=np.ones((1, 2), dtype=bool),
        ),
        AlnsParams(iterations=20),
    )


def _search_pickled(job: bytes) -> Plan:
    """:func:`_search` on arguments pickled by the parent process."""
    problem, p, started = pickle.loads(job)
    return _search(problem, p, started)


def _search(problem: PdpProblem, p: AlnsParams, started: float) -> Plan:
    """One search with one seed, its clock started at ``started`` (a perf_counter value)."""
    deadline = started + p.time_limit_s
    rng = np.random.default_rng(p.seed)
    instance = Instance.of(problem, p.fixed_cost)
    current = SearchState(instance)
    regret_insert(current, current.unserved(), 2, rng)
    penalty = _penalty(problem, p.fixed_cost)
    best, best_cost = current.copy(), current.objective(penalty)
    current_cost = best_cost
    trace: list[tuple[float, float]] = []
    if p.trace:
        _record(trace, best, started)
    # the temperature scales with the distance, not with the fixed costs of vehicles
    distance = float(current.route_cost.sum()) - p.fixed_cost * int(np.sum(current.lengths > 2))
    t0 = max(p.start_worse * distance / math.log(2.0), 1e-9)
    removals = [REMOVALS[name] for name in p.removals]
    insertions = [_INSERTIONS[name] for name in p.insertions]
    weights_r, weights_i = np.ones(len(removals)), np.ones(len(insertions))
    scores_r, scores_i = np.zeros(len(removals)), np.zeros(len(insertions))
    uses_r, uses_i = np.zeros(len(removals)), np.zeros(len(insertions))
    seen = {current.key()}
    n_req = problem.n_requests
    iteration = 0
    while problem.n_requests and (p.iterations is None or iteration < p.iterations):
        now = time.perf_counter()
        if now >= deadline:
            break
        if p.iterations is not None:
            progress = iteration / p.iterations
        else:
            progress = (now - started) / max(p.time_limit_s, 1e-9)
        temperature = t0 * _end(p, 0) ** progress
        a = int(rng.choice(len(removals), p=weights_r / weights_r.sum()))
        b = int(rng.choice(len(insertions), p=weights_i / weights_i.sum()))
        upper = max(min(p.max_remove, int(p.max_remove_share * n_req)), p.min_remove)
        q = int(rng.integers(min(p.min_remove, n_req), min(upper, n_req) + 1))
        candidate = current.copy()
        removed = removals[a](candidate, q, rng)
        candidate.remove(removed)
        noise = p.noise if rng.random() < 0.5 else 0.0
        regret_insert(candidate, candidate.unserved(), insertions[b], rng, noise)
        cost = candidate.objective(penalty)
        key = candidate.key()
        score = 0.0
        if cost < best_cost - 1e-9:
            best, best_cost = candidate.copy(), cost
            score = _SCORES[0]
            if p.trace:
                _record(trace, best, started)
        accept = cost < current_cost - 1e-9 or rng.random() < math.exp(
            -(cost - current_cost) / temperature
        )
        if accept:
            if key not in seen:
                if score == 0.0:
                    score = _SCORES[1] if cost < current_cost - 1e-9 else _SCORES[2]
                seen.add(key)
            current, current_cost = candidate, cost
        scores_r[a] += score
        scores_i[b] += score
        uses_r[a] += 1
        uses_i[b] += 1
        iteration += 1
        if iteration % p.segment == 0:
            _update(weights_r, scores_r, uses_r, p.reaction)
            _update(weights_i, scores_i, uses_i, p.reaction)
    plan = best.plan("alns", time.perf_counter() - started)
    return replace(plan, trace=tuple(trace)) if p.trace else plan


def _record(trace: list[tuple[float, float]], best: SearchState, started: float) -> None:
    """Add ``best`` to ``trace`` if it serves every request in a shorter distance."""
    if np.any(best.served_by < 0):
        return
    distance = travel_cost(best.instance.problem, [best.route(v) for v in range(best.lengths.size)])
    if not trace or distance < trace[-1][1]:
        trace.append((time.perf_counter() - started, distance))


def _merged(traces: list[Trace]) -> Trace:
    """The shortest distance found by any of ``traces`` at each moment one improves."""
    merged: list[tuple[float, float]] = []
    for seconds, distance in sorted(point for trace in traces for point in trace):
        if not merged or distance < merged[-1][1]:
            merged.append((seconds, distance))
    return tuple(merged)


def _end(p: AlnsParams, worker: int) -> float:
    """The end temperature (share of the first) of worker ``worker``."""
    return p.end_temperatures[worker % len(p.end_temperatures)]


def _penalty(problem: PdpProblem, fixed_cost: float) -> float:
    """A cost per unserved request above any plan's total cost."""
    cost = problem.arc_cost
    return float(max(cost.max(), 1.0) * (problem.n_nodes + 10) * 10 + 10 * fixed_cost)


def _update(weights: np.ndarray, scores: np.ndarray, uses: np.ndarray, reaction: float) -> None:
    """Segment end: weights move towards the mean score per use; scores and uses reset."""
    used = uses > 0
    weights[used] = (1 - reaction) * weights[used] + reaction * scores[used] / uses[used]
    np.maximum(weights, 1e-3, out=weights)
    scores[:] = 0.0
    uses[:] = 0.0
