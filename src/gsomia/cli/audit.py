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
from typing import Annotated, Any

import typer

from gsomia.cli._render import console, emit_json, err_console, table
from gsomia.crypto.signed_notes import parse_verifier_key
from gsomia.errors import ConfigError, GsomiaError, InputError
from gsomia.files import read_bounded, write_file
from gsomia.ledger.checkpoint import NoteVerifier
from gsomia.ledger.entries import LedgerEntry
from gsomia.services.plumbing.audit import AuditService, Check, check_proof

__all__ = ["NodeHome", "app", "node_home"]

app = typer.Typer(help="The tamper-evident ledger: verify, show, prove.", no_args_is_help=True)

HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="Node home directory (default $GSOMIA_HOME or ./.gsomia)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ByOpt = Annotated[
    str, typer.Option("--as", help="The person acting (a registered person id; default node).")
]
#: A proof of one item's entries is kilobytes; a trusted-keys file a few lines.
_MAX_PROOF_BYTES = 16 * 1024 * 1024
_MAX_TRUSTED_BYTES = 1024 * 1024


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
    raw = read_bounded(path, limit=_MAX_TRUSTED_BYTES, what="trusted keys", allow_empty=True)
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    keys: list[NoteVerifier] = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if text and not text.startswith("#"):
            try:
                keys.append(parse_verifier_key(text))
            except InputError as exc:
                raise InputError(f"{path}:{number}: {exc}") from None
    return keys


def _service(home: Path | None) -> AuditService:
    from gsomia.bootstrap import open_ledger_audit

    where = node_home(home)
    return open_ledger_audit(
        where.path, database=where.database, trusted=lambda: load_trusted(where.trusted_keys)
    )


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
def checkpoint(as_: ByOpt = "node", home: HomeOpt = None, json_: JsonOpt = False) -> None:
    """Sign a checkpoint of the ledger now and queue a cosigning request to each partner
    (needs the master secret; a person named with --as must be a security officer of the
    node); `node run` does this every 30 seconds."""
    from gsomia.cli._node import opened

    with opened(home) as node:
        size = node.witness.request(by=as_)
        pending = node.delivery.counts().get("pending", 0)
    if json_:
        emit_json({"size": size, "outbox_pending": pending})
    else:
        console.print(
            f"checkpoint signed over {size} entries; {pending} messages wait in the outbox "
            "for the partners (cosignatures come back once they are delivered)"
        )


@app.command("verify")
def verify(
    home: HomeOpt = None,
    incremental: Annotated[
        bool,
        typer.Option(
            "--incremental",
            help="Check the store only for what changed since the last clean check.",
        ),
    ] = False,
    ledger_only: Annotated[
        bool,
        typer.Option(
            "--ledger-only",
            help="Check the ledger alone (no master secret needed; the store is not checked).",
        ),
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Rehash every entry and check every checkpoint, signature and cosignature; then hold
    every row of the store to the ledger (needs the master secret), naming each row the
    ledger does not vouch for."""
    service = _service(home)
    checks: list[Check] = []

    def show(check: Check) -> None:
        checks.append(check)
        if not json_:
            mark = "[green]ok  [/green]" if check.ok else "[red]FAIL[/red]"
            console.print(f"{mark} {check.name}: {check.detail}")

    out: dict[str, Any] = {"origin": service.origin}
    tampered: GsomiaError | None = None
    try:
        report = service.verify_all(on_check=show)
        if not json_:
            console.print(
                f"ledger {report.origin}: {report.entries} entries, "
                f"{report.checkpoints} checkpoints, all checks passed"
            )
        if ledger_only or not (node_home(home).path / "node.toml").is_file():
            out["store"] = {"checked": False}
            if not json_:
                console.print("store: not checked (--ledger-only, or a home with a ledger alone)")
        else:
            out["store"], tampered = _reconcile(home, incremental=incremental, json_=json_)
    finally:
        if json_:
            out["ok"] = all(c.ok for c in checks) and out.get("store", {}).get("ok", True)
            out["checks"] = [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks]
            emit_json(out)
    if tampered is not None:
        raise tampered


def _reconcile(
    home: Path | None, *, incremental: bool, json_: bool
) -> tuple[dict[str, Any], GsomiaError | None]:
    """Hold the store to the ledger with a progress bar and print the rows it does not
    vouch for; the result, and a :class:`StateTampered` to raise when there are any."""
    from rich.progress import Progress

    from gsomia.cli._node import opened
    from gsomia.errors import StateTampered
    from gsomia.services.plumbing.reconcile import Reconciler

    with opened(home) as node, Progress(console=err_console, transient=True) as progress:
        task = progress.add_task("checking the store against the ledger", total=None)

        def step(what: str, done: int) -> None:
            progress.update(task, description=f"checking {what}", completed=done)

        reconciler = Reconciler(node.ctx, progress=step)
        result = reconciler.incremental() if incremental else reconciler.full()
    findings = [
        {"table": f.table, "row": f.row, "problem": f.problem, "detail": f.detail}
        for f in result.findings
    ]
    view = {
        "checked": True,
        "ok": result.ok,
        "incremental": result.incremental,
        "since_journal": result.since,
        "entries": result.entries,
        "journal_rows": result.journal,
        "rows": result.rows,
        "findings": findings,
    }
    if not json_:
        kind = "incremental" if result.incremental else "full"
        if result.ok:
            console.print(
                f"[green]ok  [/green] store ({kind}): {result.rows} rows and "
                f"{result.journal} journal rows accounted for by the ledger"
            )
        else:
            rows = [[f["table"], f["row"], f["problem"], f["detail"]] for f in findings]
            console.print(table("rows the ledger does not vouch for", _FINDING, rows))
    if not result.findings:
        return view, None
    first = result.findings[0]
    more = f" (and {len(result.findings) - 1} more)" if len(result.findings) > 1 else ""
    return view, StateTampered(table=first.table, key=first.row, finding=first.problem + more)


_FINDING = ["table", "row", "problem", "detail"]


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
    write_file(out, text.encode("utf-8"), mode=0o644, what="--out")
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
    document = read_bounded(file, limit=_MAX_PROOF_BYTES, what="the proof")
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
