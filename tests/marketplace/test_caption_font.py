"""Burned-in captions in Japanese: the renderer draws them with the Noto Sans CJK that
the project installs (the manimgx-fonts-cjk wheel), not as tofu. No database needed."""

from __future__ import annotations

from pathlib import Path

from marketplace.generation import local, text

CAPTION = "ミカと蓮が夕暮れの屋上を走る"
NOTDEF = "\U0010fffd"  # a private-use code point: no font draws it, every font shows tofu
ACCENT = (40, 40, 120)


def _glyph(font, ch: str) -> tuple[bytes, tuple[int, int]]:
    mask = font.getmask(ch)
    return bytes(mask), mask.size


def test_a_japanese_caption_gets_the_packaged_noto_sans_cjk_in_bold():
    font = text.font(26, CAPTION)

    assert Path(font.path).parent.name == text.CJK_FONT_PACKAGE
    assert font.getname() == ("Noto Sans CJK JP", "Bold")


def test_every_character_of_the_caption_is_drawn_with_its_own_glyph():
    font = text.font(26, CAPTION)

    tofu = _glyph(font, NOTDEF)
    glyphs = {ch: _glyph(font, ch) for ch in set(CAPTION)}

    assert all(glyph != tofu and any(glyph[0]) for glyph in glyphs.values())
    assert len(set(glyphs.values())) == len(glyphs)  # no two characters look alike


def test_the_latin_caption_font_would_draw_them_all_as_the_same_box():
    # The control: the font a Latin caption gets has none of these glyphs.
    latin = text.font(26, "Mika")

    assert len({_glyph(latin, ch) for ch in set(CAPTION)} | {_glyph(latin, NOTDEF)}) == 1


def test_the_burned_in_caption_layer_differs_from_its_tofu_rendering(monkeypatch):
    drawn = local._caption_layer(CAPTION, ACCENT)
    monkeypatch.setattr(text, "font", lambda size, caption: text._load_font(size, False))
    tofu = local._caption_layer(CAPTION, ACCENT)

    assert drawn is not None and tofu is not None
    assert drawn.image.tobytes() != tofu.image.tobytes()
    # the glyphs' strokes and curves: more anti-aliased shades than a row of boxes
    assert len(drawn.image.getcolors(1 << 20)) > len(tofu.image.getcolors(1 << 20))
