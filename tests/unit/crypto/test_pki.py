"""Each party's authority: issuing, reading back the party, revocation, pinning, contexts."""

from __future__ import annotations

import ssl
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from hypothesis import given
from hypothesis import strategies as st

from gsomia.crypto import MasterSecret
from gsomia.crypto import _pki_x509 as x
from gsomia.crypto.pki import (
    CLOCK_SKEW,
    NodePki,
    PartnerTrust,
    key_passphrase,
    read_certificate,
    read_peer_identity,
)
from gsomia.errors import ConfigError, ConflictError, InputError, IntegrityError, UnknownName

T0 = datetime(2030, 5, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def master() -> MasterSecret:
    return MasterSecret.from_text(MasterSecret.generate())


@pytest.fixture
def jpn(tmp_path: Path, master: MasterSecret) -> NodePki:
    return NodePki.init(tmp_path / "jpn", party="JPN", master=master, now=T0)


@pytest.fixture
def kor(tmp_path: Path, master: MasterSecret) -> NodePki:
    return NodePki.init(tmp_path / "kor", party="KOR", master=master, now=T0)


def der_of(pki: NodePki) -> bytes:
    return ssl.PEM_cert_to_DER_cert((pki.root / "node.pem").read_text())


def pem_label(path: Path) -> str:
    """The label of the first PEM block in ``path`` (what its BEGIN line names)."""
    first = path.read_text(encoding="ascii").splitlines()[0]
    return first.removeprefix("-----BEGIN ").removesuffix("-----")


def test_init_lays_out_the_directory_with_private_keys_encrypted_and_0600(jpn: NodePki) -> None:
    root = jpn.root
    for name in ("pki.json", "ca.pem", "ca-key.pem", "node.pem", "node-key.pem", "crl.pem"):
        assert (root / name).is_file(), name
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    for key in ("ca-key.pem", "node-key.pem"):
        assert stat.S_IMODE((root / key).stat().st_mode) == 0o600
        assert pem_label(root / key) == "ENCRYPTED PRIVATE KEY"  # PKCS#8, encrypted
    assert NodePki.open(root.parent).party == "JPN"


def test_keys_unlock_only_with_the_passphrase_derived_from_the_master_secret(
    jpn: NodePki, master: MasterSecret
) -> None:
    data = (jpn.root / "node-key.pem").read_bytes()
    key = serialization.load_pem_private_key(data, key_passphrase(master, party="JPN"))
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.curve.name == "secp256r1"
    other = MasterSecret.from_text(MasterSecret.generate())
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(data, key_passphrase(other, party="JPN"))
    with pytest.raises(IntegrityError):
        jpn.issue(master=other, now=T0)


def test_node_certificate_names_the_party_hosts_and_both_tls_uses(jpn: NodePki) -> None:
    view = jpn.describe()
    node, ca = view.node, view.authority
    assert node.party == "JPN" and not node.is_authority
    assert ca.party == "JPN" and ca.is_authority and ca.subject == ca.issuer
    assert node.issuer == ca.subject
    assert node.hosts == ("localhost", "127.0.0.1")
    assert node.not_before == T0 - CLOCK_SKEW
    assert node.not_after == T0 + timedelta(days=365)
    cert = x509.load_pem_x509_certificate((jpn.root / "node.pem").read_bytes())
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(eku) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    assert (jpn.root / "issued" / f"{node.serial}.pem").is_file()


def test_the_party_is_read_back_from_a_peer_certificate(jpn: NodePki) -> None:
    identity = read_peer_identity(der_of(jpn))
    assert identity.party == "JPN"
    assert identity.serial == jpn.describe().node.serial
    with pytest.raises(IntegrityError):
        read_peer_identity(b"not a certificate")


def test_explicit_now_issues_expired_and_not_yet_valid_certificates(
    jpn: NodePki, master: MasterSecret
) -> None:
    expired = jpn.issue(master=master, now=T0 - timedelta(days=10), days=1)
    assert expired.not_after == T0 - timedelta(days=9)
    future = jpn.issue(master=master, now=T0 + timedelta(days=2))
    assert future.not_before > T0
    assert jpn.describe().node.serial == future.serial
    assert expired.serial != future.serial


def test_a_node_certificate_never_outlives_its_authority(
    tmp_path: Path, master: MasterSecret
) -> None:
    pki = NodePki.init(tmp_path, party="USA", master=master, now=T0, ca_days=30, node_days=365)
    assert pki.describe().node.not_after == pki.describe().authority.not_after


def test_init_refuses_to_overwrite_or_a_bad_party_or_naive_time(
    jpn: NodePki, tmp_path: Path, master: MasterSecret
) -> None:
    with pytest.raises(ConflictError):
        NodePki.init(jpn.root.parent, party="JPN", master=master)
    with pytest.raises(InputError):
        NodePki.init(tmp_path / "x", party="jp", master=master)
    with pytest.raises(InputError):
        NodePki.init(tmp_path / "y", party="JPN", master=master, now=datetime(2030, 1, 1))
    with pytest.raises(ConfigError):
        NodePki.open(tmp_path / "nowhere")


def test_hosts_must_be_names_or_addresses(jpn: NodePki, master: MasterSecret) -> None:
    info = jpn.issue(master=master, hosts=["node.jpn.example", "::1"], now=T0)
    assert info.hosts == ("node.jpn.example", "::1")
    with pytest.raises(InputError):
        jpn.issue(master=master, hosts=["bad host/name"], now=T0)
    with pytest.raises(InputError):
        jpn.issue(master=master, hosts=[], now=T0)


def test_revocation_lists_the_serial_in_a_new_signed_crl(
    jpn: NodePki, master: MasterSecret
) -> None:
    first = jpn.describe()
    assert first.crl.revoked == () and first.crl.number == 1
    spare = jpn.issue(master=master, now=T0)
    crl = jpn.revoke(master=master, serial=spare.serial.upper(), now=T0 + timedelta(hours=1))
    assert crl.revoked == (spare.serial,)
    assert crl.number == 2
    loaded = x509.load_pem_x509_crl((jpn.root / "crl.pem").read_bytes())
    ca = x509.load_pem_x509_certificate((jpn.root / "ca.pem").read_bytes())
    assert x.crl_signed_by(loaded, ca)
    revoked = loaded.get_revoked_certificate_by_serial_number(int(spare.serial, 16))
    assert revoked is not None
    with pytest.raises(ConflictError):
        jpn.revoke(master=master, serial=spare.serial)


def test_revoking_an_unknown_serial_or_with_an_unknown_reason_is_refused(
    jpn: NodePki, master: MasterSecret
) -> None:
    with pytest.raises(UnknownName):
        jpn.revoke(master=master, serial="abc123")
    with pytest.raises(InputError):
        jpn.revoke(master=master, serial="not-hex!")
    with pytest.raises(InputError):
        jpn.revoke(master=master, serial=jpn.describe().node.serial, reason="bored")
    assert jpn.describe().crl.revoked == ()


@given(st.integers(min_value=1, max_value=2**159 - 1), st.booleans(), st.booleans())
def test_serials_are_read_in_any_usual_spelling(serial: int, upper: bool, colons: bool) -> None:
    text = format(serial, "x").zfill(40)
    if colons:
        text = ":".join(text[i : i + 2] for i in range(0, len(text), 2))
    assert x.normal_serial(text.upper() if upper else text) == x.serial_hex(serial)


def test_export_and_trust_pin_the_partner_authority_and_crl(
    jpn: NodePki, kor: NodePki, master: MasterSecret
) -> None:
    bundle = jpn.export_ca(master=master, now=T0)
    assert bundle.startswith(b"gsomia/ca-bundle-v1 party=JPN\n")
    info = kor.trust(party="JPN", bundle=bundle)
    assert info.authority.fingerprint == jpn.describe().authority.fingerprint
    assert info.crl.number == 2
    assert kor.partners() == ("JPN",)
    assert [p.party for p in kor.describe().partners] == ["JPN"]


def test_trust_refuses_a_bundle_for_another_party(
    jpn: NodePki, kor: NodePki, master: MasterSecret
) -> None:
    bundle = jpn.export_ca(master=master, now=T0)
    with pytest.raises(InputError):
        kor.trust(party="USA", bundle=bundle)
    stripped = bundle.split(b"\n", 1)[1]
    with pytest.raises(InputError):
        kor.trust(party="USA", bundle=stripped)
    with pytest.raises(InputError):
        kor.trust(party="KOR", bundle=bundle)
    assert kor.partners() == ()


def test_trust_refuses_a_crl_signed_by_another_authority(
    jpn: NodePki, kor: NodePki, master: MasterSecret
) -> None:
    jpn_bundle = jpn.export_ca(master=master, now=T0)
    kor_crl = kor.export_ca(master=master, now=T0)
    with pytest.raises(IntegrityError):
        kor.trust(party="JPN", bundle=jpn_bundle, crl=kor_crl)
    without_crl = jpn_bundle.split(b"-----BEGIN X509 CRL-----")[0]
    with pytest.raises(InputError):
        kor.trust(party="JPN", bundle=without_crl)
    assert kor.partners() == ()


def test_a_pinned_authority_is_replaced_only_on_purpose_and_crls_never_roll_back(
    tmp_path: Path, jpn: NodePki, kor: NodePki, master: MasterSecret
) -> None:
    old = jpn.export_ca(master=master, now=T0)
    new = jpn.export_ca(master=master, now=T0 + timedelta(days=1))
    kor.trust(party="JPN", bundle=new)
    with pytest.raises(ConflictError):
        kor.trust(party="JPN", bundle=old)
    impostor = NodePki.init(tmp_path / "impostor", party="JPN", master=master, now=T0)
    fake = impostor.export_ca(master=master, now=T0)
    with pytest.raises(ConflictError):
        kor.trust(party="JPN", bundle=fake)
    assert kor.describe().partners[0].authority.fingerprint == jpn.describe().authority.fingerprint
    kor.trust(party="JPN", bundle=fake, replace=True)
    assert kor.describe().partners[0].authority.fingerprint != jpn.describe().authority.fingerprint


def test_partner_trust_refuses_a_certificate_minted_by_another_partys_authority(
    tmp_path: Path, jpn: NodePki, kor: NodePki, master: MasterSecret
) -> None:
    usa = NodePki.init(tmp_path / "usa", party="USA", master=master, now=T0)
    kor.trust(party="JPN", bundle=jpn.export_ca(master=master, now=T0))
    kor.trust(party="USA", bundle=usa.export_ca(master=master, now=T0))
    trust = kor.partner_trust()
    assert trust.parties == ("JPN", "USA")
    assert trust.identify(der_of(jpn)).party == "JPN"
    assert trust.identify(der_of(usa)).party == "USA"
    passphrase = key_passphrase(master, party="USA")
    usa_ca = x509.load_pem_x509_certificate((usa.root / "ca.pem").read_bytes())
    usa_key = serialization.load_pem_private_key((usa.root / "ca-key.pem").read_bytes(), passphrase)
    assert isinstance(usa_key, ec.EllipticCurvePrivateKey)
    forged = x.build_node(
        party="JPN",
        ca=usa_ca,
        ca_key=usa_key,
        key=ec.generate_private_key(ec.SECP256R1()),
        hosts=["localhost"],
        at=T0,
    )
    forged_der = forged.public_bytes(serialization.Encoding.DER)
    assert read_peer_identity(forged_der).party == "JPN"
    with pytest.raises(IntegrityError):
        trust.identify(forged_der)
    with pytest.raises(IntegrityError):
        PartnerTrust({"USA": (usa.root / "ca.pem").read_bytes()}).identify(der_of(jpn))


def test_contexts_need_pinned_partners_and_the_right_secret(
    jpn: NodePki, kor: NodePki, master: MasterSecret
) -> None:
    with pytest.raises(ConfigError):
        kor.server_context(master=master)
    with pytest.raises(UnknownName):
        kor.client_context(master=master, destination="JPN")
    kor.trust(party="JPN", bundle=jpn.export_ca(master=master, now=T0))
    server = kor.server_context(master=master)
    assert server.verify_mode is ssl.CERT_REQUIRED
    assert server.verify_flags & ssl.VERIFY_CRL_CHECK_LEAF
    assert server.cert_store_stats() == {"x509": 1, "crl": 1, "x509_ca": 1}
    client = kor.client_context(master=master, destination="JPN")
    assert client.check_hostname and client.verify_mode is ssl.CERT_REQUIRED
    assert client.verify_flags & ssl.VERIFY_CRL_CHECK_LEAF
    with pytest.raises(UnknownName):
        kor.server_context(master=master, partners=["USA"])
    other = MasterSecret.from_text(MasterSecret.generate())
    with pytest.raises(IntegrityError):
        kor.server_context(master=other)


def test_read_certificate_describes_pem_and_refuses_garbage(jpn: NodePki) -> None:
    info = read_certificate((jpn.root / "ca.pem").read_bytes())
    assert info.is_authority and info.party == "JPN"
    with pytest.raises(InputError):
        read_certificate(b"hello")


def test_the_first_spelling_of_the_pki_markers_is_still_read(
    jpn: NodePki, kor: NodePki, master: MasterSecret
) -> None:
    manifest = jpn.root / "pki.json"
    assert '"gsomia/pki-v1"' in manifest.read_text(encoding="utf-8")
    manifest.write_text('{"format": "gsomia-pki-v1", "party": "JPN"}', encoding="utf-8")
    assert NodePki.open(jpn.root.parent).party == "JPN"
    bundle = jpn.export_ca(master=master, now=T0)
    old = bundle.replace(b"gsomia/ca-bundle-v1", b"gsomia-ca-bundle-v1", 1)
    assert kor.trust(party="JPN", bundle=old).authority.fingerprint == (
        jpn.describe().authority.fingerprint
    )


@pytest.mark.parametrize(
    "marker", [b"gsomia/ca-bundle-v2 party=JPN", b"gsomia-ca-bundle-v1 party=KOR"]
)
def test_a_bundle_of_another_version_or_party_is_refused_in_either_spelling(
    jpn: NodePki, kor: NodePki, master: MasterSecret, marker: bytes
) -> None:
    bundle = jpn.export_ca(master=master, now=T0)
    forged = marker + bundle[bundle.index(b"\n") :]
    with pytest.raises(InputError):
        kor.trust(party="JPN", bundle=forged)


def test_a_manifest_of_another_version_is_refused(jpn: NodePki) -> None:
    (jpn.root / "pki.json").write_text('{"format": "gsomia/pki-v2", "party": "JPN"}')
    with pytest.raises(ConfigError):
        NodePki.open(jpn.root.parent)
