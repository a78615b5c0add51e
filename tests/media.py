"""Reading media URLs out of pages and API answers, for tests that check a page's
videos, posters and images load for the person viewing it (core/media.py)."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

_MEDIA_ATTR = re.compile(r'(?:src|poster|href)="((?:https?://[^/"]+)?/media/[^"]+)"')


def media_urls(html: str) -> list[str]:
    """Every media URL the page's src, poster and href attributes name, in order."""
    return [unescape(url) for url in _MEDIA_ATTR.findall(html)]


def media_url_of(urls: list[str], name: str) -> str:
    """The one URL among ``urls`` for the stored file ``name`` (a work page's download
    link, the same URL with ``download=1``, aside)."""
    found = [
        u
        for u in urls
        if urlsplit(u).path == f"/media/{name}" and "download" not in parse_qs(urlsplit(u).query)
    ]
    assert len(found) == 1, (name, urls)
    return found[0]


def viewer_of(url: str) -> str:
    """The viewer a signed media URL was issued for (a user id or "public")."""
    return parse_qs(urlsplit(url).query)["viewer"][0]


def fetch(client, url: str, **headers):
    """GET a media URL (absolute or not) with a test client, reading the whole body
    into ``response.body``."""
    parts = urlsplit(url)
    response = client.get(parts.path, dict(parse_qs(parts.query)), **headers)
    if response.streaming:
        response.body = b"".join(response.streaming_content)
    else:
        response.body = response.content
    return response
