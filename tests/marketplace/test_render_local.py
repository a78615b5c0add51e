"""The local render backend, checked by decoding what it writes. No database needed."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from PIL import Image, ImageChops, ImageDraw

from marketplace.generation.base import FPS, HEIGHT, WIDTH, CharacterRef, RenderFailed, RenderSpec
from marketplace.generation.local import LocalBackend, scene_palette, watermark_box

MAGENTA = (255, 0, 255)
YELLOW = (255, 255, 0)
PROMPT = "Mika and Ren race across a rooftop at dusk"


@pytest.fixture(scope="module")
def references(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("references")
    mika = Image.new("RGBA", (300, 400), (0, 0, 0, 0))
    ImageDraw.Draw(mika).ellipse((10, 10, 290, 390), fill=(*MAGENTA, 255))
    ren = Image.new("RGB", (400, 300), YELLOW)
    ImageDraw.Draw(ren).rectangle((60, 60, 160, 160), fill=(0, 0, 255))
    paths = {"mika": folder / "mika.png", "ren": folder / "ren.png"}
    mika.save(paths["mika"])
    ren.save(paths["ren"])
    return paths


def two_character_spec(references: dict[str, Path], output_dir: Path, **changes) -> RenderSpec:
    fields = {
        "request_id": "req-1",
        "prompt": PROMPT,
        "seed": 7,
        "duration_s": 4,
        "characters": (
            CharacterRef("c-mika", "Mika", (references["mika"],)),
            CharacterRef("c-ren", "Ren", (references["ren"],)),
        ),
        "output_dir": output_dir,
        "credits": ("Mika © Studio Aoi", "Ren © R. Creator, licensed via Cocreate"),
    }
    return RenderSpec(**{**fields, **changes})


@pytest.fixture(scope="module")
def rendered(references, tmp_path_factory):
    progress: list[float] = []
    spec = two_character_spec(references, tmp_path_factory.mktemp("render"))
    result = LocalBackend().render(spec, progress.append)
    return spec, result, progress


def decode(path: Path, indices: set[int]) -> dict[int, Image.Image]:
    with av.open(str(path)) as container:
        return {
            index: frame.to_image()
            for index, frame in enumerate(container.decode(video=0))
            if index in indices
        }


def top_level_boxes(path: Path) -> list[str]:
    data = path.read_bytes()
    boxes, position = [], 0
    while position + 8 <= len(data):
        size = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[position + 8 : position + 16], "big")
        elif size == 0:
            size = len(data) - position
        boxes.append(kind)
        position += size
    return boxes


def colour_mask(image: Image.Image, colour: tuple[int, int, int]) -> Image.Image:
    """255 where the pixel is near ``colour`` despite yuv420p and H.264 losses."""
    channels = []
    for band, target in zip(image.convert("RGB").split(), colour, strict=True):
        if target > 128:
            channels.append(band.point(lambda v: 255 if v > 170 else 0))
        else:
            channels.append(band.point(lambda v: 255 if v < 100 else 0))
    mask = ImageChops.multiply(ImageChops.multiply(channels[0], channels[1]), channels[2])
    return mask


def centroid(mask: Image.Image) -> tuple[float, float, int]:
    columns = list(mask.resize((mask.width, 1), Image.Resampling.BOX).tobytes())
    rows = list(mask.resize((1, mask.height), Image.Resampling.BOX).tobytes())
    weight = sum(columns)
    x = sum(i * w for i, w in enumerate(columns)) / weight
    y = sum(i * w for i, w in enumerate(rows)) / sum(rows)
    return x, y, mask.histogram()[255]


def luma_spread(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """The 97th minus the 3rd percentile of luma inside ``box``."""
    histogram = image.convert("L").crop(box).histogram()
    total = sum(histogram)
    seen, low, high = 0, None, 0
    for value, count in enumerate(histogram):
        seen += count
        if low is None and seen >= total * 0.03:
            low = value
        if seen <= total * 0.97:
            high = value
    return high - (low or 0)


def test_render_writes_a_4_second_h264_portrait_mp4(rendered):
    # given a 4 s, two-character spec, rendered once for this module
    spec, result, _ = rendered

    # when the file is decoded
    with av.open(str(result.video_path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        codec, pix_fmt = stream.codec_context.name, stream.codec_context.pix_fmt
        size, rate = (stream.width, stream.height), stream.average_rate
        stream_seconds = float(stream.duration * stream.time_base)
        container_seconds = container.duration / 1_000_000

    with av.open(str(result.video_path)) as container:
        stream = container.streams.video[0]
        keyframes = sorted(
            round(packet.pts * stream.time_base * FPS)
            for packet in container.demux(stream)
            if packet.is_keyframe
        )

    # then it is what the players and the catalogue expect
    assert result.video_path == spec.output_dir / "video.mp4"
    assert (codec, pix_fmt, size, rate) == ("h264", "yuv420p", (WIDTH, HEIGHT), FPS)
    assert frames == result.frame_count == 4 * FPS
    assert abs(stream_seconds - 4.0) <= 1 / FPS
    assert abs(container_seconds - 4.0) <= 1 / FPS
    assert result.duration_s == 4.0
    assert result.metadata["backend"] == "local"
    assert result.metadata["codec"] == "h264"
    assert all(b - a <= 2 * FPS for a, b in zip(keyframes, [*keyframes[1:], frames], strict=True))


def test_render_puts_moov_before_mdat_for_progressive_playback(rendered):
    _, result, _ = rendered

    boxes = top_level_boxes(result.video_path)

    assert boxes[0] == "ftyp"
    assert boxes.index("moov") < boxes.index("mdat")


def test_render_writes_a_portrait_jpeg_poster(rendered):
    spec, result, _ = rendered

    with Image.open(result.poster_path) as poster:
        assert (poster.format, poster.size) == ("JPEG", (WIDTH, HEIGHT))
    assert result.poster_path == spec.output_dir / "poster.jpg"
    assert not list(spec.output_dir.glob("*.part"))


def test_render_reports_progress_per_frame_up_to_one(rendered):
    _, result, progress = rendered

    assert len(progress) >= result.frame_count
    assert all(0.0 < value <= 1.0 for value in progress)
    assert progress == sorted(progress)
    assert progress[-1] == 1.0


def test_render_is_deterministic_for_the_same_spec(rendered, references, tmp_path):
    # given the module's render and a second render of the same spec elsewhere
    _, first, _ = rendered
    again = two_character_spec(references, tmp_path)

    # when rendered again
    second = LocalBackend().render(again, lambda _: None)

    # then the decoded frames, and the files themselves, are identical
    sample = {0, 50}
    a, b = decode(first.video_path, sample), decode(second.video_path, sample)
    assert all(a[i].tobytes() == b[i].tobytes() for i in sample)
    assert first.video_path.read_bytes() == second.video_path.read_bytes()
    assert first.metadata["palette"] == second.metadata["palette"]


def test_palette_follows_prompt_and_seed(rendered):
    _, result, _ = rendered

    palette = scene_palette(prompt=PROMPT, seed=7)

    assert result.metadata["palette"] == ["#{:02x}{:02x}{:02x}".format(*c) for c in palette]
    assert scene_palette(prompt=PROMPT, seed=7) == palette
    assert scene_palette(prompt=PROMPT, seed=8) != palette
    assert scene_palette(prompt=PROMPT + " in the snow", seed=7) != palette


def test_characters_appear_and_move_along_different_paths(rendered):
    # given frames early, in the middle and late in the clip
    _, result, _ = rendered
    samples = (4, 36, 68, 92)
    frames = decode(result.video_path, set(samples))

    for colour in (MAGENTA, YELLOW):
        # when the character's colour is located in each frame
        points = [centroid(colour_mask(frames[i], colour)) for i in samples]

        # then it is visible in every frame and its centre travels
        assert all(count > 3000 for _, _, count in points), colour
        travel = max(abs(a[0] - b[0]) + abs(a[1] - b[1]) for a in points for b in points)
        assert travel > 30, colour
    paths = [c["path"] for c in result.metadata["characters"]]
    assert len(set(paths)) == 2


def test_watermark_is_burned_into_every_frame_corner(references, tmp_path):
    # given a scene whose only character is a placeholder in the middle
    spec = two_character_spec(
        references, tmp_path, characters=(CharacterRef("c-x", "Xan"),), credits=()
    )
    result = LocalBackend().render(spec, lambda _: None)
    left, top, right, bottom = watermark_box()
    other_corner = (WIDTH - right, top, left, bottom)  # the strip left of the watermark

    # when the first and last frames are decoded
    frames = decode(result.video_path, {0, result.frame_count - 1})

    # then the watermark corner holds high-contrast text and the other corner does not
    assert right <= WIDTH and bottom <= HEIGHT / 10
    for frame in frames.values():
        assert luma_spread(frame, (left, top, right, bottom)) > 120
        assert luma_spread(frame, other_corner) < 40


def test_character_without_images_renders_a_placeholder(references, tmp_path):
    spec = two_character_spec(
        references,
        tmp_path,
        prompt="ミカと蓮が夕暮れの屋上を走る",
        characters=(
            CharacterRef("c-x", "Xan"),
            CharacterRef("c-mika", "Mika", (references["mika"],)),
        ),
    )

    result = LocalBackend().render(spec, lambda _: None)

    assert result.frame_count == 4 * FPS
    assert [c["placeholder"] for c in result.metadata["characters"]] == [True, False]
    assert result.metadata["caption"] == "ミカと蓮が夕暮れの屋上を走る"


@pytest.mark.parametrize("seconds", [3, 16, 0])
def test_duration_out_of_range_is_refused(references, tmp_path, seconds):
    spec = two_character_spec(references, tmp_path, duration_s=seconds)

    with pytest.raises(RenderFailed) as excinfo:
        LocalBackend().render(spec, lambda _: None)

    assert not excinfo.value.transient
    assert "between 4 and 15 seconds" in excinfo.value.reason
    assert not (tmp_path / "video.mp4").exists()


def test_unreadable_reference_image_is_refused(references, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    spec = two_character_spec(
        references, tmp_path, characters=(CharacterRef("c-b", "Bea", (broken,)),)
    )

    with pytest.raises(RenderFailed) as excinfo:
        LocalBackend().render(spec, lambda _: None)

    assert not excinfo.value.transient
    assert "Bea" in excinfo.value.reason
