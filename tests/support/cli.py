"""Node homes on disk for the CLI tests: made with the CLI itself, in-process or as real
``python -m gsomia`` processes, and the rows a command may have written."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import typer
import typer.testing
from sqlalchemy import create_engine, text
from typer.testing import CliRunner, Result

from gsomia.adapters.storage.sql.ledger import SqlLedgerStore
from gsomia.cli.main import app
from tests.support.workflows import SECRET

TABLES = ("items", "labels", "item_keys", "records", "outbox", "inbox", "persons", "facilities")
_runner = CliRunner()


@functools.cache
def _command() -> Any:
    """The main command as a Click command, built once: Typer builds it on every invoke,
    which costs half a second with this many commands."""
    return typer.main.get_command(app)


def env(secret: str | None = SECRET) -> dict[str, str]:
    """The process environment without GSOMIA_* settings, plus the master secret."""
    out = {k: v for k, v in os.environ.items() if not k.startswith("GSOMIA_")}
    if secret is not None:
        out["GSOMIA_MASTER_SECRET"] = secret
    return out


def run(cwd: Path, *args: str, secret: str | None = SECRET) -> subprocess.CompletedProcess[str]:
    """``python -m gsomia ARGS`` in ``cwd`` as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "gsomia", *args],
        cwd=cwd,
        env=env(secret),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def invoke(home: Path, *args: str) -> Result:
    """The main command in-process with ``--home home`` appended (CliRunner)."""
    with mock.patch.object(typer.testing, "_get_command", lambda _: _command()):
        return _runner.invoke(app, [*args, "--home", str(home)], env=env())


def ok(home: Path, *args: str) -> Any:
    """Run a command in-process with ``--json``; its parsed output."""
    result = invoke(home, *args, "--json")
    assert result.exit_code == 0, (args, result.output, result.exception)
    return json.loads(result.stdout)


def code(result: Result) -> int:
    """The exit code the main command gives ``result``'s error (its one error mapping)."""
    exc = result.exception
    return int(getattr(exc, "exit_code", result.exit_code)) if exc else result.exit_code


def rows(home: Path) -> dict[str, int]:
    """Rows of every table a command may write in ``home``'s store, and the ledger size."""
    engine = create_engine(f"sqlite:///{home / 'node.db'}")
    with engine.connect() as conn:
        out = {t: int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()) for t in TABLES}
    (origin,) = SqlLedgerStore.origins(engine)
    out["ledger"] = SqlLedgerStore(engine, origin=origin).size()
    engine.dispose()
    return out


def make_homes(root: Path) -> dict[str, Path]:
    """JPN and KOR homes under ``root``, trusting each other under the Japan–ROK GSOMIA,
    each with a headquarters, an officer and an official."""
    homes = {p: root / p.lower() for p in ("JPN", "KOR")}
    levels = {"JPN": "極秘", "KOR": "군사II급비밀"}
    for party, home in homes.items():
        p = party.lower()
        ok(
            home,
            "node",
            "init",
            "--party",
            party,
            "--officer",
            f"{p}-registrar",
            "--clearance",
            levels[party],
            "--need",
            "nk-missile",
            "--facility",
            f"{p}-hq",
            "--facility-name",
            "Headquarters",
        )
        for person, role in ((f"{p}-officer", "security-officer"), (f"{p}-official", "official")):
            ok(
                home,
                "person",
                "add",
                person,
                "--name",
                person,
                "--role",
                role,
                "--clearance",
                levels[party],
                "--need",
                "nk-missile",
                "--facility",
                f"{p}-hq",
                "--as",
                f"{p}-registrar",
            )
        for authority in (
            "custody",
            "consent",
            "reclassification",
            "notes",
            "incidents",
            "forwarding",
            "liaison",
            "registry",
        ):
            ok(home, "person", "grant", f"{p}-officer", authority, "--as", f"{p}-registrar")
        ok(home, "keys", "export", "--out", str(root / f"{p}.keys"))
    for party, home in homes.items():
        other = "kor" if party == "JPN" else "jpn"
        ok(home, "keys", "import", str(root / f"{other}.keys"), "--agreement", "jpn-kor-gsomia")
    return homes


def deliver(homes: dict[str, Path]) -> None:
    """Deliver what the homes' outboxes hold, through the in-process network (the runtime's
    job in production)."""
    from gsomia.bootstrap import connect_in_process, open_node
    from gsomia.crypto import MasterSecret

    master = MasterSecret.from_text(SECRET)
    nodes = [open_node(home, master=master) for home in homes.values()]
    try:
        connect_in_process(nodes)
        for _ in range(4):
            if sum(n.delivery.drain().delivered for n in nodes) == 0:
                break
    finally:
        for node in nodes:
            node.ctx.store.close()
