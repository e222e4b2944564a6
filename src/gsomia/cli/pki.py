"""``gsomia pki``: the party's own authority, the node certificate and pinned partners.

Keys are encrypted under a passphrase derived from the master secret, so commands that use
them (``init``, ``issue``, ``revoke``, ``export-ca``) need ``GSOMIA_MASTER_SECRET`` or
``GSOMIA_MASTER_SECRET_FILE``. Errors are raised; the main command maps them to exit codes.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from gsomia.cli._render import console, emit_json, table
from gsomia.config import node_home
from gsomia.crypto import MasterSecret
from gsomia.crypto.pki import DEFAULT_HOSTS, NODE_DAYS, CertificateInfo, NodePki, PkiView
from gsomia.files import read_bounded, write_file

__all__ = ["app"]

app = typer.Typer(
    help="Certificates for government-to-government channels (JK-9.1, JK-12.1).",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="The node's home (default: GSOMIA_HOME, else ./.gsomia)."),
]
HostOpt = Annotated[
    list[str] | None,
    typer.Option("--host", help="A host name or address for the certificate (repeatable)."),
]
DaysOpt = Annotated[int, typer.Option("--days", min=1, help="Days the node certificate lasts.")]
#: An authority certificate and its revocation list are a few kilobytes; a partner's list
#: of many revoked serials stays well under this.
_MAX_BUNDLE_BYTES = 1024 * 1024


@app.command("init")
def init(
    party: Annotated[str, typer.Option("--party", help="This node's party code, e.g. JPN.")],
    home: HomeOpt = None,
    host: HostOpt = None,
    days: DaysOpt = NODE_DAYS,
    json_: JsonOpt = False,
) -> None:
    """Create the party's authority and this node's certificate in HOME/pki."""
    pki = NodePki.init(
        node_home(home),
        party=party,
        master=MasterSecret.load(),
        hosts=host or DEFAULT_HOSTS,
        node_days=days,
    )
    _show(pki.describe(), json_=json_)


@app.command("issue")
def issue(
    home: HomeOpt = None, host: HostOpt = None, days: DaysOpt = NODE_DAYS, json_: JsonOpt = False
) -> None:
    """Issue a new key and node certificate; the previous one stays valid until revoked."""
    pki = NodePki.open(node_home(home))
    info = pki.issue(master=MasterSecret.load(), hosts=host or DEFAULT_HOSTS, days=days)
    if json_:
        emit_json(_plain(info))
        return
    console.print(_certificates_table("Issued", [("node", info)]))


@app.command("revoke")
def revoke(
    serial: Annotated[str, typer.Argument(metavar="SERIAL", help="Hexadecimal serial.")],
    reason: Annotated[
        str,
        typer.Option(
            help="unspecified, key-compromise, superseded or cessation-of-operation.",
        ),
    ] = "unspecified",
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Revoke a certificate this authority issued; hand partners a fresh ``export-ca``."""
    pki = NodePki.open(node_home(home))
    crl = pki.revoke(master=MasterSecret.load(), serial=serial, reason=reason)
    if json_:
        emit_json(_plain(crl))
        return
    console.print(
        f"revoked {serial}; revocation list {crl.number} now lists {len(crl.revoked)} "
        "certificate(s). Run `gsomia pki export-ca` and send it to every partner."
    )


@app.command("export-ca")
def export_ca(
    out: Annotated[Path | None, typer.Option("--out", help="Write the bundle here.")] = None,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Print (or write) the authority certificate and a fresh revocation list for partners."""
    pki = NodePki.open(node_home(home))
    bundle = pki.export_ca(master=MasterSecret.load())
    if out is not None:
        write_file(out, bundle, mode=0o644, what="--out")
    if json_:
        emit_json(
            {"party": pki.party, "file": str(out) if out else None, "bundle": bundle.decode()}
        )
    elif out is None:
        console.file.write(bundle.decode())
    else:
        console.print(f"wrote {pki.party}'s authority and revocation list to {out}")


@app.command("trust")
def trust(
    *,
    party: Annotated[str, typer.Option("--party", help="The partner's party code, e.g. KOR.")],
    ca: Annotated[Path, typer.Option("--ca", help="The partner's exported bundle (PEM).")],
    crl: Annotated[
        Path | None, typer.Option("--crl", help="Its revocation list, if not in the bundle.")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace a different pinned authority.")
    ] = False,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Pin a partner's authority and revocation list (check its fingerprint out of band)."""
    pki = NodePki.open(node_home(home))
    info = pki.trust(
        party=party,
        bundle=_read(ca),
        crl=_read(crl) if crl is not None else None,
        replace=replace,
    )
    if json_:
        emit_json(_plain(info))
        return
    console.print(
        f"pinned {info.party}'s authority, SHA-256 {info.authority.fingerprint}; "
        f"revocation list {info.crl.number} valid until {info.crl.next_update:%Y-%m-%d %H:%M}Z"
    )


@app.command("show")
def show(home: HomeOpt = None, json_: JsonOpt = False) -> None:
    """Show the authority, this node's certificate, revocations and pinned partners."""
    _show(NodePki.open(node_home(home)).describe(), json_=json_)


def _show(view: PkiView, *, json_: bool) -> None:
    if json_:
        emit_json(_plain(view))
        return
    rows = [("authority", view.authority), ("node", view.node)]
    rows += [(f"partner {p.party}", p.authority) for p in view.partners]
    console.print(_certificates_table(f"PKI of {view.party}", rows))
    revoked = ", ".join(view.crl.revoked) or "none"
    console.print(f"revocation list {view.crl.number}: revoked {revoked}")
    for p in view.partners:
        console.print(
            f"{p.party}: revocation list {p.crl.number} until {p.crl.next_update:%Y-%m-%d}, "
            f"{len(p.crl.revoked)} revoked"
        )


def _certificates_table(title: str, rows: list[tuple[str, CertificateInfo]]) -> Any:
    return table(
        title,
        ["role", "subject", "serial", "valid from", "valid until", "hosts", "SHA-256"],
        [
            [
                role,
                c.subject,
                c.serial,
                f"{c.not_before:%Y-%m-%d %H:%M}",
                f"{c.not_after:%Y-%m-%d %H:%M}",
                ", ".join(c.hosts),
                c.fingerprint[:16] + "…",
            ]
            for role, c in rows
        ],
    )


def _read(path: Path) -> bytes:
    return read_bounded(path, limit=_MAX_BUNDLE_BYTES)


def _plain(value: object) -> Any:
    """JSON-ready form of a PKI value: dataclasses as objects, instants in ISO 8601."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
