"""Text on rendered frames: the fonts (where the text needs one, the CJK font the
project installs, the manimgx-fonts-cjk wheel's Noto Sans CJK, then any the system has;
Pillow's bundled Latin font as the last resort) and line layout (wrap, ellipsis, line
height). No Django imports, like the renderer that uses it."""

from __future__ import annotations

import contextlib
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from PIL import ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
# The pinned wheel that carries Noto Sans CJK (pyproject.toml): a variable font whose
# first face is Japanese; drawn bold, like the Latin captions.
CJK_FONT_PACKAGE = "manimgx_fonts_cjk"
CJK_WEIGHT = "Bold"
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
            loaded = ImageFont.truetype(str(path), size)
        except OSError:
            continue
        return _bold(loaded) if cjk else loaded
    # Pillow's bundled font: Latin only, but always present.
    return ImageFont.load_default(size=size)


def _bold(font: ImageFont.FreeTypeFont) -> ImageFont.FreeTypeFont:
    """The bold instance of a variable font; a static font as it is."""
    with contextlib.suppress(OSError, ValueError):
        font.set_variation_by_name(CJK_WEIGHT)
    return font


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
    return [*_packaged_cjk_font_files(), *_system_cjk_font_files()]


def _packaged_cjk_font_files() -> list[Path]:
    try:
        folder = Path(str(resources.files(CJK_FONT_PACKAGE)))
    except ModuleNotFoundError:
        return []
    return sorted(folder.glob("NotoSansCJK*"))


def _system_cjk_font_files() -> list[Path]:
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
