"""Media through Django's storage API only, so that no process needs a shared disk.

Every file (uploads, renders, signed works) lives in ``default_storage``: the local
filesystem under MEDIA_ROOT by default (``make run``), an S3-compatible bucket in
production (django-storages, ``config/settings/storage.py``). Code that must hand a
file to a library that wants a path (PyAV, Pillow, c2pa) copies it into a temporary
folder with ``media_local_copy`` and stores what it wrote with ``media_store``; nothing
opens a stored file by its ``.path``, which an object store does not have.

``media_presigned_url`` is the one place that asks the storage for a URL of its own: the
media view (core/web/media.py) calls it only after its authorization check."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from django.core.files import File
from django.core.files.storage import Storage, default_storage

_CHUNK = 1024 * 1024


def _storage(storage: Storage | None) -> Storage:
    return default_storage if storage is None else storage


def media_is_object_storage(*, storage: Storage | None = None) -> bool:
    """Whether files live in an object store (no local paths, presigned URLs)."""
    from storages.backends.s3 import S3Storage

    # default_storage is a LazyObject, which answers isinstance() for what it wraps.
    return isinstance(_storage(storage), S3Storage)


@contextlib.contextmanager
def media_workdir(*, prefix: str = "cocreate-") -> Iterator[Path]:
    """A private temporary folder for one step's files, removed on exit whatever happens
    (a worker keeps nothing between tasks: the next step may run on another host)."""
    folder = tempfile.mkdtemp(prefix=prefix)
    try:
        yield Path(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def media_copy_to(*, name: str, dest: Path, storage: Storage | None = None) -> Path:
    """Download the stored file ``name`` to the local file ``dest`` (streamed in chunks).
    Raises FileNotFoundError when the storage has no such file."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with _storage(storage).open(name, "rb") as source, dest.open("wb") as target:
        shutil.copyfileobj(source, target, _CHUNK)
    return dest


@contextlib.contextmanager
def media_local_copy(*, name: str, storage: Storage | None = None) -> Iterator[Path]:
    """A temporary local copy of the stored file ``name`` (same suffix), deleted on exit."""
    with media_workdir(prefix="cocreate-copy-") as folder:
        yield media_copy_to(name=name, dest=folder / Path(name).name, storage=storage)


def media_store(*, name: str, path: Path, storage: Storage | None = None) -> str:
    """Store the local file ``path`` under exactly ``name``, replacing what is there (a
    re-run of a step writes the same names instead of new ones beside them). Returns
    the stored name."""
    backend = _storage(storage)
    if backend.exists(name):
        backend.delete(name)
    with path.open("rb") as stream:
        stored = backend.save(name, File(stream, name=Path(name).name))
    return stored


def media_delete(*, names: list[str], storage: Storage | None = None) -> None:
    """Delete the stored files ``names``; a missing one is not an error."""
    backend = _storage(storage)
    for name in names:
        if name:
            backend.delete(name)


def media_presigned_url(
    *,
    name: str,
    expires_s: int,
    content_type: str,
    attachment: bool = False,
    storage: Storage | None = None,
) -> str | None:
    """A URL the object store itself serves ``name`` on for ``expires_s`` seconds (an S3
    presigned GET), or None when the storage is the local filesystem (the media view
    then sends the file itself). Only ever called after the caller's authorization
    check: whoever holds the URL may fetch the object until it expires."""
    backend = _storage(storage)
    if not media_is_object_storage(storage=backend):
        return None
    parameters = {"ResponseContentType": content_type}
    if attachment:
        filename = name.rsplit("/", 1)[-1]
        parameters["ResponseContentDisposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return backend.url(name, parameters=parameters, expire=expires_s)  # type: ignore[call-arg]
