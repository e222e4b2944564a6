"""Shared fixtures: the service switches and the agreements shipped with gsomia."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

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


@pytest.fixture
def postgres_url() -> str:
    return need_service("GSOMIA_TEST_POSTGRES_URL", "PostgreSQL")


@pytest.fixture
def nats_url() -> str:
    return need_service("GSOMIA_TEST_NATS_URL", "NATS JetStream")


@pytest.fixture(autouse=True)
def _keep_umask() -> Iterator[None]:
    """Commands run in-process that set the node's umask (``node init``, ``up``) do not
    change it for the tests that follow."""
    mask = os.umask(0o022)
    os.umask(mask)
    yield
    os.umask(mask)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser tests run last: Playwright's synchronous API keeps an event loop running
    on this thread while the browser lives (until the session ends), so a test after them
    could not start an event loop of its own."""
    items.sort(key=lambda item: "browser" in item.path.parts[-2:-1])
