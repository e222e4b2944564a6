"""The batch path: many access and send decisions at once, as numpy array operations.

The same rules as the one-at-a-time path (:class:`~gsomia.core.rules.Rulebook`), compiled
into lookup tables and evaluated column-wise; a differential test checks that both paths
give the same answer and cite the same rules for every request. Requests are encoded once
(:meth:`AccessBatch.from_requests`) or built directly as columns by a caller that already
holds its data in arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from gsomia.core.agreements import Agreement, LegalNature
from gsomia.core.classification import Level
from gsomia.core.lifecycle import status
from gsomia.core.people import Role
from gsomia.core.rules.access import ContractorConditions
from gsomia.core.rules.requests import AccessRequest, SendRequest
from gsomia.errors import InputError

_CONTRACTOR = ContractorConditions()

__all__ = [
    "AccessBatch",
    "BatchDecisions",
    "SendBatch",
    "SendTables",
    "decide_open_batch",
    "decide_send_batch",
]

I64 = NDArray[np.int64]
U64 = NDArray[np.uint64]
B = NDArray[np.bool_]

# Failure bits, one per rule of the open policy, in the order the rulebook reads them.
OPEN_RULES = ("need_and_clearance", "not_rank_alone", "register", "contractor")
# Failure bits of the send policy.
SEND_RULES = ("in_force", "parties", "level_covered", "scope", "route", "basis", "marking")


@dataclass(frozen=True, slots=True)
class BatchDecisions:
    """Per request: allowed or not, and a bitmask of the rules that failed."""

    allowed: B
    failed: NDArray[np.uint8]
    rule_keys: tuple[str, ...]
    agreements: tuple[Agreement, ...]
    agreement_index: I64

    def failed_rule_ids(self, i: int) -> tuple[str, ...]:
        """The agreement's rule ids that request ``i`` failed, in rulebook order."""
        agreement = self.agreements[int(self.agreement_index[i])]
        bits = int(self.failed[i])
        ids = (agreement.rule_id(k) for b, k in enumerate(self.rule_keys) if bits >> b & 1)
        return tuple(dict.fromkeys(ids))


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessBatch:
    """Column-wise access requests. Ranks are within the holder's scheme; a clearance whose
    scheme differs from the holder's has ``clearance_ok_scheme`` false."""

    agreement_index: I64
    person_party: I64
    item_holder: I64
    clearance_rank: I64  # -1: no clearance in effect on the day
    clearance_scheme_is_holder: B
    holder_rank: I64
    need_mask: U64
    topic_bit: U64
    has_rank: B
    registered: B
    contractor_staff: B
    contractor_cleared: B  # the Art. 16 conditions, decided per request (JK-16.x)
    destroyed: B
    agreements: tuple[Agreement, ...]

    def __len__(self) -> int:
        return int(self.agreement_index.shape[0])

    @classmethod
    def from_requests(cls, requests: Sequence[AccessRequest]) -> AccessBatch:
        """Encode request objects into columns (a Python loop; callers with arrays skip it)."""
        agreements: dict[str, int] = {}
        parties: dict[str, int] = {}
        topics: dict[str, int] = {}
        rows = [_encode_access(r, agreements, parties, topics) for r in requests]
        if len(topics) > 64:
            raise InputError("the batch path handles at most 64 distinct topics per batch")
        cols = list(zip(*rows, strict=True)) if rows else [()] * 13
        ordered = {v: k for k, v in agreements.items()}
        by_id = {r.agreement.id: r.agreement for r in requests}
        return cls(
            agreement_index=np.asarray(cols[0], dtype=np.int64),
            person_party=np.asarray(cols[1], dtype=np.int64),
            item_holder=np.asarray(cols[2], dtype=np.int64),
            clearance_rank=np.asarray(cols[3], dtype=np.int64),
            clearance_scheme_is_holder=np.asarray(cols[4], dtype=bool),
            holder_rank=np.asarray(cols[5], dtype=np.int64),
            need_mask=np.asarray(cols[6], dtype=np.uint64),
            topic_bit=np.asarray(cols[7], dtype=np.uint64),
            has_rank=np.asarray(cols[8], dtype=bool),
            registered=np.asarray(cols[9], dtype=bool),
            contractor_staff=np.asarray(cols[10], dtype=bool),
            contractor_cleared=np.asarray(cols[11], dtype=bool),
            destroyed=np.asarray(cols[12], dtype=bool),
            agreements=tuple(by_id[ordered[i]] for i in range(len(ordered))),
        )


def _encode_access(
    r: AccessRequest, agreements: dict[str, int], parties: dict[str, int], topics: dict[str, int]
) -> tuple[object, ...]:
    p, item = r.person, r.item
    level = p.clearance_on(r.at.date())
    for topic in (item.topic, *p.need_to_know):
        topics.setdefault(topic, len(topics))
    need = sum(1 << topics[t] for t in p.need_to_know if topics[t] < 64)
    return (
        agreements.setdefault(r.agreement.id, len(agreements)),
        parties.setdefault(p.party, len(parties)),
        parties.setdefault(item.holder, len(parties)),
        -1 if level is None else level.rank,
        level is not None and type(level) is type(item.holder_level),
        item.holder_level.rank,
        need,
        1 << topics[item.topic] if topics[item.topic] < 64 else 0,
        bool(p.rank),
        item.facility is not None and item.facility in p.registered_at,
        p.role is Role.CONTRACTOR_STAFF,
        _CONTRACTOR.evaluate(r).allowed,
        item.destroyed,
    )


def decide_open_batch(batch: AccessBatch) -> BatchDecisions:
    """Decide every access request of ``batch`` (JK-6.e, JK-7.1, JK-7.2, JK-16.x) at once."""
    need = (batch.need_mask & batch.topic_bit) != 0
    cleared = batch.clearance_scheme_is_holder & (batch.clearance_rank >= batch.holder_rank)
    cleared &= batch.clearance_rank >= 0
    same_party = batch.person_party == batch.item_holder
    need_and_clearance = need & cleared & same_party & ~batch.destroyed
    not_rank_alone = need & cleared
    contractor = ~batch.contractor_staff | batch.contractor_cleared
    checks = (need_and_clearance, not_rank_alone, batch.registered, contractor)
    return _combine(checks, OPEN_RULES, batch.agreements, batch.agreement_index)


def _combine(
    checks: Sequence[B], keys: tuple[str, ...], agreements: tuple[Agreement, ...], index: I64
) -> BatchDecisions:
    failed = np.zeros(index.shape[0], dtype=np.uint8)
    allowed = np.ones(index.shape[0], dtype=bool)
    for bit, ok in enumerate(checks):
        failed |= (~ok).astype(np.uint8) << np.uint8(bit)
        allowed &= ok
    return BatchDecisions(allowed, failed, keys, agreements, index)


@dataclass(frozen=True, slots=True)
class SendTables:
    """An agreement set compiled into lookup tables for :func:`decide_send_batch`."""

    agreements: tuple[Agreement, ...]
    parties: tuple[str, ...]
    levels: tuple[Level, ...]
    topics: tuple[str, ...]
    is_party: B  # [agreement, party]
    covered: B  # [agreement, level]
    equivalent: B  # [agreement, level, party]
    in_scope: B  # [agreement, topic]
    scoped: B  # [agreement]: does the scope rule apply at all
    hub: B  # [agreement]: route through a hub
    needs_basis: B  # [agreement]
    route_covered: B  # [agreement, originator, recipient]: binding basis covers every hop
    direct_covered: B  # [agreement, originator, recipient]: binding basis covers o → r
    breaks: tuple[I64, ...]  # per agreement, sorted change instants (epoch µs)
    in_force: tuple[B, ...]  # per agreement, in force on each segment
    basis_ok: tuple[B, ...]  # per agreement, basis in force on each segment

    @classmethod
    def compile(cls, agreements: Mapping[str, Agreement], *, topics: Sequence[str]) -> SendTables:
        """Compile ``agreements`` (and the basis they rest on) for the ``topics`` in use."""
        ags = tuple(agreements[k] for k in sorted(agreements))
        parties = tuple(sorted({p for a in ags for p in a.party_codes}))
        levels = tuple(
            dict.fromkeys(lv for a in ags for p in a.party_codes for lv in a.schemes.scheme(p))
        )
        topic_list = tuple(dict.fromkeys(topics))
        shape = (len(ags), len(levels), len(parties))
        equivalent = np.zeros(shape, dtype=bool)
        for i, a in enumerate(ags):
            for j, lv in enumerate(levels):
                for k, p in enumerate(parties):
                    equivalent[i, j, k] = _has_equivalent(a, lv, p)
        timelines = [_timeline(a, agreements) for a in ags]
        pairs = [(o, r) for o in parties for r in parties]
        shape2 = (len(ags), len(parties), len(parties))
        covered_routes = np.array(
            [_route_covered(a, a.route.path(o, r), agreements) for a in ags for o, r in pairs],
            dtype=bool,
        ).reshape(shape2)
        covered_direct = np.array(
            [_route_covered(a, (o, r), agreements) for a in ags for o, r in pairs], dtype=bool
        ).reshape(shape2)
        return cls(
            agreements=ags,
            parties=parties,
            levels=levels,
            topics=topic_list,
            is_party=np.array([[p in a.party_codes for p in parties] for a in ags], dtype=bool),
            covered=np.array([[a.covers(lv) for lv in levels] for a in ags], dtype=bool),
            equivalent=equivalent,
            in_scope=np.array([[a.in_scope(t) for t in topic_list] for a in ags], dtype=bool),
            scoped=np.array([bool(a.scope_topics) for a in ags], dtype=bool),
            hub=np.array([a.route.kind == "hub" for a in ags], dtype=bool),
            needs_basis=np.array(
                [bool(a.basis) or a.legal_nature is LegalNature.NON_BINDING for a in ags],
                dtype=bool,
            ),
            route_covered=covered_routes,
            direct_covered=covered_direct,
            breaks=tuple(t[0] for t in timelines),
            in_force=tuple(t[1] for t in timelines),
            basis_ok=tuple(t[2] for t in timelines),
        )


def _has_equivalent(agreement: Agreement, level: Level, party: str) -> bool:
    if not agreement.covers(level) or party not in agreement.party_codes:
        return False
    return any(
        level in row.levels.get(level.party, ()) and row.levels.get(party)
        for row in agreement.equivalence
    )


def _route_covered(
    agreement: Agreement, path: tuple[str, ...], known: Mapping[str, Agreement]
) -> bool:
    binding = [
        known[b]
        for b in agreement.basis
        if b in known and known[b].legal_nature is LegalNature.BINDING
    ]
    return all(any({x, y} <= set(b.party_codes) for b in binding) for x, y in pairwise(path))


def _micros(at: datetime) -> int:
    delta = at.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _timeline(agreement: Agreement, known: Mapping[str, Agreement]) -> tuple[I64, B, B]:
    """Instants at which the agreement's (or its basis's) in-force state can change, and the
    state on each segment between them; segment 0 is before the first instant."""
    family = [agreement, *(known[b] for b in agreement.basis if b in known)]
    instants: set[datetime] = set()
    for a in family:
        instants.add(a.term.entry_into_force)
        for e in a.events:
            instants.add(e.at)
            for b in (e.terminates_at, *e.alternatives):
                if b is not None:
                    instants.add(b.at)
    points = sorted(instants)
    probes = [points[0].replace(year=points[0].year - 1), *points]
    in_force = np.array([status(agreement, at=t).in_force for t in probes], dtype=bool)
    complete = all(b in known for b in agreement.basis)
    basis = np.array(
        [
            complete and all(status(known[b], at=t).in_force for b in agreement.basis)
            for t in probes
        ],
        dtype=bool,
    )
    return np.array([_micros(t) for t in points], dtype=np.int64), in_force, basis


@dataclass(frozen=True, slots=True, kw_only=True)
class SendBatch:
    """Column-wise send requests as indices into a :class:`SendTables`.

    ``direct`` marks requests that insist on a direct path (originator → recipient) instead
    of the agreement's route; times are epoch microseconds (UTC).
    """

    agreement: I64
    originator: I64
    recipient: I64
    level: I64
    topic: I64
    at_us: I64
    direct: B

    @classmethod
    def from_requests(cls, tables: SendTables, requests: Sequence[SendRequest]) -> SendBatch:
        """Encode request objects against ``tables``; raises InputError on unknown names."""
        ag = {a.id: i for i, a in enumerate(tables.agreements)}
        pt = {p: i for i, p in enumerate(tables.parties)}
        lv = {lvl.ref: i for i, lvl in enumerate(tables.levels)}
        tp = {t: i for i, t in enumerate(tables.topics)}
        try:
            rows = [
                (
                    ag[r.agreement.id],
                    pt.get(r.originator, -1),
                    pt.get(r.recipient, -1),
                    lv[r.level.ref],
                    tp[r.topic],
                    _micros(r.at),
                    r.path is not None
                    and r.path != r.agreement.route.path(r.originator, r.recipient),
                )
                for r in requests
            ]
        except KeyError as exc:
            raise InputError(
                f"batch request names {exc.args[0]!r}, unknown to the tables"
            ) from None
        cols = list(zip(*rows, strict=True)) if rows else [()] * 7
        return cls(
            agreement=np.asarray(cols[0], dtype=np.int64),
            originator=np.asarray(cols[1], dtype=np.int64),
            recipient=np.asarray(cols[2], dtype=np.int64),
            level=np.asarray(cols[3], dtype=np.int64),
            topic=np.asarray(cols[4], dtype=np.int64),
            at_us=np.asarray(cols[5], dtype=np.int64),
            direct=np.asarray(cols[6], dtype=bool),
        )


def decide_send_batch(tables: SendTables, batch: SendBatch) -> BatchDecisions:
    """Decide every send request of ``batch`` at once (JK-4.1, JK-9.1, JK-21.1, TI-1, TI-2,
    TI-5). Only paths equal to the agreement's route or ``direct`` are encodable."""
    n = batch.agreement.shape[0]
    in_force = np.zeros(n, dtype=bool)
    basis_ok = np.ones(n, dtype=bool)
    for i in range(len(tables.agreements)):
        mask = batch.agreement == i
        if mask.any():
            seg = np.searchsorted(tables.breaks[i], batch.at_us[mask], side="right")
            in_force[mask] = tables.in_force[i][seg]
            basis_ok[mask] = tables.basis_ok[i][seg]
    a = batch.agreement
    orig_ok = batch.originator >= 0
    recip_ok = batch.recipient >= 0
    o = np.where(orig_ok, batch.originator, 0)
    r = np.where(recip_ok, batch.recipient, 0)
    parties = orig_ok & recip_ok & tables.is_party[a, o] & tables.is_party[a, r] & (o != r)
    level_party = np.array([lv.party for lv in tables.levels])[batch.level]
    own_level = level_party == np.array(tables.parties, dtype=object)[o]
    covered = own_level & tables.covered[a, batch.level]
    scope = ~tables.scoped[a] | tables.in_scope[a, batch.topic]
    route = ~(batch.direct & tables.hub[a])
    hops = np.where(batch.direct, tables.direct_covered[a, o, r], tables.route_covered[a, o, r])
    basis = ~tables.needs_basis[a] | (basis_ok & hops)
    marking = tables.equivalent[a, batch.level, r] & recip_ok
    checks = (in_force, parties, covered, scope, route, basis, marking)
    return _combine(checks, SEND_RULES, tables.agreements, batch.agreement)
