"""The media view: every uploaded or rendered file is served through it, and only on a
signed URL from core/media.py whose viewer may see the file now.

Development and tests stream the file from Django's storage (with single byte ranges,
which a ``<video>`` asks for as it seeks). With object storage (production's default,
``MEDIA_STORAGE=s3``) the view, its checks passed, redirects to a presigned URL of the
bucket that lives ``MEDIA_URL_MAX_AGE`` seconds (``core.storage``), so the store sends
the bytes. On one host with the filesystem, the web server can send it: with
``MEDIA_SENDFILE_HEADER = "X-Accel-Redirect"`` (nginx) or ``"X-Sendfile"`` (Apache's
mod_xsendfile, lighttpd), the view answers with that header naming
``MEDIA_SENDFILE_PREFIX`` + the file's name and no body. README: "Media in production"."""

from __future__ import annotations

import mimetypes
import re
import time
from collections.abc import Iterator
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from core import media as core_media
from core import storage

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 64 * 1024


@require_safe
def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """A file, for the viewer its signed URL names, if that viewer may see it now.
    A missing, tampered or expired signature: 403 (the page that linked it is stale:
    reload it). A file the viewer may not see, or that no app knows: 404."""
    viewer = request.GET.get("viewer", "")
    try:
        signed_at = core_media.media_signature_check(
            name=path, viewer=viewer, signature=request.GET.get("sig", "")
        )
    except signing.BadSignature:
        raise PermissionDenied("This media link is not valid or has expired.") from None
    kind = core_media.media_visible(name=path, viewer=viewer)
    if kind is None:
        raise Http404("No such file.")
    # The browser may keep it as long as the URL lives; shared caches never.
    left = max(0, signed_at + settings.MEDIA_URL_MAX_AGE - int(time.time()))
    # ``download=1`` (a work page's download button) saves the file instead of playing
    # it; the signature need not cover it, as it changes only how the bytes are offered.
    attachment = kind.attachment or request.GET.get("download") == "1"
    presigned = storage.media_presigned_url(
        name=path,
        expires_s=settings.MEDIA_URL_MAX_AGE,
        content_type=_content_type(path),
        attachment=attachment,
    )
    # Object storage: the bucket sends the bytes (ranges included) on a presigned URL
    # as short-lived as ours, issued only now that the check passed.
    response = HttpResponseRedirect(presigned) if presigned else _send(request, name=path)
    response["Cache-Control"] = f"private, max-age={left}"
    if kind.headers is not None:
        for header, value in kind.headers(
            name=path, base_url=request.build_absolute_uri("/")
        ).items():
            response[header] = value
    if presigned:
        return response
    if attachment:
        filename = path.rsplit("/", 1)[-1]
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _content_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _send(request: HttpRequest, *, name: str) -> HttpResponseBase:
    content_type = _content_type(name)
    header = settings.MEDIA_SENDFILE_HEADER
    if header:
        response = HttpResponse(content_type=content_type)
        # nginx reads a URI (an internal location), mod_xsendfile a file path.
        target = quote(name) if header.lower() == "x-accel-redirect" else name
        response[header] = f"{settings.MEDIA_SENDFILE_PREFIX}{target}"
        return response
    return _stream(request, name=name, content_type=content_type)


def _stream(request: HttpRequest, *, name: str, content_type: str) -> HttpResponseBase:
    try:
        size = default_storage.size(name)
        handle = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("No such file.") from None
    wanted = _byte_range(request.headers.get("Range", ""), size)
    if wanted is None:
        response: HttpResponseBase = FileResponse(handle, content_type=content_type)
    elif wanted == (-1, -1):
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    else:
        start, end = wanted
        handle.seek(start)
        response = StreamingHttpResponse(
            _chunks(handle, end - start + 1), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    return response


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The one range ``Range: bytes=…`` asks for, as (first, last) byte; None to send
    the whole file (no header, several ranges, or one we do not read); (-1, -1) for a
    range that lies past the end (416)."""
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            return (-1, -1)
        return (max(0, size - length), size - 1)
    start = int(first)
    if last and int(last) < start:
        return None  # not a valid range: ignored, as RFC 9110 says
    if start >= size:
        return (-1, -1)
    return (start, min(int(last), size - 1) if last else size - 1)


def _chunks(handle, length: int) -> Iterator[bytes]:
    try:
        while length > 0:
            data = handle.read(min(_CHUNK, length))
            if not data:
                break
            length -= len(data)
            yield data
    finally:
        handle.close()
