"""``gsomia pki`` as a partner's operator runs it (sub-app on CliRunner, JSON output)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from gsomia.cli.pki import app
from gsomia.crypto import MasterSecret
from gsomia.crypto.pki import NodePki
from gsomia.errors import ConfigError, ConflictError, IntegrityError, UnknownName

runner = CliRunner()


@pytest.fixture(scope="module")
def secret() -> str:
    return MasterSecret.generate()


def pki(secret: str, *args: str) -> Result:
    return runner.invoke(app, list(args), env={"GSOMIA_MASTER_SECRET": secret})


def ok_json(result: Result) -> Any:
    assert result.exit_code == 0, (result.output, result.exception)
    body = json.loads(result.stdout)
    assert isinstance(body, dict)
    return body


def test_init_show_issue_revoke_export_and_trust(tmp_path: Path, secret: str) -> None:
    jpn, kor = tmp_path / "jpn", tmp_path / "kor"
    shown = ok_json(pki(secret, "init", "--home", str(jpn), "--party", "JPN", "--json"))
    assert shown["party"] == "JPN"
    first = shown["node"]
    assert first["hosts"] == ["localhost", "127.0.0.1"]
    assert stat.S_IMODE((jpn / "pki" / "node-key.pem").stat().st_mode) == 0o600
    ok_json(pki(secret, "init", "--home", str(kor), "--party", "KOR", "--json"))

    issued = ok_json(pki(secret, "issue", "--home", str(jpn), "--host", "jpn.node", "--json"))
    assert issued["hosts"] == ["jpn.node"] and issued["serial"] != first["serial"]
    crl = ok_json(pki(secret, "revoke", str(first["serial"]), "--home", str(jpn), "--json"))
    assert crl["revoked"] == [first["serial"]]

    bundle = tmp_path / "jpn-ca.pem"
    out = ok_json(pki(secret, "export-ca", "--home", str(jpn), "--out", str(bundle), "--json"))
    assert out["file"] == str(bundle)
    assert bundle.read_text().startswith("gsomia/ca-bundle-v1 party=JPN\n")
    pinned = ok_json(
        pki(secret, "trust", "--home", str(kor), "--party", "JPN", "--ca", str(bundle), "--json")
    )
    assert pinned["party"] == "JPN"
    assert pinned["crl"]["revoked"] == [first["serial"]]

    view = ok_json(pki(secret, "show", "--home", str(kor), "--json"))
    assert [p["party"] for p in view["partners"]] == ["JPN"]
    assert NodePki.open(kor).partners() == ("JPN",)


def test_export_ca_prints_the_bundle_and_show_prints_tables(tmp_path: Path, secret: str) -> None:
    assert pki(secret, "init", "--home", str(tmp_path), "--party", "USA").exit_code == 0
    printed = pki(secret, "export-ca", "--home", str(tmp_path))
    assert printed.exit_code == 0
    assert printed.stdout.startswith("gsomia/ca-bundle-v1 party=USA\n-----BEGIN CERTIFICATE-----")
    assert "-----BEGIN X509 CRL-----" in printed.stdout
    text = pki(secret, "show", "--home", str(tmp_path))
    assert text.exit_code == 0
    assert "PKI of USA" in text.stdout and "revocation list" in text.stdout


def test_commands_raise_gsomia_errors_for_the_main_cli_to_map(tmp_path: Path, secret: str) -> None:
    missing = pki(secret, "show", "--home", str(tmp_path / "none"))
    assert isinstance(missing.exception, ConfigError)
    assert pki(secret, "init", "--home", str(tmp_path), "--party", "JPN").exit_code == 0
    again = pki(secret, "init", "--home", str(tmp_path), "--party", "JPN")
    assert isinstance(again.exception, ConflictError)
    unknown = pki(secret, "revoke", "abcdef", "--home", str(tmp_path))
    assert isinstance(unknown.exception, UnknownName)
    wrong = pki(MasterSecret.generate(), "issue", "--home", str(tmp_path))
    assert isinstance(wrong.exception, IntegrityError)
    unset = {"GSOMIA_MASTER_SECRET": None, "GSOMIA_MASTER_SECRET_FILE": None}
    no_secret = runner.invoke(app, ["issue", "--home", str(tmp_path)], env=unset)
    assert isinstance(no_secret.exception, ConfigError)
