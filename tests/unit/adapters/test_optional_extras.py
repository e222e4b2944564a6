"""A node runs without the optional extras (NATS client, PostgreSQL driver) installed, and
says which extra to install when its settings need one."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gsomia.adapters.bus.inproc import InProcessBus
from gsomia.adapters.storage.sql.store import make_engine
from gsomia.errors import ConfigError
from gsomia.runtime import bus_for

WITHOUT_EXTRAS = """
import sys
sys.modules["nats"] = None
sys.modules["psycopg"] = None
import gsomia.runtime, gsomia.cli.main, gsomia.cluster
print("imported")
"""


def test_the_node_runtime_imports_without_the_extras() -> None:
    run = subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRAS], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0 and "imported" in run.stdout, run.stderr


def test_no_bus_url_is_the_in_process_bus() -> None:
    assert isinstance(bus_for(""), InProcessBus)


def test_a_bus_url_without_the_nats_client_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nats", None)
    monkeypatch.delitem(sys.modules, "gsomia.adapters.bus.nats", raising=False)
    with pytest.raises(ConfigError, match=r"gsomia\[nats\]"):
        bus_for("nats://127.0.0.1:4222")


def test_a_postgres_url_without_the_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(ConfigError, match=r"gsomia\[postgres\]"):
        make_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
