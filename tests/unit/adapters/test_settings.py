"""Node settings (``node.toml`` and ``GSOMIA_*``): a wrong or unknown setting is a
ConfigError naming the file and the setting; nothing is silently ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from gsomia.config import load_settings
from gsomia.errors import ConfigError


def write(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    (home / "node.toml").write_text(text, encoding="utf-8")
    return home


def test_a_node_toml_with_peers_and_limits_loads(tmp_path: Path) -> None:
    home = write(
        tmp_path / "jpn",
        'party = "JPN"\nport = 8443\n[limits]\nmax_request_bytes = 2048\n'
        '[[peers]]\nparty = "KOR"\nurl = "https://kor.example:9443"\n',
    )
    settings = load_settings(home)
    assert (settings.party, settings.port, settings.limits.max_request_bytes) == ("JPN", 8443, 2048)
    assert [(p.party, p.url) for p in settings.peers] == [("KOR", "https://kor.example:9443")]
    assert settings.database_url() == f"sqlite:///{home / 'node.db'}"


@pytest.mark.parametrize(
    ("text", "setting"),
    [
        ('party = "Japan"\n', "party"),
        ('party = "JPN"\nport = 70000\n', "port"),
        ('party = "JPN"\ncolour = "red"\n', "colour"),
        # Trust in a partner's authority is pinned with `gsomia pki trust`; a file named here
        # would be ignored, so it is refused.
        (
            'party = "JPN"\n[[peers]]\nparty = "KOR"\nurl = "https://k"\nca_file = "k.pem"\n',
            "ca_file",
        ),
    ],
)
def test_a_wrong_or_unknown_setting_names_the_file_and_the_setting(
    tmp_path: Path, text: str, setting: str
) -> None:
    home = write(tmp_path / "jpn", text)
    with pytest.raises(ConfigError, match=setting) as raised:
        load_settings(home)
    assert str(home / "node.toml") in str(raised.value)


def test_a_broken_toml_file_is_named(tmp_path: Path) -> None:
    home = write(tmp_path / "jpn", 'party = "JPN\n')
    with pytest.raises(ConfigError, match=r"node\.toml"):
        load_settings(home)


def test_the_environment_overrides_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = write(tmp_path / "jpn", 'party = "JPN"\nport = 8443\npeer_port = 9443\n')
    monkeypatch.setenv("GSOMIA_PORT", "9000")
    settings = load_settings(home)
    assert (settings.port, settings.peer_port) == (9000, 9443)
    monkeypatch.setenv("GSOMIA_PORT", "not a port")
    with pytest.raises(ConfigError, match="port"):
        load_settings(home)
