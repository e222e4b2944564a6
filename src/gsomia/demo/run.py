"""``gsomia demo``: the main job (composition root).

Three nodes replay the 2016–2023 timeline through the real workflows, the strategic value
of the agreements is measured on the same launches, every ledger is witnessed and verified,
and ``<out>/index.html`` reports it all.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gsomia.demo.script import StepRecord, Timeline
from gsomia.demo.world import World, build_world
from gsomia.errors import GsomiaError
from gsomia.services.plumbing.context import SYSTEM_ACTOR

__all__ = ["DemoResult", "run_demo"]

_logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


@dataclass
class DemoResult:
    """Everything the summary and the report show."""

    out: Path
    steps: list[StepRecord] = field(default_factory=list)
    audits: dict[str, dict[str, Any]] = field(default_factory=dict)
    ledgers: dict[str, dict[str, int]] = field(default_factory=dict)
    value: Any = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(a["ok"] for a in self.audits.values())


def run_demo(
    out: Path,
    *,
    quick: bool = False,
    progress: Progress | None = None,
    value: Callable[[World, Path, bool], Any] | None = None,
) -> DemoResult:
    """Replay the timeline into ``out`` (emptied first) and write the report."""
    started = time.monotonic()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    tell = progress or (lambda _what, _done, _total: None)
    result = DemoResult(out=out)
    world = build_world(out)
    try:
        steps = Timeline().steps()
        total = len(steps) + 3
        for n, step in enumerate(steps):
            tell(step.title, n, total)
            world.clock.set(max(step.at, world.clock.now()))
            result.steps.append(step.run(world))
        tell("measuring the value of the agreements", len(steps), total)
        if value is not None:
            result.value = value(world, out, quick)
        tell("witnessing checkpoints", len(steps) + 1, total)
        _witness(world)
        tell("verifying every ledger", len(steps) + 2, total)
        for party, node in world.nodes.items():
            report = node.audit.verify_all()
            result.audits[party] = {
                "origin": report.origin,
                "entries": report.entries,
                "checkpoints": report.checkpoints,
                "ok": not report.failures,
                "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in report.checks],
                "cosignatures": sum(
                    len(c.cosignatures) for c in node.ctx.store.ledger.checkpoints()
                ),
            }
            result.ledgers[party] = _event_counts(node)
        tell("done", total, total)
    finally:
        world.close()
    result.seconds = time.monotonic() - started
    return result


def _witness(world: World) -> None:
    """Two rounds: every node checkpoints and its partners cosign."""
    for _ in range(2):
        for node in world.nodes.values():
            try:
                node.witness.request(by=SYSTEM_ACTOR)
            except GsomiaError as exc:
                _logger.warning("%s could not ask for cosignatures: %s", node.party, exc)
        for _ in range(4):
            if sum(node.delivery.drain().delivered for node in world.nodes.values()) == 0:
                break


def _event_counts(node: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, entry in node.audit.show():
        counts[entry.event.value] = counts.get(entry.event.value, 0) + 1
    return dict(sorted(counts.items()))
