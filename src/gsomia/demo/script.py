"""The timeline the demo replays, 2016-11-23 to 2023-12-19, every step through the real
workflows of the three nodes (rules, seals, ledger, outbox, delivery).

Dates and acts follow ``spec/agreements.md`` §4 and ``spec/missile-scenario.md`` §2; the
contents of items are placeholders written by the demo (no real intelligence), and the
hours of acts the sources do not give are assumed and marked so in the step's text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from gsomia.core.lifecycle import status
from gsomia.demo.world import World, at
from gsomia.errors import GsomiaError, PolicyDenied
from gsomia.services.custody import Provision
from gsomia.services.feed import Stream
from gsomia.warning.launches import DatedLaunch, dated_launches
from gsomia.warning.tracking.sharing import WARNING_FORMAT, SharedWarning

__all__ = ["Step", "StepRecord", "timeline"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StepRecord:
    """What one step did, for the summary and the report."""

    at: datetime
    title: str
    outcome: str
    rule_ids: tuple[str, ...] = ()
    refused: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """A dated act of the timeline."""

    at: datetime
    title: str
    run: Callable[[World], StepRecord]


@dataclass
class Memory:
    """What later steps need from earlier ones."""

    items: dict[str, str] = field(default_factory=dict)
    streams: dict[str, Stream] = field(default_factory=dict)
    notice_id: str = ""
    suspension_id: str = ""


def _drain(world: World) -> None:
    for _ in range(6):
        moved = sum(node.delivery.drain().delivered for node in world.nodes.values())
        if moved == 0:
            return


def _provide(
    world: World,
    origin: str,
    to: str,
    level: str,
    text: str,
    *,
    agreement: str | None = None,
    topic: str = "nk-missile",
    purpose: str = "analysis of North Korean missile activity",
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    node = world.nodes[origin]
    result = node.custody.provide(
        contents=[text.encode("utf-8")],
        provision=Provision(
            recipient=to, level=level, topic=topic, purpose=purpose, agreement_id=agreement
        ),
        by=world.officer(origin),
    )
    _drain(world)
    return result.item_ids[0], result.route, result.decision.rule_ids


def timeline(memory: Memory | None = None) -> list[Step]:
    """The steps, in date order."""
    m = memory or Memory()

    def entry_into_force(w: World) -> StepRecord:
        jk = w.nodes["JPN"].ctx.agreement("jpn-kor-gsomia")
        s = status(jk, at=w.clock.now())
        return StepRecord(
            at=w.clock.now(),
            title="Japan–ROK GSOMIA signed and in force",
            outcome=f"{s.summary}; term ends {s.term_end:%Y-%m-%d}",
            rule_ids=s.rule_ids,
        )

    def first_exchange(w: World) -> StepRecord:
        item, route, rules = _provide(
            w,
            "JPN",
            "KOR",
            "極秘",
            "Assessment of the 9 September 2016 nuclear test (demo text)",
            topic="nk-nuclear",
        )
        m.items["first"] = item
        content = w.nodes["KOR"].custody.open(item_id=item, person_id=w.officer("KOR"))
        return StepRecord(
            at=w.clock.now(),
            title="First direct exchange under the GSOMIA",
            outcome=f"JPN → KOR along {' → '.join(route)}; KOR marked it 군사II급비밀 and its officer opened it ({len(content)} bytes)",
            rule_ids=rules,
        )

    def refused_access(w: World) -> StepRecord:
        try:
            w.nodes["KOR"].custody.open(item_id=m.items["first"], person_id="lee")
        except PolicyDenied as exc:
            return StepRecord(
                at=w.clock.now(),
                title="An analyst cleared only to 군사III급비밀 tries to open it",
                outcome=exc.reason,
                rule_ids=exc.rule_ids,
                refused=True,
            )
        return StepRecord(at=w.clock.now(), title="Access check", outcome="unexpectedly allowed")

    def release_with_consent(w: World) -> StepRecord:
        kor, jpn = w.nodes["KOR"], w.nodes["JPN"]
        asked = kor.consent.request(
            item_id=m.items["first"],
            to_party="USA",
            by=w.officer("KOR"),
            reason="coordination with the US on the same test",
        )
        _drain(w)
        jpn.consent.grant(request_id=asked.id, by=w.officer("JPN"), note="granted in writing")
        _drain(w)
        kor.consent.release(item_id=m.items["first"], to_party="USA", by=w.officer("KOR"))
        _drain(w)
        held = (
            w.nodes["USA"].custody.open(item_id=m.items["first"], person_id=w.officer("USA"))
            if _held(w, "USA", m.items["first"])
            else b""
        )
        return StepRecord(
            at=w.clock.now(),
            title="Third-party release asked and consented (JK-5.1)",
            outcome=f"KOR asked, JPN consented in writing, KOR released to USA; USA opened {len(held)} bytes",
            rule_ids=("JK-5.1",),
        )

    def compromise(w: World) -> StepRecord:
        kor = w.nodes["KOR"]
        incident = kor.incidents.report(
            item_ids=[m.items["first"]],
            kind="compromise",
            possible=True,
            by=w.officer("KOR"),
            description="a document case left unattended for 20 minutes (demo)",
        )
        _drain(w)
        kor.incidents.investigate(
            incident_id=incident.id,
            by=w.officer("KOR"),
            note="case found sealed; access log reviewed",
        )
        kor.incidents.close(
            incident_id=incident.id,
            by=w.officer("KOR"),
            result="no compromise found",
            measures="two-person rule for document cases",
        )
        _drain(w)
        seen = w.nodes["JPN"].incidents.incidents()
        return StepRecord(
            at=w.clock.now(),
            title="Possible compromise reported and investigated (JK-17.1)",
            outcome=f"JPN notified at once; {len(seen)} incident(s) on JPN's record, now {seen[-1]['state'] if seen else '—'}",
            rule_ids=("JK-17.1",),
        )

    def notice(w: World) -> StepRecord:
        note = w.nodes["KOR"].notes.give(
            agreement_id="jpn-kor-gsomia",
            kind="notice",
            by=w.officer("KOR"),
            text="Notice of the intention to terminate the Agreement (Art. 21(3))",
            terminates_at=at(2019, 11, 23, 0, 0),
        )
        m.notice_id = note.id
        _drain(w)
        s = status(w.nodes["JPN"].ctx.agreement("jpn-kor-gsomia"), at=w.clock.now())
        return StepRecord(
            at=w.clock.now(),
            title="ROK gives written notice of termination (hour assumed)",
            outcome=f"JPN's node: {s.summary}",
            rule_ids=s.rule_ids,
        )

    def suspension(w: World) -> StepRecord:
        note = w.nodes["KOR"].notes.give(
            agreement_id="jpn-kor-gsomia",
            kind="suspension",
            by=w.officer("KOR"),
            text="The effect of the notice of 23 August 2019 is suspended",
            of=(m.notice_id,),
        )
        m.suspension_id = note.id
        _drain(w)
        s = status(w.nodes["JPN"].ctx.agreement("jpn-kor-gsomia"), at=at(2019, 11, 23, 12))
        return StepRecord(
            at=w.clock.now(),
            title="ROK suspends its notice, six hours before the lapse",
            outcome=f"on 23 Nov 2019: {s.summary}",
            rule_ids=s.rule_ids,
        )

    def withdrawal(w: World) -> StepRecord:
        w.nodes["KOR"].notes.give(
            agreement_id="jpn-kor-gsomia",
            kind="withdrawal",
            by=w.officer("KOR"),
            text="Both 2019 notes are withdrawn",
            of=(m.notice_id, m.suspension_id),
        )
        _drain(w)
        s = status(w.nodes["JPN"].ctx.agreement("jpn-kor-gsomia"), at=w.clock.now())
        return StepRecord(
            at=w.clock.now(),
            title="ROK withdraws both 2019 notes; GSOMIA normalised",
            outcome=f"JPN's node: {s.summary}",
            rule_ids=s.rule_ids,
        )

    def link(w: World) -> StepRecord:
        stream = w.nodes["KOR"].feed.open_stream(
            recipient="JPN",
            level="군사II급비밀",
            by=w.officer("KOR"),
            agreement_id="trilateral-warning-link",
        )
        _drain(w)
        m.streams["link"] = stream
        received: list[SharedWarning] = []
        w.nodes["JPN"].feed.on_warning(lambda warning, _t: received.append(warning))
        w.nodes["KOR"].feed.publish(stream, [_test_warning()])
        return StepRecord(
            at=w.clock.now(),
            title="Real-time warning link operational (2023-12-19)",
            outcome=f"test warning KOR → {' → '.join(stream.route[1:])}: {len(received)} received by JPN, the US hub relaying without opening",
            rule_ids=("RT-1", "RT-3", "RT-4"),
        )

    steps = [
        Step(at=at(2016, 11, 23, 10), title="entry into force", run=entry_into_force),
        Step(at=at(2016, 12, 16, 10), title="first exchange", run=first_exchange),
        Step(at=at(2016, 12, 16, 11), title="refused access", run=refused_access),
        Step(at=at(2017, 3, 6, 10), title="release with consent", run=release_with_consent),
        Step(at=at(2018, 6, 12, 10), title="possible compromise", run=compromise),
        Step(at=at(2019, 8, 23, 15), title="notice", run=notice),
        Step(at=at(2019, 11, 22, 18), title="suspension", run=suspension),
        Step(at=at(2023, 3, 21, 12), title="withdrawal", run=withdrawal),
        Step(at=at(2023, 12, 19, 10), title="2023 link", run=link),
    ]
    for launch in dated_launches():
        if launch.epoch < at(2023, 12, 19):
            steps.append(
                Step(at=launch.epoch, title=f"launch {launch.key}", run=_launch_step(launch, m))
            )
    return sorted(steps, key=lambda s: s.at)


def _launch_step(launch: DatedLaunch, m: Memory) -> Callable[[World], StepRecord]:
    def run(w: World) -> StepRecord:
        kor = w.nodes["KOR"]
        text = json.dumps(
            {
                "launch": launch.key,
                "missile": launch.missile,
                "site": launch.site,
                "note": "post-launch assessment (demo text)",
            }
        )
        try:
            item, route, rules = _provide(w, "KOR", "JPN", "군사II급비밀", text)
        except PolicyDenied as exc:
            return StepRecord(
                at=w.clock.now(),
                title=f"Launch {launch.key} ({launch.missile})",
                outcome=f"sharing refused: {exc.reason}",
                rule_ids=exc.rule_ids,
                refused=True,
            )
        agreement = kor.ctx.store
        del agreement
        return StepRecord(
            at=w.clock.now(),
            title=f"Launch {launch.key} ({launch.missile}, {launch.site})",
            outcome=f"KOR's assessment shared along {' → '.join(route)}",
            rule_ids=rules,
        )

    return run


def _held(w: World, party: str, item_id: str) -> bool:
    try:
        with w.nodes[party].ctx.store.read() as uow:
            return uow.has_item(item_id)
    except GsomiaError:
        return False


def _test_warning() -> SharedWarning:
    identity = tuple(tuple(1.0e6 if i == j else 0.0 for j in range(6)) for i in range(6))
    return SharedWarning(
        format=WARNING_FORMAT,
        originator="KOR",
        warning_id="link-test",
        t=0.0,
        state=(-3.1e6, 4.0e6, 4.0e6, 1000.0, 1000.0, 1000.0),
        cov=identity,
        launch=None,
        impact=None,
    )
