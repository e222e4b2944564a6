"""Cursor-on-Target through a real TAK server: a Korean stream's warnings, held by the
Japanese node, go to ``taky`` (in its own venv) over TCP on 127.0.0.1, and a ``pytak`` client
(in its own venv) reads them back. Every event read is valid against the CoT event schema,
and the marking survives inside ``<detail>`` (taky keeps no event attributes but the core
ones). A network accredited below the warning's level gets nothing.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import xmlschema

from gsomia.adapters.tak import TcpCotSink
from gsomia.interop.cot import IMPACT_TYPE, LAUNCH_TYPE, TRACK_TYPE
from gsomia.services.cot_feed import CotFeed
from gsomia.services.warning_board import board_of
from gsomia.warning.tracking.picture import GroundEstimate
from gsomia.warning.tracking.sharing import WARNING_FORMAT, SharedWarning
from tests.support.interop import REPO, tool
from tests.support.workflows import build, officer

READER = Path(__file__).with_name("pytak_reader.py")
COT_XSD = REPO / "tests" / "data" / "interop" / "cot-event.xsd"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def taky(tmp_path: Path) -> Iterator[str]:
    """A taky server on 127.0.0.1 (plain TCP), its URL; stopped after the test."""
    binary = tool(".venv-taky/bin/taky", "taky (TAK server)")
    port = free_port()
    conf = tmp_path / "taky.conf"
    conf.write_text(
        "[taky]\nhostname = localhost\nnode_id = GSOMIATEST\nbind_ip = 127.0.0.1\n"
        f"root_dir = {tmp_path}\n[cot_server]\nport = {port}\n[ssl]\nenabled = false\n",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [str(binary), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("taky did not start")
        yield f"tcp://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def reader(url: str, count: int) -> subprocess.Popen[str]:
    python = tool(".venv-pytak/bin/python", "pytak (TAK client)")
    process = subprocess.Popen(
        [str(python), str(READER), url, str(count), "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "READY"
    time.sleep(0.3)  # let taky register the client before anything is routed
    return process


def warning(t: float) -> SharedWarning:
    cov = tuple(tuple(2.5e5 if i == j else 0.0 for j in range(6)) for i in range(6))
    impact = GroundEstimate(
        t=t + 400.0, t_sigma_s=3.0, lat_deg=40.9, lon_deg=136.5, enu_cov=((4e6, 1e6), (1e6, 2e6))
    )
    launch = GroundEstimate(
        t=0.0, t_sigma_s=2.0, lat_deg=39.03, lon_deg=125.75, enu_cov=((1e6, 0.0), (0.0, 1e6))
    )
    return SharedWarning(
        format=WARNING_FORMAT,
        originator="KOR",
        warning_id="trk-7",
        t=t,
        state=(-3.3e6, 3.5e6, 4.4e6, 900.0, 1200.0, 600.0),
        cov=cov,
        launch=launch,
        impact=impact,
    )


def test_warnings_reach_a_pytak_client_through_taky_with_their_marking(
    tmp_path: Path, taky: str
) -> None:
    world = build(tmp_path, parties=("JPN", "KOR"))
    stream = world["KOR"].feed.open_stream(recipient="JPN", level="군사II급비밀", by=officer("KOR"))
    world.drain()
    jpn = world["JPN"]
    board = board_of(jpn.feed)
    sink, low_sink = TcpCotSink(taky), TcpCotSink(taky)
    feed = CotFeed(jpn.ctx, board=board, sink=sink, accredited="極秘")
    low = CotFeed(jpn.ctx, board=board, sink=low_sink, accredited="秘")
    rx = reader(taky, 3)
    try:
        assert world["KOR"].feed.publish(stream, [warning(60.0)]) == 1
        out, err = rx.communicate(timeout=30)
    finally:
        sink.close()
        low_sink.close()
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    print("\n".join(events))
    assert len(events) == 3, err
    schema = xmlschema.XMLSchema(COT_XSD)
    by_type = {}
    for text in events:
        schema.validate(text)
        event = ET.fromstring(text)
        by_type[event.get("type")] = event
        mark = event.find("detail/gsomia_marking")
        assert mark is not None, text
        assert mark.get("holder_level") == "JPN:GOKUHI" and mark.get("level") == "KOR:GUNSA_II"
        assert mark.get("releasable_to") == "JPN KOR" and mark.get("agreement") == "jpn-kor-gsomia"
        assert "SECRET//REL TO JPN, KOR" in (event.findtext("detail/remarks") or "")
    assert set(by_type) == {TRACK_TYPE, LAUNCH_TYPE, IMPACT_TYPE}
    ellipse = by_type[IMPACT_TYPE].find("detail/shape/ellipse")
    assert ellipse is not None and float(ellipse.get("major", 0)) > float(ellipse.get("minor", 0))
    point = by_type[LAUNCH_TYPE].find("point")
    assert point is not None and abs(float(point.get("lat", 0)) - 39.03) < 1e-6
    assert feed.counts == {"sent": 1, "withheld": 0, "failed": 0}
    assert low.counts == {"sent": 0, "withheld": 1, "failed": 0}
