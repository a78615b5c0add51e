"""Development signing keys for C2PA.

A real deployment signs with a certificate issued by a CA on the C2PA trust list. In
development we make our own: a root CA, and an end-entity certificate it issues that
meets the C2PA certificate profile (§14.5 of the spec, as c2pa-rs checks it):

- X.509 v3, signed with ECDSA-SHA256, an EC key on P-256;
- not a CA, ``digitalSignature`` key usage (without ``keyCertSign``);
- an extended key usage on the C2PA list (we use ``emailProtection``, as the c2pa
  test certificates do) and never ``anyExtendedKeyUsage``;
- an authority key identifier, and a validity window that covers "now", because we
  sign without a time-stamp authority and a verifier then checks the certificate at
  the time it reads.

The chain file holds the signer and then the root. c2pa-rs only profile-checks the
end-entity certificate, and the root in the chain is what a verifier matches against
its trust anchors.
"""

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT_VALIDITY = dt.timedelta(days=3650)
SIGNER_VALIDITY = dt.timedelta(days=825)
# Clocks drift; a certificate born "now" must already be valid on a verifier a
# little behind us.
BACKDATE = dt.timedelta(days=1)


@dataclass(frozen=True)
class DevKeys:
    root_cert: Path
    root_key: Path
    signer_cert: Path
    signer_key: Path
    chain: Path

    @property
    def paths(self) -> tuple[Path, ...]:
        return (self.root_cert, self.root_key, self.signer_cert, self.signer_key, self.chain)

    def any_exist(self) -> bool:
        return any(path.exists() for path in self.paths)


def dev_keys_paths(*, directory: Path) -> DevKeys:
    """The file names ``create_dev_keys`` uses in ``directory``. The settings'
    defaults (``C2PA_CERT_CHAIN``, ``C2PA_PRIVATE_KEY``, ``C2PA_TRUST_ANCHORS``) point
    at ``chain.pem``, ``signer.key`` and ``root.pem``."""
    directory = Path(directory)
    return DevKeys(
        root_cert=directory / "root.pem",
        root_key=directory / "root.key",
        signer_cert=directory / "signer.pem",
        signer_key=directory / "signer.key",
        chain=directory / "chain.pem",
    )


def create_dev_keys(
    *, directory: Path, force: bool = False, organization: str = "Cocreate"
) -> DevKeys:
    """Write a development root CA and a C2PA signing certificate into ``directory``.

    Idempotent: when every file already exists they are kept, unless ``force``. A
    partial set is refused with ``FileExistsError`` rather than half replaced, since a
    new root would orphan the certificates already issued. Private keys are 0600.
    """
    keys = dev_keys_paths(directory=directory)
    if not force:
        present = [path for path in keys.paths if path.exists()]
        if len(present) == len(keys.paths):
            return keys
        if present:
            names = ", ".join(path.name for path in present)
            raise FileExistsError(f"An incomplete set of dev keys exists ({names}); use force")
    Path(directory).mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    root_key, root_cert = _root_ca(organization=organization, now=now)
    signer_key, signer_cert = _signer(
        organization=organization, now=now, root_key=root_key, root_cert=root_cert
    )
    root_pem = root_cert.public_bytes(serialization.Encoding.PEM)
    signer_pem = signer_cert.public_bytes(serialization.Encoding.PEM)
    _write(keys.root_cert, root_pem)
    _write(keys.signer_cert, signer_pem)
    _write(keys.chain, signer_pem + root_pem)
    _write(keys.root_key, _private_pem(root_key), private=True)
    _write(keys.signer_key, _private_pem(signer_key), private=True)
    return keys


def _name(organization: str, unit: str, common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, signs_certificates: bool) -> x509.KeyUsage:
    """A CA signs certificates and CRLs; the signer signs content (digital signature)."""
    return x509.KeyUsage(
        digital_signature=not signs_certificates,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def _root_ca(
    *, organization: str, now: dt.datetime
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A self-signed root that may sign one level of certificates below it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(organization, "Development only", f"{organization} Dev Root CA")
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signs_certificates=True), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _signer(
    *,
    organization: str,
    now: dt.datetime,
    root_key: ec.EllipticCurvePrivateKey,
    root_cert: x509.Certificate,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The C2PA signing certificate, issued by the root (email protection, as C2PA's
    trust list expects of a signer)."""
    key = ec.generate_private_key(ec.SECP256R1())
    root_ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(organization, "Provenance", f"{organization} C2PA Signer"))
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + SIGNER_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signs_certificates=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    return key, cert


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    # A private key is created 0600 from the start, never readable even briefly.
    mode = 0o600 if private else 0o644
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    if private:
        path.chmod(0o600)
