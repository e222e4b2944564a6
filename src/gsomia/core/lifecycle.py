"""An agreement's status at an instant, computed from its term and its dated events.

Article 21 of the Japan–ROK GSOMIA (JK-21.1, JK-21.2): one-year term from entry into force,
renewed automatically each year unless a party gives written notice 90 days before the end of
the current term; after termination, everything already provided stays protected. Article 21
knows no suspension or withdrawal of a notice; the 2019 and 2023 notes did both, and the
status follows what the parties did, saying so in its summary.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from gsomia.core.agreements import Agreement, AgreementEvent, Boundary, EventKind
from gsomia.errors import InputError

__all__ = [
    "AgreementStatus",
    "NoticeState",
    "Phase",
    "admissible_end",
    "notice_termination",
    "status",
]


class Phase(enum.StrEnum):
    """Where the agreement stands."""

    NOT_IN_FORCE = "not in force"
    IN_FORCE = "in force"
    NOTICE_PENDING = "notice pending"
    NOTICE_SUSPENDED = "notice suspended"
    TERMINATED = "terminated"


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeState:
    """A termination notice and what has happened to it by the instant asked about."""

    event: AgreementEvent
    terminates_at: Boundary
    suspended_by: AgreementEvent | None = None
    withdrawn_by: AgreementEvent | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgreementStatus:
    """The status of one agreement at one instant, with the rules it rests on."""

    agreement_id: str
    at: datetime
    phase: Phase
    term_start: datetime | None
    term_end: datetime | None
    renewals: int
    notice: NoticeState | None
    terminated_at: datetime | None
    rule_ids: tuple[str, ...]
    summary: str

    @property
    def in_force(self) -> bool:
        """New items may be provided only while this is true (JK-21.1)."""
        return self.phase in (Phase.IN_FORCE, Phase.NOTICE_PENDING, Phase.NOTICE_SUSPENDED)

    @property
    def protection_continues(self) -> bool:
        """What was provided stays protected once in force, terminated or not (JK-21.2)."""
        return self.phase is not Phase.NOT_IN_FORCE


def admissible_end(agreement: Agreement, at: datetime) -> datetime:
    """The earliest instant a notice given at ``at`` can end the agreement: the first end of
    a term at least ``notice_days`` after ``at`` (JK-21.1), or, for an agreement without
    fixed terms, ``notice_days`` after ``at``. Raises :class:`InputError` on a naive time."""
    local = agreement.local(at)
    term = agreement.term
    if term.indefinite:
        return local + timedelta(days=term.notice_days)
    n = 1
    while agreement.notice_deadline(term.anniversary(n)) < local:
        n += 1
    return term.anniversary(n)


def notice_termination(agreement: Agreement, notice: AgreementEvent) -> Boundary:
    """When a notice ends the agreement: the boundary recorded with it (a historic note in
    the agreement file, or a note whose end the rules checked), else the first end of term at
    least ``notice_days`` after the notice (JK-21.1)."""
    if notice.terminates_at is not None:
        return notice.terminates_at
    if agreement.term.indefinite:
        raise InputError(
            f"{agreement.id}: notice {notice.id} needs an explicit terminates_at, "
            "because the agreement has no renewal anniversaries"
        )
    days = agreement.term.notice_days
    return Boundary(at=admissible_end(agreement, notice.at), source=f"computed: {days}-day rule")


def status(agreement: Agreement, *, at: datetime) -> AgreementStatus:
    """The agreement's status at ``at`` (timezone-aware). Pure: no clock is read.

    Raises :class:`InputError` on a naive time.
    """
    local = agreement.local(at)
    term = agreement.term
    rules: tuple[str, ...] = (agreement.rule_id("in_force"),)
    if local < term.entry_into_force:
        return _status(agreement, local, Phase.NOT_IN_FORCE, rules, summary="not yet in force")
    notice, terminated_at = _notices(agreement, local)
    start, end, renewals = _term_window(agreement, local, terminated_at)
    if terminated_at is not None:
        rules = (*rules, agreement.rule_id("continued_protection"))
        text = (
            f"terminated at {agreement.local(terminated_at).isoformat()}; information already "
            "provided stays protected"
        )
        return _status(
            agreement,
            local,
            Phase.TERMINATED,
            rules,
            text,
            start=start,
            end=end,
            renewals=renewals,
            notice=notice,
            terminated_at=terminated_at,
        )
    phase, text = _phase_text(agreement, notice)
    return _status(
        agreement, local, phase, rules, text, start=start, end=end, renewals=renewals, notice=notice
    )


def _phase_text(agreement: Agreement, notice: NoticeState | None) -> tuple[Phase, str]:
    if notice is None:
        return Phase.IN_FORCE, "in force"
    ends = agreement.local(notice.terminates_at.at).isoformat()
    if notice.suspended_by is not None:
        return (
            Phase.NOTICE_SUSPENDED,
            f"in force; the notice of {agreement.local(notice.event.at).date()} is suspended "
            f"({agreement.local(notice.suspended_by.at).date()}), not withdrawn",
        )
    return Phase.NOTICE_PENDING, f"in force; notice given, terminates at {ends}"


def _notices(agreement: Agreement, at: datetime) -> tuple[NoticeState | None, datetime | None]:
    """Replay the events up to ``at``; return the live notice and any termination instant."""
    notice: NoticeState | None = None
    for event in sorted(agreement.events, key=lambda e: e.at):
        if notice is not None and notice.suspended_by is None:
            ends = notice.terminates_at.at
            if ends <= min(event.at, at):
                return notice, ends
        if event.at > at:
            break
        notice = _apply(agreement, notice, event)
    if notice is not None and notice.suspended_by is None and notice.terminates_at.at <= at:
        return notice, notice.terminates_at.at
    return notice, None


def _apply(
    agreement: Agreement, notice: NoticeState | None, event: AgreementEvent
) -> NoticeState | None:
    match event.kind:
        case EventKind.NOTICE:
            return NoticeState(event=event, terminates_at=notice_termination(agreement, event))
        case EventKind.SUSPENSION if notice is not None and notice.event.id in event.of:
            return NoticeState(
                event=notice.event, terminates_at=notice.terminates_at, suspended_by=event
            )
        case EventKind.RESUMPTION if notice is not None and notice.event.id in event.of:
            return NoticeState(event=notice.event, terminates_at=_resumed(agreement, notice, event))
        case EventKind.WITHDRAWAL if notice is not None and notice.event.id in event.of:
            return None
        case _:
            return notice


def _resumed(agreement: Agreement, notice: NoticeState, event: AgreementEvent) -> Boundary:
    """When a resumed notice ends the agreement: its own boundary while that is still ahead,
    else the first boundary admissible from the resumption, as if the notice were given
    then. A resumption never ends the agreement on a date already past."""
    if notice.terminates_at.at > event.at:
        return notice.terminates_at
    return Boundary(
        at=admissible_end(agreement, event.at),
        source=f"resumed {agreement.local(event.at).date()}: the next admissible end",
    )


def _term_window(
    agreement: Agreement, at: datetime, terminated_at: datetime | None
) -> tuple[datetime | None, datetime | None, int]:
    """The current term [start, end) and how many automatic renewals have happened."""
    term = agreement.term
    if term.indefinite:
        return term.entry_into_force, None, 0
    n = 0
    if terminated_at is None:
        while term.anniversary(n + 1) <= at:
            n += 1
    else:  # A term that ends at the termination instant was not renewed.
        while term.anniversary(n + 1) < min(at, terminated_at):
            n += 1
    return term.anniversary(n), term.anniversary(n + 1), n


def _status(
    agreement: Agreement,
    at: datetime,
    phase: Phase,
    rules: tuple[str, ...],
    summary: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    renewals: int = 0,
    notice: NoticeState | None = None,
    terminated_at: datetime | None = None,
) -> AgreementStatus:
    return AgreementStatus(
        agreement_id=agreement.id,
        at=at,
        phase=phase,
        term_start=start,
        term_end=end,
        renewals=renewals,
        notice=notice,
        terminated_at=terminated_at,
        rule_ids=rules,
        summary=summary,
    )
