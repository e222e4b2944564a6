"""Each party's own certificate authority, its node certificates, revocation and TLS contexts.

Government-to-government channels (JK-9.1) carry sealed items over mutually authenticated
TLS (JK-12.1, a second layer under the item seal). Each party runs its own authority: a
self-signed ECDSA P-256 root that issues the node certificate (server and client auth,
RFC 5280 profile, the party code in the subject's ``O``) and signs a revocation list
(RFC 5280 section 5). A partner pins that root and that list, per party, with
:meth:`NodePki.trust`; the TLS contexts trust nothing else.

Layout of ``<home>/pki`` (directory mode 0700)::

    pki.json                 {"format": "gsomia/pki-v1", "party": "JPN"}
    ca.pem  ca-key.pem       the party's authority (key encrypted, mode 0600)
    node.pem node-key.pem    this node's current certificate (key encrypted, mode 0600)
    crl.pem                  the authority's current revocation list
    issued/<serial>.pem      every certificate the authority issued
    partners/<PARTY>/ca.pem  a partner's pinned authority
    partners/<PARTY>/crl.pem the partner's latest revocation list

Private keys are PKCS#8 PEM encrypted under a passphrase derived from the node's master
secret (:func:`key_passphrase`, HKDF-SHA-256 through :class:`MasterSecret`) *and* written
with mode 0600: a copied file is useless without the secret. Every call that reads the
clock has a ``now=`` argument; certificates and lists are back-dated by :data:`CLOCK_SKEW`
so that partners whose clocks lag a little still accept them.
"""

from __future__ import annotations

import base64
import json
import logging
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gsomia.crypto import MasterSecret
from gsomia.crypto import _pki_x509 as x
from gsomia.errors import ConfigError, ConflictError, InputError, IntegrityError, UnknownName

__all__ = [
    "CA_DAYS",
    "CLOCK_SKEW",
    "CRL_DAYS",
    "DEFAULT_HOSTS",
    "NODE_DAYS",
    "CertificateInfo",
    "NodePki",
    "PartnerInfo",
    "PartnerTrust",
    "PeerIdentity",
    "PkiView",
    "RevocationInfo",
    "key_passphrase",
    "read_certificate",
    "read_peer_identity",
]

_logger = logging.getLogger(__name__)

DEFAULT_HOSTS = x.DEFAULT_HOSTS
CA_DAYS = x.CA_DAYS
NODE_DAYS = x.NODE_DAYS
CRL_DAYS = x.CRL_DAYS
CLOCK_SKEW = x.CLOCK_SKEW

_FORMAT = "gsomia/pki-v1"
_FORMAT_FIRST_SPELLING = "gsomia-pki-v1"  # the same version as first spelt; still read
#: TLS 1.2 cipher suites allowed if TLS 1.2 is ever enabled: ECDHE key exchange, AEAD only.
_AEAD_SUITES = "ECDHE+AESGCM:ECDHE+CHACHA20"


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateInfo:
    """What a certificate says, without the ``cryptography`` object."""

    party: str
    subject: str
    issuer: str
    serial: str
    not_before: datetime
    not_after: datetime
    fingerprint: str
    is_authority: bool
    hosts: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RevocationInfo:
    """A revocation list: its number, validity and the revoked serials (lower-case hex)."""

    party: str
    number: int
    this_update: datetime
    next_update: datetime
    revoked: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerInfo:
    """A partner's pinned authority and its latest revocation list."""

    party: str
    authority: CertificateInfo
    crl: RevocationInfo


@dataclass(frozen=True, slots=True, kw_only=True)
class PkiView:
    """Everything ``gsomia pki show`` prints."""

    party: str
    authority: CertificateInfo
    node: CertificateInfo
    crl: RevocationInfo
    partners: tuple[PartnerInfo, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerIdentity:
    """The partner node a verified TLS client certificate names."""

    party: str
    serial: str
    fingerprint: str
    not_after: datetime


def key_passphrase(master: MasterSecret, *, party: str) -> bytes:
    """The passphrase that encrypts ``party``'s PKI private keys, derived from ``master``.

    RFC 5869 (HKDF-SHA-256) via :meth:`MasterSecret.derive`; ASCII so that OpenSSL reads it.
    """
    key = master.derive(salt=b"gsomia/pki-v1", purpose=b"pki key passphrase " + party.encode())
    return base64.urlsafe_b64encode(key).rstrip(b"=")


def read_certificate(pem: bytes) -> CertificateInfo:
    """Describe the first certificate in ``pem``; raises :class:`InputError` if there is none."""
    return _info(x.load_certificate(pem, what="certificate"))


def read_peer_identity(der: bytes) -> PeerIdentity:
    """The party a DER client certificate names in its subject ``O``.

    Trusts that TLS already verified the chain; :meth:`PartnerTrust.identify` also checks
    that the party's own pinned authority issued it. Raises :class:`IntegrityError`.
    """
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        raise IntegrityError("the peer certificate cannot be parsed") from None
    party = x.party_of(cert.subject)
    if party is None:
        raise IntegrityError("the peer certificate names no party in its subject")
    return PeerIdentity(
        party=party,
        serial=x.serial_hex(cert.serial_number),
        fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
        not_after=cert.not_valid_after_utc,
    )


class PartnerTrust:
    """Maps a verified client certificate to a partner, checking its party's own authority.

    Without this check a partner's authority could mint a certificate naming another party.
    """

    def __init__(self, authorities: dict[str, bytes]) -> None:
        self._cas = {p: x.load_certificate(pem, what="authority") for p, pem in authorities.items()}
        self._seen: dict[bytes, PeerIdentity] = {}

    @property
    def parties(self) -> tuple[str, ...]:
        """The partners this trust accepts."""
        return tuple(sorted(self._cas))

    def identify(self, der: bytes) -> PeerIdentity:
        """The identity of ``der``; raises :class:`IntegrityError` unless the pinned authority
        of the party it names issued it (RFC 5280 section 6.1, one link)."""
        known = self._seen.get(der)
        if known is not None:
            return known
        identity = read_peer_identity(der)
        ca = self._cas.get(identity.party)
        if ca is None:
            raise IntegrityError(f"{identity.party} is not a pinned partner of this node")
        try:
            x509.load_der_x509_certificate(der).verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):
            raise IntegrityError(
                f"the peer certificate was not issued by {identity.party}'s pinned authority"
            ) from None
        if len(self._seen) >= 4096:
            self._seen.clear()
        self._seen[der] = identity
        return identity


class NodePki:
    """A node's PKI directory: its party's authority, its certificate and pinned partners."""

    def __init__(self, root: Path, *, party: str) -> None:
        self.root = root
        self.party = party

    # -- creation and opening ---------------------------------------------------------

    @classmethod
    def init(
        cls,
        home: Path,
        *,
        party: str,
        master: MasterSecret,
        hosts: Iterable[str] = DEFAULT_HOSTS,
        now: datetime | None = None,
        ca_days: int = CA_DAYS,
        node_days: int = NODE_DAYS,
    ) -> NodePki:
        """Create ``home/pki``: the authority, an empty revocation list and the node
        certificate. Raises :class:`ConflictError` if it exists, :class:`InputError` for a
        malformed party code."""
        if not x.PARTY.fullmatch(party):
            raise InputError(f"party code {party!r} must be three capital letters")
        root = home / "pki"
        if (root / "pki.json").exists():
            raise ConflictError(f"{root} already holds a PKI; refusing to overwrite it")
        at = _at(now)
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        (root / "issued").mkdir(exist_ok=True, mode=0o700)
        pki = cls(root, party=party)
        passphrase = key_passphrase(master, party=party)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = x.build_authority(party=party, key=ca_key, at=at, days=ca_days)
        x.write(root / "ca-key.pem", x.key_pem(ca_key, passphrase), private=True)
        x.write(root / "ca.pem", x.cert_pem(ca))
        x.write(root / "crl.pem", x.pem_crl(x.sign_crl(ca, ca_key, [], number=1, at=at)))
        pki._issue(ca=ca, ca_key=ca_key, passphrase=passphrase, hosts=hosts, at=at, days=node_days)
        manifest = {"format": _FORMAT, "party": party}
        x.write(root / "pki.json", json.dumps(manifest).encode())
        _logger.info("created the %s authority and node certificate in %s", party, root)
        return pki

    @classmethod
    def open(cls, home: Path) -> NodePki:
        """The PKI in ``home/pki``; raises :class:`ConfigError` if it is missing or not v1."""
        root = home / "pki"
        try:
            manifest = json.loads((root / "pki.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ConfigError(f"no PKI in {root}: run `gsomia pki init` first") from None
        if not isinstance(manifest, dict) or manifest.get("format") not in (
            _FORMAT,
            _FORMAT_FIRST_SPELLING,
        ):
            raise ConfigError(f"{root / 'pki.json'} is not a {_FORMAT} manifest")
        party = manifest.get("party")
        if not isinstance(party, str) or not x.PARTY.fullmatch(party):
            raise ConfigError(f"{root / 'pki.json'} names no valid party")
        return cls(root, party=party)

    # -- the authority's acts -----------------------------------------------------------

    def issue(
        self,
        *,
        master: MasterSecret,
        hosts: Iterable[str] = DEFAULT_HOSTS,
        now: datetime | None = None,
        days: int = NODE_DAYS,
    ) -> CertificateInfo:
        """Issue a new key and node certificate (replacing ``node.pem``); the previous one
        stays valid until revoked. Raises :class:`IntegrityError` if the keys do not unlock."""
        passphrase = key_passphrase(master, party=self.party)
        ca, ca_key = self._authority(passphrase)
        return self._issue(
            ca=ca, ca_key=ca_key, passphrase=passphrase, hosts=hosts, at=_at(now), days=days
        )

    def revoke(
        self,
        *,
        master: MasterSecret,
        serial: str,
        reason: str = "unspecified",
        now: datetime | None = None,
    ) -> RevocationInfo:
        """Revoke the issued certificate ``serial`` and sign a new revocation list.

        Raises :class:`UnknownName` for a serial this authority never issued,
        :class:`ConflictError` if it is already revoked, :class:`InputError` for a bad reason.
        """
        wanted = x.normal_serial(serial)
        if not (self.root / "issued" / f"{wanted}.pem").exists():
            raise UnknownName(kind="certificate serial", name=wanted, known=self._issued())
        if reason not in x.REASONS:
            raise InputError(f"revocation reason {reason!r}; one of {', '.join(x.REASONS)}")
        ca, ca_key = self._authority(key_passphrase(master, party=self.party))
        current = self._own_crl(ca)
        if any(x.serial_hex(r.serial_number) == wanted for r in current):
            raise ConflictError(f"certificate {wanted} is already revoked")
        at = _at(now)
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(int(wanted, 16))
            .revocation_date(at)
            .add_extension(x509.CRLReason(x.REASONS[reason]), critical=False)
            .build()
        )
        crl = x.sign_crl(ca, ca_key, [*current, entry], number=x.crl_number(current) + 1, at=at)
        x.write(self.root / "crl.pem", x.pem_crl(crl))
        _logger.info("revoked %s certificate %s (%s)", self.party, wanted, reason)
        return _crl_info(crl, party=self.party)

    def export_ca(
        self, *, master: MasterSecret, now: datetime | None = None, crl_days: int = CRL_DAYS
    ) -> bytes:
        """The bundle partners pin: a ``gsomia/ca-bundle-v1`` line, the authority and a
        freshly signed revocation list (same entries, next number, valid ``crl_days``)."""
        ca, ca_key = self._authority(key_passphrase(master, party=self.party))
        current = self._own_crl(ca)
        at = _at(now)
        crl = x.sign_crl(
            ca, ca_key, list(current), number=x.crl_number(current) + 1, at=at, days=crl_days
        )
        x.write(self.root / "crl.pem", x.pem_crl(crl))
        return x.bundle(self.party, ca, crl)

    # -- partners ---------------------------------------------------------------------

    def trust(
        self, *, party: str, bundle: bytes, crl: bytes | None = None, replace: bool = False
    ) -> PartnerInfo:
        """Pin ``party``'s authority and revocation list from its exported bundle.

        The authority must be a self-signed CA naming ``party``; the list must be signed by
        it and not older than the pinned one. Raises :class:`InputError`,
        :class:`IntegrityError`, or :class:`ConflictError` when a different authority is
        already pinned for ``party`` (unless ``replace``) or the list rolls back.
        """
        if not x.PARTY.fullmatch(party) or party == self.party:
            raise InputError(f"{party!r} is not a partner party code")
        ca = x.check_partner_authority(bundle, party=party)
        crl_obj = x.check_partner_crl(crl if crl is not None else bundle, ca=ca)
        folder = self.root / "partners" / party
        pinned = x.read_optional(folder / "ca.pem")
        if pinned is not None:
            old = x.load_certificate(pinned, what="pinned authority")
            if old != ca and not replace:
                raise ConflictError(
                    f"a different authority is already pinned for {party}; "
                    "re-pin it explicitly (replace) after checking it out of band"
                )
            old_crl = x.read_optional(folder / "crl.pem")
            if old == ca and old_crl is not None:
                old_number = x.crl_number(x509.load_pem_x509_crl(old_crl))
                if x.crl_number(crl_obj) < old_number:
                    raise ConflictError(
                        f"{party}'s revocation list {x.crl_number(crl_obj)} is older than the "
                        f"pinned one ({old_number})"
                    )
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        x.write(folder / "ca.pem", x.cert_pem(ca))
        x.write(folder / "crl.pem", x.pem_crl(crl_obj))
        _logger.info("pinned %s's authority %s", party, ca.fingerprint(hashes.SHA256()).hex())
        return PartnerInfo(party=party, authority=_info(ca), crl=_crl_info(crl_obj, party=party))

    def partners(self) -> tuple[str, ...]:
        """The parties whose authority this node has pinned."""
        folder = self.root / "partners"
        if not folder.is_dir():
            return ()
        return tuple(sorted(p.name for p in folder.iterdir() if (p / "ca.pem").exists()))

    def partner_trust(self, partners: Iterable[str] | None = None) -> PartnerTrust:
        """A :class:`PartnerTrust` over the pinned authorities of ``partners`` (default all)."""
        chosen = self._chosen(partners)
        return PartnerTrust({p: self._partner_file(p, "ca.pem").read_bytes() for p in chosen})

    def describe(self) -> PkiView:
        """The authority, node certificate, own revocation list and pinned partners."""
        ca = x.load_certificate(self._read("ca.pem"), what="authority")
        partners = []
        for party in self.partners():
            pca = self._partner_file(party, "ca.pem").read_bytes()
            pcrl = x509.load_pem_x509_crl(self._partner_file(party, "crl.pem").read_bytes())
            partners.append(
                PartnerInfo(party=party, authority=read_certificate(pca), crl=_crl_info(pcrl))
            )
        return PkiView(
            party=self.party,
            authority=_info(ca),
            node=read_certificate(self._read("node.pem")),
            crl=_crl_info(self._own_crl(ca), party=self.party),
            partners=tuple(partners),
        )

    # -- TLS ----------------------------------------------------------------------------

    def server_context(
        self, *, master: MasterSecret, partners: Iterable[str] | None = None
    ) -> ssl.SSLContext:
        """A TLS server context that requires a client certificate from one of the pinned
        ``partners`` (default all) and checks their revocation lists (JK-9.1, JK-12.1).

        Raises :class:`ConfigError` when no partner is pinned or files are missing,
        :class:`IntegrityError` when the node key does not unlock.
        """
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.verify_mode = ssl.CERT_REQUIRED
        # Every connection makes a full handshake, so every client certificate is checked:
        # TLS 1.3 only (TLS 1.2 would resume from tickets or the session cache) and no
        # TLS 1.3 tickets either.
        ctx.num_tickets = 0
        ctx.options |= ssl.OP_NO_TICKET
        self._configure(ctx, master=master, partners=self._chosen(partners))
        return ctx

    def user_api_context(self, *, master: MasterSecret) -> ssl.SSLContext:
        """A TLS server context for the user API when it listens beyond loopback: the node's
        certificate, TLS 1.3, no tickets; persons authenticate with their tokens, not with
        certificates. Raises as :meth:`server_context` does (no partner need be pinned)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.verify_mode = ssl.CERT_NONE
        ctx.num_tickets = 0
        ctx.options |= ssl.OP_NO_TICKET
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        passphrase = key_passphrase(master, party=self.party)
        try:
            ctx.load_cert_chain(
                self.root / "node.pem", self.root / "node-key.pem", password=passphrase
            )
        except FileNotFoundError:
            raise ConfigError(f"no node certificate in {self.root}") from None
        except ssl.SSLError:
            raise IntegrityError("the node key does not unlock with this master secret") from None
        return ctx

    def client_context(self, *, master: MasterSecret, destination: str) -> ssl.SSLContext:
        """A TLS client context that presents this node's certificate and trusts only
        ``destination``'s pinned authority, checking its revocation list (JK-9.1, JK-12.1).

        Raises :class:`UnknownName` if ``destination`` is not pinned, else as
        :meth:`server_context`.
        """
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self._configure(ctx, master=master, partners=self._chosen([destination]))
        return ctx

    def reseal_keys(self, *, old: MasterSecret, new: MasterSecret) -> None:
        """Encrypt the authority's and the node's private keys again under the passphrase
        of a new master secret (``gsomia node rotate-secret``); each file is replaced
        atomically. Raises :class:`IntegrityError` if a key does not unlock with ``old``."""
        passphrase = key_passphrase(new, party=self.party)
        for name in ("ca-key.pem", "node-key.pem"):
            try:
                key = serialization.load_pem_private_key(
                    self._read(name), key_passphrase(old, party=self.party)
                )
            except (ValueError, TypeError):
                raise IntegrityError(f"{name} does not unlock with the current secret") from None
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise IntegrityError(f"{name} is not an ECDSA key")
            x.write(self.root / name, x.key_pem(key, passphrase), private=True)

    # -- internals ----------------------------------------------------------------------

    def _configure(
        self, ctx: ssl.SSLContext, *, master: MasterSecret, partners: tuple[str, ...]
    ) -> None:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        # TLS 1.3 suites are all AEAD; should the minimum ever be lowered, TLS 1.2 is
        # still held to AEAD suites with forward secrecy.
        ctx.set_ciphers(_AEAD_SUITES)
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF | ssl.VERIFY_X509_STRICT
        passphrase = key_passphrase(master, party=self.party)
        try:
            ctx.load_cert_chain(
                self.root / "node.pem", self.root / "node-key.pem", password=passphrase
            )
        except FileNotFoundError:
            raise ConfigError(f"no node certificate in {self.root}") from None
        except ssl.SSLError:
            raise IntegrityError("the node key does not unlock with this master secret") from None
        for party in partners:
            for name in ("ca.pem", "crl.pem"):
                try:
                    ctx.load_verify_locations(cafile=self._partner_file(party, name))
                except (OSError, ssl.SSLError) as exc:
                    raise ConfigError(f"cannot load {party}'s pinned {name}: {exc}") from None

    def _issue(
        self,
        *,
        ca: x509.Certificate,
        ca_key: ec.EllipticCurvePrivateKey,
        passphrase: bytes,
        hosts: Iterable[str],
        at: datetime,
        days: int,
    ) -> CertificateInfo:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = x.build_node(
            party=self.party, ca=ca, ca_key=ca_key, key=key, hosts=hosts, at=at, days=days
        )
        pem = x.cert_pem(cert)
        x.write(self.root / "issued" / f"{x.serial_hex(cert.serial_number)}.pem", pem)
        x.write(self.root / "node-key.pem", x.key_pem(key, passphrase), private=True)
        x.write(self.root / "node.pem", pem)
        return _info(cert)

    def _authority(self, passphrase: bytes) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        ca = x.load_certificate(self._read("ca.pem"), what="authority")
        try:
            key = serialization.load_pem_private_key(self._read("ca-key.pem"), passphrase)
        except (ValueError, TypeError):
            raise IntegrityError("the authority key does not unlock with this secret") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise IntegrityError("the authority key is not an ECDSA key")
        return ca, key

    def _own_crl(self, ca: x509.Certificate) -> x509.CertificateRevocationList:
        crl = x509.load_pem_x509_crl(self._read("crl.pem"))
        if not x.crl_signed_by(crl, ca):
            raise IntegrityError(f"{self.root / 'crl.pem'} is not signed by this authority")
        return crl

    def _issued(self) -> list[str]:
        return [p.stem for p in (self.root / "issued").glob("*.pem")]

    def _chosen(self, partners: Iterable[str] | None) -> tuple[str, ...]:
        pinned = self.partners()
        chosen = pinned if partners is None else tuple(partners)
        for party in chosen:
            if party not in pinned:
                raise UnknownName(kind="pinned partner", name=party, known=pinned)
        if not chosen:
            raise ConfigError("no partner authority is pinned: run `gsomia pki trust` first")
        return chosen

    def _partner_file(self, party: str, name: str) -> Path:
        return self.root / "partners" / party / name

    def _read(self, name: str) -> bytes:
        try:
            return (self.root / name).read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read {self.root / name}: {exc.strerror}") from None


def _info(cert: x509.Certificate) -> CertificateInfo:
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        is_ca = constraints.ca
    except x509.ExtensionNotFound:
        is_ca = False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        hosts = tuple(str(n.value) for n in san)
    except x509.ExtensionNotFound:
        hosts = ()
    return CertificateInfo(
        party=x.party_of(cert.subject) or "",
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=x.serial_hex(cert.serial_number),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
        is_authority=is_ca,
        hosts=hosts,
    )


def _crl_info(crl: x509.CertificateRevocationList, *, party: str | None = None) -> RevocationInfo:
    next_update = crl.next_update_utc
    return RevocationInfo(
        party=party or x.party_of(crl.issuer) or "",
        number=x.crl_number(crl),
        this_update=crl.last_update_utc,
        next_update=next_update if next_update is not None else crl.last_update_utc,
        revoked=tuple(sorted(x.serial_hex(r.serial_number) for r in crl)),
    )


def _at(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise InputError("now= must be timezone-aware")
    return now.astimezone(UTC)
