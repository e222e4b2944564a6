"""A 256 MiB chunked request is refused while the node's memory hardly moves (security
review M1: 256 MiB without a token was read whole, +1.15 GB of resident memory, before the
401; the console read +0.5 GB before its 400).

The node's user API runs in a process of its own on loopback; a raw socket sends
``Transfer-Encoding: chunked`` 1 MiB at a time and stops when the node answers. The node's
peak resident memory is reset before the request (``/proc/PID/clear_refs``) and read after
it (``VmHWM``): what is measured is memory, not time.
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

MIB = 1024 * 1024
TOTAL_MIB = 256
GROWTH_LIMIT = 16 * 1000 * 1000

_SERVER = textwrap.dedent(
    """
    import json, sys
    from datetime import UTC, datetime
    from gsomia.adapters.clock import SimulatedClock
    from gsomia.agreement_files import load_library
    from gsomia.api.app import create_app
    from gsomia.api.serve import start_server
    from gsomia.bootstrap import fresh_node
    from gsomia.services.plumbing.auth import AuthService

    node = fresh_node(
        f"sqlite:///{sys.argv[1]}/jpn.db", party="JPN", library=load_library([]),
        clock=SimulatedClock(datetime(2019, 10, 2, 9, tzinfo=UTC)),
    )
    node.registry.found(
        officer_id="sato", name="Sato", clearance="極秘", need_to_know=frozenset()
    )
    node.registry.add_facility(facility_id="jpn-hq", name="HQ", by="sato")
    token = AuthService(node.ctx).issue(person_id="sato", by="sato").token
    server = start_server(create_app(node), ssl_context=None)
    print(json.dumps({"port": server.port, "token": token}), flush=True)
    sys.stdin.read()
    server.stop()
    """
)


@dataclass
class Server:
    process: subprocess.Popen[str]
    port: int
    token: str

    def status(self, field: str) -> int:
        """A ``/proc/PID/status`` figure in bytes (``VmRSS``, ``VmHWM``)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise AssertionError(f"no {field} in /proc/{self.process.pid}/status")

    def reset_peak(self) -> None:
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A fresh node process for each case, so that no earlier request has grown its heap."""
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("needs Linux /proc/PID/clear_refs to reset the peak resident memory")
    root = tmp_path
    with subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as process:
        assert process.stdin is not None and process.stdout is not None
        try:
            started = json.loads(process.stdout.readline())
            yield Server(process=process, port=started["port"], token=started["token"])
        finally:
            process.stdin.close()
            process.wait(timeout=30)


def _chunked(
    port: int,
    path: str,
    *,
    token: str | None,
    media_type: str,
    chunks: int = TOTAL_MIB,
    size: int = MIB,
) -> tuple[int, int]:
    """POST ``chunks`` chunks of ``size`` bytes to ``path`` with ``Transfer-Encoding:
    chunked``; (status, chunks sent before the answer came)."""
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Transfer-Encoding: chunked"]
    head.append(f"Content-Type: {media_type}")
    if token:
        head.append(f"Authorization: Bearer {token}")
    piece = b"%x\r\n" % size + b"A" * size + b"\r\n"
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        try:
            while sent < chunks and not select.select([sock], [], [], 0)[0]:
                sock.sendall(piece)
                sent += 1
            if sent == chunks:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the node answered and closed while the rest was on its way
        reply = sock.recv(4096)
    return int(reply.split(b" ", 2)[1]), sent


@pytest.mark.parametrize(
    ("path", "media_type", "with_token"),
    [
        ("/v1/items", "application/json", False),
        ("/v1/persons", "application/json", False),
        ("/console/login", "application/x-www-form-urlencoded", False),
        ("/v1/items", "application/json", True),
    ],
)
def test_a_256_mib_chunked_request_is_refused_while_memory_grows_under_16_mb(
    server: Server, path: str, media_type: str, with_token: bool
) -> None:
    token = server.token if with_token else None
    # A small request first, so that what a first request loads is loaded.
    warm = _chunked(server.port, path, token=token, media_type=media_type, chunks=2, size=1024)
    assert 400 <= warm[0] < 500, warm
    before = server.status("VmRSS")
    server.reset_peak()
    status, sent = _chunked(server.port, path, token=token, media_type=media_type)
    growth = server.status("VmHWM") - before
    assert 400 <= status < 500, status
    assert status == 413
    assert sent < TOTAL_MIB, "the node read the whole body before answering"
    assert growth < GROWTH_LIMIT, f"peak resident memory grew by {growth / MIB:.1f} MiB"
