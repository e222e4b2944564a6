"""``gsomia label`` and ``gsomia feed cot``: an item's label in other systems' formats, and
the warnings a node holds streamed to a TAK server (``docs/interop.md``)."""

from __future__ import annotations

import json
import threading
from typing import Annotated

import typer

from gsomia.cli._node import HomeOpt, JsonOpt, home_of, opened
from gsomia.cli._render import console, emit_json, err_console
from gsomia.errors import ConfigError, InputError

__all__ = ["feed_app", "label"]

feed_app = typer.Typer(help="Feed the warnings this node holds to other systems.")

FORMATS = ("label", "adatp-4774")
#: The old name of ``label``, from when labels were label-v1; still read.
_OLD_FORMATS = {"label-v1": "label"}


def label(
    item_id: Annotated[str, typer.Argument(metavar="ID")],
    format_: Annotated[
        str, typer.Option("--format", help="label (the label's own JSON) or adatp-4774 (XML).")
    ] = "label",
    home: HomeOpt = None,
) -> None:
    """Print an item's current label (its markings, never its content)."""
    from gsomia.interop import adatp4774

    format_ = _OLD_FORMATS.get(format_, format_)
    if format_ not in FORMATS:
        raise InputError(f"--format: {format_!r} is not one of {', '.join(FORMATS)}")
    with opened(home) as node:
        current = node.overview.label(item_id)
    if current is None:
        raise InputError(f"item {item_id} is not in this node's custody")
    if format_ == "adatp-4774":
        typer.echo(adatp4774.to_xml(current).decode("utf-8"), nl=False)
    else:
        typer.echo(json.dumps(current.to_dict(), ensure_ascii=False, indent=2))


@feed_app.command("cot")
def feed_cot(
    to: Annotated[str, typer.Option("--to", help="The TAK server, tcp://HOST:PORT.")],
    level: Annotated[
        str, typer.Option(help="The highest level the TAK network is accredited for.")
    ],
    seconds: Annotated[
        float, typer.Option(help="Stop after this many seconds (0: until interrupted).")
    ] = 0.0,
    home: HomeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Stream the warnings the running node holds to a TAK server as Cursor-on-Target.

    Reads them from the node's bus (``bus_url``), the latest the bus keeps first; each goes
    only if the network is accredited for its level, with its marking inside ``<detail>``.
    """
    from gsomia.adapters.tak import TcpCotSink
    from gsomia.config import load_settings
    from gsomia.runtime import bus_for
    from gsomia.services.cot_feed import CotFeed
    from gsomia.services.warning_board import WarningBoard, held_subject

    settings = load_settings(home_of(home))
    if not settings.bus_url:
        raise ConfigError(
            "gsomia feed cot reads the warnings a running node holds from its bus: set bus_url "
            "(NATS), or set cot_url and cot_level in node.toml for the node to feed TAK itself"
        )
    sink = TcpCotSink(to)
    bus = bus_for(settings.bus_url)
    with opened(home) as node:
        board = WarningBoard()
        feed = CotFeed(node.ctx, board=board, sink=sink, accredited=level)
        board.follow(bus, held_subject(node.party))
        stop = threading.Event()
        try:
            stop.wait(seconds if seconds > 0 else None)
        except KeyboardInterrupt:
            err_console.print("stopped")
        finally:
            bus.close()
            sink.close()
    if json_:
        emit_json({"to": to, **feed.counts})
    else:
        console.print(
            f"CoT to {to}: {feed.counts['sent']} sent, {feed.counts['withheld']} withheld "
            f"(accreditation), {feed.counts['failed']} failed"
        )
