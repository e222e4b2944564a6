"""The node master secret: the one secret that unlocks the keyring file.

It is given by the operator, either in ``GSOMIA_MASTER_SECRET`` or in a file named by
``GSOMIA_MASTER_SECRET_FILE``, and must be high-entropy (:meth:`MasterSecret.generate`
makes one). Because it is high-entropy, keys are derived from it
with HKDF-SHA-256 (RFC 5869) rather than a password hash. The node refuses to start with an
empty, short, low-variety or well-known secret: :class:`~gsomia.errors.ConfigError`.
"""

from __future__ import annotations

import base64
import logging
import math
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
_MIN_LENGTH = 32
_MIN_BITS = 128
_WELL_KNOWN = (
    "changeme",
    "change_me",
    "password",
    "passw0rd",
    "secret",
    "default",
    "example",
    "letmein",
    "admin",
    "gsomia",
    "qwerty",
    "123456",
    "abcdef",
    "xxxxxx",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class MasterSecret:
    """A validated master secret. Its value is never printed."""

    value: bytes = field(repr=False)

    @classmethod
    def from_text(cls, text: str) -> MasterSecret:
        """Validate ``text`` (surrounding whitespace ignored) as a master secret.

        Raises :class:`ConfigError` if it is empty, shorter than 32 characters, holds a
        well-known default such as ``changeme``, or has under 128 bits of estimated entropy
        (length times log2 of the number of distinct characters).
        """
        secret = text.strip()
        if not secret:
            raise ConfigError("the master secret is empty")
        if len(secret) < _MIN_LENGTH:
            raise ConfigError(f"the master secret is shorter than {_MIN_LENGTH} characters")
        folded = re.sub(r"[^a-z0-9_]", "", secret.lower())
        for word in _WELL_KNOWN:
            if word in folded:
                raise ConfigError(f"the master secret contains the well-known default {word!r}")
        if len(secret) * math.log2(len(set(secret))) < _MIN_BITS:
            raise ConfigError("the master secret has too little variety to be a random secret")
        return cls(value=secret.encode("utf-8"))

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
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the master secret file {path}: {exc}") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        _logger.warning("master secret file %s is readable by group or others", path)
    return text
