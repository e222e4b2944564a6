"""What the interop tests share: the outside tools' interpreters and a node on a socket.

The clients nobody on this project wrote (OASIS ``taxii2-client`` and ``stix2-validator``,
``taky``, ``pytak``, Go's ``sumdb`` packages) are installed by ``make interop-tools`` into
venvs of their own (``.venv-taxii``, ``.venv-taky``, ``.venv-pytak``) and Debian's Go. A test
whose tool is missing is skipped with the reason, or fails under GSOMIA_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from gsomia.api.app import create_app
from gsomia.api.serve import ServerHandle, start_server
from gsomia.config import Limits
from gsomia.core.people import NODE_ACTOR
from gsomia.services.node import Node
from gsomia.services.plumbing.auth import AuthService

REPO = Path(__file__).resolve().parents[2]
REQUIRE_SERVICES = os.environ.get("GSOMIA_REQUIRE_SERVICES") == "1"


def tool(path: str, what: str) -> Path:
    """An outside tool under the repository (or on PATH for a bare name); skip or fail."""
    found = REPO / path if "/" in path else (Path(p) if (p := shutil.which(path)) else None)
    if found is not None and found.exists():
        return found
    message = f"{what} is not installed: run `make interop-tools`"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (GSOMIA_REQUIRE_SERVICES=1)")
    pytest.skip(message)


@dataclass
class Served:
    """A node's user API on a loopback socket, and a person's token for it."""

    node: Node
    server: ServerHandle
    token: str

    @property
    def url(self) -> str:
        return self.server.url


def serve(node: Node, person: str) -> Served:
    """Start ``node``'s user API on 127.0.0.1 and issue a token to ``person`` (by the node
    itself, its operator)."""
    token = AuthService(node.ctx).issue(person_id=person, by=NODE_ACTOR).token
    app = create_app(node, limits=Limits(requests_per_minute_per_person=100_000))
    return Served(node=node, server=start_server(app, ssl_context=None), token=token)
