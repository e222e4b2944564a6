"""Every node command on two node homes (in-process through the main command): the
workflows end to end, and hostile input to each command with nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import code, deliver, invoke, make_homes, ok, rows

NOBODY = "0" * 32


def provide(
    path: Path, *, to: str = "KOR", topic: str = "nk-missile", purpose: str = "p"
) -> list[str]:
    """``provide PATH`` at 極秘 by JPN's officer."""
    return [
        "provide",
        str(path),
        "--to",
        to,
        "--level",
        "極秘",
        "--topic",
        topic,
        "--purpose",
        purpose,
        "--as",
        "jpn-officer",
    ]


def law_notify(agreement: str, effective_on: str) -> list[str]:
    """``law notify`` of a made-up law under ``agreement``."""
    return [
        "law",
        "notify",
        "--agreement",
        agreement,
        "--title",
        "t",
        "--summary",
        "s",
        "--effective-on",
        effective_on,
    ]


@pytest.fixture(scope="module")
def held(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Path], str]:
    """JPN and KOR homes, and an item JPN provided that KOR now holds."""
    root = tmp_path_factory.mktemp("homes")
    homes = make_homes(root)
    (root / "warning.txt").write_bytes(b"launch point 39.0N 125.7E")
    (root / "big.bin").write_bytes(b"x" * (4 * 1024 * 1024 + 1))
    (root / "junk.keys").write_text("{not json", encoding="utf-8")
    provided = ok(homes["JPN"], *provide(root / "warning.txt", purpose="warning"))
    deliver(homes)
    return homes, provided["items"][0]


def test_the_workflows_through_the_commands(tmp_path: Path) -> None:
    homes = make_homes(tmp_path)
    jpn, kor = homes["JPN"], homes["KOR"]
    (tmp_path / "w.txt").write_bytes(b"impact point 40.1N 139.5E")
    (tmp_path / "w.ko.txt").write_bytes("탄착 지점".encode())
    item = ok(jpn, *provide(tmp_path / "w.txt", purpose="warning"))["items"][0]
    deliver(homes)
    (shown,) = ok(kor, "inbox", "--as", "kor-official")
    assert (shown["item"], shown["originator"], shown["holder_level"]) == (
        item,
        "JPN",
        "KOR:GUNSA_II",
    )
    out = tmp_path / "opened.txt"
    ok(kor, "open", item, "--as", "kor-official", "--out", str(out))
    assert out.read_bytes() == b"impact point 40.1N 139.5E"
    copy = ok(kor, "copy", item, "--as", "kor-official")
    translation = ok(
        kor,
        "translate",
        item,
        str(tmp_path / "w.ko.txt"),
        "--as",
        "kor-official",
        "--translator",
        "kor-official",
        "--language",
        "ko",
    )
    assert [r["number"] for r in ok(kor, "copies", item, "--as", "kor-official")] == [1, 2]
    ok(jpn, "reclassify", item, "--level", "秘", "--as", "jpn-officer", "--text", "downgrade")
    deliver(homes)
    assert {r["holder_level"] for r in ok(kor, "inbox", "--as", "kor-official")} == {
        "KOR:GUNSA_III"
    }
    request = ok(
        kor,
        "consent",
        "request",
        item,
        "--to",
        "USA",
        "--as",
        "kor-official",
        "--reason",
        "joint assessment",
    )
    deliver(homes)
    ok(jpn, "consent", "grant", request["id"], "--as", "jpn-officer")
    deliver(homes)
    assert [r["state"] for r in ok(kor, "consent", "list", "--as", "kor-officer")] == ["granted"]
    report = ok(
        kor,
        "incident",
        "report",
        copy["item"],
        "--kind",
        "loss",
        "--possible",
        "--as",
        "kor-officer",
        "--description",
        "copy 1 not found",
    )
    ok(kor, "incident", "investigate", report["id"], "--as", "kor-officer", "--note", "search")
    ok(
        kor,
        "incident",
        "close",
        report["id"],
        "--as",
        "kor-officer",
        "--result",
        "found",
        "--measures",
        "sign-out sheet",
    )
    deliver(homes)
    (seen,) = ok(jpn, "incident", "list", "--as", "jpn-officer")
    assert (seen["state"], seen["measures"]) == ("closed", "sign-out sheet")
    ok(
        kor,
        "law",
        "notify",
        "--agreement",
        "jpn-kor-gsomia",
        "--title",
        "Military Secrets Act",
        "--summary",
        "new storage rules",
        "--effective-on",
        "2030-01-01",
        "--as",
        "kor-officer",
    )
    visit = ok(
        kor,
        "visit",
        "request",
        "--agreement",
        "jpn-kor-gsomia",
        "--host",
        "JPN",
        "--facility",
        "jpn-hq",
        "--visitor",
        "kor-official",
        "--purpose",
        "liaison",
        "--subject",
        "warning data",
        "--scope",
        "briefing",
        "--start",
        "2030-01-10",
        "--end",
        "2030-01-11",
        "--max-level",
        "秘",
        "--as",
        "kor-officer",
    )
    deliver(homes)
    assert [r["state"] for r in ok(jpn, "law", "list", "--as", "jpn-officer")] == ["received"]
    ok(jpn, "visit", "approve", visit["id"], "--as", "jpn-officer")
    deliver(homes)
    assert [r["state"] for r in ok(kor, "visit", "list", "--as", "kor-officer")] == ["approved"]
    ok(
        kor,
        "facility",
        "add",
        "hanwha-1",
        "--name",
        "Plant",
        "--contractor",
        "Hanwha",
        "--as",
        "kor-registrar",
    )
    assert (
        ok(
            kor,
            "contractor",
            "condition",
            "hanwha-1",
            "a",
            "--evidence",
            "x",
            "--as",
            "kor-officer",
        )["missing"][0]
        == "b"
    )
    ok(
        kor,
        "contractor",
        "condition",
        "hanwha-1",
        "all",
        "--evidence",
        "inspected",
        "--as",
        "kor-officer",
    )
    moved = ok(
        kor,
        "contractor",
        "hand-over",
        copy["item"],
        "--facility",
        "hanwha-1",
        "--as",
        "kor-officer",
    )
    assert moved["facility"] == "hanwha-1"
    ok(kor, "lapse", item, "--as", "kor-official")
    due = {r["item"]: r["of"] for r in ok(kor, "due", "--as", "kor-official")}
    assert due == {item: None, copy["item"]: item, translation["item"]: item}
    ok(kor, "return", item, "--as", "kor-official")
    deliver(homes)
    assert ok(kor, "inbox", "--state", "returned", "--as", "kor-official")[0]["item"] == item
    notice = ok(
        kor,
        "agreement",
        "notice",
        "jpn-kor-gsomia",
        "--as",
        "kor-officer",
        "--text",
        "notice of termination",
    )
    deliver(homes)
    notes = ok(jpn, "agreement", "notes")["notes"]
    assert [(n["id"], n["state"]) for n in notes] == [(notice["id"], "received")]
    assert ok(jpn, "outbox")["dead_letters"] == []


def hostile(item: str, root: Path) -> list[tuple[str, list[str], int]]:
    """(home, command, exit code) for bad input to every command."""
    kor = ["--as", "kor-official"]

    def translate(path: Path, translator: str) -> list[str]:
        return ["translate", item, str(path), *kor, "--translator", translator, "--language", "ko"]

    return [
        ("KOR", ["copy", NOBODY, *kor], 3),
        ("KOR", ["copy", "not-an-id", *kor], 2),
        ("KOR", ["copy", item, "--as", "nobody"], 3),
        ("KOR", ["copy", item, *kor, "--facility", "nowhere"], 3),
        ("KOR", translate(root / "warning.txt", "nobody"), 3),
        ("KOR", translate(root / "big.bin", "kor-official"), 2),
        ("KOR", ["copies", NOBODY, *kor], 3),
        ("KOR", ["lapse", NOBODY, *kor], 3),
        ("KOR", ["destroy", NOBODY, *kor], 3),
        ("KOR", ["destroy", item, *kor, "--method", "burn it"], 2),
        ("KOR", ["return", NOBODY, *kor], 3),
        ("JPN", ["reclassify", NOBODY, "--level", "秘", "--as", "jpn-officer"], 3),
        ("JPN", ["reclassify", item, "--level", "secret-ish", "--as", "jpn-officer"], 3),
        ("KOR", ["consent", "request", NOBODY, "--to", "USA", *kor, "--reason", "x"], 3),
        ("KOR", ["consent", "request", item, "--to", "U S", *kor, "--reason", "x"], 2),
        ("JPN", ["consent", "grant", NOBODY, "--as", "jpn-officer"], 3),
        ("JPN", ["consent", "refuse", "nope", "--as", "jpn-officer"], 2),
        ("KOR", ["release", NOBODY, "--to", "USA", *kor], 3),
        ("KOR", ["forward", NOBODY, *kor], 3),
        ("KOR", ["forward", item, *kor], 2),
        ("KOR", ["incident", "report", NOBODY, "--kind", "loss", *kor, "--description", "x"], 3),
        ("KOR", ["incident", "report", item, "--kind", "theft", *kor, "--description", "x"], 2),
        ("KOR", ["incident", "investigate", NOBODY, *kor, "--note", "x"], 3),
        ("KOR", ["incident", "close", NOBODY, *kor, "--result", "x", "--measures", "y"], 3),
        ("KOR", [*law_notify("no-such", "2030-01-01"), *kor], 3),
        ("KOR", [*law_notify("jpn-kor-gsomia", "soon"), *kor], 2),
        (
            "KOR",
            [
                "visit",
                "request",
                "--agreement",
                "jpn-kor-gsomia",
                "--host",
                "JPN",
                "--facility",
                "jpn-hq",
                "--visitor",
                "nobody",
                "--purpose",
                "p",
                "--subject",
                "s",
                "--scope",
                "s",
                "--start",
                "2030-01-01",
                "--end",
                "2030-01-02",
                "--max-level",
                "秘",
                *kor,
            ],
            3,
        ),
        ("KOR", ["visit", "approve", NOBODY, *kor], 3),
        ("KOR", ["visit", "refuse", NOBODY, *kor, "--reason", "x"], 3),
        ("KOR", ["contractor", "condition", "nowhere", "a", "--evidence", "x", *kor], 3),
        ("KOR", ["contractor", "condition", "kor-hq", "z", "--evidence", "x", *kor], 2),
        ("KOR", ["contractor", "hand-over", item, "--facility", "kor-hq", *kor], 4),
        ("KOR", ["agreement", "notice", "no-such", *kor, "--text", "x"], 3),
        (
            "KOR",
            ["agreement", "suspend", "jpn-kor-gsomia", "--of", "nothing", *kor, "--text", "x"],
            4,
        ),
        (
            "KOR",
            ["agreement", "withdraw", "jpn-kor-gsomia", "--of", "nothing", *kor, "--text", "x"],
            4,
        ),
        (
            "KOR",
            [
                "agreement",
                "notice",
                "jpn-kor-gsomia",
                *kor,
                "--text",
                "x",
                "--terminates-at",
                "2030-01-01",
            ],
            2,
        ),
        ("KOR", ["agreement", "amend", "no-such", *kor, "--text", "x"], 3),
        ("KOR", ["agreement", "accept", NOBODY, *kor], 3),
        ("KOR", ["open", NOBODY, *kor], 3),
        ("JPN", provide(root / "big.bin"), 2),
        ("JPN", provide(root / "missing"), 2),
        ("JPN", provide(root / "warning.txt", topic="Bad Topic"), 2),
        ("JPN", provide(root / "warning.txt", to="ZZZ"), 2),
        ("JPN", ["keys", "import", str(root / "junk.keys"), "--agreement", "jpn-kor-gsomia"], 2),
        ("JPN", ["keys", "import", str(root / "kor.keys"), "--agreement", "jpn-usa-gsomia"], 2),
        (
            "JPN",
            [
                "person",
                "add",
                "kim",
                "--name",
                "Kim",
                "--clearance",
                "군사II급비밀",
                "--as",
                "jpn-registrar",
            ],
            3,
        ),
        (
            "JPN",
            [
                "person",
                "add",
                "kim",
                "--name",
                "Kim",
                "--clearance",
                "秘",
                "--facility",
                "nowhere",
                "--as",
                "jpn-registrar",
            ],
            3,
        ),
        ("JPN", ["person", "add", "Bad Id", "--name", "x", "--as", "jpn-registrar"], 2),
        (
            "JPN",
            ["person", "add", "kim", "--name", "x", "--role", "general", "--as", "jpn-registrar"],
            2,
        ),
        ("JPN", ["person", "add", "jpn-officer", "--name", "again", "--as", "jpn-registrar"], 7),
        ("JPN", ["facility", "add", "UPPER", "--name", "x", "--as", "jpn-registrar"], 2),
        ("JPN", ["facility", "add", "jpn-hq", "--name", "again", "--as", "jpn-registrar"], 7),
        ("JPN", ["inbox", "--state", "weird", "--as", "jpn-official"], 2),
    ]


def test_hostile_input_to_every_command_is_refused_and_stores_nothing(
    held: tuple[dict[str, Path], str],
) -> None:
    homes, item = held
    root = homes["JPN"].parent
    before = {p: rows(h) for p, h in homes.items()}
    keyrings = {p: (h / "keyring.gsk").read_bytes() for p, h in homes.items()}
    failures = []
    for party, args, expected in hostile(item, root):
        result = invoke(homes[party], *args)
        if code(result) != expected or result.exception is None:
            failures.append((args, code(result), repr(result.exception), result.output[-300:]))
    assert failures == []
    # A refusal by the rules is recorded in the ledger (once); nothing else is stored.
    refused = {p: sum(1 for q, _, e in hostile(item, root) if q == p and e == 4) for p in homes}
    after = {p: rows(h) for p, h in homes.items()}
    for p in homes:
        assert after[p]["ledger"] == before[p]["ledger"] + refused[p], p
        assert {k: v for k, v in after[p].items() if k != "ledger"} == {
            k: v for k, v in before[p].items() if k != "ledger"
        }
    assert {p: (h / "keyring.gsk").read_bytes() for p, h in homes.items()} == keyrings


def test_errors_in_json_name_what_is_wrong(held: tuple[dict[str, Path], str]) -> None:
    homes, _ = held
    result = invoke(homes["KOR"], "copy", NOBODY, "--as", "kor-official", "--json")
    assert type(result.exception).__name__ == "UnknownName" and NOBODY in str(result.exception)
    shown = ok(homes["KOR"], "inbox", "--state", "all", "--as", "kor-official")
    assert json.dumps(shown) and all("content" not in row for row in shown)
