"""Signed compliance exports: every JSON and CSV export ends with a manifest (period,
filters, row counts, the audit trail head it covers, the sha256 of its body) and a
detached signature over that manifest made with the platform's provenance key (the
C2PA signer, ``C2PA_PRIVATE_KEY`` and ``C2PA_CERT_CHAIN``), so a recipient can check
nothing was edited: ``manage.py audit_verify_export FILE`` or ``/verify/export/``.

Layouts (docs/compliance.md, "Verifying an export"):

- JSON: ``{"report": BODY, "manifest": {...}, "signature": {...}}``, BODY being the
  report in canonical JSON (sorted keys, no whitespace, UTF-8). The body is streamed
  first and hashed as it goes; a verifier re-encodes the parsed report canonically,
  so re-indenting the file keeps it valid, changing any value does not.
- CSV: the rows, then two comment lines ``# cocreate-manifest {...}`` and
  ``# cocreate-signature {...}``; the body is every byte before them.

The signature is ECDSA P-256 / SHA-256 (ES256) over the manifest's canonical JSON; the
signature block carries the certificate chain, and verification requires the signer
to be issued by a trust anchor (``C2PA_TRUST_ANCHORS``) and valid at signing time."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.audit import canonical_json

MANIFEST_SCHEMA = "https://cocreate.example/schemas/compliance-export-manifest/1.0"
ALGORITHM = "ES256"
CSV_MANIFEST = b"# cocreate-manifest "
CSV_SIGNATURE = b"# cocreate-signature "


def _pem_blocks(data: bytes) -> list[bytes]:
    marker = b"-----END CERTIFICATE-----"
    return [part.strip() + b"\n" + marker + b"\n" for part in data.split(marker) if part.strip()]


def _signing_material() -> tuple[ec.EllipticCurvePrivateKey, list[str]]:
    key_path, chain_path = Path(settings.C2PA_PRIVATE_KEY), Path(settings.C2PA_CERT_CHAIN)
    if not key_path.exists() or not chain_path.exists():
        raise ImproperlyConfigured(
            "No provenance key to sign exports with: run manage.py provenance_keys, or "
            "point C2PA_CERT_CHAIN and C2PA_PRIVATE_KEY at your certificate chain and key"
        )
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ImproperlyConfigured("The provenance key must be an EC (P-256) key.")
    chain = [block.decode() for block in _pem_blocks(chain_path.read_bytes())]
    return key, chain


def export_signing_refusal() -> str | None:
    """Why exports cannot be signed here (no key configured), or None: checked before
    a download starts streaming, so a missing key is a clear 503, not a cut stream."""
    try:
        _signing_material()
    except (ImproperlyConfigured, ValueError) as exc:
        return str(exc)
    return None


def manifest_sign(manifest: dict[str, Any]) -> dict[str, Any]:
    """The detached signature block over ``manifest``."""
    key, chain = _signing_material()
    value = key.sign(canonical_json(manifest), ec.ECDSA(hashes.SHA256()))
    return {
        "alg": ALGORITHM,
        "certificate_chain": chain,
        "value": base64.b64encode(value).decode(),
    }


def _manifest(base: dict[str, Any], *, fmt: str, counts: dict[str, int], digest: str) -> dict:
    return {
        "schema": MANIFEST_SCHEMA,
        **base,
        "format": fmt,
        "row_counts": counts,
        "body_sha256": digest,
        "generated_at": datetime.now(UTC).isoformat(),
    }


class _Counted:
    """Wrap a section's records, counting them as they stream."""

    def __init__(self, records: Iterable[dict], counts: dict[str, int], name: str):
        self.records, self.counts, self.name = records, counts, name
        counts[name] = 0

    def __iter__(self) -> Iterator[dict]:
        for record in self.records:
            self.counts[self.name] += 1
            yield record


def json_export(
    *, header: dict[str, Any], sections: dict[str, Iterable[dict]], manifest: dict[str, Any]
) -> Iterator[bytes]:
    """Stream ``header`` and ``sections`` (each an iterable of records, read once) as the
    canonical JSON report, then the manifest and its signature. Memory stays flat
    whatever the number of records."""
    counts: dict[str, int] = {}
    digest = hashlib.sha256()
    values: dict[str, Any] = {**header, **{k: _Counted(v, counts, k) for k, v in sections.items()}}

    def body() -> Iterator[bytes]:
        yield b"{"
        for index, key in enumerate(sorted(values)):
            yield (b"," if index else b"") + canonical_json(key) + b":"
            value = values[key]
            if isinstance(value, _Counted):
                yield b"["
                for n, record in enumerate(value):
                    yield (b"," if n else b"") + canonical_json(record)
                yield b"]"
            else:
                yield canonical_json(value)
        yield b"}"

    yield b'{"report":'
    for chunk in body():
        digest.update(chunk)
        yield chunk
    signed = _manifest(manifest, fmt="json", counts=counts, digest=digest.hexdigest())
    yield b',\n"manifest":' + canonical_json(signed)
    yield b',\n"signature":' + canonical_json(manifest_sign(signed)) + b"}\n"


def csv_export(
    *, lines: Iterable[str], counts: dict[str, int], manifest: dict[str, Any]
) -> Iterator[bytes]:
    """Stream CSV ``lines`` (their generator fills ``counts`` as it goes), then the
    manifest and signature comment lines."""
    digest = hashlib.sha256()
    for line in lines:
        data = line.encode()
        digest.update(data)
        yield data
    signed = _manifest(manifest, fmt="csv", counts=counts, digest=digest.hexdigest())
    yield CSV_MANIFEST + canonical_json(signed) + b"\n"
    yield CSV_SIGNATURE + canonical_json(manifest_sign(signed)) + b"\n"


@dataclass
class ExportCheck:
    valid: bool
    reasons: list[str] = field(default_factory=list)
    manifest: dict[str, Any] | None = None


def _split(data: bytes) -> tuple[dict, dict, str, dict[str, int] | None]:
    """(manifest, signature, body sha256, counted rows when the body could be parsed)."""
    if data.lstrip().startswith(b"{"):
        try:
            document = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"not valid JSON ({exc})") from exc
        if not isinstance(document, dict) or not {"report", "manifest", "signature"} <= set(
            document
        ):
            raise ValueError("a JSON export has report, manifest and signature")
        report = document["report"]
        counts = (
            {k: len(v) for k, v in report.items() if isinstance(v, list)}
            if isinstance(report, dict)
            else None
        )
        digest = hashlib.sha256(canonical_json(report)).hexdigest()
        return document["manifest"], document["signature"], digest, counts
    lines = data.splitlines(keepends=True)
    if (
        len(lines) < 2
        or not lines[-2].startswith(CSV_MANIFEST)
        or not lines[-1].startswith(CSV_SIGNATURE)
    ):
        raise ValueError("no manifest and signature lines at the end (not a signed export)")
    try:
        manifest = json.loads(lines[-2][len(CSV_MANIFEST) :])
        signature = json.loads(lines[-1][len(CSV_SIGNATURE) :])
    except ValueError as exc:
        raise ValueError(f"the manifest or signature line is not JSON ({exc})") from exc
    body = b"".join(lines[:-2])
    return manifest, signature, hashlib.sha256(body).hexdigest(), None


def _trust_anchors() -> list[x509.Certificate]:
    path = Path(settings.C2PA_TRUST_ANCHORS)
    if not path.exists():
        return []
    return [x509.load_pem_x509_certificate(block) for block in _pem_blocks(path.read_bytes())]


def _check_signature(manifest: dict, signature: dict) -> list[str]:
    if not isinstance(signature, dict) or signature.get("alg") != ALGORITHM:
        return [f"the signature is not {ALGORITHM}"]
    try:
        chain = [
            x509.load_pem_x509_certificate(pem.encode())
            for pem in signature.get("certificate_chain") or []
        ]
        value = base64.b64decode(signature.get("value", ""), validate=True)
    except (ValueError, TypeError) as exc:
        return [f"the signature block is malformed ({exc})"]
    if not chain:
        return ["the signature carries no certificate"]
    signer = chain[0]
    public = signer.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey):
        return ["the signing certificate is not an EC key"]
    try:
        public.verify(value, canonical_json(manifest), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return ["the signature does not match the manifest (the manifest was edited)"]
    problems = []
    anchors = _trust_anchors()
    trusted = any(_issued_by(signer, anchor) for anchor in anchors) or any(
        _issued_by(signer, middle) and any(_issued_by(middle, anchor) for anchor in anchors)
        for middle in chain[1:]
    )
    if not trusted:
        problems.append("the signing certificate is not issued by this platform's trust anchor")
    at = _parse_time(manifest.get("generated_at"))
    if at is None or not (signer.not_valid_before_utc <= at <= signer.not_valid_after_utc):
        problems.append("the signing certificate was not valid when the export was made")
    return problems


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _parse_time(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def export_verify(*, data: bytes) -> ExportCheck:
    """Whether ``data`` is a signed export as Cocreate wrote it, and why not."""
    try:
        manifest, signature, digest, counts = _split(data)
    except ValueError as exc:
        return ExportCheck(False, [str(exc)])
    if not isinstance(manifest, dict) or manifest.get("schema") != MANIFEST_SCHEMA:
        return ExportCheck(False, ["the manifest is missing or of an unknown schema"])
    reasons = _check_signature(manifest, signature)
    if manifest.get("body_sha256") != digest:
        reasons.append("the body does not match the manifest's sha256 (the data was edited)")
    elif counts is not None and counts != manifest.get("row_counts"):
        reasons.append("the row counts do not match the manifest")
    return ExportCheck(not reasons, reasons, manifest)
