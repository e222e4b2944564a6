"""The policy commands as a user runs them: real process, real exit codes, JSON output."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def gsomia(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gsomia", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_status_on_2019_11_23_reports_the_suspended_notice() -> None:
    r = gsomia("agreement", "status", "jpn-kor-gsomia", "--on", "2019-11-23", "--json")
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert body["phase"] == "notice suspended"
    assert body["in_force"] is True
    assert body["notice"]["suspended"] is True
    assert body["notice"]["terminates_at"] == "2019-11-23T00:00:00+09:00"


def test_check_send_prints_the_decision_and_its_rules() -> None:
    r = gsomia(
        "check",
        "send",
        "--from",
        "JPN",
        "--to",
        "KOR",
        "--level",
        "極秘",
        "--topic",
        "nk-missile",
        "--on",
        "2019-10-02",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    decisions = {d["agreement"]: d for d in json.loads(r.stdout)}
    assert decisions["jpn-kor-gsomia"]["allowed"] is True
    assert decisions["jpn-kor-gsomia"]["rule_ids"] == ["JK-21.1", "JK-9.1", "JK-4.1", "JK-4.2"]
    assert decisions["tisa"]["allowed"] is True


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (
            [
                "check",
                "send",
                "--from",
                "JPN",
                "--to",
                "KOR",
                "--level",
                "機密",
                "--topic",
                "nk-missile",
                "--on",
                "2019-10-02",
            ],
            4,
            "JK-4.1",
        ),
        (
            [
                "check",
                "release",
                "--agreement",
                "jpn-kor-gsomia",
                "--originator",
                "JPN",
                "--holder",
                "KOR",
                "--to",
                "USA",
                "--level",
                "秘",
                "--on",
                "2019-10-03",
            ],
            4,
            "JK-5.1",
        ),
        (
            [
                "check",
                "open",
                "--agreement",
                "jpn-kor-gsomia",
                "--originator",
                "JPN",
                "--holder",
                "KOR",
                "--level",
                "極秘",
                "--topic",
                "nk-missile",
                "--on",
                "2019-10-03",
                "--clearance",
                "군사I급비밀",
                "--rank",
                "General",
            ],
            4,
            "JK-7.1",
        ),
        (
            ["agreement", "status", "no-such", "--on", "2019-01-01"],
            3,
            "unknown agreement 'no-such'",
        ),
        (["agreement", "status", "tisa", "--on", "yesterday"], 2, "--on: 'yesterday'"),
        (
            [
                "check",
                "send",
                "--from",
                "JPN",
                "--to",
                "KOR",
                "--level",
                "Geheim",
                "--topic",
                "x",
                "--on",
                "2019-10-02",
            ],
            3,
            "unknown classification level 'Geheim'",
        ),
        (["check", "send", "--from", "JPN"], 2, "Missing option"),
    ],
)
def test_refusals_and_bad_input_exit_non_zero_with_a_clear_message(
    args: list[str], code: int, needle: str
) -> None:
    r = gsomia(*args)
    assert r.returncode == code, (r.stdout, r.stderr)
    assert needle in r.stdout + r.stderr
    assert "Traceback" not in r.stderr


def test_errors_are_json_with_json() -> None:
    r = gsomia("agreement", "show", "nope", "--json")
    assert r.returncode == 3
    assert json.loads(r.stderr)["error"] == "UnknownName"


def test_show_prints_the_equivalence_table() -> None:
    r = gsomia("agreement", "show", "jpn-kor-gsomia", "--json")
    body = json.loads(r.stdout)
    secret = next(row for row in body["equivalence"] if row["english"] == "SECRET")
    assert [x["native"] for x in secret["JPN"]] == ["極秘", "特定秘密"]
    assert [x["native"] for x in secret["KOR"]] == ["군사II급비밀"]
