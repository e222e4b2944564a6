"""A node is founded by a cleared security officer (JK-6.e): ``gsomia node init`` requires
the officer's clearance and ``gsomia registry found`` requires it of a new officer, each
refusing without it with a message naming the missing option, before any registry is
founded; with it, the officer founds the registry."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gsomia.bootstrap import init_home
from gsomia.crypto import MasterSecret
from gsomia.errors import InputError
from tests.support.cli import code, invoke, ok
from tests.support.workflows import SECRET

LEVEL = {"JPN": "極秘", "KOR": "군사II급비밀", "USA": "SECRET"}


@pytest.mark.parametrize("party", sorted(LEVEL))
def test_node_init_without_a_clearance_is_refused_naming_the_option(
    tmp_path: Path, party: str
) -> None:
    home = tmp_path / party.lower()
    result = invoke(home, "node", "init", "--party", party, "--officer", "duty", "--facility", "hq")
    assert result.exit_code == 2
    assert "--clearance" in result.output and "Missing option" in result.output
    assert not (home / "node.toml").exists()
    made = ok(
        home,
        "node",
        "init",
        "--party",
        party,
        "--officer",
        "duty",
        "--clearance",
        LEVEL[party],
        "--facility",
        "hq",
    )
    assert made["officer"] == "duty"
    (row,) = ok(home, "person", "list", "--as", "duty")
    assert row["clearance"] and row["facilities"] == ["hq"]


def test_registry_found_without_a_clearance_is_refused_naming_the_option(
    tmp_path: Path,
) -> None:
    home = tmp_path / "jpn"
    init_home(
        home,
        party="JPN",
        now=datetime.now(UTC),
        master=MasterSecret.from_text(SECRET),
        default_facility="hq",
    )
    refused = invoke(home, "registry", "found", "--officer", "duty")
    assert code(refused) == 2
    assert isinstance(refused.exception, InputError)
    message = str(refused.exception)
    assert "missing option --clearance" in message and "cleared security officer" in message
    founded = ok(home, "registry", "found", "--officer", "duty", "--clearance", LEVEL["JPN"])
    assert founded["authorities"] == ["custody", "registry"]
