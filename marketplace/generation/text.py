"""Text on rendered frames: the fonts (a CJK font where the text needs one, found among
the system's; Pillow's bundled Latin font as the last resort) and line layout (wrap,
ellipsis, line height). No Django imports, like the renderer that uses it."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
LATIN_FONT_NAMES = ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf")
CJK_FONT_PATTERNS = (
    "NotoSansCJK*",
    "NotoSansJP*",
    "NotoSerifCJK*",
    "SourceHanSans*",
    "ipag*.ttf",
    "ipaexg*.ttf",
    "TakaoGothic*",
    "DroidSansFallback*",
    "wqy-*",
)


def font(size: int, text: str) -> Font:
    return _load_font(size, _needs_cjk(text))


@lru_cache(maxsize=64)
def _load_font(size: int, cjk: bool) -> Font:
    candidates = [*_cjk_font_files(), *_latin_font_files()] if cjk else _latin_font_files()
    for path in candidates:
        try:
            return ImageFont.truetype(str(path), size)
        except OSError:
            continue
    # Pillow's bundled font: Latin only, but always present.
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=1)
def _latin_font_files() -> list[Path]:
    return [
        p
        for d in FONT_DIRS
        if d.is_dir()
        for name in LATIN_FONT_NAMES
        for p in sorted(d.rglob(name))
    ]


@lru_cache(maxsize=1)
def _cjk_font_files() -> list[Path]:
    return [
        p
        for d in FONT_DIRS
        if d.is_dir()
        for pattern in CJK_FONT_PATTERNS
        for p in sorted(d.rglob(pattern))
    ]


def _needs_cjk(text: str) -> bool:
    return any(ord(ch) >= 0x2E80 for ch in text)


def wrap(text: str, font: Font, width: int) -> list[str]:
    """Greedy wrap at spaces; a run without spaces (Japanese) breaks between characters."""
    lines: list[str] = []
    current = ""
    for token in re.findall(r"\S+\s*", text):
        if font.getlength((current + token).rstrip()) <= width:
            current += token
            continue
        if current:
            lines.append(current.rstrip())
            current = ""
        for ch in token:
            if current and font.getlength((current + ch).rstrip()) > width:
                lines.append(current.rstrip())
                current = ""
            current += ch
    if current.strip():
        lines.append(current.rstrip())
    return lines


def fit(line: str, font: Font, width: int) -> str:
    while len(line) > 1 and font.getlength(line) > width:
        line = line[:-2].rstrip() + "…"
    return line


def line_height(font: Font) -> int:
    _, top, _, bottom = font.getbbox("Hg日")
    return int((bottom - top) * 1.3) + 2
