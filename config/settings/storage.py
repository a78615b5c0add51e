"""Where media lives, from the environment: ``MEDIA_STORAGE=filesystem`` (MEDIA_ROOT on
this machine: development, ``make run``) or ``MEDIA_STORAGE=s3`` (an S3-compatible
bucket through django-storages: production, where web and workers run on several hosts
and share no disk). README: "Media in production".

S3 reads ``MEDIA_S3_BUCKET`` (required), ``MEDIA_S3_REGION``, ``MEDIA_S3_ENDPOINT_URL``
(for a store other than AWS: MinIO, Ceph, R2...), ``MEDIA_S3_ACCESS_KEY_ID`` and
``MEDIA_S3_SECRET_ACCESS_KEY`` (both or neither: without them boto3 finds credentials
the usual way, e.g. an instance role) and ``MEDIA_S3_PREFIX`` (a folder in the bucket).
The bucket stays private: objects are written with no ACL and read only on presigned
URLs that the media view hands out after its own check."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from config.env import env

FILESYSTEM = "filesystem"
S3 = "s3"


@dataclass(frozen=True)
class MediaStorage:
    # STORAGES["default"]
    backend: dict
    # Origins the pages load media from besides their own (CSP img-src and media-src).
    origins: list[str] = field(default_factory=list)


def _required(name: str) -> str:
    value = env(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"Set the {name} environment variable: MEDIA_STORAGE=s3 keeps media in that "
            "bucket (or set MEDIA_STORAGE=filesystem to keep it under MEDIA_ROOT on one host)"
        )
    return value


def media_storage(*, kind: str, url_max_age: int) -> MediaStorage:
    """The default storage for ``kind`` (``filesystem`` or ``s3``); raises
    ImproperlyConfigured naming the variable that is missing or wrong."""
    if kind == FILESYSTEM:
        return MediaStorage(backend={"BACKEND": "django.core.files.storage.FileSystemStorage"})
    if kind != S3:
        raise ImproperlyConfigured(f"MEDIA_STORAGE must be {FILESYSTEM!r} or {S3!r}, not {kind!r}")
    bucket = _required("MEDIA_S3_BUCKET")
    region = env("MEDIA_S3_REGION", default="")
    endpoint = env("MEDIA_S3_ENDPOINT_URL", default="")
    access_key = env("MEDIA_S3_ACCESS_KEY_ID", default="")
    secret_key = env("MEDIA_S3_SECRET_ACCESS_KEY", default="")
    if access_key and not secret_key:
        _required("MEDIA_S3_SECRET_ACCESS_KEY")
    if secret_key and not access_key:
        _required("MEDIA_S3_ACCESS_KEY_ID")
    if endpoint and urlsplit(endpoint).scheme not in ("http", "https"):
        raise ImproperlyConfigured(
            f"MEDIA_S3_ENDPOINT_URL must be an http(s) URL, not {endpoint!r}"
        )
    options = {
        "bucket_name": bucket,
        "region_name": region or None,
        "endpoint_url": endpoint or None,
        "access_key": access_key or None,
        "secret_key": secret_key or None,
        "location": env("MEDIA_S3_PREFIX", default=""),
        # Private objects, read only on presigned URLs that live as long as the media
        # view's own signed URLs.
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": url_max_age,
        "signature_version": "s3v4",
        # A name already taken gets a new one, as on the filesystem (uploads never
        # overwrite one another); the pipeline replaces its own files explicitly.
        "file_overwrite": False,
        # A store other than AWS is addressed by path (no per-bucket DNS names).
        "addressing_style": "path" if endpoint else None,
    }
    if endpoint:
        parts = urlsplit(endpoint)
        origin = f"{parts.scheme}://{parts.netloc}"
    elif region:
        origin = f"https://{bucket}.s3.{region}.amazonaws.com"
    else:
        origin = f"https://{bucket}.s3.amazonaws.com"
    return MediaStorage(
        backend={"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        origins=[origin],
    )
