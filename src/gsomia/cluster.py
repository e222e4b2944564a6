"""Three governments on one machine: JPN, KOR and USA nodes as separate processes on
loopback (composition root behind ``gsomia up`` and ``gsomia down``).

``up`` creates the cluster directory on first use: a node home per party with its own
master secret file, keyring, PKI (each party's own authority), store and settings; the
parties pin each other's authorities and register each other's public keys under the
agreements they share; a demo security officer of each party gets an access token. It then
starts one ``gsomia node run`` process per party and waits until each answers.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx

from gsomia.bootstrap import (
    Member,
    demonstration_registry,
    exchange_keys,
    init_home,
    open_node,
    save_keyring,
)
from gsomia.config import load_settings
from gsomia.core.people import NODE_ACTOR, Authority
from gsomia.crypto import MasterSecret
from gsomia.crypto.pki import NodePki
from gsomia.errors import ConfigError, ConflictError
from gsomia.files import PRIVATE_FILE
from gsomia.services.node import Node
from gsomia.services.plumbing.auth import AuthService

__all__ = [
    "PARTIES",
    "ClusterNode",
    "down",
    "node_urls",
    "prepare",
    "start_node",
    "stop_node",
    "up",
]

_logger = logging.getLogger(__name__)

PARTIES = ("JPN", "KOR", "USA")
_OFFICER = {"JPN": "極秘", "KOR": "군사II급비밀", "USA": "SECRET"}
_NEEDS = frozenset({"nk-missile", "nk-nuclear"})
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterNode:
    """What ``up`` reports for one party."""

    party: str
    home: Path
    api_url: str
    peer_url: str
    officer: str
    token: str
    pid: int | None = None
    #: The authorities the demonstration granted the officer (every one a cluster needs).
    authorities: tuple[str, ...] = tuple(a.value for a in Authority)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _party_store(store: str, party: str) -> str:
    """A PostgreSQL URL with a schema of the party's own, created if missing."""
    if not store:
        return ""
    from sqlalchemy import text

    from gsomia.adapters.storage.sql.store import make_engine

    schema = f"gsomia_{party.lower()}"
    engine = make_engine(store)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    engine.dispose()
    joiner = "&" if "?" in store else "?"
    return f"{store}{joiner}options={quote(f'-csearch_path={schema}')}"


def prepare(root: Path, *, store: str = "", now: datetime | None = None) -> dict[str, MasterSecret]:
    """Create the cluster in ``root`` if it is not there yet; the parties' master secrets."""
    at = now or datetime.now(UTC)
    secrets_dir = root / "secrets"
    if (root / "cluster.json").exists():
        return {p: MasterSecret.from_text((secrets_dir / p).read_text()) for p in PARTIES}
    secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    masters: dict[str, MasterSecret] = {}
    ports = {p: (_free_port(), _free_port()) for p in PARTIES}
    for party in PARTIES:
        text = MasterSecret.generate()
        path = secrets_dir / party
        path.write_text(text)
        path.chmod(0o600)
        masters[party] = MasterSecret.from_text(text)
        home = root / party.lower()
        init_home(
            home, party=party, now=at, master=masters[party], store_url=_party_store(store, party)
        )
        NodePki.init(home, party=party, master=masters[party], now=at)
        _write_settings(home, party, ports, path)
    _pin_authorities(root, masters)
    nodes = [open_node(root / p.lower(), master=masters[p]) for p in PARTIES]
    exchange_keys(nodes, homes=[root / p.lower() for p in PARTIES], master=None)
    for node, party in zip(nodes, PARTIES, strict=True):
        save_keyring(root / party.lower(), node.ctx.keyring, masters[party])
        _register_officer(node)
        node.ctx.store.close()
    (root / "cluster.json").write_text(json.dumps({"parties": list(PARTIES)}))
    return masters


def _write_settings(
    home: Path, party: str, ports: dict[str, tuple[int, int]], secret: Path
) -> None:
    lines = (home / "node.toml").read_text(encoding="utf-8").splitlines()
    lines += [
        f"port = {ports[party][0]}",
        f"peer_port = {ports[party][1]}",
        f'master_secret_file = "{secret}"',
        f'default_facility = "{party.lower()}-hq"',
    ]
    for other in PARTIES:
        if other != party:
            lines += [
                "",
                "[[peers]]",
                f'party = "{other}"',
                f'url = "https://127.0.0.1:{ports[other][1]}"',
            ]
    (home / "node.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _pin_authorities(root: Path, masters: dict[str, MasterSecret]) -> None:
    bundles = {}
    for party in PARTIES:
        pki = NodePki.open(root / party.lower())
        bundles[party] = pki.export_ca(master=masters[party])
    for party in PARTIES:
        pki = NodePki.open(root / party.lower())
        for other in PARTIES:
            if other != party:
                pki.trust(party=other, bundle=bundles[other])


def _register_officer(node: Node) -> dict[str, list[str]]:
    """The cluster's registry: a registrar founds it and grants the duty security officer
    every authority a demonstration needs (the output of ``gsomia up`` says so)."""
    party = node.party
    p = party.lower()
    return demonstration_registry(
        node,
        facility=f"{p}-hq",
        facility_name=f"{party} headquarters",
        registrar=Member(
            person_id=f"{p}-registrar",
            name=f"{party} registrar",
            role="security-officer",
            clearance=_OFFICER[party],
            need_to_know=_NEEDS,
        ),
        members=[
            Member(
                person_id=f"{p}-officer",
                name=f"{party} security officer",
                role="security-officer",
                clearance=_OFFICER[party],
                need_to_know=_NEEDS,
                authorities=tuple(Authority),
            )
        ],
    )


def node_urls(root: Path) -> dict[str, tuple[str, str]]:
    """Each party's user API and peer URLs, from its settings."""
    out = {}
    for party in PARTIES:
        s = load_settings(root / party.lower())
        out[party] = (f"http://127.0.0.1:{s.port}", f"https://127.0.0.1:{s.peer_port}")
    return out


def up(
    root: Path, *, store: str = "", timeout: float = 60.0, workers: int = 1
) -> list[ClusterNode]:
    """Start the three nodes (preparing the cluster first if needed), each with
    ``workers`` processes; raises ConflictError if they are already running and
    ConfigError if one does not start."""
    masters = prepare(root, store=store)
    urls = node_urls(root)
    pids = {party: start_node(root, party, workers=workers) for party in PARTIES}
    out = []
    for party in PARTIES:
        api, peer = urls[party]
        _wait_healthy(api, party, timeout)
        node = open_node(root / party.lower(), master=masters[party])
        # The operator, who holds the master secret, issues the duty officer's token as the
        # node itself: the registrar does not hold every authority the officer holds (JK-6.e).
        token = (
            AuthService(node.ctx).issue(person_id=f"{party.lower()}-officer", by=NODE_ACTOR).token
        )
        node.ctx.store.close()
        out.append(
            ClusterNode(
                party=party,
                home=root / party.lower(),
                api_url=api,
                peer_url=peer,
                officer=f"{party.lower()}-officer",
                token=token,
                pid=pids[party],
            )
        )
    return out


def start_node(root: Path, party: str, *, wait: float = 0.0, workers: int = 1) -> int:
    """Start one party's node process (the supervisor of ``workers`` processes, if more
    than one); its pid. With ``wait``, block until it answers."""
    home = root / party.lower()
    pid_file = home / "node.pid"
    if pid_file.exists() and _alive(int(pid_file.read_text())):
        running = pid_file.read_text().strip()
        raise ConflictError(f"the {party} node is already running (pid {running}); stop it first")
    env = {**os.environ, "GSOMIA_MASTER_SECRET_FILE": str(root / "secrets" / party)}
    env.pop("GSOMIA_MASTER_SECRET", None)
    log_fd = os.open(home / "node.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
    with os.fdopen(log_fd, "ab") as log:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                *("-m", "gsomia", "node", "run", "--home", str(home)),
                *("--workers", str(workers)),
            ],
            stdout=log,
            stderr=log,
            env=env,
            start_new_session=True,
        )
    pid_file.write_text(str(proc.pid))
    # The node outlives this call (``down`` stops it by its pid file); keeping the handle
    # spares a "still running" warning when it would otherwise be collected.
    _CHILDREN[proc.pid] = proc
    if wait:
        _wait_healthy(node_urls(root)[party][0], party, wait)
    return proc.pid


def _wait_healthy(api: str, party: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api}/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise ConfigError(f"the {party} node did not start within {timeout:g} s; see its node.log")


def _alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:  # started here: poll() also reaps it
        if child.poll() is None:
            return True
        del _CHILDREN[pid]
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def stop_node(root: Path, party: str, *, timeout: float = 20.0) -> bool:
    """Stop one party's node (SIGTERM, then SIGKILL after ``timeout``); whether it ran."""
    pid_file = root / party.lower() / "node.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    ran = _alive(pid)
    if ran:
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return ran


def down(root: Path, *, timeout: float = 20.0) -> list[str]:
    """Stop the running nodes; the parties that were running."""
    return [party for party in PARTIES if stop_node(root, party, timeout=timeout)]
