"""Access tokens for persons: bound to a registered identity, hashed at rest, expiring,
revocable.

A token is 256 random bits shown once (``gst_<base64url>``); the store keeps only its
SHA-256 (a high-entropy secret needs no slow hash), the person it belongs to, its expiry
and whether it was revoked. Every check fails closed with one opaque message.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from gsomia.core.people import Person
from gsomia.errors import IntegrityError, UnknownName
from gsomia.ports.store import WorkflowRecord
from gsomia.services.context import NodeContext

__all__ = ["TOKEN_KIND", "AuthService", "IssuedToken", "TokenView"]

TOKEN_KIND = "token"  # noqa: S105 - a record kind, not a secret
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

    def issue(self, *, person_id: str, ttl: timedelta = _DEFAULT_TTL) -> IssuedToken:
        """A new token for a registered person of this node; raises UnknownName."""
        ttl = min(ttl, _MAX_TTL)
        now = self.ctx.clock.now()
        token = _PREFIX + secrets.token_urlsafe(32)
        token_id = _token_id(token)
        expires = now + ttl
        with self.ctx.store.unit_of_work() as uow:
            uow.person(person_id)
            uow.put_record(
                WorkflowRecord(
                    kind=TOKEN_KIND,
                    id=token_id,
                    state="active",
                    updated_at=now,
                    body={"person": person_id, "expires_at": expires.isoformat()},
                )
            )
        return IssuedToken(token=token, token_id=token_id, person_id=person_id, expires_at=expires)

    def person(self, token: str | None) -> Person:
        """The person a token belongs to; raises the opaque IntegrityError otherwise."""
        if not token or not token.startswith(_PREFIX) or len(token) > 128:
            raise IntegrityError(_REFUSED)
        try:
            with self.ctx.store.read() as uow:
                record = uow.record(TOKEN_KIND, _token_id(token))
                if record.state != "active":
                    raise IntegrityError(_REFUSED)
                if datetime.fromisoformat(str(record.body["expires_at"])) <= self.ctx.clock.now():
                    raise IntegrityError(_REFUSED)
                return uow.person(str(record.body["person"]))
        except UnknownName:
            raise IntegrityError(_REFUSED) from None

    def revoke(self, *, token_id: str) -> None:
        """Revoke a token by its id; later checks refuse it. Raises UnknownName."""
        now = self.ctx.clock.now()
        with self.ctx.store.unit_of_work() as uow:
            record = uow.record(TOKEN_KIND, token_id)
            uow.put_record(
                WorkflowRecord(
                    kind=TOKEN_KIND,
                    id=token_id,
                    state="revoked",
                    version=record.version + 1,
                    updated_at=now,
                    body=record.body,
                )
            )

    def tokens(self, *, person_id: str | None = None) -> list[TokenView]:
        """Every token issued here (or to one person), newest expiry first, with its state."""
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
