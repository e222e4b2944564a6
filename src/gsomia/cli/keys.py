"""Key lifecycle commands: ``gsomia keys list|rotate|rewrap|retire|unregister|reseal`` and
``gsomia node rotate-secret``.

Each command changes the keyring file (written before the node uses it) and records the act
in the ledger. A running node keeps its keyring in memory, so these commands refuse while
the node of the home runs: stop it, run the command, start it again. After a rotation, send
the new public keys to the partners (``gsomia keys export``), who register them with
``gsomia keys import`` before anything is wrapped or signed towards them with the new keys.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from gsomia.cli._node import HomeOpt, JsonOpt, home_of, opened
from gsomia.cli._render import console, emit_json, table
from gsomia.errors import ConflictError, InputError

__all__ = ["mount", "rotate_secret"]

ByOpt = Annotated[
    str, typer.Option("--as", help="The person acting (a registered person id; default node).")
]
_KINDS = ("signing", "document", "log", "witness", "encryption", "at-rest", "state")


def mount(keys_app: typer.Typer, node_app: typer.Typer) -> None:
    """Put the lifecycle commands on the ``keys`` group and ``rotate-secret`` on ``node``."""
    keys_app.command("list")(keys_list)
    keys_app.command("rotate")(keys_rotate)
    keys_app.command("rewrap")(keys_rewrap)
    keys_app.command("retire")(keys_retire)
    keys_app.command("unregister")(keys_unregister)
    keys_app.command("reseal")(keys_reseal)
    node_app.command("rotate-secret")(rotate_secret)


def _stopped(home: Path | None) -> None:
    """Refuse while the home's node process runs: it would keep its old keyring."""
    pid_file = home_of(home) / "node.pid"
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return
    raise ConflictError(f"the node of {home_of(home)} is running (pid {pid}); stop it first")


def _key_id(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text.strip())
    except ValueError:
        raise InputError(f"--key-id: {text!r} is not hexadecimal") from None
    if len(raw) != 8:
        raise InputError("--key-id: a key id is 16 hexadecimal digits")
    return raw


def _show(view: dict[str, Any], json_: bool, sentence: str) -> None:
    if json_:
        emit_json(view)
    else:
        console.print(sentence)


def keys_list(home: HomeOpt = None, json_: JsonOpt = False) -> None:
    """This node's keys (kind, id, creation, whether newest) and its partners' by agreement."""
    with opened(home) as node:
        ring = node.ctx.keyring
        own = [
            {
                "kind": k.kind.value,
                "key_id": k.key_id.hex(),
                "created_at": k.created_at.isoformat(),
                "newest": ring.newest(k.kind) is k,
            }
            for k in ring.own
        ]
        partners = [
            {"agreement": a, "party": k.party, "kind": k.kind.value, "key_id": k.key_id.hex()}
            for a, k in ring.partners
        ]
    if json_:
        emit_json({"party": ring.party, "own": own, "partners": partners})
        return
    console.print(table("Own keys", list(own[0]), [list(r.values()) for r in own]))
    if partners:
        console.print(
            table("Partner keys", list(partners[0]), [list(r.values()) for r in partners])
        )


def keys_rotate(
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help=f"Rotate only this kind (repeatable): {', '.join(_KINDS)}."),
    ] = None,
    keep_old: Annotated[
        bool,
        typer.Option(
            "--keep-old-at-rest", help="With a new at-rest key, do not retire the older ones."
        ),
    ] = False,
    as_: ByOpt = "node",
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Add fresh keys (of every kind, or those named); a new at-rest key starts a new epoch:
    kept items are re-wrapped under it and the older at-rest keys retired."""
    from gsomia.crypto import KeyKind

    unknown = [k for k in kind or () if k not in _KINDS]
    if unknown:
        raise InputError(f"--kind: {unknown[0]!r} is not one of {', '.join(_KINDS)}")
    kinds = [KeyKind(k) for k in kind] if kind else None
    _stopped(home)
    with opened(home) as node:
        change = node.keys.rotate(by=as_, kinds=kinds, retire_old_at_rest=not keep_old)
    _show(
        {"event": change.event, "keys": list(change.keys)},
        json_,
        f"added keys {', '.join(change.keys)}; send `gsomia keys export` to your partners",
    )


def keys_rewrap(as_: ByOpt = "node", home: HomeOpt = None, json_: JsonOpt = False) -> None:
    """Re-wrap every kept item's key under the newest at-rest key."""
    _stopped(home)
    with opened(home) as node:
        change = node.keys.rewrap(by=as_)
    _show(
        {"event": change.event, "keys": list(change.keys), "count": change.count},
        json_,
        f"{change.count} item keys re-wrapped under {change.keys[0]}",
    )


def keys_retire(
    key_id: Annotated[str, typer.Argument(metavar="KEY_ID", help="The own key to retire.")],
    as_: ByOpt = "node",
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Remove an older own encryption or at-rest key for good (re-wrap first)."""
    raw = _key_id(key_id)
    _stopped(home)
    with opened(home) as node:
        change = node.keys.retire(key_id=raw, by=as_)
    _show({"event": change.event, "keys": list(change.keys)}, json_, f"key {key_id} retired")


def keys_unregister(
    party: Annotated[str, typer.Option("--party", help="The partner whose key to drop.")],
    agreement: Annotated[str, typer.Option("--agreement", help="The agreement it is under.")],
    key_id: Annotated[str, typer.Option("--key-id", help="The partner's key id (hex).")],
    as_: ByOpt = "node",
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Stop trusting a partner's key under one agreement (a compromised or replaced key):
    nothing it signs verifies here, nothing new is wrapped to it."""
    raw = _key_id(key_id)
    _stopped(home)
    with opened(home) as node:
        change = node.keys.unregister(
            party=party.strip().upper(), agreement_id=agreement, key_id=raw, by=as_
        )
    _show(
        {"event": change.event, "party": party.upper(), "agreement": agreement, "key": key_id},
        json_,
        f"key {key_id} of {party.upper()} no longer trusted under {agreement}",
    )


def keys_reseal(as_: ByOpt = "node", home: HomeOpt = None, json_: JsonOpt = False) -> None:
    """Seal again the items held under label-v1 (envelope-v2, a label-v2 re-marking)."""
    _stopped(home)
    with opened(home) as node:
        change = node.keys.reseal(by=as_)
    _show(
        {"event": change.event, "count": change.count}, json_, f"{change.count} items sealed again"
    )


def rotate_secret(
    new_secret_file: Annotated[
        Path,
        typer.Option(
            "--new-secret-file",
            help="A file (mode 0600) with the new secret from `gsomia node secret`.",
        ),
    ],
    as_: ByOpt = "node",
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Seal the keyring and the node's private keys under a new master secret; then point
    GSOMIA_MASTER_SECRET_FILE (or master_secret_file) at the new file."""
    from gsomia.bootstrap import master_secret, open_node, rotate_master_secret
    from gsomia.config import load_settings
    from gsomia.crypto import MasterSecret

    path = home_of(home)
    _stopped(home)
    old = master_secret(load_settings(path))
    new = MasterSecret.load(environ={"GSOMIA_MASTER_SECRET_FILE": str(new_secret_file)})
    rotate_master_secret(path, old=old, new=new)
    node = open_node(path, master=new)
    try:
        node.keys.record_secret_rotation(by=as_)
    finally:
        node.close()
    _show(
        {"home": str(path), "secret_file": str(new_secret_file)},
        json_,
        f"keyring and node keys sealed under the new secret; use {new_secret_file} from now on",
    )
