"""Access tokens for persons: bound to a registered identity, hashed at rest, expiring,
revocable. A token is issued by the node itself (its operator), by a person for themselves,
or by a security officer who holds the registry authority for a person holding no authority
the officer lacks (never for one holding the registry authority, whose token is the node's
or their own); it is revoked by its own person, or by a security officer who holds the
registry authority.
Since its issuer has seen it, it acts for its person only while the issuer could issue it
(a registrar in standing: holding the registry authority, cleared that day) and the person
holds no authority the issuer lacks (a grant to the person, or a revocation from the issuer,
or the issuer's clearance lapsing, voids it: the rules decide at every use, and the node
revokes a refused token on the record).

A token is 256 random bits shown once (``gst_<base64url>``); the store keeps only its
SHA-256 (a high-entropy secret needs no slow hash), the person it belongs to, its expiry
and whether it was revoked. Issue and revocation are decided by the rules and recorded in
the ledger. Every check fails closed with one opaque message.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from gsomia.core.agreements import Agreement
from gsomia.core.decisions import Decision
from gsomia.core.people import NODE_ACTOR, Person
from gsomia.core.rules import Act, AdministerRequest, TokenUseRequest
from gsomia.errors import GsomiaError, IntegrityError, UnknownName
from gsomia.ledger.entries import Event
from gsomia.ports.store import ReadView, UnitOfWork
from gsomia.records import TokenRecord
from gsomia.services.plumbing.context import NodeContext

__all__ = ["TOKEN_KIND", "AuthService", "IssuedToken", "TokenView"]

_logger = logging.getLogger(__name__)

TOKEN_KIND = TokenRecord.KIND
_PREFIX = "gst_"
_DEFAULT_TTL = timedelta(hours=12)
_MAX_TTL = timedelta(days=90)
_REFUSED = "the access token is missing, unknown, expired or revoked"


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedToken:
    """A token as issued: the secret (shown once), its id, its person and expiry."""

    token: str
    token_id: str
    person_id: str
    expires_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenView:
    """A token as the store knows it: never the secret."""

    token_id: str
    person_id: str
    state: str  # active, revoked or expired
    expires_at: datetime


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:32]


class AuthService:
    """Issues, checks and revokes persons' access tokens."""

    def __init__(self, ctx: NodeContext) -> None:
        self.ctx = ctx

    def issue(self, *, person_id: str, by: str, ttl: timedelta = _DEFAULT_TTL) -> IssuedToken:
        """A new token for a registered person of this node (recorded), issued by ``by``: the
        node itself (:data:`NODE_ACTOR`, its operator), or a security officer who holds the
        registry authority, for themselves or for a person holding no authority they lack
        (the rules decide). Raises UnknownName, PolicyDenied."""
        ctx = self.ctx
        ttl = min(ttl, _MAX_TTL)
        now = ctx.clock.now()
        with ctx.store.read() as uow:
            actor = None if by == NODE_ACTOR else ctx.person(uow, by)
            holder = ctx.person(uow, person_id)
        if holder.party != ctx.party:
            raise UnknownName(kind=f"person of {ctx.party}", name=person_id)
        home, decision = ctx.decide_node(
            Act.ISSUE_TOKEN,
            lambda a: AdministerRequest(
                agreement=a, person=actor, party=ctx.party, what="a token", at=now, target=holder
            ),
            person=by,
            subject=person_id,
        )
        token = _PREFIX + secrets.token_urlsafe(32)
        token_id = _token_id(token)
        expires = now + ttl
        record = TokenRecord(
            id=token_id, state="active", person=person_id, expires_at=expires.isoformat(), by=by
        )
        with ctx.store.unit_of_work() as uow:
            self._store(
                uow, record, Event.TOKEN_ISSUED, home=home, by=by, decision=decision, now=now
            )
        return IssuedToken(token=token, token_id=token_id, person_id=person_id, expires_at=expires)

    def person(self, token: str | None) -> Person:
        """The person a token belongs to, with the authorities the registry grants them now,
        if the rules let the token act for them (``Act.USE_TOKEN``: its issuer could issue it
        now, and they hold no authority its issuer lacks, JK-6.e); raises the opaque
        IntegrityError otherwise. A token
        the rules refuse is revoked by the node, on the record, so it is refused once."""
        if not token or not token.startswith(_PREFIX) or len(token) > 128:
            raise IntegrityError(_REFUSED)
        ctx = self.ctx
        now = ctx.clock.now()
        try:
            with ctx.store.read() as uow:
                record = uow.record(TOKEN_KIND, _token_id(token))
                if record.state != "active":
                    raise IntegrityError(_REFUSED)
                if datetime.fromisoformat(str(record.body["expires_at"])) <= now:
                    raise IntegrityError(_REFUSED)
                holder = ctx.person(uow, str(record.body["person"]))
                by = str(record.body.get("by") or "")
                issuer = self._issuer(uow, by, holder.id)
            home, decision = ctx.rulebook.decide_for_party(
                Act.USE_TOKEN,
                ctx.party,
                lambda a: TokenUseRequest(
                    agreement=a,
                    party=ctx.party,
                    at=now,
                    holder=holder,
                    issued_by=by,
                    issuer=issuer,
                ),
            )
        except UnknownName:
            raise IntegrityError(_REFUSED) from None
        if not decision.allowed:
            self._void(record.id, home=home, decision=decision, now=now)
            raise IntegrityError(_REFUSED)
        return holder

    def _issuer(self, uow: ReadView, by: str, holder: str) -> Person | None:
        """The person who issued a token, as the registry knows them now with their grants;
        ``None`` for the node, the holder themselves, or a name the registry does not know."""
        if by in (NODE_ACTOR, holder, ""):
            return None
        try:
            return self.ctx.person(uow, by)
        except UnknownName:
            return None

    def _void(self, token_id: str, *, home: Agreement, decision: Decision, now: datetime) -> None:
        """Record that the rules refused a token's use, and revoke it as the node, in one
        unit of work: later uses are refused as revoked, with nothing more to record. A
        token revoked meanwhile (by a concurrent request) records nothing; a store that
        cannot record leaves the refusal standing."""
        ctx = self.ctx
        try:
            with ctx.store.unit_of_work() as uow:
                current = ctx.get(uow, TokenRecord, token_id).record
                if current.state != "active":
                    return
                refusal = ctx.refusal(
                    home.id,
                    decision,
                    person=current.person,
                    method=Act.USE_TOKEN.value,
                    subject=current.person,
                    token=token_id,
                )
                ctx.record(uow, [refusal])
                self._store(
                    uow,
                    current.advance("revoked"),
                    Event.TOKEN_REVOKED,
                    home=home,
                    by=NODE_ACTOR,
                    decision=decision,
                    now=now,
                )
        except GsomiaError:
            _logger.warning("token %s refused, but its refusal could not be recorded", token_id)

    def revoke(self, *, token_id: str, by: str) -> None:
        """Revoke a token by its id, as its own person or a security officer with the registry
        authority (the rules decide; recorded); later checks refuse it. Raises UnknownName,
        PolicyDenied."""
        ctx = self.ctx
        now = ctx.clock.now()
        with ctx.store.read() as uow:
            actor = ctx.person(uow, by)
            holder = ctx.person(uow, ctx.get(uow, TokenRecord, token_id).record.person)
        home, decision = ctx.decide_node(
            Act.REVOKE_TOKEN,
            lambda a: AdministerRequest(
                agreement=a, person=actor, party=ctx.party, what="a token", at=now, target=holder
            ),
            person=by,
            subject=holder.id,
        )
        with ctx.store.unit_of_work() as uow:
            current = ctx.get(uow, TokenRecord, token_id).record
            revoked = current.advance("revoked")
            self._store(
                uow, revoked, Event.TOKEN_REVOKED, home=home, by=by, decision=decision, now=now
            )

    def _store(
        self,
        uow: UnitOfWork,
        token: TokenRecord,
        event: Event,
        *,
        home: Agreement,
        by: str,
        decision: Decision,
        now: datetime,
    ) -> None:
        """Store ``token``'s new version and the ``event`` entry of ``by``'s act on it,
        citing ``decision``."""
        ctx = self.ctx
        ctx.put(uow, token, now=now)
        entry = ctx.entry(
            event=event,
            agreement_id=home.id,
            at=now,
            person=by,
            decision=decision,
            subject=token.person,
            token=token.id,
        )
        ctx.record(uow, [entry])

    def tokens(self, *, viewer: str, person_id: str | None = None) -> list[TokenView]:
        """Every token issued here (or to one person), newest expiry first, with its state
        (for security officers)."""
        from gsomia.services.plumbing.queries import Queries

        Queries(self.ctx).decide_node_view(Act.VIEW_REGISTRY, viewer, what="registry")
        now = self.ctx.clock.now()
        with self.ctx.store.read() as uow:
            records = uow.records(TOKEN_KIND)
        out = []
        for record in records:
            person = str(record.body["person"])
            if person_id is not None and person != person_id:
                continue
            expires = datetime.fromisoformat(str(record.body["expires_at"]))
            state = "expired" if record.state == "active" and expires <= now else record.state
            out.append(
                TokenView(token_id=record.id, person_id=person, state=state, expires_at=expires)
            )
        return sorted(out, key=lambda t: (t.expires_at, t.token_id), reverse=True)
