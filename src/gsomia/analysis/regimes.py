"""Sharing regimes, derived from the agreements' data and their status on a launch's date.

A regime is not written down: :func:`derive_sharing` asks the rulebook, for every ordered
pair of parties and every agreement both belong to, whether a missile-warning item at the
SECRET row (極秘, 군사II급비밀, SECRET) may go from one to the other on that date
(``decide_send``: JK-21.1 in force, JK-4.1 level covered, TI-1 topic, TI-2 route, TI-5 and
TI-7 basis), and, where the route passes a hub that needs the originator's approval,
whether the hub may forward it once that approval is given (``decide_forward``: TI-3).
Each permitted channel becomes a :class:`Flow` with a level (radar reports or track
warnings, RT-1 where the agreement restricts the payload) and a delay, from the stated
:class:`~gsomia.analysis.assumptions.Assumptions`.

Counterfactuals are produced the same way, by changing the data: a :class:`Regime` is a
branch of the agreement library (no agreements; an agreement terminated the day before the
launch; an agreement in force with its notices withdrawn), and its sharing is derived from
that library by the same rules.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from types import MappingProxyType

from gsomia.analysis.assumptions import Assumptions, ChannelAssumption, Level, RegimeSpec
from gsomia.core.agreements import Agreement, AgreementEvent, AgreementLibrary, Boundary, EventKind
from gsomia.core.decisions import Decision
from gsomia.core.items import Consent, ConsentKind, Item
from gsomia.core.rules import ForwardRequest, Rulebook, SendRequest
from gsomia.errors import PolicyDenied

__all__ = [
    "Flow",
    "Regime",
    "Sharing",
    "derive_sharing",
    "describe",
    "in_force_for",
    "regimes_from",
    "terminated_before",
]

_logger = logging.getLogger(__name__)

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Flow:
    """Data that may travel from ``originator`` to ``recipient`` on the date asked about.

    ``level`` is ``reports`` (radar reports and satellite cues, fused in the recipient's
    tracker) or ``warnings`` (tracks, fused by covariance intersection); ``delay_s`` is the
    end-to-end latency; ``route`` the parties passed, originator first; ``conceal`` whether
    the covariance is coarsened so it says nothing of the sensors' geometry (RT-3, where
    the agreement restricts the payload). ``rule_ids`` and ``reason`` are the rulebook's.
    """

    originator: str
    recipient: str
    agreement_id: str
    level: Level
    delay_s: float
    route: tuple[str, ...]
    conceal: bool
    rule_ids: tuple[str, ...]
    reason: str
    basis: str

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready description."""
        return {
            "originator": self.originator,
            "recipient": self.recipient,
            "agreement": self.agreement_id,
            "level": self.level,
            "delay_s": self.delay_s,
            "route": list(self.route),
            "conceal_geometry": self.conceal,
            "rule_ids": list(self.rule_ids),
            "basis": self.basis,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Sharing:
    """Every flow permitted at instant ``at``: every channel of every agreement between
    each ordered pair, each with its own level and delay (several may run at once: the
    2023 link for speed beside the GSOMIA's full tracks)."""

    at: datetime
    flows: tuple[Flow, ...]

    def into(self, party: str) -> tuple[Flow, ...]:
        """The flows that reach ``party``."""
        return tuple(f for f in self.flows if f.recipient == party)

    def reports_into(self, party: str) -> tuple[Flow, ...]:
        """Report flows into ``party``: per originator the fastest (the same reports
        arriving again later add nothing), by originator."""
        fastest: dict[str, Flow] = {}
        for f in sorted(self.into(party), key=lambda f: f.delay_s):
            if f.level == "reports":
                fastest.setdefault(f.originator, f)
        return tuple(sorted(fastest.values(), key=_by_from))

    def warnings_into(self, party: str) -> tuple[Flow, ...]:
        """Track and warning-level flows into ``party``, every channel, by originator and
        delay."""
        found = (f for f in self.into(party) if f.level != "reports")
        return tuple(sorted(found, key=lambda f: (f.originator, f.delay_s, f.level)))

    def signature(self, party: str) -> tuple[tuple[str, str, float, bool], ...]:
        """What determines ``party``'s picture: (originator, level, delay, conceal) per flow."""
        return tuple(
            sorted({(f.originator, f.level, f.delay_s, f.conceal) for f in self.into(party)})
        )


def _by_from(flow: Flow) -> str:
    return flow.originator


def _channel(agreement: Agreement, route: tuple[str, ...], a: Assumptions) -> ChannelAssumption:
    """The level and delay of data under ``agreement`` along ``route``."""
    if agreement.id in a.agreements:
        chosen = a.agreements[agreement.id]
    elif agreement.route.realtime:
        chosen = a.realtime
    elif agreement.route.kind == "hub":
        hops = len(route) - 1
        consent = a.hub.consent_s if len(route) > 2 and agreement.route.consent_required else 0.0
        chosen = ChannelAssumption(
            level=a.hub.level, delay_s=hops * a.hub.relay_s + consent, basis=a.hub.basis
        )
    else:
        chosen = a.direct
    if agreement.payload_fields:
        return replace(chosen, level="warnings")
    return chosen


def _forward(
    rules: Rulebook, agreement: Agreement, send: SendRequest, route: tuple[str, ...], a: Assumptions
) -> Decision:
    """May the hub forward the item once the originator has approved (TI-3)?"""
    hub = route[1]
    level = send.level
    approval_at = send.at + timedelta(seconds=a.hub.relay_s + a.hub.consent_s)
    try:
        holder_level = agreement.equivalent(level, for_party=hub)
    except PolicyDenied as exc:
        return Decision.deny("forward", agreement.rule_id("marking"), exc.reason)
    item = Item(
        id=f"{agreement.id}:{send.originator}:{send.recipient}",
        agreement_id=agreement.id,
        originator=send.originator,
        holder=hub,
        level=level,
        holder_level=holder_level,
        topic=send.topic,
        purpose=a.purpose,
        provided_at=send.at,
    )
    consent = Consent(
        kind=ConsentKind.RELEASE,
        item_id=item.id,
        originator=send.originator,
        granted=True,
        decided_at=approval_at,
        to_party=send.recipient,
        signature_verified=True,
    )
    return rules.decide_forward(
        ForwardRequest(
            agreement=agreement,
            hub=hub,
            item=item,
            recipient=send.recipient,
            at=approval_at,
            consent=consent,
        )
    )


def _flow(
    rules: Rulebook,
    library: AgreementLibrary,
    agreement: Agreement,
    pair: tuple[str, str],
    *,
    at: datetime,
    a: Assumptions,
) -> Flow | None:
    originator, recipient = pair
    level_name = a.item_levels.get(originator)
    if level_name is None:
        return None
    send = SendRequest(
        agreement=agreement,
        originator=originator,
        recipient=recipient,
        level=library.schemes.parse(level_name, party=originator),
        topic=a.topic,
        at=at,
    )
    decision = rules.decide_send(send)
    route = agreement.route.path(originator, recipient)
    if decision.allowed and len(route) > 2:
        forward = _forward(rules, agreement, send, route, a)
        decision = Decision(
            act="send",
            allowed=forward.allowed,
            rule_ids=decision.rule_ids + forward.rule_ids,
            reason=f"{decision.reason} {forward.reason}",
        )
    if not decision.allowed:
        _logger.debug("%s → %s under %s: %s", originator, recipient, agreement.id, decision.reason)
        return None
    channel = _channel(agreement, route, a)
    return Flow(
        originator=originator,
        recipient=recipient,
        agreement_id=agreement.id,
        level=channel.level,
        delay_s=channel.delay_s,
        route=route,
        conceal=bool(agreement.payload_fields) or channel.level == "warnings",
        rule_ids=decision.rule_ids,
        reason=decision.reason,
        basis=channel.basis,
    )


def derive_sharing(
    library: AgreementLibrary, *, at: datetime, parties: Iterable[str], assumptions: Assumptions
) -> Sharing:
    """Every flow of a SECRET-row missile-warning item between ``parties`` at ``at``.

    Pure: the decision rests on the agreements' data and status at ``at`` and on the stated
    assumptions (levels and delays), nothing else.
    """
    rules = Rulebook(library.agreements)
    codes = sorted(set(parties))
    flows: list[Flow] = []
    for originator in codes:
        for recipient in codes:
            if originator == recipient:
                continue
            found = [
                _flow(rules, library, x, (originator, recipient), at=at, a=assumptions)
                for x in library.between(originator, recipient)
            ]
            flows.extend(f for f in found if f is not None)
    return Sharing(at=at, flows=tuple(flows))


def terminated_before(agreement: Agreement, at: datetime) -> Agreement:
    """``agreement`` as if a termination notice had taken effect the day before ``at``.

    The notice is dated 90 days earlier (Art. 21(3)); the agreement's own events are
    replaced by it. Information already provided stays protected (JK-21.2).
    """
    ends = agreement.local(at) - _DAY
    notice = AgreementEvent(
        id="counterfactual-termination",
        kind=EventKind.NOTICE,
        by=agreement.party_codes[-1],
        at=ends - timedelta(days=agreement.term.notice_days or 90),
        note="counterfactual: a notice that took effect the day before the launch",
        terminates_at=Boundary(at=ends, source="counterfactual"),
    )
    return replace(agreement, events=(notice,))


def in_force_for(agreement: Agreement, at: datetime) -> Agreement:
    """``agreement`` in force at ``at``: no notices, and in force since before ``at``."""
    start = min(agreement.term.entry_into_force, agreement.local(at) - _DAY)
    return replace(agreement, events=(), term=replace(agreement.term, entry_into_force=start))


@dataclass(frozen=True, slots=True, kw_only=True)
class Regime:
    """A branch of the agreement data, applied on each launch's date (``actual``: none)."""

    key: str
    title: str
    short: str = ""
    no_agreements: bool = False
    terminate: tuple[str, ...] = ()
    in_force: tuple[str, ...] = ()
    lapse: tuple[str, ...] = ()
    lapse_on: date | None = None

    @property
    def label(self) -> str:
        """The short name for tables (the title when there is none)."""
        return self.short or self.title

    @classmethod
    def actual(cls) -> Regime:
        """The agreements exactly as the library holds them."""
        return cls(key="actual", title="as on that date", short="actual")

    @classmethod
    def from_spec(cls, spec: RegimeSpec) -> Regime:
        """A regime from its entry in the assumptions file."""
        return cls(
            key=spec.key,
            title=spec.title,
            short=spec.short,
            no_agreements=spec.no_agreements,
            terminate=spec.terminate,
            in_force=spec.in_force,
            lapse=spec.lapse,
            lapse_on=spec.lapse_on,
        )

    def library_on(self, library: AgreementLibrary, at: datetime) -> AgreementLibrary:
        """The branch of ``library`` this regime stands for, at instant ``at``."""
        if self.no_agreements:
            return AgreementLibrary(MappingProxyType({}), library.schemes)
        changed: dict[str, Agreement] = dict(library.agreements)
        for agreement_id in self.in_force:
            self._change(changed, agreement_id, lambda x: in_force_for(x, at))
        for agreement_id in self.terminate:
            self._change(changed, agreement_id, lambda x: terminated_before(x, at))
        if self.lapse_on is not None and at.date() >= self.lapse_on:
            for agreement_id in self.lapse:
                self._change(changed, agreement_id, lambda x: terminated_before(x, at))
        return AgreementLibrary(MappingProxyType(changed), library.schemes)

    def _change(
        self,
        agreements: dict[str, Agreement],
        agreement_id: str,
        how: Callable[[Agreement], Agreement],
    ) -> None:
        if agreement_id not in agreements:
            _logger.info("regime %s: no agreement %s to change", self.key, agreement_id)
            return
        agreements[agreement_id] = how(agreements[agreement_id])

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready description."""
        return {
            "key": self.key,
            "title": self.title,
            "short": self.label,
            "no_agreements": self.no_agreements,
            "terminate": list(self.terminate),
            "in_force": list(self.in_force),
            "lapse": list(self.lapse),
            "lapse_on": None if self.lapse_on is None else self.lapse_on.isoformat(),
        }


def regimes_from(assumptions: Assumptions) -> tuple[Regime, ...]:
    """``actual`` followed by the regimes of the assumptions file."""
    return (Regime.actual(), *(Regime.from_spec(s) for s in assumptions.regimes))


def describe(sharing: Sharing) -> Mapping[str, list[dict[str, object]]]:
    """The flows into each party, JSON-ready."""
    out: dict[str, list[dict[str, object]]] = {}
    for flow in sharing.flows:
        out.setdefault(flow.recipient, []).append(flow.as_dict())
    return out
