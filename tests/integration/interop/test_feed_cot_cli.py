"""``gsomia feed cot`` as a process of its own: the running node (here, in the test's
process) publishes the warnings it holds on NATS JetStream with their stream's label; the
command reads them back from the bus and sends them as CoT to a TAK endpoint (a plain TCP
listener here), each event valid against the CoT event schema and marked inside
``<detail>``."""

from __future__ import annotations

import dataclasses
import json
import socket
import subprocess
import sys
import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import xmlschema
from test_cot_taky import warning

from gsomia.adapters.bus.nats import NatsBus
from gsomia.bootstrap import connect_in_process, open_node
from gsomia.crypto import MasterSecret
from gsomia.services.warning_board import board_of
from tests.support.cli import env, make_homes
from tests.support.interop import REPO
from tests.support.workflows import SECRET

pytestmark = pytest.mark.services


def listen() -> tuple[socket.socket, list[bytes]]:
    server = socket.create_server(("127.0.0.1", 0))
    got: list[bytes] = []

    def accept() -> None:
        conn, _ = server.accept()
        with conn:
            while chunk := conn.recv(65536):
                got.append(chunk)

    threading.Thread(target=accept, daemon=True).start()
    return server, got


def drop_default_stream(url: str) -> None:
    """Delete the JetStream stream a node's default bus makes (``GSOMIA``, ``gsomia.>``):
    its subjects overlap every other test's streams on the same server."""
    import asyncio

    import nats
    from nats.js.errors import NotFoundError

    async def drop() -> None:
        client = await nats.connect(url)
        try:
            await client.jetstream().delete_stream("GSOMIA")
        except NotFoundError:
            pass
        finally:
            await client.close()

    asyncio.run(drop())


@pytest.fixture
def default_stream(nats_url_alone: str) -> Iterator[str]:
    """The NATS URL, with the node's default stream removed after the test."""
    drop_default_stream(nats_url_alone)
    yield nats_url_alone
    drop_default_stream(nats_url_alone)


def test_feed_cot_streams_held_warnings_from_the_bus(tmp_path: Path, default_stream: str) -> None:
    nats_url = default_stream
    homes = make_homes(tmp_path)
    for home in homes.values():
        with (home / "node.toml").open("a", encoding="utf-8") as f:
            f.write(f'bus_url = "{nats_url}"\n')
    master = MasterSecret.from_text(SECRET)
    jpn, kor = (open_node(homes[p], master=master) for p in ("JPN", "KOR"))
    bus = NatsBus(nats_url)
    try:
        connect_in_process([jpn, kor])
        jpn.feed.bus = bus
        board_of(jpn.feed)  # what the running node's API does when it starts
        stream = kor.feed.open_stream(recipient="JPN", level="군사II급비밀", by="kor-officer")
        while kor.delivery.drain().delivered:
            pass
        track = f"trk-{uuid.uuid4().hex[:8]}"
        held = dataclasses.replace(warning(30.0), warning_id=track)
        assert kor.feed.publish(stream, [held]) == 1
    finally:
        bus.close()
        for node in (jpn, kor):
            node.ctx.store.close()
    server, got = listen()
    port = server.getsockname()[1]
    done = subprocess.run(
        [sys.executable, "-m", "gsomia", "feed", "cot", "--to", f"tcp://127.0.0.1:{port}",
         "--level", "極秘", "--seconds", "4", "--json", "--home", str(homes["JPN"])],
        env=env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    server.close()
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sent"] >= 1
    schema = xmlschema.XMLSchema(REPO / "tests" / "data" / "interop" / "cot-event.xsd")
    events = [e + b"</event>" for e in b"".join(got).split(b"</event>") if e.strip()]
    mine = [ET.fromstring(e) for e in events if track.encode() in e]
    assert len(mine) == 3
    for event in mine:
        schema.validate(ET.tostring(event, encoding="unicode"))
        assert event.find("detail/gsomia_marking") is not None
