"""Node settings: a TOML file in the node's home, overridden by ``GSOMIA_*`` environment
variables (pydantic-settings).

Security settings are validated with explicit raises: a node refuses to start without a
master secret, or with an empty, short or well-known one (:class:`~gsomia.errors.ConfigError`).
The secret itself is read from ``GSOMIA_MASTER_SECRET`` or from the file named by
``master_secret_file`` / ``GSOMIA_MASTER_SECRET_FILE`` (see ``gsomia.crypto.MasterSecret``),
never from the TOML file itself.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from gsomia.errors import ConfigError, InputError
from gsomia.files import read_bounded

__all__ = ["Limits", "NodeSettings", "PeerSettings", "load_settings", "node_home"]

_PARTY = r"^[A-Z]{3}$"
_MAX_SETTINGS_BYTES = 1024 * 1024


class Limits(BaseModel):
    """Request limits of a node's API (clear 4xx answers past them)."""

    max_request_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    max_item_bytes: int = Field(default=4 * 1024 * 1024, ge=16)
    requests_per_minute_per_person: int = Field(default=600, ge=1)
    #: Refused tokens (API bearer tokens, console logins and cookies) one client address
    #: may present per minute; past it, 429 without looking at the token.
    failed_logins_per_minute_per_address: int = Field(default=30, ge=1)
    #: How long a full ledger verification (``/v1/audit/verify``, the console's audit
    #: page) is reused before the next request runs it again.
    audit_verify_seconds: float = Field(default=30.0, ge=0.0)
    #: How long an ``Idempotency-Key`` and its answer are kept.
    idempotency_hours: int = Field(default=24, ge=1, le=24 * 30)


class PeerSettings(BaseModel):
    """Where a partner node listens. The authority that vouches for it is pinned with
    ``gsomia pki trust``, not named here; an unknown key is refused."""

    model_config = ConfigDict(extra="forbid")

    party: str = Field(pattern=_PARTY)
    url: str


class NodeSettings(BaseSettings):
    """Everything a node needs to start."""

    model_config = SettingsConfigDict(env_prefix="GSOMIA_", extra="forbid")

    party: str = Field(pattern=_PARTY)
    home: Path
    store_url: str = ""
    agreements_path: Annotated[list[Path], NoDecode] = []
    master_secret_file: Path | None = None
    host: str = "127.0.0.1"
    #: Where the peer endpoint (mutual TLS) listens; ``host`` when not set.
    peer_host: str | None = None
    #: Where the user API listens: loopback unless set; beyond loopback it speaks TLS.
    user_host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)
    peer_port: int = Field(default=0, ge=0, le=65535)
    peers: list[PeerSettings] = []
    limits: Limits = Limits()
    import_agreement_events: bool = True
    default_facility: str | None = None
    #: Join the transfers queued for one partner and agreement into batched transfers
    #: (off: each provision travels as a transfer of its own, as before).
    delivery_batching: bool = True
    bus_url: str = ""
    #: A TAK server (tcp://HOST:PORT) to stream the warnings this node holds to, and the
    #: highest level of this party's scheme its network is accredited for.
    cot_url: str = ""
    cot_level: str = ""
    #: A CA file for the NATS server's certificate (TLS), and a NATS credentials file;
    #: both are required for a bus beyond loopback.
    bus_ca_file: Path | None = None
    bus_credentials_file: Path | None = None
    #: How long the bus keeps what the node publishes on it (seconds).
    bus_retention_seconds: int = Field(default=900, ge=1, le=7 * 86_400)

    @field_validator("agreements_path", mode="before")
    @classmethod
    def _path_list(cls, value: Any) -> Any:
        """``GSOMIA_AGREEMENTS_PATH`` is a list of folders separated by ``os.pathsep``
        (``:`` on POSIX), as everywhere else; ``node.toml`` gives a TOML array."""
        if isinstance(value, str):
            return [p for p in value.split(os.pathsep) if p]
        return value

    def database_url(self) -> str:
        """The store URL; the embedded default is SQLite in the node's home."""
        return self.store_url or f"sqlite:///{self.home / 'node.db'}"


def node_home(explicit: str | Path | None = None) -> Path:
    """The node home: ``explicit``, else ``GSOMIA_HOME``, else ``./.gsomia``."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("GSOMIA_HOME", ".gsomia"))


def load_settings(home: Path, **overrides: Any) -> NodeSettings:
    """Read ``home/node.toml`` and the environment; raises :class:`ConfigError` naming the
    setting that is wrong."""
    path = home / "node.toml"
    data: dict[str, Any] = {}
    if path.exists():
        try:
            raw = read_bounded(path, limit=_MAX_SETTINGS_BYTES, allow_empty=True)
            data = tomllib.loads(raw.decode("utf-8"))
        except (InputError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
    # The environment overrides the file: pydantic-settings ranks given values above it.
    for name in NodeSettings.model_fields:
        if f"GSOMIA_{name.upper()}" in os.environ:
            data.pop(name, None)
    data.update({k: v for k, v in overrides.items() if v is not None})
    data.setdefault("home", home)
    try:
        return NodeSettings(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: setting {where}: {first['msg']}") from None
