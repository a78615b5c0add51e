"""A remix rendered locally continues its parent: it opens with the parent's last
second, decoded with PyAV from a stream, then dissolves into its own scene."""

from __future__ import annotations

import io
from pathlib import Path

import av
import pytest
from PIL import Image, ImageChops, ImageStat

from marketplace.generation.base import FPS, HEIGHT, WIDTH, ParentRef, RenderFailed
from marketplace.generation.local import DISSOLVE_FRAMES, OPENING_FRAMES, LocalBackend
from tests.fakes.openai_videos import sample_mp4
from tests.marketplace.test_render_local import references, two_character_spec

__all__ = ["references"]  # the fixture, shared with the local renderer's tests


def all_frames(path: Path) -> list[Image.Image]:
    with av.open(str(path)) as container:
        return [frame.to_image() for frame in container.decode(video=0)]


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def parent_ref(path: Path, backend: str = "local") -> ParentRef:
    return ParentRef(
        work_id="w-parent", title="The parent", backend=backend, open_video=lambda: path.open("rb")
    )


@pytest.fixture(scope="module")
def parent_and_remix(references, tmp_path_factory):
    parent_dir = tmp_path_factory.mktemp("parent")
    parent = LocalBackend().render(two_character_spec(references, parent_dir), lambda _: None)
    remix_spec = two_character_spec(
        references,
        tmp_path_factory.mktemp("remix"),
        prompt="Mika and Ren dive into a midnight sea",
        seed=99,
        duration_s=4,
        parent=parent_ref(parent.video_path),
    )
    remix = LocalBackend().render(remix_spec, lambda _: None)
    return parent, remix


def test_remix_opens_with_the_parents_last_second(parent_and_remix):
    # given a parent and a remix of it, both decoded
    parent, remix = parent_and_remix
    parent_frames, remix_frames = all_frames(parent.video_path), all_frames(remix.video_path)

    # then the remix's first second is the parent's last, within the encoder's losses
    tail = parent_frames[-OPENING_FRAMES:]
    for index in range(OPENING_FRAMES):
        assert mean_difference(remix_frames[index], tail[index]) < 4, index
    # and they are not the parent's first frames (the opening is its end, in order)
    assert mean_difference(remix_frames[0], parent_frames[0]) > mean_difference(
        remix_frames[0], tail[0]
    )
    # and the clip keeps its length and the metadata says what it continued
    assert remix.frame_count == len(remix_frames) == 4 * FPS
    assert remix.metadata["parent"] == {"work_id": "w-parent", "opening_frames": OPENING_FRAMES}


def test_after_the_dissolve_the_remix_shows_its_own_scene(parent_and_remix):
    parent, remix = parent_and_remix
    parent_last = all_frames(parent.video_path)[-1]
    remix_frames = all_frames(remix.video_path)

    # the new prompt's scene (its own palette) replaces the parent's last frame
    after = remix_frames[OPENING_FRAMES + DISSOLVE_FRAMES + 4]
    assert mean_difference(after, parent_last) > 20
    # and the dissolve passes between the two
    middle = remix_frames[OPENING_FRAMES + DISSOLVE_FRAMES // 2]
    assert mean_difference(middle, parent_last) < mean_difference(after, parent_last)
    # and the poster is taken from the new scene
    assert remix.metadata["poster_frame"] >= OPENING_FRAMES + DISSOLVE_FRAMES


def test_a_parent_of_another_size_is_scaled_to_fill_the_frame(references, tmp_path):
    # given a parent the hosted service made at 144x256
    hosted = tmp_path / "hosted.mp4"
    hosted.write_bytes(sample_mp4())
    spec = two_character_spec(references, tmp_path / "out", parent=parent_ref(hosted, "openai"))

    # when
    result = LocalBackend().render(spec, lambda _: None)

    # then the opening is the parent's last second, filling our frame
    first = all_frames(result.video_path)[0]
    with av.open(io.BytesIO(sample_mp4())) as container:
        opening = [frame.to_image() for frame in container.decode(video=0)][-OPENING_FRAMES]
    expected = opening.resize((WIDTH, HEIGHT))
    assert first.size == (WIDTH, HEIGHT)
    centre = (0, HEIGHT // 4, WIDTH, HEIGHT // 2)  # away from the watermark and credits
    assert mean_difference(first.crop(centre), expected.crop(centre)) < 6


def test_a_parent_that_cannot_be_decoded_is_a_readable_failure(references, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    spec = two_character_spec(references, tmp_path / "out", parent=parent_ref(broken))

    with pytest.raises(RenderFailed) as failure:
        LocalBackend().render(spec, lambda _: None)

    assert failure.value.reason == "The video being remixed could not be read; please try again."
    assert not (tmp_path / "out" / "video.mp4").exists()
