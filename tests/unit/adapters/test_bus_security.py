"""Crypto review M6: a node reaches a NATS server beyond loopback only over TLS and with
credentials, and a bad retention is refused, before anything is sent."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from gsomia.adapters.bus.nats import NatsBus, check_connection
from gsomia.errors import ConfigError

CA = Path("ca.pem")
CREDS = Path("node.creds")


@pytest.mark.parametrize(
    "url",
    ["nats://127.0.0.1:4222", "nats://localhost:4222", "nats://[::1]:4222", "tls://127.0.0.2"],
)
def test_loopback_needs_nothing_more(url: str) -> None:
    check_connection(url, ca_file=None, credentials=None)


@pytest.mark.parametrize(
    ("url", "ca", "creds", "problem"),
    [
        ("nats://10.0.0.5:4222", None, None, "TLS"),
        ("nats://10.0.0.5:4222", None, CREDS, "TLS"),
        ("nats://u:p@nats.example:4222", None, None, "TLS"),
        ("tls://nats.example:4222", None, None, "credentials"),
        ("nats://nats.example:4222", CA, None, "credentials"),
        ("tls://u@nats.example:4222", None, None, "credentials"),
        ("nats://127.0.0.1:4222,nats://10.0.0.9:4222", None, None, "TLS"),
        ("http://127.0.0.1:4222", None, None, "nats://"),
    ],
)
def test_beyond_loopback_tls_and_credentials_are_required(
    url: str, ca: Path | None, creds: Path | None, problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        check_connection(url, ca_file=ca, credentials=creds)
    with pytest.raises(ConfigError, match=problem):
        NatsBus(url, ca_file=ca, credentials=creds, timeout=0.1)


@pytest.mark.parametrize(
    ("url", "ca", "creds"),
    [
        ("tls://nats.example:4222", None, CREDS),
        ("nats://nats.example:4222", CA, CREDS),
        ("tls://user:secret@10.0.0.5:4222", None, None),
    ],
)
def test_tls_and_credentials_are_enough(url: str, ca: Path | None, creds: Path | None) -> None:
    check_connection(url, ca_file=ca, credentials=creds)


def test_a_retention_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="retention"):
        NatsBus("nats://127.0.0.1:1", retention=timedelta(0), timeout=0.1)
