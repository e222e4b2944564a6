"""Rules for diplomatic notes on an agreement: notice of termination, suspension,
resumption, withdrawal, and amendment (JK-21.1, JK-21.2, JK-21.3).

A note fits the agreement as it stands when it is given: a notice only while none is
pending, a suspension, resumption or withdrawal only of the pending notice and only by the
party that gave it. A notice's end is the agreement's own: the first end of a term at least
the notice period away; a caller never chooses it, except where the agreement has no fixed
term, and then at least the notice period ahead. A received note must carry the time it was
sent, so a partner cannot backdate one and rewrite what was in force on a past date.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from gsomia.core.agreements import EventKind
from gsomia.core.decisions import Decision
from gsomia.core.lifecycle import NoticeState, admissible_end, status
from gsomia.core.rules.requests import AuthorityRequest, NoteRequest
from gsomia.errors import GsomiaError

__all__ = ["NOTE_CLOCK_SKEW", "AmendableInForce", "NoteFitsAgreement", "NoteInTime", "NoticePeriod"]

_ACT = "note"
#: How far a received note's own time may stand from the time its message was sent.
NOTE_CLOCK_SKEW = timedelta(minutes=5)


class NoteFitsAgreement:
    """A note acts on the agreement as it stands: given by a party to it, while it is in
    force, on the pending notice of the same party (JK-21.1)."""

    key: ClassVar[str] = "in_force"
    article: ClassVar[str] = "a note that fits the agreement's state"

    def evaluate(self, request: NoteRequest) -> Decision:
        a, event = request.agreement, request.event
        rule = a.rule_id(self.key)
        problem = _state_problem(request)
        if problem:
            return Decision.deny(_ACT, rule, problem)
        return Decision.allow(_ACT, rule, f"a {event.kind} of {event.by} on {a.short_name}")


def _state_problem(request: NoteRequest) -> str | None:
    a, event = request.agreement, request.event
    if request.party not in a.party_codes or event.by != request.party:
        return f"{request.party} is not a party to {a.short_name} giving this note"
    problem = _references_problem(request)
    if problem:
        return problem
    try:
        before = status(a, at=event.at)
    except GsomiaError as exc:
        return str(exc)
    if not before.in_force:
        return f"{a.short_name} is {before.summary}; the note changes nothing"
    return _kind_problem(request, before.notice)


def _references_problem(request: NoteRequest) -> str | None:
    a, event = request.agreement, request.event
    for ref in event.of:
        earlier = next((e for e in a.events if e.id == ref), None)
        if earlier is None:
            return f"the note names {ref}, which is no event of {a.short_name}"
        if earlier.by != event.by:
            return f"only {earlier.by} may suspend, resume or withdraw its note {ref}"
    return None


def _kind_problem(request: NoteRequest, notice: NoticeState | None) -> str | None:
    event = request.event
    match event.kind:
        case EventKind.NOTICE:
            return f"a notice ({notice.event.id}) is already pending" if notice else None
        case EventKind.SUSPENSION if notice is not None and notice.suspended_by is None:
            ok = notice.event.id in event.of
        case EventKind.RESUMPTION if notice is not None and notice.suspended_by is not None:
            ok = notice.event.id in event.of
        case EventKind.WITHDRAWAL if notice is not None:
            ok = notice.event.id in event.of
        case EventKind.AMENDMENT:
            return "an amendment is proposed and accepted in writing (JK-21.3), not given"
        case _:
            ok = False
    return None if ok else f"a {event.kind} must name the pending notice it acts on (of=...)"


class NoticePeriod:
    """A notice ends the agreement at the first end of term at least the notice period
    away (JK-21.1); an explicit end is admitted only for an agreement without fixed terms,
    and then at least the notice period ahead. Only a notice names an end."""

    key: ClassVar[str] = "in_force"
    article: ClassVar[str] = "termination only by notice, the notice period ahead"

    def evaluate(self, request: NoteRequest) -> Decision:
        a, event = request.agreement, request.event
        rule = a.rule_id(self.key)
        named = event.terminates_at.at if event.terminates_at else None
        if event.kind is not EventKind.NOTICE:
            if named is not None:
                return Decision.deny(_ACT, rule, f"a {event.kind} names no end of the agreement")
            return Decision.allow(_ACT, rule, f"a {event.kind} ends nothing by itself")
        if not a.term.indefinite:
            return self._fixed_term(request, named)
        earliest = admissible_end(a, event.at)
        days = a.term.notice_days
        if named is None:
            return Decision.deny(
                _ACT, rule, f"{a.short_name} has no fixed term: the notice names its end"
            )
        if named < earliest:
            return Decision.deny(
                _ACT,
                rule,
                f"the end must be at least {days} days after the notice "
                f"({earliest.isoformat()} or later)",
            )
        return Decision.allow(_ACT, rule, f"the notice ends {a.short_name} at {named.isoformat()}")

    def _fixed_term(self, request: NoteRequest, named: datetime | None) -> Decision:
        a = request.agreement
        rule = a.rule_id(self.key)
        earliest = admissible_end(a, request.event.at)
        if named is not None and named != earliest:
            return Decision.deny(
                _ACT,
                rule,
                f"{a.short_name} ends only at the end of a term at least {a.term.notice_days} "
                f"days after the notice: {earliest.isoformat()}, not {a.local(named).isoformat()}",
            )
        return Decision.allow(
            _ACT, rule, f"the notice ends {a.short_name} at {earliest.isoformat()}"
        )


class NoteInTime:
    """A received note bears the time it was sent: its own time stands within a few
    minutes of its message's signed time, which the channel checks against the receiver's
    clock (JK-21.1). A backdated note is refused."""

    key: ClassVar[str] = "in_force"
    article: ClassVar[str] = "a note dated when it was sent"

    def evaluate(self, request: NoteRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        sent = request.message_at
        if sent is None:
            return Decision.allow(_ACT, rule, "given here, now")
        gap = abs(request.event.at - sent)
        if gap > NOTE_CLOCK_SKEW:
            return Decision.deny(
                _ACT,
                rule,
                f"the note is dated {request.event.at.isoformat()}, {gap} away from when it was "
                f"sent ({sent.isoformat()})",
            )
        return Decision.allow(_ACT, rule, "dated when it was sent")


class AmendableInForce:
    """An agreement in force is amended by mutual written consent (JK-21.3)."""

    key: ClassVar[str] = "amendment"
    article: ClassVar[str] = "amendment of an agreement in force, by mutual written consent"

    def evaluate(self, request: AuthorityRequest) -> Decision:
        a = request.agreement
        rule = a.rule_id(self.key)
        s = status(a, at=request.at)
        if not s.in_force:
            return Decision.deny("amend", rule, f"{a.short_name} is {s.summary}")
        return Decision.allow("amend", rule, f"{a.short_name} is in force")
