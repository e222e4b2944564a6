"""The review's attempts through the CLI (node homes on disk, the main command in-process):
an official without the authority cannot end a treaty, grant consent, administer the
registry or see it; each refusal exits with the policy code, names the rule and is recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gsomia.errors import PolicyDenied
from tests.support.cli import code, deliver, invoke, make_homes, ok, rows

DENIED = PolicyDenied.exit_code


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("decisions")
    homes = make_homes(root)
    (root / "w.txt").write_bytes(b"launch point 39.0N 125.7E")
    ok(
        homes["JPN"],
        "provide",
        str(root / "w.txt"),
        "--to",
        "KOR",
        "--level",
        "極秘",
        "--topic",
        "nk-missile",
        "--purpose",
        "warning",
        "--as",
        "jpn-officer",
    )
    deliver(homes)
    return homes


def _refused(home: Path, *args: str, rule: str) -> None:
    before = rows(home)
    result = invoke(home, *args)
    assert code(result) == DENIED, (args, result.output)
    assert rule in str(result.exception)
    after = rows(home)
    assert after["ledger"] == before["ledger"] + 1  # the refusal, once
    assert {k: v for k, v in after.items() if k != "ledger"} == {
        k: v for k, v in before.items() if k != "ledger"
    }


@pytest.mark.parametrize("terminates", [None, "soon"])
def test_an_official_without_the_notes_authority_cannot_give_notice(
    homes: dict[str, Path], terminates: str | None
) -> None:
    args = ["agreement", "notice", "jpn-kor-gsomia", "--as", "kor-official", "--text", "end"]
    if terminates:
        args += ["--terminates-at", (datetime.now(UTC) + timedelta(seconds=45)).isoformat()]
    _refused(homes["KOR"], *args, rule="JK-21.1")


def test_even_a_notes_officer_cannot_choose_an_early_end(homes: dict[str, Path]) -> None:
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    _refused(
        homes["KOR"],
        "agreement",
        "notice",
        "jpn-kor-gsomia",
        "--as",
        "kor-officer",
        "--text",
        "end",
        "--terminates-at",
        soon,
        rule="JK-21.1",
    )


def test_registry_acts_and_views_need_a_registry_officer(homes: dict[str, Path]) -> None:
    kor = homes["KOR"]
    _refused(kor, "facility", "add", "kor-x", "--name", "X", "--as", "kor-official", rule="JK-6.e")
    _refused(
        kor, "person", "grant", "kor-official", "consent", "--as", "kor-official", rule="JK-6.e"
    )
    _refused(kor, "person", "list", "--as", "kor-official", rule="JK-6.e")
    _refused(kor, "token", "issue", "kor-official", "--as", "kor-official", rule="JK-6.e")


def test_the_inbox_shows_only_markings_the_person_may_see(homes: dict[str, Path]) -> None:
    kor = homes["KOR"]
    assert len(ok(kor, "inbox", "--as", "kor-official")) == 1
    ok(kor, "person", "add", "kor-clerk", "--name", "Clerk", "--as", "kor-registrar")
    assert ok(kor, "inbox", "--as", "kor-clerk") == []
