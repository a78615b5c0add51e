"""Private media: who may see an uploaded or rendered file, and the short-lived signed
URLs that carry a viewer to the media view (core/web/media.py).

Every app that stores files registers a ``MediaKind`` for the first folder of its
files' names (``works/…``, ``characters/…``, ``org-documents/…``): whether a row's
files are public now (read from the loaded row, no query) and whether a given user may
see a file now (looked up by its name). core knows no app; the apps register in their
``ready()``. A name no kind claims is served to nobody.

A URL names the file, the viewer it was issued for (a user id, or ``public`` when the
file was public as the page was made) and a timestamped signature of both. The view
checks the signature and its age, then asks the kind again for that viewer: a URL for a
work that has since been blocked stops working at once, and a ``public`` URL is only
ever worth what an anonymous visitor may see. Like an object store's presigned URL, it
is a bearer link (a ``<video>`` or a mobile client fetches it without credentials), so
it is short-lived: ``MEDIA_URL_MAX_AGE`` seconds."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.db.models.fields.files import FieldFile
from django.urls import get_script_prefix, get_urlconf, reverse

PUBLIC = "public"
_SALT = "cocreate.media"

# A user as the rules see one: a signed-in user, or AnonymousUser for ``public``.
Viewer = Any


@dataclass(frozen=True)
class MediaKind:
    """The files of one model, stored under ``<folder>/…``."""

    folder: str
    model: type[Model]
    # Whether the row's files are public now, from the row as loaded (no query).
    is_public: Callable[[Any], bool]
    # Whether ``user`` may see the file named ``name`` now (it looks the row up).
    visible_to: Callable[..., bool]
    # Offered as a download rather than shown in the page (documents).
    attachment: bool = False
    # Extra response headers for the file ``name`` (keyword arguments ``name`` and
    # ``base_url``, the site's absolute root), e.g. a rightsholder's TDM reservation.
    headers: Callable[..., dict[str, str]] | None = None


_KINDS: dict[str, MediaKind] = {}


def media_kind_register(*, kind: MediaKind) -> None:
    """Called from an app's ``ready()``; registering a folder twice keeps the last."""
    _KINDS[kind.folder] = kind


def media_kind_for_name(*, name: str) -> MediaKind | None:
    folder = name.split("/", 1)[0]
    return _KINDS.get(folder)


def _kind_for_instance(instance: Model) -> MediaKind | None:
    return next((k for k in _KINDS.values() if isinstance(instance, k.model)), None)


def _step_start() -> int:
    """The start of the current step of a fifth of the URLs' lifetime (seconds since the
    epoch): every URL signed within one step carries it as its timestamp."""
    step = max(1, settings.MEDIA_URL_MAX_AGE // 5)
    now = int(time.time())
    return now - now % step


class _Signer(signing.TimestampSigner):
    """Timestamps rounded down to a fifth of the lifetime: a page shown twice within
    that step carries the same URLs, so the browser's cache serves the files again."""

    def timestamp(self) -> str:
        return signing.b62_encode(_step_start())


def _signer() -> _Signer:
    return _Signer(salt=_SALT)


# A stored name that ``reverse`` leaves as it is: segments of letters, digits and
# ``._-`` (none starting with a dot) joined by single slashes.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)*\Z")
_SENTINEL = "MEDIANAME"
_ROUTES: dict[tuple, tuple[str, str]] = {}


def _media_path(name: str) -> str:
    """``reverse("media", kwargs={"path": name})``. For a plain name, from the route's
    text around a reversed sentinel, kept per script prefix and URLconf: a page of
    signed URLs (a feed page has twenty) would otherwise spend most of their cost
    resolving the same route."""
    if not _PLAIN_NAME.match(name):
        return reverse("media", kwargs={"path": name})
    key = (get_script_prefix(), get_urlconf())
    route = _ROUTES.get(key)
    if route is None:
        before, _, after = reverse("media", kwargs={"path": _SENTINEL}).partition(_SENTINEL)
        route = _ROUTES[key] = (before, after)
    return f"{route[0]}{name}{route[1]}"


# The URLs this process signed in the current step, by what they are made of: within a
# step the same file and viewer always sign to the same URL, and a feed page signs
# forty (about 60 microseconds each), most of them signed for the page before. Emptied
# when a new step starts, and when it holds _SIGNED_LIMIT URLs.
_SIGNED: dict[tuple, str] = {}
_SIGNED_LIMIT = 20_000
_signed_step = [0]


def media_signed_url(*, name: str, viewer: str) -> str:
    """The media view's URL for the file ``name``, signed for ``viewer`` (a user id or
    ``PUBLIC``), valid for ``MEDIA_URL_MAX_AGE`` seconds from now (from the start of the
    current step: see ``_Signer``)."""
    step = _step_start()
    key = (name, viewer, step, get_script_prefix(), get_urlconf(), settings.SECRET_KEY)
    url = _SIGNED.get(key)
    if url is not None:
        return url
    if step != _signed_step[0] or len(_SIGNED) >= _SIGNED_LIMIT:
        _SIGNED.clear()
        _signed_step[0] = step
    value = f"{viewer}:{name}"
    signature = _signer().sign(value)[len(value) + 1 :]  # "<timestamp>:<mac>"
    # urlencode's output for these two keys, without its generic loop.
    url = f"{_media_path(name)}?viewer={quote_plus(viewer)}&sig={quote_plus(signature)}"
    _SIGNED[key] = url
    return url


def public_media_url(name: str) -> str:
    """The URL of the stored file ``name`` of a public row (a published work, a listed
    character), signed ``public``: the same for every viewer, as ``media_url`` signs a
    public row's file. Empty for no name. Read models keep names, not files: this is
    how their cards are signed."""
    return media_signed_url(name=name, viewer=PUBLIC) if name else ""


def media_url(*, file: FieldFile | None, viewer: Viewer = None) -> str:
    """The URL to show ``file`` to ``viewer`` (a user, AnonymousUser or None): signed
    ``public`` while its row is public (the same URL for everyone, for caches), else
    signed for the signed-in viewer. Empty for an empty field."""
    if not file or not file.name:
        return ""
    kind = _kind_for_instance(file.instance)
    public = kind is not None and kind.is_public(file.instance)
    signed_in = viewer is not None and viewer.is_authenticated
    who = str(viewer.pk) if signed_in and not public else PUBLIC
    return media_signed_url(name=file.name, viewer=who)


def media_signature_check(*, name: str, viewer: str, signature: str) -> int:
    """The time the URL was signed (seconds since the epoch). Raises
    ``signing.BadSignature`` for a signature that does not match the name and viewer,
    and ``signing.SignatureExpired`` (a subclass) for one older than the lifetime."""
    signer = _signer()
    value = f"{viewer}:{name}"
    signer.unsign(f"{value}:{signature}", max_age=settings.MEDIA_URL_MAX_AGE)
    return signing.b62_decode(signature.split(":", 1)[0])


def media_viewer(*, viewer: str) -> Viewer | None:
    """The user a verified URL was issued for: AnonymousUser for ``public``; None for a
    user who no longer exists or is deactivated."""
    if viewer == PUBLIC:
        return AnonymousUser()
    try:
        return get_user_model().objects.filter(pk=viewer, is_active=True).first()
    except (ValueError, ValidationError):
        return None


def media_visible(*, name: str, viewer: str) -> MediaKind | None:
    """The kind of the file ``name`` if the URL's viewer may see it now, else None
    (unknown folder, no such file, or not theirs to see)."""
    kind = media_kind_for_name(name=name)
    if kind is None:
        return None
    user = media_viewer(viewer=viewer)
    if user is None:
        return None
    return kind if kind.visible_to(name=name, user=user) else None


def staff_viewer(user: Viewer) -> bool:
    """Staff see every file (moderation, verification)."""
    return bool(user.is_authenticated and user.is_active and user.is_staff)
