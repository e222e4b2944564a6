"""Fixtures for the workflow tests: in-process nodes, and node homes on disk for the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gsomia.crypto import MasterSecret
from tests.support.workflows import SECRET, World, build


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """JPN, KOR and USA nodes on 2 Oct 2019, connected, with their people."""
    w = build(tmp_path)
    yield w
    for node in w.nodes.values():
        node.ctx.store.close()


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> MasterSecret:
    """The master secret in the environment, as an operator would set it."""
    monkeypatch.delenv("GSOMIA_MASTER_SECRET_FILE", raising=False)
    monkeypatch.delenv("GSOMIA_HOME", raising=False)
    monkeypatch.setenv("GSOMIA_MASTER_SECRET", SECRET)
    return MasterSecret.from_text(SECRET)
