"""Verify the C2PA manifest of an uploaded or hosted file.

The state follows the reader's own ``validation_state``:

- ``Trusted``: every check passed and the signing certificate chains to one of our
  trust anchors (``settings.C2PA_TRUST_ANCHORS``);
- ``Valid``: the manifest and the media hashes check out, but the signer is not one we
  trust (another root, or no anchors configured);
- ``Invalid``: a check failed (the media was changed after signing, a broken
  signature), or the file could not be parsed;
- ``Unsigned``: there is no manifest.

Only our anchors are trusted: c2pa-rs ships no trust list of its own, and
``trust.trust_anchors`` replaces whatever list there would be. Verification never goes
to the network: an uploaded file must not make the server fetch a remote manifest or
an OCSP response from an address the uploader chose.
"""

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import c2pa
from django.conf import settings

logger = logging.getLogger(__name__)

LICENSES_LABEL = "com.cocreate.licenses"
# The CAWG training-and-data-mining assertion (CAWG spec v1.1): ``entries`` maps each
# use to ``{"use": "allowed" | "notAllowed" | "constrained"}``.
TRAINING_MINING_LABEL = "cawg.training-mining"
# The entries the offer's ``ai_training`` term speaks for. Inference (the asset as a
# model's input) is not something the term addresses, so we say nothing about it.
TRAINING_MINING_ENTRIES = ("cawg.ai_generative_training", "cawg.ai_training", "cawg.data_mining")
ACTIONS_LABELS = ("c2pa.actions", "c2pa.actions.v2")
READABLE_MIME_TYPES = frozenset({"video/mp4", "image/jpeg", "image/png"})

TRUSTED = "Trusted"
VALID = "Valid"
INVALID = "Invalid"
UNSIGNED = "Unsigned"


@dataclass
class VerifyResult:
    state: str  # "Trusted" | "Valid" | "Invalid" | "Unsigned"
    title: str | None = None
    work_id: str | None = None
    licenses: list[dict] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    issuer: str | None = None
    signed_at: str | None = None
    errors: list[str] = field(default_factory=list)
    parent_work_id: str | None = None
    # Each ingredient of the active manifest: title, format, relationship.
    ingredients: list[dict] = field(default_factory=list)
    # The training-and-data-mining assertion's entries: use label -> use.
    training_mining: dict[str, str] = field(default_factory=dict)


def c2pa_settings() -> dict[str, Any]:
    """The c2pa-rs settings we read (and check our own signing) with: our trust
    anchors, when the file exists and holds certificates, and no network."""
    config: dict[str, Any] = {
        "verify": {
            "verify_trust": True,
            "remote_manifest_fetch": False,
            "ocsp_fetch": False,
        },
    }
    anchors = _trust_anchors_pem()
    if anchors:
        config["trust"] = {"trust_anchors": anchors}
    return config


def c2pa_context() -> c2pa.Context:
    """A fresh Context per operation: Contexts, Readers and Builders wrap native
    handles, so we never share one between threads or across a fork."""
    try:
        return c2pa.Context.from_dict(c2pa_settings())
    except c2pa.C2paError:
        # c2pa-rs parses the anchors when the settings are built and rejects a file
        # it cannot read. Trust nothing rather than fail every verification.
        logger.exception("C2PA trust anchors at %s are unusable", settings.C2PA_TRUST_ANCHORS)
        config = c2pa_settings()
        config.pop("trust", None)
        return c2pa.Context.from_dict(config)


def verify_media(*, data: bytes | BinaryIO | Path, mime: str) -> VerifyResult:
    """Read and validate the C2PA manifest of ``data``.

    Never raises for anything about the file itself: a file c2pa cannot parse is
    ``Invalid`` and one without a manifest ``Unsigned``, with the reason in ``errors``.
    """
    mime = mime.split(";", 1)[0].strip().lower()
    if mime not in READABLE_MIME_TYPES:
        return VerifyResult(state=INVALID, errors=[f"Unsupported media type: {mime}"])

    try:
        with (
            _readable(data) as stream,
            c2pa_context() as context,
            c2pa.Reader(mime, stream, context=context) as reader,
        ):
            store = json.loads(reader.json())
    except c2pa.C2paError.ManifestNotFound:
        return VerifyResult(state=UNSIGNED)
    except c2pa.C2paError.RemoteManifest as exc:
        # The manifest lives elsewhere, and we do not fetch what an upload points at.
        return VerifyResult(state=UNSIGNED, errors=[f"Remote manifest not fetched: {exc}"])
    except (c2pa.C2paError, ValueError, OSError) as exc:
        return VerifyResult(state=INVALID, errors=[_error_text(exc)])

    return _result_from_store(store)


def _result_from_store(store: dict) -> VerifyResult:
    manifest = store.get("manifests", {}).get(store.get("active_manifest") or "")
    if manifest is None:
        return VerifyResult(state=INVALID, errors=_failures(store) or ["No active manifest"])

    state = store.get("validation_state")
    if state not in (TRUSTED, VALID, INVALID):
        # Only missing when validation is switched off; treat that as not verified.
        state = INVALID
    errors = _failures(store)
    if state == INVALID and not errors:
        errors = ["Validation failed"]

    licenses_data: dict = {}
    actions: list[str] = []
    training_mining: dict[str, str] = {}
    for assertion in manifest.get("assertions", []):
        label = assertion.get("label")
        data = assertion.get("data") or {}
        if label == LICENSES_LABEL:
            licenses_data = data
        elif label in ACTIONS_LABELS:
            actions.extend(a["action"] for a in data.get("actions", []) if a.get("action"))
        elif label == TRAINING_MINING_LABEL:
            training_mining = _training_mining_entries(data)

    signature = manifest.get("signature_info") or {}
    return VerifyResult(
        state=state,
        title=manifest.get("title"),
        work_id=licenses_data.get("work_id"),
        licenses=list(licenses_data.get("licenses") or []),
        actions=actions,
        issuer=signature.get("issuer") or signature.get("common_name"),
        # Present only when the signature carries a time-stamp authority's token.
        signed_at=signature.get("time"),
        errors=errors,
        parent_work_id=licenses_data.get("parent_work_id"),
        ingredients=[
            {
                "title": ingredient.get("title"),
                "format": ingredient.get("format"),
                "relationship": ingredient.get("relationship"),
            }
            for ingredient in manifest.get("ingredients", [])
        ],
        training_mining=training_mining,
    )


def _training_mining_entries(data: dict) -> dict[str, str]:
    entries = data.get("entries")
    if not isinstance(entries, dict):
        return {}
    return {
        str(label): str(entry["use"])
        for label, entry in entries.items()
        if isinstance(entry, dict) and isinstance(entry.get("use"), str)
    }


def _failures(store: dict) -> list[str]:
    """Failure codes with their explanations, for the active manifest and for any
    ingredient whose validation changed since it was added."""
    results = store.get("validation_results")
    if results is None:
        return [_status_text(status) for status in store.get("validation_status") or []]
    failures = list((results.get("activeManifest") or {}).get("failure") or [])
    for delta in results.get("ingredientDeltas") or []:
        failures.extend((delta.get("validationDeltas") or {}).get("failure") or [])
    return [_status_text(status) for status in failures]


def _status_text(status: dict) -> str:
    code = status.get("code", "unknown")
    explanation = status.get("explanation")
    return f"{code}: {explanation}" if explanation else code


def _error_text(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _trust_anchors_pem() -> str | None:
    path = settings.C2PA_TRUST_ANCHORS
    if not path:
        return None
    try:
        pem = Path(path).read_text()
    except (OSError, UnicodeDecodeError):
        return None
    return pem if "-----BEGIN CERTIFICATE-----" in pem else None


@contextmanager
def _readable(data: bytes | BinaryIO | Path) -> Iterator[BinaryIO]:
    """A readable, seekable binary stream over bytes, a path or a file object."""
    if isinstance(data, bytes | bytearray | memoryview):
        with io.BytesIO(bytes(data)) as stream:
            yield stream
    elif isinstance(data, str | Path):
        with Path(data).open("rb") as stream:
            yield stream
    elif not data.seekable():
        with io.BytesIO(data.read()) as stream:
            yield stream
    else:
        data.seek(0)
        yield data
