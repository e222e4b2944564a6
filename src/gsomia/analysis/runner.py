"""Running the regimes over the launches: the Monte Carlo behind ``gsomia value``.

For each launch the sharing of every regime is derived from the agreement data on that
launch's date (:func:`~gsomia.analysis.regimes.derive_sharing`), then each run simulates
the sensors once and every regime reads the same reports (common random numbers). Work is
shared wherever regimes agree: a party's tracker runs once per distinct set of report
flows into it, its fused estimate is built once per distinct set of flows, an estimate
is predicted to fuse a warning once per run (:class:`~gsomia.analysis.fusion.Predictions`),
and every distinct state is flown to the ground once
(:class:`~gsomia.analysis.scoring.Scorer`).
The trackers of all the runs given to :func:`run_launch` step in lockstep, their
predictions made together (:mod:`gsomia.analysis.lockstep`; the same numbers as one by one).
Launches may run in parallel worker processes; results do not depend on how many.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np

from gsomia.analysis.association import AssociationScore
from gsomia.analysis.assumptions import Assumptions, SensorAssumptions, SimulationAssumptions
from gsomia.analysis.fusion import POWERED, Estimate, Predictions, fuse_round
from gsomia.analysis.ground import footprints
from gsomia.analysis.lockstep import LockstepPool
from gsomia.analysis.looks import look_scheduler
from gsomia.analysis.regimes import Flow, Regime, Sharing, derive_sharing
from gsomia.analysis.scoring import RoundScore, Scorer
from gsomia.analysis.sensors import sensors_on
from gsomia.analysis.simulation import (
    RoundPicture,
    make_tracker,
    pictures_and_association,
    run_tracker,
    stream,
    tracker_predictor,
    world_under,
)
from gsomia.core.agreements import AgreementLibrary
from gsomia.warning.geo.frames import ecef_to_geodetic, enu_rotation, geodetic_to_ecef
from gsomia.warning.scenario.launches import DatedLaunch, dated_launch
from gsomia.warning.sensors.scheduling import LookGeometry
from gsomia.warning.simulation.world import Observations, RoundTruth, World, observe
from gsomia.warning.tracking import GroundEstimate, IMMPredictor

__all__ = [
    "LaunchResult",
    "MapDrawer",
    "MapRequest",
    "chunks",
    "regime_sharing",
    "run_launch",
    "run_launches",
]

_logger = logging.getLogger(__name__)

Feed = tuple[str, tuple[tuple[str, float], ...], str | None]
"""(party, its report flows as (originator, delay), the recipient its picture is for)."""


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LaunchResult:
    """Everything measured on one launch.

    ``scores[(regime, party)]`` holds, per run, the :class:`RoundScore` of each round. For
    the map, from the first run: ``paths[(regime, party)]`` the estimated positions of
    each round's missile as (lat, lon) rows, and ``ellipses[(regime, party)]`` the
    predicted impact of the first missile with its 95 % ellipse at ``ellipse_t`` (a
    minute after burnout; only where the map is drawn, else ``None``); ``truth_paths``
    each missile's true (t, lat, lon, height).
    """

    launch: DatedLaunch
    rounds: tuple[RoundTruth, ...]
    sharing: Mapping[str, Sharing]
    scores: Mapping[tuple[str, str], tuple[tuple[RoundScore, ...], ...]]
    paths: Mapping[tuple[str, str], tuple[np.ndarray, ...]]
    ellipses: Mapping[tuple[str, str], GroundEstimate | None]
    ellipse_t: float
    truth_paths: tuple[np.ndarray, ...]
    map_path: Path | None = None
    coverage: Mapping[str, tuple[bool | None, ...]] = field(default_factory=dict)
    """Per party (regime ``actual``), per run and round in order: whether the true impact
    lay inside the 95 % ellipse predicted a minute after burnout (``None``: no estimate)."""
    association: Mapping[tuple[str, str], tuple[AssociationScore, ...]] = field(
        default_factory=dict
    )
    """Per (regime, party), per run: the party's own tracks scored against every true
    object (:mod:`gsomia.analysis.association`)."""


def regime_sharing(
    library: AgreementLibrary,
    launch: DatedLaunch,
    regimes: Sequence[Regime],
    assumptions: Assumptions,
) -> dict[str, Sharing]:
    """Each regime's sharing on ``launch``'s date, derived from the agreement data."""
    parties = {*sensors_on(launch.day, assumptions.sensors), *assumptions.simulation.parties}
    at = launch.epoch
    return {
        regime.key: derive_sharing(
            regime.library_on(library, at), at=at, parties=parties, assumptions=assumptions
        )
        for regime in regimes
    }


@dataclass(slots=True)
class _Run:
    """One run of one launch: the pictures and estimates computed so far, by their inputs."""

    world: World
    obs: Observations
    sim: SimulationAssumptions
    pictures: dict[Feed, tuple[RoundPicture, ...]]
    estimates: dict[tuple[str, tuple[object, ...]], tuple[Estimate, ...]]
    association: dict[Feed, AssociationScore] = field(default_factory=dict)
    predictions: Predictions = field(default_factory=Predictions)
    geometry: LookGeometry = field(default_factory=LookGeometry)

    def picture(self, feed: Feed) -> tuple[RoundPicture, ...]:
        if feed not in self.pictures:
            self.pictures[feed], self.association[feed] = self.track(feed)
        return self.pictures[feed]

    def track(
        self, feed: Feed, predictor: IMMPredictor | None = None
    ) -> tuple[tuple[RoundPicture, ...], AssociationScore]:
        """The pictures and association score of the tracker fed ``feed``; ``predictor``
        stands in for the tracker's own (with its settings)."""
        party, partners, recipient = feed
        arrivals = stream(
            self.world, self.obs, party=party, partners=partners, releasing_to=recipient
        )
        tracker = make_tracker(max((d for _, d in partners), default=0.0), predictor=predictor)
        scheduler = look_scheduler(self.sim, geometry=self.geometry)
        snapshots = run_tracker(
            arrivals, grid=self.world.grid, tracker=tracker, scheduler=scheduler
        )
        return pictures_and_association(
            snapshots, self.world, tracker=tracker, radius_m=self.sim.association_radius_m
        )

    def feeds(self, sharing: Sharing, party: str) -> tuple[Feed, list[tuple[Feed, Flow]]]:
        """The feed of ``party``'s own tracker under ``sharing``, and those of the
        partners' trackers whose warnings it fuses, each with the flow bringing them."""
        flows = tuple((f.originator, f.delay_s) for f in sharing.reports_into(party))
        fastest = {o: d for o, d in flows}
        partners: list[tuple[Feed, Flow]] = [
            ((f.originator, (), self._for(f.originator, party)), f)
            for f in sharing.warnings_into(party)
            if f.delay_s < fastest.get(f.originator, float("inf"))
        ]
        own: Feed = (party, flows, None)
        return own, partners

    def own_association(self, sharing: Sharing, party: str) -> AssociationScore:
        """The association score of ``party``'s own tracker under ``sharing``."""
        own, _ = self.feeds(sharing, party)
        self.picture(own)
        return self.association[own]

    def estimate(self, sharing: Sharing, party: str) -> tuple[Estimate, ...]:
        key = (party, sharing.signature(party))
        if key not in self.estimates:
            own_feed, partner_feeds = self.feeds(sharing, party)
            own = self.picture(own_feed)
            partners = [(self.picture(feed), f) for feed, f in partner_feeds]
            grid = self.world.grid
            self.estimates[key] = tuple(
                fuse_round(
                    own[r],
                    [(p[r], f) for p, f in partners],
                    grid,
                    self.world.window(r),
                    predictions=self.predictions,
                )
                for r in range(len(self.world.rounds))
            )
        return self.estimates[key]

    def _for(self, originator: str, recipient: str) -> str | None:
        """The recipient a partner's picture is built for (``None`` if it releases all)."""
        return None if self.world.releasable(originator, recipient) is None else recipient


def _track_together(
    states: Sequence[_Run], sharing: Mapping[str, Sharing], parties: Sequence[str]
) -> None:
    """Run every tracker the runs' regimes and parties need, all in lockstep
    (:mod:`.lockstep`: the same pictures as one by one, fewer numpy calls)."""
    wanted: list[tuple[_Run, Feed]] = []
    for state in states:
        feeds: dict[Feed, None] = {}
        for shared in sharing.values():
            for party in parties:
                own, partners = state.feeds(shared, party)
                feeds.update(dict.fromkeys([own, *(feed for feed, _ in partners)]))
        wanted.extend((state, feed) for feed in feeds if feed not in state.pictures)
    pool = LockstepPool(tracker_predictor())
    predictor = pool.predictor_for()
    done = pool.run([partial(state.track, feed, predictor) for state, feed in wanted])
    for (state, feed), (pictures, association) in zip(wanted, done, strict=True):
        state.pictures[feed], state.association[feed] = pictures, association


def _truth_paths(world: World) -> tuple[np.ndarray, ...]:
    """Each round's true path as (t, lat, lon, h) rows every 5 s, for the map."""
    out = []
    for rt in world.rounds:
        obj = world.truth.object(rt.payload_id)
        t = np.arange(obj.start_s, obj.end_s, 5.0)
        lat, lon, h = ecef_to_geodetic(obj.states_at(t)[:, :3])
        out.append(np.column_stack([t, lat, lon, h]))
    return tuple(out)


def _paths(world: World, estimates: tuple[Estimate, ...]) -> tuple[np.ndarray, ...]:
    out = []
    for r, est in enumerate(estimates):
        window = world.window(r)
        held = window[est.present[window]]
        lat, lon, _ = ecef_to_geodetic(est.state[held, :3])
        out.append(np.column_stack([lat, lon]))
    return tuple(out)


def _judged(estimates: Sequence[Estimate], k: Sequence[int]) -> list[int]:
    """Which of ``estimates`` hold a usable Gaussian at picture index ``k`` (one each)."""
    out = []
    for i, (est, j) in enumerate(zip(estimates, k, strict=True)):
        if j < 0 or not bool(est.present[j]):
            continue
        try:
            np.linalg.cholesky(est.cov[j] + 1e-9 * np.eye(6))
        except np.linalg.LinAlgError:
            continue
        out.append(i)
    return out


def _footprints(estimates: Sequence[Estimate], k: Sequence[int]) -> list[GroundEstimate | None]:
    """The predicted impact footprint of each estimate at picture index ``k`` (None where
    it holds nothing usable), each distinct one flown once, all in one batch."""
    distinct: dict[tuple[int, int], int] = {}
    for i, (est, j) in enumerate(zip(estimates, k, strict=True)):
        distinct.setdefault((id(est), j), i)
    unique = list(distinct.values())
    ok = [unique[i] for i in _judged([estimates[u] for u in unique], [k[u] for u in unique])]
    found = footprints(
        np.array([estimates[i].state[k[i]] for i in ok]).reshape(-1, 6),
        np.array([estimates[i].cov[k[i]] for i in ok]).reshape(-1, 6, 6),
        np.array([estimates[i].t[k[i]] for i in ok]),
        np.array([estimates[i].kappa[k[i]] for i in ok]),
        np.array([estimates[i].kappa_var[k[i]] for i in ok]),
    )
    flown = dict(zip(ok, found, strict=True))
    return [flown.get(distinct[(id(est), j)]) for est, j in zip(estimates, k, strict=True)]


def _index(world: World, at: float) -> int:
    return int(np.searchsorted(world.grid, at, side="right") - 1)


def _ellipses(
    world: World, first: Mapping[tuple[str, str], tuple[Estimate, ...]], at: float
) -> dict[tuple[str, str], GroundEstimate | None]:
    """Each regime's and party's footprint of the first missile at time ``at``."""
    keys = list(first)
    k = _index(world, at)
    found = _footprints([first[key][0] for key in keys], [k] * len(keys))
    return dict(zip(keys, found, strict=True))


_CHI2_2DOF_95 = 5.991
"""The 95 % quantile of the chi-square distribution with two degrees of freedom."""


def _coverage(
    world: World, judged: Sequence[tuple[str, tuple[Estimate, ...]]]
) -> dict[str, tuple[bool | None, ...]]:
    """Whether each judged round's true impact lay inside the 95 % footprint predicted a
    minute after its burnout (``None``: no impact estimate then). An estimate then that
    still says the missile is powered (a partner's boost-phase warning, minutes old, or
    the party's own track not yet through the cut-off) is a warning of a launch, not an
    impact estimate (:data:`~gsomia.analysis.fusion.POWERED`, as fusion and scoring
    treat it): a ballistic footprint flown from it says nothing of where the missile
    lands, so it is counted with the rounds that had none."""
    rows: list[tuple[str, int]] = []
    chosen: list[Estimate] = []
    k: list[int] = []
    for party, estimates in judged:
        for r, est in enumerate(estimates):
            rt = world.rounds[r]
            rows.append((party, r))
            chosen.append(est)
            k.append(_index(world, min(rt.burnout_t + 60.0, rt.end_t)))
    found = _footprints(chosen, k)
    out: dict[str, list[bool | None]] = {}
    for (party, r), g, est, j in zip(rows, found, chosen, k, strict=True):
        boosting = j >= 0 and bool(est.present[j]) and float(est.powered[j]) >= POWERED
        hit = None if g is None or boosting else _inside(g, world.rounds[r])
        out.setdefault(party, []).append(hit)
    return {party: tuple(v) for party, v in out.items()}


def _inside(g: GroundEstimate, rt: RoundTruth) -> bool:
    origin = geodetic_to_ecef(g.lat_deg, g.lon_deg, 0.0)
    truth = geodetic_to_ecef(rt.impact_lat_deg, rt.impact_lon_deg, 0.0)
    d = (enu_rotation(g.lat_deg, g.lon_deg) @ (truth - origin))[:2]
    cov = np.array(g.enu_cov) + np.eye(2) * 1.0
    return bool(d @ np.linalg.solve(cov, d) <= _CHI2_2DOF_95)


MapDrawer = Callable[[LaunchResult, Path, Sequence[tuple[str, str]]], Path]
"""Draws a launch's map into a directory, showing the regimes given as (key, title); the
map's path (:func:`gsomia.analysis.plots.draw_launch_map`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MapRequest:
    """Where a worker draws a launch's map, the regimes' (key, title) to show, and what
    draws it (a module-level function, so that the request goes to worker processes)."""

    out_dir: Path
    regimes: tuple[tuple[str, str], ...]
    draw: MapDrawer


def run_launch(
    launch_key: str,
    sharing: Mapping[str, Sharing],
    sim: SimulationAssumptions,
    *,
    draw: MapRequest | None = None,
    sensors: SensorAssumptions | None = None,
    runs: range | None = None,
) -> LaunchResult:
    """Every regime's measures on one dated launch, over ``runs`` (all ``sim.runs`` by
    default); its map too when ``draw`` says where and the runs start at run 0."""
    world = world_under(dated_launch(launch_key), sim, sensors)
    scorer = Scorer(sim=sim)
    tickets: dict[tuple[str, str], list[list[int]]] = {}
    first: dict[tuple[str, str], tuple[Estimate, ...]] = {}
    chosen = runs if runs is not None else range(sim.runs)
    judged: list[tuple[str, tuple[Estimate, ...]]] = []
    association: dict[tuple[str, str], list[AssociationScore]] = {}
    states = [_Run(world, observe(world, seed=sim.seed, run=run), sim, {}, {}) for run in chosen]
    _track_together(states, sharing, sim.parties)
    for run, state in zip(chosen, states, strict=True):
        for regime, shared in sharing.items():
            for party in sim.parties:
                estimates = state.estimate(shared, party)
                association.setdefault((regime, party), []).append(
                    state.own_association(shared, party)
                )
                if regime == "actual":
                    judged.append((party, estimates))
                tickets.setdefault((regime, party), []).append(
                    [scorer.add(est, world, r) for r, est in enumerate(estimates)]
                )
                if run == chosen[0]:
                    first[(regime, party)] = estimates
        _logger.info("%s run %d: %d tracker runs", launch_key, run, len(state.pictures))
    at = min(world.rounds[0].burnout_t + 60.0, world.rounds[0].end_t)
    drawn = draw is not None and chosen[0] == 0
    scorer.fly()
    scores = {
        key: tuple(tuple(scorer.score(t) for t in per_run) for per_run in runs_)
        for key, runs_ in tickets.items()
    }
    result = LaunchResult(
        launch=world.launch,
        rounds=world.rounds,
        sharing=dict(sharing),
        scores=scores,
        paths={key: _paths(world, est) for key, est in first.items()},
        ellipses=_ellipses(world, first, at) if drawn else dict.fromkeys(first),
        ellipse_t=at - world.rounds[0].launch_t,
        truth_paths=_truth_paths(world),
        coverage=_coverage(world, judged),
        association={key: tuple(v) for key, v in association.items()},
    )
    if draw is None or not drawn:
        return result
    return replace(result, map_path=draw.draw(result, draw.out_dir, draw.regimes))


def _merge(parts: Sequence[LaunchResult]) -> LaunchResult:
    """One launch's result from the results of consecutive chunks of its runs."""
    head = parts[0]
    scores = {key: tuple(run for part in parts for run in part.scores[key]) for key in head.scores}
    coverage = {key: tuple(c for part in parts for c in part.coverage.get(key, ()))
                for key in head.coverage}  # fmt: skip
    association = {key: tuple(a for part in parts for a in part.association.get(key, ()))
                   for key in head.association}  # fmt: skip
    return replace(head, scores=scores, coverage=coverage, association=association)


def chunks(runs: int, size: int) -> list[range]:
    """Consecutive ranges of at most ``size`` runs covering ``range(runs)``."""
    return [range(i, min(i + size, runs)) for i in range(0, runs, max(1, size))]


def run_launches(
    jobs: Sequence[tuple[str, Mapping[str, Sharing]]],
    sim: SimulationAssumptions,
    *,
    workers: int = 1,
    draw: MapRequest | None = None,
    sensors: SensorAssumptions | None = None,
    executor: Executor | None = None,
    chunk: int = 5,
    progress: Callable[[int], None] | None = None,
) -> list[LaunchResult]:
    """:func:`run_launch` for each (launch key, sharing), in order.

    The runs of each launch go in chunks of ``chunk`` to ``executor`` (any
    ``concurrent.futures.Executor``: a Dask client's executor spreads them over a
    cluster), else to ``workers`` local processes (in this process when 1; smaller
    chunks when there are too few runs to give every worker one). Results do not depend
    on where they ran: each run draws from its own seeds. ``progress`` is
    called with the number of runs each finished chunk held.
    """
    if executor is None and workers > 1:
        # Few runs in all: smaller chunks, so that every worker gets some.
        chunk = min(chunk, -(-sim.runs * len(jobs) // workers))
    pieces = [
        (i, key, dict(shared), part)
        for i, (key, shared) in enumerate(jobs)
        for part in chunks(sim.runs, chunk)
    ]
    if executor is None and (workers <= 1 or len(pieces) <= 1):
        done = []
        for _, key, shared, part in pieces:
            done.append(run_launch(key, shared, sim, draw=draw, sensors=sensors, runs=part))
            if progress is not None:
                progress(len(part))
        return _collect(jobs, pieces, done)
    # Longest first, so that no worker is left alone with a lofted flight at the end;
    # the sort is stable, so each launch's chunks stay in run order for the merge.
    pieces.sort(key=lambda piece: -_weight(piece[1]) * len(piece[3]))
    if executor is not None:
        return _on(executor, jobs, pieces, sim, draw=draw, sensors=sensors, progress=progress)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return _on(pool, jobs, pieces, sim, draw=draw, sensors=sensors, progress=progress)


_Piece = tuple[int, str, dict[str, Sharing], range]


def _weight(launch_key: str) -> float:
    """A launch's relative cost per run, for ordering the work: the trackers follow each
    round (warhead and stage) for its whole flight, whose time grows as the square root
    of the apogee."""
    return sum(math.sqrt(r.apogee_km) for r in dated_launch(launch_key).rounds)


def _on(
    pool: Executor,
    jobs: Sequence[tuple[str, Mapping[str, Sharing]]],
    pieces: list[_Piece],
    sim: SimulationAssumptions,
    *,
    draw: MapRequest | None,
    sensors: SensorAssumptions | None,
    progress: Callable[[int], None] | None,
) -> list[LaunchResult]:
    futures = [
        pool.submit(run_launch, key, shared, sim, draw=draw, sensors=sensors, runs=part)
        for _, key, shared, part in pieces
    ]
    if progress is not None:
        for future in as_completed(futures):
            future.result()
            progress(len(pieces[futures.index(future)][3]))
    return _collect(jobs, pieces, [f.result() for f in futures])


def _collect(
    jobs: Sequence[tuple[str, Mapping[str, Sharing]]],
    pieces: list[_Piece],
    done: Sequence[LaunchResult],
) -> list[LaunchResult]:
    by_job: dict[int, list[LaunchResult]] = {}
    for (i, *_), result in zip(pieces, done, strict=True):
        by_job.setdefault(i, []).append(result)
    return [_merge(by_job[i]) for i in range(len(jobs))]
