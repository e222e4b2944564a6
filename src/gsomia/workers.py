"""A node served by several worker processes (``gsomia node run --workers N``, composition
root).

The supervisor opens the node once (migrating its store and making its first keys, so that
the workers do not race to), then starts N worker processes, each a whole node runtime
(:class:`gsomia.runtime.NodeRuntime` with ``worker=True``): the user API and the peer
endpoint on the node's ports, shared through ``SO_REUSEPORT`` (the kernel spreads the
connections); request limits counted in the database; the delivery pump and the witness
run by whichever worker holds the node's leader lock (a PostgreSQL advisory lock, see
:mod:`gsomia.adapters.storage.sql.leader`), taken over within seconds when it dies. A
worker that dies is started again. SIGTERM or SIGINT stops them all.

Several processes need a store that serves several processes: PostgreSQL. On SQLite (the
single-process default) more than one worker is refused with a clear message.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from gsomia.bootstrap import master_secret, open_node, secure_home
from gsomia.config import NodeSettings, load_settings
from gsomia.errors import ConfigError, InputError
from gsomia.files import PRIVATE_UMASK

__all__ = ["MAX_WORKERS", "check_workers", "run_workers"]

_logger = logging.getLogger(__name__)

MAX_WORKERS = 64
#: A worker that dies is started again after this pause.
_RESTART_PAUSE = 1.0


def check_workers(settings: NodeSettings, workers: int) -> None:
    """Refuse a worker count the node's store or settings cannot serve (ConfigError), or
    that makes no sense (InputError)."""
    if not 1 <= workers <= MAX_WORKERS:
        raise InputError(f"--workers {workers}: give 1 to {MAX_WORKERS}")
    if workers == 1:
        return
    if settings.database_url().startswith("sqlite"):
        raise ConfigError(
            f"--workers {workers}: this node's store is SQLite, which one process serves at "
            "a time; run it with --workers 1, or move it to PostgreSQL (store_url = "
            '"postgresql+psycopg://...") to serve it with several workers'
        )
    if not settings.port or not settings.peer_port:
        raise ConfigError(
            f"--workers {workers}: the workers share the node's ports, so port and "
            "peer_port must be set in node.toml (not 0)"
        )


def run_workers(home: Path, workers: int) -> None:
    """Serve the node in ``home`` with ``workers`` processes until SIGTERM or SIGINT."""
    os.umask(PRIVATE_UMASK)
    secure_home(home)
    settings = load_settings(home)
    check_workers(settings, workers)
    node = open_node(home, master=master_secret(settings))
    node.ctx.store.close()
    metrics = home / "metrics"
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir(mode=0o700)
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
    command = [sys.executable, "-m", "gsomia", "node", "run", "--home", str(home), "--worker"]
    stop = threading.Event()

    def _on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    children = [_spawn(command, env) for _ in range(workers)]
    _logger.warning(
        "%s node: %d workers (pids %s)",
        settings.party,
        workers,
        ", ".join(str(c.pid) for c in children),
    )
    try:
        while not stop.wait(0.5):
            for i, child in enumerate(children):
                if child.poll() is None:
                    continue
                _logger.warning(
                    "worker %d exited with %s; starting another", child.pid, child.returncode
                )
                time.sleep(_RESTART_PAUSE)
                children[i] = _spawn(command, env)
    finally:
        _stop_all(children)


def _spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env)  # noqa: S603 - our own interpreter and module


def _stop_all(children: list[subprocess.Popen[bytes]], timeout: float = 20.0) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for child in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
