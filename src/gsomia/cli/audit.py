"""``gsomia audit checkpoint|verify|show|prove|check-proof|alarms``: the node's
tamper-evident ledger.

Every command takes ``--home DIR`` (default ``$GSOMIA_HOME``, else ``./.gsomia``), the node
home that holds the SQLite database ``node.db`` and ``trusted-keys``, a text file of note
verifier keys (``<name>+<hash>+<base64>``, one a line, ``#`` comments): the node's own log
key, its partners' log keys and their witnesses' keys. :func:`node_home` is the one place
that knows this layout. Commands raise; the main CLI turns errors into exit codes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # the database layer loads only when a command runs (fast --help)
    from sqlalchemy import Engine
from gsomia.cli._render import console, emit_json, table
from gsomia.crypto.notes import parse_verifier_key
from gsomia.errors import ConfigError, InputError, UnknownName
from gsomia.ledger.checkpoint import NoteVerifier
from gsomia.ledger.entries import LedgerEntry
from gsomia.services.audit import AuditService, Check, check_proof

__all__ = ["NodeHome", "app", "node_home"]

app = typer.Typer(help="The tamper-evident ledger: verify, show, prove.", no_args_is_help=True)

HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="Node home directory (default $GSOMIA_HOME or ./.gsomia)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeHome:
    """Where a node keeps its ledger database and the verifier keys it trusts."""

    path: Path
    database: Path
    trusted_keys: Path


def node_home(home: Path | None = None) -> NodeHome:
    """The node home: ``home``, else ``$GSOMIA_HOME``, else ``./.gsomia``."""
    path = home or Path(os.environ.get("GSOMIA_HOME") or ".gsomia")
    return NodeHome(path=path, database=path / "node.db", trusted_keys=path / "trusted-keys")


def load_trusted(path: Path) -> list[NoteVerifier]:
    """The verifier keys listed in ``path``; raises :class:`ConfigError` when it is missing."""
    if not path.is_file():
        raise ConfigError(f"no trusted keys file at {path}")
    keys: list[NoteVerifier] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.strip()
        if text and not text.startswith("#"):
            try:
                keys.append(parse_verifier_key(text))
            except InputError as exc:
                raise InputError(f"{path}:{number}: {exc}") from None
    return keys


def _engine(where: NodeHome) -> Engine:
    """The node's database: as its settings name it, else the SQLite ``node.db``."""
    from gsomia.adapters.storage.sql.store import make_engine
    from gsomia.adapters.storage.sql_ledger import sqlite_engine
    from gsomia.config import load_settings

    if (where.path / "node.toml").is_file():
        return make_engine(load_settings(where.path).database_url())
    if not where.database.is_file():
        raise UnknownName(kind="node database", name=str(where.database))
    return sqlite_engine(where.database)


def _service(home: Path | None) -> AuditService:
    from gsomia.adapters.storage.sql_ledger import SqlLedgerStore

    where = node_home(home)
    engine = _engine(where)
    origins = SqlLedgerStore.origins(engine)
    if len(origins) != 1:
        raise ConfigError(f"{where.database} holds {len(origins)} ledgers; expected exactly one")
    store = SqlLedgerStore(engine, origin=origins[0])
    return AuditService(store=store, trusted=load_trusted(where.trusted_keys))


def _entry_row(index: int, entry: LedgerEntry) -> list[Any]:
    return [
        index,
        entry.at.strftime("%Y-%m-%d %H:%M:%SZ"),
        entry.event.value,
        entry.agreement_id,
        entry.item_id,
        f"{entry.actor.party}/{entry.actor.person}",
        ", ".join(entry.rule_ids),
    ]


def _entry_view(index: int, entry: LedgerEntry) -> dict[str, Any]:
    return {"index": index, **entry.to_dict()}


@app.command("checkpoint")
def checkpoint(home: HomeOpt = None, json_: JsonOpt = False) -> None:
    """Sign a checkpoint of the ledger now and queue a cosigning request to each partner
    (needs the master secret); `node run` does this every 30 seconds."""
    from gsomia.cli._node import opened

    with opened(home) as node:
        size = node.witness.request()
        with node.ctx.store.read() as uow:
            pending = uow.outbox_counts().get("pending", 0)
    if json_:
        emit_json({"size": size, "outbox_pending": pending})
    else:
        console.print(
            f"checkpoint signed over {size} entries; {pending} messages wait in the outbox "
            "for the partners (cosignatures come back once they are delivered)"
        )


@app.command("verify")
def verify(home: HomeOpt = None, json_: JsonOpt = False) -> None:
    """Rehash every entry and check every checkpoint, signature and cosignature."""
    service = _service(home)
    checks: list[Check] = []

    def show(check: Check) -> None:
        checks.append(check)
        if not json_:
            mark = "[green]ok  [/green]" if check.ok else "[red]FAIL[/red]"
            console.print(f"{mark} {check.name}: {check.detail}")

    try:
        report = service.verify_all(on_check=show)
    finally:
        if json_:
            emit_json(
                {
                    "origin": service.origin,
                    "ok": all(c.ok for c in checks),
                    "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks],
                }
            )
    if not json_:
        console.print(
            f"ledger {report.origin}: {report.entries} entries, "
            f"{report.checkpoints} checkpoints, all checks passed"
        )


@app.command("show")
def show(
    home: HomeOpt = None,
    item: Annotated[
        str | None, typer.Option("--item", help="Only entries about this item.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Show the last N entries.")] = 50,
    json_: JsonOpt = False,
) -> None:
    """List ledger entries: the latest ones, or every entry about one item."""
    found = _service(home).show(item_id=item, limit=None if item else limit)
    if json_:
        emit_json([_entry_view(i, e) for i, e in found])
        return
    columns = ["#", "time", "event", "agreement", "item", "actor", "rules"]
    console.print(table("ledger", columns, [_entry_row(i, e) for i, e in found]))


@app.command("prove")
def prove(
    item: Annotated[str, typer.Argument(help="Item id (32 hex digits).")],
    home: HomeOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the proof here.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Write an inclusion proof of the item's entries that a partner checks offline."""
    document = _service(home).prove(item)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        console.file.write(text)
        return
    out.write_text(text, encoding="utf-8")
    summary = {
        "item": item,
        "entries": len(document["entries"]),
        "tree_size": document["tree_size"],
    }
    if json_:
        emit_json({**summary, "file": str(out)})
    else:
        console.print(
            f"wrote {out}: {summary['entries']} entries at tree size {summary['tree_size']}"
        )


@app.command("check-proof")
def check_proof_file(
    file: Annotated[Path, typer.Argument(help="A proof written by `gsomia audit prove`.")],
    home: HomeOpt = None,
    quorum: Annotated[int, typer.Option(help="Trusted witness cosignatures required.")] = 0,
    json_: JsonOpt = False,
) -> None:
    """Verify a partner's inclusion proof offline against the trusted keys."""
    try:
        document = file.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror}") from None
    trusted = load_trusted(node_home(home).trusted_keys)
    checked = check_proof(document, trusted=trusted, quorum=quorum)
    if json_:
        emit_json(
            {
                "ok": True,
                "origin": checked.origin,
                "item": checked.item_id,
                "tree_size": checked.tree_size,
                "log_key": checked.log_key,
                "cosigners": [name for name, _ in checked.cosigners],
                "entries": [_entry_view(i, e) for i, e in checked.entries],
            }
        )
        return
    cosigners = ", ".join(name for name, _ in checked.cosigners) or "none"
    console.print(
        f"[green]verified[/green]: {len(checked.entries)} entries about {checked.item_id} are in "
        f"{checked.origin} at size {checked.tree_size}; signed by {checked.log_key}, "
        f"cosigned by {cosigners}"
    )
    columns = ["#", "time", "event", "agreement", "item", "actor", "rules"]
    console.print(table("proven entries", columns, [_entry_row(i, e) for i, e in checked.entries]))


@app.command("alarms")
def alarms(home: HomeOpt = None, json_: JsonOpt = False) -> None:
    """List witness alarms: partners' logs seen to fork or roll back."""
    found = _service(home).alarms()
    if json_:
        emit_json(
            [
                {
                    "raised_at": a.raised_at.isoformat(),
                    "origin": a.origin,
                    "finding": a.finding,
                    "message": a.message,
                    "evidence": json.loads(a.evidence),
                }
                for a in found
            ]
        )
        return
    rows = [[a.raised_at.isoformat(), a.origin, a.finding, a.message] for a in found]
    console.print(table("witness alarms", ["raised", "origin", "finding", "message"], rows))
    if not found:
        console.print("no alarms")
