"""A node in a home directory: set-up, people and places, keys, provide, inbox, open, outbox.

``gsomia node init|secret|status``, ``gsomia facility add``, ``gsomia person add``,
``gsomia keys export|import``, ``gsomia provide``, ``gsomia inbox``, ``gsomia open`` and
``gsomia outbox``. :func:`mount` puts them on the main command; the workflow commands are in
:mod:`gsomia.cli.workflows`.
"""

from __future__ import annotations

import base64
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from gsomia.cli._node import (
    AsOpt,
    HomeOpt,
    JsonOpt,
    home_of,
    item_row,
    opened,
    parse_day,
)
from gsomia.cli._render import console, emit_json, err_console, table
from gsomia.errors import InputError, UnknownName
from gsomia.ports.store import ItemState

__all__ = [
    "facility_app",
    "inbox",
    "init",
    "keys_app",
    "mount",
    "open_item",
    "outbox",
    "person_app",
    "provide",
    "secret",
    "status",
]

facility_app = typer.Typer(help="Facilities of this party (JK-6.e, JK-16.x).", no_args_is_help=True)
person_app = typer.Typer(help="Cleared persons of this party (JK-6.e, JK-7).", no_args_is_help=True)
keys_app = typer.Typer(
    help="Keys: public keys exchanged with partners, and the node's key lifecycle.",
    no_args_is_help=True,
)


def mount(app: typer.Typer, node_app: typer.Typer) -> None:
    """Put the node's commands on the main command ``app`` and its ``node`` group."""
    from gsomia.cli import keys, registry, tokens, workflows

    node_app.command("init")(init)
    node_app.command("secret")(secret)
    node_app.command("status")(status)
    app.add_typer(facility_app, name="facility")
    app.add_typer(person_app, name="person")
    app.add_typer(keys_app, name="keys")
    app.add_typer(tokens.app, name="token")
    app.command("provide")(provide)
    app.command("inbox")(inbox)
    app.command("open")(open_item)
    app.command("outbox")(outbox)
    workflows.mount(app)
    registry.mount(app, person_app)
    keys.mount(keys_app, node_app)


# gsomia node ----------------------------------------------------------------------------------


def init(
    party: Annotated[str, typer.Option(help="This node's party (JPN, KOR, USA).")],
    officer: Annotated[
        str, typer.Option(help="Id of the first security officer, who founds the registry.")
    ],
    facility: Annotated[
        str, typer.Option(help="Id of the receiving facility, where received items are kept.")
    ],
    clearance: Annotated[
        str,
        typer.Option(
            help="The officer's clearance, a level of this party's scheme (required: the "
            "registry is founded by a cleared security officer)."
        ),
    ],
    officer_name: Annotated[str, typer.Option(help="The officer's name.")] = "",
    need: Annotated[
        list[str] | None, typer.Option("--need", help="The officer's need-to-know topic.")
    ] = None,
    facility_name: Annotated[str, typer.Option(help="Name of the receiving facility.")] = "",
    home: HomeOpt = None,
    store: Annotated[str, typer.Option(help="Store URL; default SQLite in the home.")] = "",
    as_signed: Annotated[
        bool,
        typer.Option(
            "--as-signed",
            help="Start from the agreements as signed, without the events their files record.",
        ),
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Create a node home: settings, a fresh keyring sealed under the master secret, the store,
    the registry founded by its first security officer (who holds the registry and custody
    authorities) and the receiving facility, on whose register received items are kept
    (JK-6.e)."""
    from gsomia.agreement_files import load_library
    from gsomia.bootstrap import found_registry, init_home, master_secret
    from gsomia.files import PRIVATE_UMASK

    os.umask(PRIVATE_UMASK)
    party = party.strip().upper()
    known = sorted({p for a in load_library() for p in a.party_codes})
    if party not in known:
        raise UnknownName(kind="party", name=party, known=known)
    path = home_of(home)
    master = master_secret()
    settings = init_home(
        path,
        party=party,
        now=datetime.now(UTC),
        master=master,
        store_url=store,
        import_agreement_events=not as_signed,
        default_facility=facility,
    )
    found_registry(
        path,
        master=master,
        officer=officer,
        officer_name=officer_name or officer,
        clearance=clearance,
        need_to_know=frozenset(need or ()),
        facility=facility,
        facility_name=facility_name or facility,
    )
    view = {
        "party": party,
        "home": str(path),
        "store": settings.database_url().split("@")[-1],
        "officer": officer,
        "authorities": ["custody", "registry"],
        "receiving_facility": facility,
    }
    if json_:
        emit_json(view)
        return
    console.print(f"Node {party} created in {path}.")
    console.print(
        f"{officer} founded the registry (authorities: registry, custody); received items are "
        f"kept at {facility}."
    )
    console.print("Next: `gsomia keys export` and send the file to your partners.")


def secret(json_: JsonOpt = False) -> None:
    """Print a fresh master secret (keep it out of shell history and version control)."""
    from gsomia.crypto import MasterSecret

    value = MasterSecret.generate()
    if json_:
        emit_json({"master_secret": value})
    else:
        typer.echo(value)


def status(home: HomeOpt = None, json_: JsonOpt = False) -> None:
    """Party, store, agreements in force, items by state, outbox, ledger size."""
    from gsomia.core.lifecycle import status as agreement_status

    with opened(home) as node:
        now = node.ctx.clock.now()
        agreements = [
            {"agreement": a.id, "status": agreement_status(a, at=now).summary}
            for a in node.ctx.agreements
            if node.party in a.party_codes
        ]
        summary = node.overview.summary()
        items = summary.items
        view = {
            "party": node.party,
            "home": str(home_of(home)),
            "store": summary.store_url,
            "agreements": agreements,
            "items": items,
            "outbox": summary.outbox,
            "persons": summary.persons,
            "facilities": summary.facilities,
            "ledger_size": summary.ledger_size,
        }
    if json_:
        emit_json(view)
        return
    console.print(f"[bold]{view['party']}[/bold] node at {view['home']} ({view['store']})")
    console.print(
        table("Agreements", ["agreement", "status"], [list(a.values()) for a in agreements])
    )
    console.print(table("Items", ["state", "count"], [[k, v] for k, v in items.items() if v]))
    console.print(
        f"Outbox: {summary.outbox or 'empty'}; persons {summary.persons}; "
        f"facilities {summary.facilities}; "
        f"ledger {view['ledger_size']} entries"
    )


# gsomia facility / person ---------------------------------------------------------------------


@facility_app.command("add")
def facility_add(
    facility_id: Annotated[str, typer.Argument(metavar="ID")],
    name: Annotated[str, typer.Option(help="Name of the facility.")],
    as_: AsOpt,
    contractor: Annotated[
        str | None, typer.Option(help="The contractor, for a contractor facility (JK-16.x).")
    ] = None,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Add a government or contractor facility of this party (a registry officer's act)."""
    with opened(home) as node:
        f = node.registry.add_facility(
            facility_id=facility_id, name=name, contractor=contractor, by=as_
        )
    view = {"facility": f.id, "party": f.party, "name": f.name, "contractor": f.contractor}
    if json_:
        emit_json(view)
    else:
        console.print(f"facility {f.id} added ({f.name})")


@person_app.command("add")
def person_add(
    person_id: Annotated[str, typer.Argument(metavar="ID")],
    name: Annotated[str, typer.Option(help="Full name.")],
    as_: AsOpt,
    role: Annotated[
        str, typer.Option(help="official, translator, security-officer or contractor-staff.")
    ] = "official",
    clearance: Annotated[
        str | None, typer.Option(help="Clearance level of this party's scheme, e.g. 極秘.")
    ] = None,
    need: Annotated[
        list[str] | None, typer.Option("--need", help="A need-to-know topic (repeatable).")
    ] = None,
    facility: Annotated[
        list[str] | None,
        typer.Option("--facility", help="A facility whose register lists the person (repeatable)."),
    ] = None,
    expires: Annotated[str | None, typer.Option(help="Clearance expiry, YYYY-MM-DD.")] = None,
    rank: Annotated[str, typer.Option(help="Rank or appointment (never grants access).")] = "",
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Register a person, their clearance, needs to know and facility registers (JK-6.e,
    JK-7; a registry officer's act)."""
    with opened(home) as node:
        p = node.registry.add_person(
            by=as_,
            person_id=person_id,
            name=name,
            role=role,
            clearance=clearance,
            expires_on=parse_day(expires, what="--expires") if expires else None,
            need_to_know=frozenset(need or ()),
            facilities=frozenset(facility or ()),
            rank=rank,
        )
    level = p.clearance.level if p.clearance else None
    view = {
        "person": p.id,
        "party": p.party,
        "role": p.role.value,
        "clearance": level.ref if level else None,
        "need_to_know": sorted(p.need_to_know),
        "facilities": sorted(p.registered_at),
    }
    if json_:
        emit_json(view)
    else:
        console.print(
            f"person {p.id} added ({p.role.value}, {level.native if level else 'no clearance'})"
        )


# gsomia keys ------------------------------------------------------------------------------------


@keys_app.command("export")
def keys_export(
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Export this node's public keys (public-keys-v1) for its partners to register, and its
    ledger's verifier key (``name+id+key``, C2SP signed-note), written beside ``--out`` as
    ``<out>.vkey``: the key any tlog client checks the node's checkpoints with."""
    from gsomia.crypto import export_public_keys

    with opened(home) as node:
        data = export_public_keys(node.ctx.keyring)
        party = node.party
        vkey = node.trusted_key_lines()[0]
    if out is not None:
        _write_atomically(out, data, mode=0o644)
        _write_atomically(out.with_name(out.name + ".vkey"), (vkey + "\n").encode(), mode=0o644)
    if json_:
        emit_json(
            {
                "party": party,
                "out": str(out) if out else None,
                "keys": data.decode(),
                "verifier_key": vkey,
            }
        )
    elif out is None:
        typer.echo(data.decode())
        err_console.print(f"ledger verifier key: {vkey}")
    else:
        console.print(f"public keys of {party} written to {out}; verifier key to {out}.vkey")


@keys_app.command("import")
def keys_import(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A partner's public-keys export.")],
    agreement: Annotated[str, typer.Option("--agreement", help="Agreement to trust them under.")],
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Register a partner's public keys under one agreement, after checking their key ids
    with the partner's competent authority over an independent channel."""
    from gsomia.bootstrap import master_secret, save_keyring
    from gsomia.config import load_settings
    from gsomia.crypto import import_public_keys

    data = _read_file(file, limit=1024 * 1024)
    keys = import_public_keys(data)
    if not keys:
        raise InputError(f"{file}: holds no keys")
    partner = keys[0].party
    path = home_of(home)
    with opened(home) as node:
        a = node.ctx.agreement(agreement)
        for who in (node.party, partner):
            if who not in a.party_codes:
                raise InputError(f"{who} is not a party to {a.short_name}")
        if partner == node.party:
            raise InputError("these are this node's own keys")
        node.register_partner(agreement_id=a.id, keys=keys)
        save_keyring(path, node.ctx.keyring, master_secret(load_settings(path)))
    _write_atomically(path / "partners" / f"{partner.lower()}.{a.id}.json", data, mode=0o644)
    view = {"party": partner, "agreement": a.id, "keys": [k.key_id.hex() for k in keys]}
    if json_:
        emit_json(view)
    else:
        console.print(
            f"registered {len(keys)} keys of {partner} under {a.id}: {', '.join(view['keys'])}"
        )


# gsomia provide / inbox / open / outbox ---------------------------------------------------------


def provide(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Contents to provide.")],
    to: Annotated[str, typer.Option("--to", help="Receiving party (KOR, JPN, USA).")],
    level: Annotated[str, typer.Option(help="Level of this party's scheme, e.g. 極秘.")],
    topic: Annotated[str, typer.Option(help="Topic, e.g. nk-missile.")],
    purpose: Annotated[str, typer.Option(help="What the items are provided for (JK-5.2).")],
    as_: AsOpt,
    agreement: Annotated[
        str | None, typer.Option(help="Agreement; default: the first that allows it.")
    ] = None,
    review_on: Annotated[str | None, typer.Option(help="Review date, YYYY-MM-DD.")] = None,
    in_person: Annotated[
        str | None,
        typer.Option(help="Handed in person to this representative of the recipient (JK-7.4)."),
    ] = None,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Label, seal and send items to a partner (JK-4, JK-9); one unit of work for all files."""
    from gsomia.config import load_settings
    from gsomia.services.acts.custody import Provision

    limit = load_settings(home_of(home)).limits.max_item_bytes
    contents = _read_all(files, limit=limit, show=not json_)
    provision = Provision(
        recipient=to.strip().upper(),
        level=level,
        topic=topic,
        purpose=purpose,
        agreement_id=agreement,
        review_on=parse_day(review_on, what="--review-on") if review_on else None,
        in_person=in_person,
    )
    with opened(home) as node:
        result = node.custody.provide(contents=contents, provision=provision, by=as_)
    view = {
        "agreement": result.agreement_id,
        "route": list(result.route),
        "items": list(result.item_ids),
        "transfers": list(result.transfer_ids),
        "rule_ids": list(result.decision.rule_ids),
    }
    if json_:
        emit_json(view)
        return
    console.print(
        f"provided {len(result.item_ids)} items under {result.agreement_id} "
        f"along {' → '.join(result.route)} ({', '.join(result.decision.rule_ids)})"
    )
    for item_id, file in zip(result.item_ids, files, strict=True):
        console.print(f"  {item_id}  {file}")


def inbox(
    as_: AsOpt,
    state: Annotated[
        str, typer.Option(help="held, relaying, sent, destroyed, ... or all.")
    ] = "held",
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Items in this node's custody whose markings the person may see (JK-4.2, JK-6.f)."""
    wanted = None if state == "all" else _state(state)
    with opened(home) as node:
        rows, after = [], ""
        while True:
            page = node.queries.items(viewer=as_, state=wanted, limit=1000, after=after)
            if not page:
                break
            rows += page
            after = page[-1].id
        schemes = node.ctx.files.schemes
    views = [item_row(r) for r in rows]
    if json_:
        emit_json(views)
        return
    console.print(
        table(
            f"Items ({state})",
            ["item", "originator", "level", "marked here", "topic", "kind", "state", "facility"],
            [
                [
                    r.id,
                    r.originator,
                    schemes.parse(r.level_ref).native,
                    schemes.parse(r.holder_level_ref).native,
                    r.topic,
                    f"{r.kind} {r.copy_number}" if r.copy_number else r.kind,
                    r.state.value,
                    r.facility_id,
                ]
                for r in rows
            ],
        )
    )


def open_item(
    item_id: Annotated[str, typer.Argument(metavar="ID")],
    as_: AsOpt,
    out: Annotated[Path | None, typer.Option(help="Write the content to this file.")] = None,
    purpose: Annotated[
        str | None,
        typer.Option(help="Another purpose than that of provision (needs consent, JK-5.2)."),
    ] = None,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Open a held item for a person the rules allow (JK-6.e, JK-7); the act is recorded."""
    with opened(home) as node:
        content = node.custody.open(item_id=item_id, person_id=as_, purpose=purpose)
    if out is not None:
        _write_atomically(out, content, mode=0o600)
    if json_:
        view: dict[str, Any] = {
            "item": item_id,
            "bytes": len(content),
            "out": str(out) if out else None,
        }
        if out is None:
            view["content_base64"] = base64.b64encode(content).decode("ascii")
        emit_json(view)
    elif out is None:
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
    else:
        err_console.print(f"{len(content)} bytes written to {out}")


def outbox(home: HomeOpt = None, json_: JsonOpt = False) -> None:
    """Outgoing messages by state, and the dead letters the outbox gave up on."""
    with opened(home) as node:
        counts, dead = node.overview.outbox(limit=100)
    letters = [
        {
            "message": m.id,
            "to": m.destination,
            "kind": m.kind,
            "attempts": m.attempts,
            "created_at": m.created_at.isoformat(),
            "last_error": m.last_error,
        }
        for m in dead
    ]
    if json_:
        emit_json({"counts": counts, "dead_letters": letters})
        return
    console.print(
        table("Outbox", ["state", "messages"], [[k, v] for k, v in sorted(counts.items())])
    )
    if letters:
        console.print(
            table(
                "Dead letters",
                ["message", "to", "kind", "attempts", "last error"],
                [
                    [d["message"], d["to"], d["kind"], d["attempts"], d["last_error"]]
                    for d in letters
                ],
            )
        )


# Helpers ----------------------------------------------------------------------------------------


def _state(text: str) -> ItemState:
    try:
        return ItemState(text)
    except ValueError:
        raise InputError(
            f"--state must be all or one of {', '.join(s.value for s in ItemState)}"
        ) from None


def _read_file(path: Path, *, limit: int) -> bytes:
    """The bytes of ``path``; raises :class:`InputError` if it is missing, not a regular
    file, empty or too big (:func:`gsomia.files.read_bounded`)."""
    from gsomia.files import read_bounded

    return read_bounded(path, limit=limit)


def _read_all(files: list[Path], *, limit: int, show: bool) -> list[bytes]:
    """Every file read before anything is sent, with a progress bar for many files."""
    if not files:
        raise InputError("give at least one FILE")
    if not show or len(files) < 20:
        return [_read_file(f, limit=limit) for f in files]
    from rich.progress import Progress

    out = []
    with Progress(console=err_console, transient=True) as progress:
        task = progress.add_task("reading", total=len(files))
        for f in files:
            out.append(_read_file(f, limit=limit))
            progress.advance(task)
    return out


def _write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    """Write ``data`` to ``path`` whole or not at all, never through a symbolic link."""
    from gsomia.files import write_file

    write_file(path, data, mode=mode)
