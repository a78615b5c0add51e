"""Sign a rendered work with a C2PA manifest.

The manifest says three things about a work:

- it was made by a trained model (``c2pa.created``, or ``c2pa.opened`` on its parent
  for a remix, with the IPTC ``trainedAlgorithmicMedia`` source type);
- which licenses made it lawful (``com.cocreate.licenses``: each character, offer
  version, terms hash and grant, plus the work id);
- whether it may be used to train AI models or be data-mined (the CAWG
  ``cawg.training-mining`` assertion, from the strictest ``ai_training`` term among
  its licences);
- for a remix, the parent's own signed file as a ``parentOf`` ingredient, so the
  parent's manifest, and its licenses, travel inside the child.

We sign with ES256 and the certificate chain in ``settings.C2PA_CERT_CHAIN``, and with
a time-stamp authority only when ``settings.C2PA_TSA_URL`` is set.
"""

import contextlib
import datetime as dt
import importlib.metadata
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import c2pa
from django.conf import settings

from marketplace.provenance.verify import (
    LICENSES_LABEL,
    TRAINING_MINING_ENTRIES,
    TRAINING_MINING_LABEL,
    c2pa_context,
)

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
SIGNABLE_MIME_TYPES = frozenset({"video/mp4", "image/jpeg"})
PARENT_INGREDIENT_LABEL = "parent"


class ProvenanceError(Exception):
    """Signing failed; ``reason`` is fit to show an operator."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class LicenseClaim:
    character_id: str
    character_name: str
    offer_id: str
    offer_version: int
    terms_hash: str
    grant_id: str
    rightsholder: str


@dataclass(frozen=True)
class ParentIngredient:
    work_id: str
    title: str
    # A local copy of the parent's signed MP4 (the caller copies it out of storage).
    video_file: Path


@dataclass(frozen=True)
class ProvenanceInfo:
    work_id: str
    title: str
    creator: str
    generator: str
    licenses: tuple[LicenseClaim, ...]
    parent: ParentIngredient | None = None
    # The CAWG ``use`` for AI training and data mining: "allowed", "notAllowed" or
    # "constrained" (see marketplace/provenance/training.py); None states nothing.
    training_use: str | None = None


def sign_media(*, source: Path, dest: Path, mime: str, info: ProvenanceInfo) -> dict:
    """Write ``dest``: ``source`` with a signed C2PA manifest embedded.

    ``source`` is never modified, and ``dest`` appears complete or not at all. Returns
    the manifest definition that was signed, with the parent ingredient's definition
    under ``ingredients``, for storing beside the work. Raises ``ProvenanceError`` when
    the keys are missing or c2pa refuses to sign.
    """
    source, dest = Path(source), Path(dest)
    if mime not in SIGNABLE_MIME_TYPES:
        raise ProvenanceError(f"Cannot sign media of type {mime!r}")
    if not source.is_file():
        raise ProvenanceError(f"Nothing to sign at {source}")
    if dest.resolve() == source.resolve():
        raise ProvenanceError("Signing writes a new file; dest must differ from source")
    parent = info.parent
    if parent is not None and not Path(parent.video_file).is_file():
        raise ProvenanceError(f"The parent work's file is missing: {parent.video_file}")

    cert_chain, private_key = _load_keys()
    definition = manifest_definition(info=info, mime=mime)
    ingredient = _parent_ingredient_definition(parent) if parent is not None else None

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, partial_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    partial = Path(partial_name)
    try:
        with (
            os.fdopen(fd, "w+b") as output,
            source.open("rb") as input_,
            c2pa_context() as context,
            c2pa.Builder(definition, context=context) as builder,
            _signer(cert_chain=cert_chain, private_key=private_key) as signer,
        ):
            if parent is not None:
                # The parent is read and validated now: its manifest, and the result
                # of checking it against our anchors, go into ours.
                with Path(parent.video_file).open("rb") as parent_file:
                    builder.add_ingredient(ingredient, "video/mp4", parent_file)
            builder.sign(signer, mime, input_, output)
        partial.chmod(0o644)  # mkstemp makes it 0600; a media file is public
        partial.replace(dest)
    except c2pa.C2paError as exc:
        raise ProvenanceError(f"C2PA signing failed: {exc}") from exc
    except OSError as exc:
        raise ProvenanceError(f"Could not write the signed file: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)

    if ingredient is not None:
        definition = {**definition, "ingredients": [ingredient]}
    return definition


def manifest_definition(*, info: ProvenanceInfo, mime: str) -> dict:
    """The c2pa-rs manifest definition for a work (without the parent's bytes)."""
    action: dict = {
        "action": "c2pa.opened" if info.parent else "c2pa.created",
        "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
        "softwareAgent": {"name": info.generator},
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    if info.parent:
        # c2pa-rs resolves this label to the ingredient assertion's hashed URI.
        action["parameters"] = {"ingredientIds": [PARENT_INGREDIENT_LABEL]}

    licenses: dict = {
        "work_id": info.work_id,
        "creator": info.creator,
        "licenses": [asdict(claim) for claim in info.licenses],
    }
    if info.parent:
        licenses["parent_work_id"] = info.parent.work_id

    assertions = [
        {"label": "c2pa.actions.v2", "data": {"actions": [action]}},
        {"label": LICENSES_LABEL, "data": licenses},
    ]
    if info.training_use is not None:
        assertions.append(training_mining_assertion(use=info.training_use))
    return {
        "claim_generator_info": [_claim_generator()],
        "title": info.title,
        "format": mime,
        "assertions": assertions,
    }


def training_mining_assertion(*, use: str) -> dict:
    """The CAWG training-and-data-mining assertion, ``use`` for every entry we state."""
    return {
        "label": TRAINING_MINING_LABEL,
        "data": {"entries": {entry: {"use": use} for entry in TRAINING_MINING_ENTRIES}},
    }


def _parent_ingredient_definition(parent: ParentIngredient) -> dict:
    return {
        "title": parent.title,
        "format": "video/mp4",
        "relationship": "parentOf",
        "label": PARENT_INGREDIENT_LABEL,
    }


def _claim_generator() -> dict:
    generator = {"name": settings.PROVENANCE_ISSUER}
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        generator["version"] = importlib.metadata.version("cocreate")
    return generator


def _load_keys() -> tuple[bytes, bytes]:
    chain_path = Path(settings.C2PA_CERT_CHAIN)
    key_path = Path(settings.C2PA_PRIVATE_KEY)
    missing = [str(path) for path in (chain_path, key_path) if not path.is_file()]
    if missing:
        raise ProvenanceError(
            f"C2PA signing keys are missing ({', '.join(missing)}): "
            "run manage.py provenance_keys, or point C2PA_CERT_CHAIN and "
            "C2PA_PRIVATE_KEY at your certificate chain and key"
        )
    try:
        return chain_path.read_bytes(), key_path.read_bytes()
    except OSError as exc:
        raise ProvenanceError(f"Cannot read the C2PA signing keys: {exc}") from exc


def _signer(*, cert_chain: bytes, private_key: bytes) -> c2pa.Signer:
    try:
        return c2pa.Signer.from_info(
            c2pa.C2paSignerInfo(
                alg=c2pa.C2paSigningAlg.ES256,
                sign_cert=cert_chain,
                private_key=private_key,
                ta_url=settings.C2PA_TSA_URL or None,
            )
        )
    except c2pa.C2paError as exc:
        raise ProvenanceError(f"The C2PA signing keys are unusable: {exc}") from exc
