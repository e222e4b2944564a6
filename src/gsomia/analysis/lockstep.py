"""Many trackers stepped in lockstep, so that their predictions go through numpy together.

A tracker holds a few tracks at a time, so each numpy call of its prediction carries one
to three of them and the time goes on the calls, not the arithmetic. The value analysis
runs dozens of independent trackers per launch (each party's, per distinct set of report
flows, per run). :class:`LockstepPool` runs them in threads; each tracker's prediction
waits until every other running tracker also waits on one, and then all of them are made
in one pass (:meth:`~gsomia.warning.tracking.IMMPredictor.predict_groups`), which gives
each tracker the numbers it would get alone, bit for bit. Only one thread computes at a
time (the interpreter's lock); the threads only let the trackers meet.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import TypeVar

from numpy.typing import ArrayLike

from gsomia.warning.tracking import IMMPredictor, MixtureBatch

__all__ = ["LockstepPool", "LockstepPredictor"]

T = TypeVar("T")


def _taken() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass(slots=True, eq=False)
class _Request:
    """One tracker's waiting prediction; ``done`` is released once it is made."""

    prior: MixtureBatch
    t: ArrayLike
    result: MixtureBatch | None = None
    error: BaseException | None = None
    done: threading.Lock = field(default_factory=_taken)


@dataclass(slots=True, eq=False)
class LockstepPool:
    """Runs jobs in threads whose :class:`LockstepPredictor` predictions meet.

    ``predictor`` makes the joined predictions; every :class:`LockstepPredictor` of this
    pool must have the same settings (:meth:`predictor_for` gives one).
    """

    predictor: IMMPredictor
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _running: int = 0
    _waiting: list[_Request] = field(default_factory=list)
    _members: set[int] = field(default_factory=set)

    def predictor_for(self) -> LockstepPredictor:
        """A predictor with this pool's settings whose predictions go through the pool."""
        settings = {f.name: getattr(self.predictor, f.name) for f in fields(self.predictor)}
        return LockstepPredictor(**settings, pool=self)

    def run(self, jobs: Sequence[Callable[[], T]]) -> list[T]:
        """Each job's result, in order, the jobs run in threads of this pool; the first
        error is raised once every job has ended."""
        results: dict[int, T] = {}
        errors: list[BaseException] = []
        with self._lock:
            self._running = len(jobs)

        def work(i: int, job: Callable[[], T]) -> None:
            with self._lock:
                self._members.add(threading.get_ident())
            try:
                results[i] = job()
            except BaseException as exc:  # re-raised by run, after every thread ended
                errors.append(exc)
            finally:
                with self._lock:
                    self._members.discard(threading.get_ident())
                    self._running -= 1
                    if self._running == 0 and self._waiting:
                        self._flush()

        threads = [threading.Thread(target=work, args=(i, job)) for i, job in enumerate(jobs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return [results[i] for i in range(len(jobs))]

    def predict(self, prior: MixtureBatch, t: ArrayLike) -> MixtureBatch:
        """``prior`` predicted to ``t`` together with every other waiting tracker's."""
        if threading.get_ident() not in self._members:
            return self.predictor.predict(prior, t=t)
        request = _Request(prior, t)
        with self._lock:
            self._waiting.append(request)
            self._running -= 1
            if self._running == 0:
                self._flush()
        # Each waiting thread is woken by its own lock: no thread queues again on the
        # pool's lock after a pass.
        request.done.acquire()
        if request.result is None:
            raise request.error or RuntimeError("a lockstep prediction was not made")
        return request.result

    def _flush(self) -> None:
        """Make every waiting prediction in one pass (the lock held, no thread running)."""
        batch, self._waiting = self._waiting, []
        try:
            out = self.predictor.predict_groups([r.prior for r in batch], [r.t for r in batch])
        except Exception as exc:  # each waiting tracker raises it in its own thread
            for r in batch:
                r.error = exc
        else:
            for r, result in zip(batch, out, strict=True):
                r.result = result
        self._running += len(batch)
        for r in batch:
            r.done.release()


@dataclass(frozen=True, slots=True, kw_only=True)
class LockstepPredictor(IMMPredictor):
    """An :class:`~gsomia.warning.tracking.IMMPredictor` whose predictions, in a thread of
    its pool, are made together with the other trackers' (:class:`LockstepPool`)."""

    pool: LockstepPool | None = None

    def predict(self, prior: MixtureBatch, *, t: ArrayLike) -> MixtureBatch:
        """As :meth:`IMMPredictor.predict`, joined with the pool's other trackers."""
        if self.pool is None:
            return IMMPredictor.predict(self, prior, t=t)
        return self.pool.predict(prior, t)
