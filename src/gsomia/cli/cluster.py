"""``gsomia up``, ``gsomia down`` and ``gsomia node run``: nodes as running servers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gsomia.cli._render import console, emit_json

DirOpt = Annotated[Path, typer.Option("--dir", help="Cluster directory.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def up(
    dir_: DirOpt = Path(".gsomia-cluster"),
    store: Annotated[
        str, typer.Option(help="PostgreSQL URL (a schema per party); default SQLite.")
    ] = "",
    workers: Annotated[
        int, typer.Option(help="Worker processes per node (more than 1 needs --store).")
    ] = 1,
    json_: JsonOpt = False,
) -> None:
    """Start JPN, KOR and USA nodes as separate processes on loopback."""
    import os

    from gsomia.cluster import up as start
    from gsomia.files import PRIVATE_UMASK

    os.umask(PRIVATE_UMASK)

    nodes = start(dir_, store=store, workers=workers)
    if json_:
        emit_json(
            [
                {
                    "party": n.party,
                    "api": n.api_url,
                    "peer": n.peer_url,
                    "officer": n.officer,
                    "authorities": list(n.authorities),
                    "token": n.token,
                    "home": str(n.home),
                    "pid": n.pid,
                }
                for n in nodes
            ]
        )
        return
    for n in nodes:
        console.print(
            f"[bold]{n.party}[/bold]  user API {n.api_url}  peer {n.peer_url} (mutual TLS)"
        )
        console.print(f"     officer {n.officer}  token {n.token}", soft_wrap=True)
    console.print(
        "For this demonstration each officer was granted every authority by the node's "
        f"registrar: {', '.join(nodes[0].authorities) if nodes else ''}."
    )
    console.print(f"Stop with: gsomia down --dir {dir_}")


def down(dir_: DirOpt = Path(".gsomia-cluster"), json_: JsonOpt = False) -> None:
    """Stop the nodes that `gsomia up` started."""
    from gsomia.cluster import down as stop

    stopped = stop(dir_)
    if json_:
        emit_json({"stopped": stopped})
    else:
        console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


node_app = typer.Typer(help="The node in a home directory.", no_args_is_help=True)


@node_app.command("run")
def run(
    home: Annotated[Path, typer.Option(help="Node home directory.")],
    workers: Annotated[
        int,
        typer.Option(
            help="Worker processes serving the node (more than 1 needs a PostgreSQL store); "
            "one of them at a time runs delivery and witnessing."
        ),
    ] = 1,
    worker: Annotated[
        bool, typer.Option("--worker", hidden=True, help="Serve as one of several workers.")
    ] = False,
) -> None:
    """Serve the node: peer endpoint (mutual TLS), user API and delivery, until stopped."""
    if workers != 1:
        from gsomia.workers import run_workers

        run_workers(home, workers)
        return
    from gsomia.runtime import run_node

    run_node(home, worker=worker)
