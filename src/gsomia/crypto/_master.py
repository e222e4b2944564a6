"""The node master secret: the one secret that unlocks the keyring file.

It is given by the operator, either in ``GSOMIA_MASTER_SECRET`` or in a file named by
``GSOMIA_MASTER_SECRET_FILE``, and must be a secret that :meth:`MasterSecret.generate` made:
32 random bytes (256 bits) in unpadded URL-safe base64, 43 characters. Because every accepted
secret is a full-entropy key, keys are derived from it with HKDF-SHA-256 (RFC 5869) rather
than a password hash; a passphrase, however long or varied, is refused, since nothing could
tell a memorable one from a random one and HKDF gives no work factor against guessing. A
secret file that group or others may read is refused too. Every refusal is a
:class:`~gsomia.errors.ConfigError` that stops the node.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gsomia.crypto import _primitives as prim
from gsomia.errors import ConfigError

__all__ = ["ENV_FILE", "ENV_VALUE", "MasterSecret"]

_logger = logging.getLogger(__name__)

ENV_VALUE = "GSOMIA_MASTER_SECRET"
ENV_FILE = "GSOMIA_MASTER_SECRET_FILE"
_GENERATED = re.compile(r"^[A-Za-z0-9_-]{43}$")
_SECRET_BYTES = 32
#: A generated secret shows about 31 distinct characters; fewer than this many means it
#: was typed, not drawn (the chance that :meth:`MasterSecret.generate` makes one is nil).
_MIN_DISTINCT = 16


@dataclass(frozen=True, slots=True, kw_only=True)
class MasterSecret:
    """A validated master secret. Its value is never printed."""

    value: bytes = field(repr=False)

    @classmethod
    def from_text(cls, text: str) -> MasterSecret:
        """Validate ``text`` (surrounding whitespace ignored) as a master secret.

        Raises :class:`ConfigError` unless it is what :meth:`generate` makes: 43 URL-safe
        base64 characters that decode, canonically, to 32 bytes.
        """
        secret = text.strip()
        if not secret:
            raise ConfigError("the master secret is empty")
        if not _GENERATED.fullmatch(secret):
            raise ConfigError(
                "the master secret must be one made by `gsomia node secret`: 43 URL-safe "
                f"base64 characters for 256 random bits (got {len(secret)} characters)"
            )
        try:
            raw = base64.urlsafe_b64decode(secret + "=")
        except (binascii.Error, ValueError):
            raise ConfigError("the master secret is not URL-safe base64") from None
        canonical = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
        if len(raw) != _SECRET_BYTES or canonical != secret:
            raise ConfigError("the master secret does not encode exactly 32 bytes")
        if len(set(secret)) < _MIN_DISTINCT:
            raise ConfigError("the master secret is too regular to have been generated")
        return cls(value=secret.encode("ascii"))

    @classmethod
    def load(cls, *, environ: Mapping[str, str] | None = None) -> MasterSecret:
        """Read the master secret from ``GSOMIA_MASTER_SECRET`` or the file that
        ``GSOMIA_MASTER_SECRET_FILE`` names (``environ`` defaults to the process environment).

        Raises :class:`ConfigError` if neither or both are set, the file cannot be read, or
        the secret is unsafe (see :meth:`from_text`).
        """
        env = os.environ if environ is None else environ
        value, path = env.get(ENV_VALUE), env.get(ENV_FILE)
        if value is not None and path is not None:
            raise ConfigError(f"set only one of {ENV_VALUE} and {ENV_FILE}")
        if path is not None:
            return cls.from_text(_read_secret_file(Path(path)))
        if value is None:
            raise ConfigError(f"no master secret: set {ENV_VALUE} or {ENV_FILE}")
        return cls.from_text(value)

    @staticmethod
    def generate() -> str:
        """A fresh master secret: 32 random bytes in unpadded URL-safe base64."""
        return base64.urlsafe_b64encode(prim.random_bytes(32)).rstrip(b"=").decode("ascii")

    def derive(self, *, salt: bytes, purpose: bytes) -> bytes:
        """A 32-byte key for ``purpose`` (HKDF-SHA-256 with ``salt``)."""
        return prim.hkdf(secret=self.value, salt=salt, info=b"gsomia/master-v1 " + purpose)


def _read_secret_file(path: Path) -> str:
    """The text of a secret file that only its owner may read; raises :class:`ConfigError`."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise ConfigError(f"cannot read the master secret file {path}: {exc}") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"the master secret file {path} may be read by group or others "
            f"(mode {stat.S_IMODE(mode):o}); make it readable by its owner only: chmod 600"
        )
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the master secret file {path}: {exc}") from exc
