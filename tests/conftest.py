"""Shared fixtures: the service switches and the agreements shipped with gsomia.

Under pytest-xdist (``make test`` runs ``-n 2 --dist loadgroup``) the tests of one module run
on one worker, in order, as without it; the tests that share a cluster of node processes
for the session (the cluster tests, the browser tests) each run on one worker too
(``_group``). Each worker keeps its PostgreSQL schemas in a database of its own, and the NATS
tests take a lock on the server (see ``nats_url``).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REQUIRE_SERVICES = os.environ.get("GSOMIA_REQUIRE_SERVICES") == "1"


def need_service(env_var: str, what: str) -> str:
    """The URL of a service a test needs, from ``env_var``.

    Without it the test is skipped with a reason, unless ``GSOMIA_REQUIRE_SERVICES=1`` (set
    by ``.ci/run``), in which case it fails: in CI a missing service is a failure.
    """
    url = os.environ.get(env_var)
    if url:
        return url
    message = f"{what} not configured: set {env_var} to run this test"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (GSOMIA_REQUIRE_SERVICES=1)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def _postgres_server() -> Iterator[str]:
    """The PostgreSQL URL the tests use: the configured one, or under pytest-xdist a fresh
    database of the worker's own beside it (``test_gw0_<run>``), dropped afterwards.

    Schemas of their own keep the tests apart within a database, but not everything is per
    schema: an open transaction of one worker would hold back another's ``VACUUM`` (the
    horizon is per database), and an extension is installed once per database.
    """
    url = need_service("GSOMIA_TEST_POSTGRES_URL", "PostgreSQL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        yield url
        return
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8]
    base = make_url(url)
    name = f"{base.database or 'postgres'}_{worker}_{run}".rstrip("_")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def postgres_url(_postgres_server: str) -> str:
    return _postgres_server


@contextmanager
def _server_lock(url: str, *, exclusive: bool) -> Iterator[None]:
    """A lock on the server at ``url`` shared by every test process on this machine."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"gsomia-tests-{digest}.lock"
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@pytest.fixture
def nats_url() -> Iterator[str]:
    """The NATS URL. A test's streams have subjects of their own (``gsomia.<random>.>``), so
    tests share the server; while one holds it alone (``nats_url_alone``) none runs."""
    url = need_service("GSOMIA_TEST_NATS_URL", "NATS JetStream")
    with _server_lock(url, exclusive=False):
        yield url


@pytest.fixture
def nats_url_alone() -> Iterator[str]:
    """The NATS URL, the server held by this test alone: for the node's default stream,
    whose subjects (``gsomia.>``) overlap every other test's streams."""
    url = need_service("GSOMIA_TEST_NATS_URL", "NATS JetStream")
    with _server_lock(url, exclusive=True):
        yield url


@pytest.fixture(autouse=True)
def _keep_umask() -> Iterator[None]:
    """Commands run in-process that set the node's umask (``node init``, ``up``) do not
    change it for the tests that follow."""
    mask = os.umask(0o022)
    os.umask(mask)
    yield
    os.umask(mask)


# Under pytest-xdist: the tests that share a cluster of node processes for the session run
# on one worker, as do the tests of one module (module-scoped fixtures are made once, and a
# module's tests keep their order).
_ONE_WORKER = ("tests/integration/cluster/", "tests/browser/")


def _group(nodeid: str) -> str:
    """The unit of work a test belongs to under ``--dist loadgroup``: a directory of
    ``_ONE_WORKER``, or else its module."""
    module = nodeid.split("::", 1)[0]
    return next((d for d in _ONE_WORKER if module.startswith(d)), module)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser tests run last: Playwright's synchronous API keeps an event loop running
    on this thread while the browser lives (until the session ends), so a test after them
    could not start an event loop of its own. Under pytest-xdist the cluster tests, the
    longest group, run first."""
    parallel = "PYTEST_XDIST_WORKER" in os.environ
    items.sort(
        key=lambda item: (
            "browser" in item.path.parts[-2:-1],
            not (parallel and _group(item.nodeid) == _ONE_WORKER[0]),
        )
    )


def _unique(nodeids: Sequence[str]) -> list[str]:
    """``nodeids`` with each repeat made distinct (``id#1``, ``id#2``...): schemathesis's
    tests of each API operation share one node id under pytest 9, and a scheduler that
    keys its work by node id would run only the first of them."""
    seen: Counter[str] = Counter()
    out = []
    for nodeid in nodeids:
        out.append(f"{nodeid}#{seen[nodeid]}" if seen[nodeid] else nodeid)
        seen[nodeid] += 1
    return out


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup`` with the groups of ``_group`` (xdist's own reads ``xdist_group``
    marks, which pytest 9 no longer lets it add to node ids), handed out in the order
    collected: the browser group is the last its worker runs."""
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Groups(LoadScopeScheduling):
        def add_node_collection(self, node: Any, collection: Sequence[str]) -> None:
            super().add_node_collection(node, _unique(collection))

        def _split_scope(self, nodeid: str) -> str:
            return _group(nodeid)

    config.option.loadscopereorder = False
    return Groups(config, log)
