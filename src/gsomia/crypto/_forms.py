"""form-v1: the key that binds the web console's forms to the session that loaded them.

A form's CSRF token is HMAC-SHA-256 (RFC 2104) of the cookie it goes with, under a key that
HKDF-SHA-256 (RFC 5869) derives from the node's master secret for this one purpose. Every
process that holds the master secret derives the same key, so a form loaded before a node
restart, or from another worker of the same node, is accepted; nothing else can make one.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from gsomia.crypto import _primitives as prim
from gsomia.crypto._master import MasterSecret
from gsomia.errors import IntegrityError

__all__ = ["FormKey"]

_SALT = b"gsomia/form-v1"
_PURPOSE = b"console form tokens"


@dataclass(frozen=True, slots=True)
class FormKey:
    """The key of the console's form tokens. Its value is never printed."""

    _key: bytes = field(repr=False)

    @classmethod
    def from_master(cls, master: MasterSecret) -> FormKey:
        """The node's form key, derived from its master secret (the same in every process)."""
        return cls(master.derive(salt=_SALT, purpose=_PURPOSE))

    @classmethod
    def drawn(cls) -> FormKey:
        """A key drawn at random: forms last only as long as this process (for an app that
        was given no master secret, such as one built in a test)."""
        return cls(prim.random_bytes(32))

    def token(self, value: str) -> str:
        """The form token bound to ``value`` (64 hex digits)."""
        return prim.hmac_sha256(self._key, b"form-v1\x00" + value.encode("utf-8")).hex()

    def check(self, *, value: str, token: str) -> None:
        """Raises :class:`IntegrityError` unless ``token`` is the form token of ``value``."""
        if not hmac.compare_digest(token.encode("ascii", "replace"), self.token(value).encode()):
            raise IntegrityError("the form token does not verify")
