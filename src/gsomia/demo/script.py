"""The timeline the demo replays, 2016-11-23 to 2023-12-19, every step through the real
workflows of the three nodes (rules, seals, ledger, outbox, delivery).

Dates and acts follow ``spec/agreements.md`` §4 and ``spec/missile-scenario.md`` §2; the
contents of items are placeholders written by the demo (no real intelligence), and the
hours of acts the sources do not give are assumed and marked so in the step's title.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from gsomia.core.lifecycle import AgreementStatus, status
from gsomia.demo.world import World, at
from gsomia.errors import GsomiaError, PolicyDenied
from gsomia.ledger.entries import Event, LedgerEntry
from gsomia.services.acts.custody import Provision
from gsomia.services.node import Node
from gsomia.warning.scenario.launches import DatedLaunch, dated_launches
from gsomia.warning.tracking.sharing import WARNING_FORMAT, SharedWarning

__all__ = ["Step", "StepRecord", "Timeline"]

JK = "jpn-kor-gsomia"
#: The launch after which the ROK asked Japan for its data (2 October 2019, spec §4).
ROK_ASKED = "2019-10-02"


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
class Timeline:
    """The steps and what later steps need from earlier ones."""

    first_item: str = ""
    notice_id: str = ""
    suspension_id: str = ""
    received: list[SharedWarning] = field(default_factory=list)

    def steps(self) -> list[Step]:
        """Every step, in date order."""
        fixed = [
            Step(at=at(2016, 11, 23, 10), title="entry into force", run=self.entry_into_force),
            Step(at=at(2016, 12, 16, 10), title="first exchange", run=self.first_exchange),
            Step(at=at(2016, 12, 16, 11), title="refused access", run=self.refused_access),
            Step(at=at(2017, 3, 6, 10), title="release with consent", run=self.release),
            Step(at=at(2018, 6, 12, 10), title="possible compromise", run=self.compromise),
            Step(at=at(2019, 8, 23, 15), title="notice", run=self.notice),
            Step(at=at(2019, 11, 22, 18), title="suspension", run=self.suspension),
            Step(at=at(2023, 3, 21, 12), title="withdrawal", run=self.withdrawal),
            Step(at=at(2023, 12, 19, 10), title="2023 link", run=self.link),
        ]
        launches = [
            Step(at=launch.epoch, title=f"launch {launch.key}", run=self._launch(launch))
            for launch in dated_launches()
            if launch.epoch < at(2023, 12, 19)
        ]
        return sorted(fixed + launches, key=lambda s: s.at)

    # The agreement --------------------------------------------------------------------

    @staticmethod
    def _jk(w: World, when: datetime | None = None) -> AgreementStatus:
        return status(w.nodes["JPN"].ctx.agreement(JK), at=when or w.clock.now())

    def entry_into_force(self, w: World) -> StepRecord:
        s = self._jk(w)
        return StepRecord(
            at=w.clock.now(),
            title="Japan–ROK GSOMIA signed and in force",
            outcome=f"{s.summary}; first term ends {s.term_end:%Y-%m-%d}",
            rule_ids=s.rule_ids,
        )

    def notice(self, w: World) -> StepRecord:
        note = w.nodes["KOR"].notes.give(
            agreement_id=JK,
            kind="notice",
            by=w.officer("KOR"),
            text="Notice of the intention to terminate the Agreement (Art. 21(3))",
            terminates_at=at(2019, 11, 23, 0, 0),
        )
        self.notice_id = note.id
        drain(w)
        s = self._jk(w)
        return StepRecord(
            at=w.clock.now(),
            title="ROK gives written notice (hour assumed)",
            outcome=f"on JPN's node: {s.summary}",
            rule_ids=s.rule_ids,
        )

    def suspension(self, w: World) -> StepRecord:
        note = w.nodes["KOR"].notes.give(
            agreement_id=JK,
            kind="suspension",
            by=w.officer("KOR"),
            text="The effect of the notice of 23 August 2019 is suspended",
            of=(self.notice_id,),
        )
        self.suspension_id = note.id
        drain(w)
        s = self._jk(w, at(2019, 11, 23, 12))
        return StepRecord(
            at=w.clock.now(),
            title="ROK suspends its notice, hours before the lapse",
            outcome=f"on 23 Nov 2019: {s.summary}",
            rule_ids=s.rule_ids,
        )

    def withdrawal(self, w: World) -> StepRecord:
        w.nodes["KOR"].notes.give(
            agreement_id=JK,
            kind="withdrawal",
            by=w.officer("KOR"),
            text="Both 2019 notes are withdrawn",
            of=(self.notice_id, self.suspension_id),
        )
        drain(w)
        s = self._jk(w)
        return StepRecord(
            at=w.clock.now(),
            title="ROK withdraws both 2019 notes",
            outcome=f"on JPN's node: {s.summary}",
            rule_ids=s.rule_ids,
        )

    # Items -----------------------------------------------------------------------------

    def first_exchange(self, w: World) -> StepRecord:
        item, route, rules = provide(
            w,
            "JPN",
            "KOR",
            "極秘",
            "Assessment of the September 2016 nuclear test (demo text)",
            topic="nk-nuclear",
        )
        self.first_item = item
        content = w.nodes["KOR"].custody.open(item_id=item, person_id=w.officer("KOR"))
        return StepRecord(
            at=w.clock.now(),
            title="First direct exchange under the GSOMIA",
            rule_ids=rules,
            outcome=f"JPN → KOR ({' → '.join(route)}), marked 군사II급비밀 on receipt; "
            f"KOR's officer opened it ({len(content)} bytes)",
        )

    def refused_access(self, w: World) -> StepRecord:
        try:
            w.nodes["KOR"].custody.open(item_id=self.first_item, person_id="lee")
        except PolicyDenied as exc:
            return StepRecord(
                at=w.clock.now(),
                title="An analyst cleared to 군사III급비밀 tries it",
                outcome=exc.reason,
                rule_ids=exc.rule_ids,
                refused=True,
            )
        return StepRecord(at=w.clock.now(), title="Access check", outcome="unexpectedly allowed")

    def release(self, w: World) -> StepRecord:
        kor, jpn = w.nodes["KOR"], w.nodes["JPN"]
        asked = kor.consent.request(
            item_id=self.first_item,
            to_party="USA",
            by=w.officer("KOR"),
            reason="coordination with the United States on the same test",
        )
        drain(w)
        jpn.consent.grant(request_id=asked.id, by=w.officer("JPN"), note="granted in writing")
        drain(w)
        kor.release.release(item_id=self.first_item, to_party="USA", by=w.officer("KOR"))
        drain(w)
        usa = w.nodes["USA"].custody.open(item_id=self.first_item, person_id=w.officer("USA"))
        return StepRecord(
            at=w.clock.now(),
            title="Third-party release asked and consented",
            rule_ids=cited(kor, Event.ITEM_RELEASED),
            outcome=f"KOR asked, JPN consented in writing, KOR released to the USA, whose officer "
            f"opened it ({len(usa)} bytes)",
        )

    def compromise(self, w: World) -> StepRecord:
        kor, officer = w.nodes["KOR"], w.officer("KOR")
        incident = kor.incidents.report(
            item_ids=[self.first_item],
            kind="compromise",
            possible=True,
            by=officer,
            description="a document case left unattended for twenty minutes (demo)",
        )
        drain(w)
        kor.incidents.investigate(
            incident_id=incident.id, by=officer, note="case found sealed; access log reviewed"
        )
        kor.incidents.close(
            incident_id=incident.id,
            by=officer,
            result="no compromise found",
            measures="two-person rule for document cases",
        )
        drain(w)
        seen = w.nodes["JPN"].incidents.incidents(viewer=w.officer("JPN"))
        state = seen[-1]["state"] if seen else "not received"
        return StepRecord(
            at=w.clock.now(),
            title="Possible compromise reported and investigated",
            outcome=f"JPN was told at once; on JPN's record it is now {state}",
            rule_ids=cited(kor, Event.INCIDENT_CLOSED),
        )

    def _launch(self, launch: DatedLaunch) -> Callable[[World], StepRecord]:
        def run(w: World) -> StepRecord:
            origin, to, level = (
                ("JPN", "KOR", "極秘")
                if launch.key == ROK_ASKED
                else ("KOR", "JPN", "군사II급비밀")
            )
            text = json.dumps(
                {
                    "launch": launch.key,
                    "missile": launch.missile,
                    "site": launch.site,
                    "note": "post-launch assessment (demo text)",
                }
            )
            title = f"Launch {launch.key}: {launch.missile} from {launch.site}"
            try:
                _, route, rules = provide(w, origin, to, level, text)
            except PolicyDenied as exc:
                return StepRecord(
                    at=w.clock.now(),
                    title=title,
                    outcome=f"refused: {exc.reason}",
                    rule_ids=exc.rule_ids,
                    refused=True,
                )
            return StepRecord(
                at=w.clock.now(),
                title=title,
                rule_ids=rules,
                outcome=f"{origin}'s assessment shared {' → '.join(route)}",
            )

        return run

    # The 2023 mechanism ----------------------------------------------------------------

    def link(self, w: World) -> StepRecord:
        stream = w.nodes["KOR"].feed.open_stream(
            recipient="JPN",
            level="군사II급비밀",
            by=w.officer("KOR"),
            agreement_id="trilateral-warning-link",
        )
        drain(w)
        w.nodes["JPN"].feed.on_warning(lambda warning, _t: self.received.append(warning))
        w.nodes["KOR"].feed.publish(stream, [_test_warning()])
        return StepRecord(
            at=w.clock.now(),
            title="Real-time warning link operational",
            rule_ids=cited(w.nodes["KOR"], Event.WARNING_SHARED),
            outcome=f"test warning {' → '.join(stream.route)}: {len(self.received)} received by "
            "JPN; the US node relayed it without opening it",
        )


def drain(world: World) -> None:
    """Deliver every queued message, a few rounds (replies may queue more)."""
    for _ in range(6):
        if sum(node.delivery.drain().delivered for node in world.nodes.values()) == 0:
            return


def provide(
    world: World, origin: str, to: str, level: str, text: str, *, topic: str = "nk-missile"
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """Provide one demo item and deliver it; its id, route and the rules it rested on."""
    result = world.nodes[origin].custody.provide(
        contents=[text.encode("utf-8")],
        provision=Provision(
            recipient=to,
            level=level,
            topic=topic,
            purpose="analysis of North Korean missile activity",
        ),
        by=world.officer(origin),
    )
    drain(world)
    return result.item_ids[0], result.route, result.decision.rule_ids


def cited(node: Node, event: Event) -> tuple[str, ...]:
    """The rule ids the node's latest ``event`` in its ledger rested on."""
    log = node.ctx.store.ledger
    for raw in reversed(log.entries(max(log.size() - 200, 0), log.size())):
        entry = LedgerEntry.from_bytes(raw)
        if entry.event is event:
            return entry.rule_ids
    return ()


def held(world: World, party: str, item_id: str) -> bool:
    """Whether ``party``'s node holds ``item_id``."""
    try:
        with world.nodes[party].ctx.store.read() as uow:
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
