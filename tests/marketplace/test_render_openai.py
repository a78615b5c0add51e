"""The openai video backend, driven through the real SDK against a loopback fake."""

from __future__ import annotations

import io

import av
import openai
import pytest
from PIL import Image, ImageChops, ImageStat

from marketplace.generation.base import (
    HEIGHT,
    WIDTH,
    CharacterRef,
    ParentRef,
    RenderFailed,
    RenderSpec,
)
from marketplace.generation.local import LocalBackend, watermark_box
from marketplace.generation.openai_backend import OpenAIBackend, clip_seconds_for
from tests.fakes.openai_videos import (
    SAMPLE_FRAMES,
    SAMPLE_HEIGHT,
    SAMPLE_WIDTH,
    FakeOpenAIVideos,
)
from tests.marketplace.test_render_local import luma_spread

# openai 3.52 marks every videos method deprecated (Sora API shutdown, 2026-09-24).
pytestmark = pytest.mark.filterwarnings("ignore:The Sora API is scheduled:DeprecationWarning")


@pytest.fixture
def fake():
    with FakeOpenAIVideos() as running:
        yield running


def _backend(fake, *, api_key=None, max_retries=0, timeout_s=10.0, poll_s=0.01):
    client = openai.OpenAI(
        api_key=api_key or fake.api_key,
        base_url=fake.base_url,
        max_retries=max_retries,
        timeout=5.0,
    )
    return OpenAIBackend(client=client, model="sora-2", timeout_s=timeout_s, poll_s=poll_s)


def _spec(tmp_path, *, prompt="A fox and a crow share a picnic", duration_s=4, **changes):
    fields = {
        "request_id": "req-42",
        "prompt": prompt,
        "seed": 7,
        "duration_s": duration_s,
        "characters": (CharacterRef(id="c1", name="Foxy"), CharacterRef(id="c2", name="Crowley")),
        "output_dir": tmp_path / "out",
    }
    return RenderSpec(**{**fields, **changes})


def _render_failure(backend, spec) -> RenderFailed:
    with pytest.raises(RenderFailed) as failure:
        backend.render(spec, lambda fraction: None)
    return failure.value


def test_render_downloads_a_playable_mp4_and_writes_a_jpeg_poster(fake, tmp_path):
    # given
    backend = _backend(fake)
    spec = _spec(tmp_path, duration_s=9)
    reported: list[float] = []

    # when
    result = backend.render(spec, reported.append)

    # then the MP4 decodes, re-encoded to our frame, and the result describes it
    assert result.video_path == spec.output_dir / "video.mp4"
    with av.open(str(result.video_path)) as container:
        assert sum(1 for _ in container.decode(video=0)) == SAMPLE_FRAMES
    assert (result.width, result.height) == (WIDTH, HEIGHT)
    assert result.frame_count == SAMPLE_FRAMES
    assert result.duration_s == pytest.approx(4.0, abs=0.05)
    with Image.open(result.poster_path) as poster:
        assert poster.format == "JPEG"
        assert poster.size == (WIDTH, HEIGHT)
    assert not (spec.output_dir / "hosted.mp4").exists()
    job_id = next(iter(fake.jobs))
    assert result.metadata == {
        "backend": "openai",
        "model": "sora-2",
        "openai_video_id": job_id,
        "provider_video_id": job_id,
        "remixed_from": "",
        "input_reference": "",
        "requested_seconds": "8",
        "requested_size": "720x1280",
        "hosted_size": f"{SAMPLE_WIDTH}x{SAMPLE_HEIGHT}",
        "watermarked": True,
    }
    # and progress climbed to 1.0
    assert reported == sorted(reported)
    assert len(reported) >= 3
    assert reported[-1] == 1.0
    # and the job was asked for with the supported parameters and an idempotency key
    (create,) = fake.creates
    assert create.headers["idempotency-key"] == "cocreate-render-req-42"
    assert create.fields["model"] == "sora-2"
    assert create.fields["seconds"] == "8"
    assert create.fields["size"] == "720x1280"
    assert create.fields["prompt"].startswith("A fox and a crow share a picnic")
    assert "Foxy" in create.fields["prompt"]
    assert "Crowley" in create.fields["prompt"]
    assert fake.requests_to("GET", f"/v1/videos/{job_id}/content")[0].query == {"variant": "video"}


def test_a_retried_render_resumes_the_same_paid_job(fake, tmp_path):
    # given a render that already ran once
    backend = _backend(fake)
    first = backend.render(_spec(tmp_path), lambda fraction: None)

    # when the task runs again for the same request
    second = backend.render(_spec(tmp_path), lambda fraction: None)

    # then the service made one job, not two
    assert len(fake.creates) == 2
    assert len(fake.jobs) == 1
    assert second.metadata["openai_video_id"] == first.metadata["openai_video_id"]


@pytest.mark.parametrize(
    ("duration_s", "seconds"), [(4, "4"), (5, "4"), (6, "8"), (9, "8"), (10, "12"), (15, "12")]
)
def test_duration_maps_to_the_closest_clip_length_the_api_allows(duration_s, seconds):
    assert clip_seconds_for(duration_s) == seconds


def test_prompt_refused_by_moderation_is_a_final_failure_with_a_readable_reason(fake, tmp_path):
    # given
    backend = _backend(fake)
    spec = _spec(tmp_path, prompt="Something the service will refuse [fake:moderation]")

    # when
    failure = _render_failure(backend, spec)

    # then
    assert failure.transient is False
    assert failure.reason == (
        "The video service refused the prompt under its content policy: "
        "Your request was blocked by our moderation system."
    )


def test_server_error_is_transient_after_the_sdk_retries_with_the_same_key(fake, tmp_path):
    # given a service that fails every create with a 500
    fake.scenario = "http_500"
    backend = _backend(fake, max_retries=2)

    # when
    failure = _render_failure(backend, _spec(tmp_path))

    # then
    assert failure.transient is True
    assert "HTTP 500" in failure.reason
    assert [r.headers["idempotency-key"] for r in fake.creates] == ["cocreate-render-req-42"] * 3


@pytest.mark.parametrize(
    ("status", "transient", "words"),
    [
        (429, True, "rate limiting"),
        (503, True, "HTTP 503"),
        (400, False, "Invalid request."),
        (403, False, "HTTP 403"),
        (404, False, "does not offer this model"),
    ],
)
def test_http_errors_on_create_map_to_readable_failures(fake, tmp_path, status, transient, words):
    # given
    fake.scenario = f"http_{status}"

    # when
    failure = _render_failure(_backend(fake), _spec(tmp_path))

    # then
    assert failure.transient is transient
    assert words in failure.reason


def test_rejected_api_key_is_a_final_failure_naming_the_key(fake, tmp_path):
    # given
    backend = _backend(fake, api_key="sk-wrong")

    # when
    failure = _render_failure(backend, _spec(tmp_path))

    # then
    assert failure.transient is False
    assert failure.reason == "The video service rejected our API key."
    assert fake.jobs == {}


def test_job_that_never_finishes_fails_transiently_at_the_deadline(fake, tmp_path):
    # given
    fake.scenario = "never_finishes"
    backend = _backend(fake, timeout_s=1, poll_s=0.05)
    reported: list[float] = []

    # when
    with pytest.raises(RenderFailed) as failure:
        backend.render(_spec(tmp_path), reported.append)

    # then
    assert failure.value.transient is True
    assert failure.value.reason == "The video service did not finish within 1 second."
    assert 0 < reported[-1] < 1.0


def test_content_that_is_not_an_mp4_is_a_final_failure(fake, tmp_path):
    # given
    fake.scenario = "garbage"
    spec = _spec(tmp_path)

    # when
    failure = _render_failure(_backend(fake), spec)

    # then
    assert failure.transient is False
    assert "not a playable MP4" in failure.reason
    assert not (spec.output_dir / "video.mp4").exists()
    assert not (spec.output_dir / "poster.jpg").exists()


def test_from_settings_without_an_api_key_refuses_to_build(settings):
    settings.OPENAI_API_KEY = ""

    with pytest.raises(RenderFailed) as failure:
        OpenAIBackend.from_settings()

    assert failure.value.reason == "The openai video backend needs OPENAI_API_KEY."


def test_from_settings_renders_against_the_configured_service(fake, settings, tmp_path):
    # given
    settings.OPENAI_API_KEY = fake.api_key
    settings.OPENAI_BASE_URL = fake.base_url
    settings.OPENAI_VIDEO_MODEL = "sora-2-pro"
    settings.OPENAI_VIDEO_POLL_S = 0.01

    # when
    result = OpenAIBackend.from_settings().render(_spec(tmp_path), lambda fraction: None)

    # then
    assert result.metadata["model"] == "sora-2-pro"
    assert fake.creates[0].fields["model"] == "sora-2-pro"
    assert fake.creates[0].headers["authorization"] == f"Bearer {fake.api_key}"


def _frames(path) -> list[Image.Image]:
    with av.open(str(path)) as container:
        return [frame.to_image() for frame in container.decode(video=0)]


def test_hosted_output_carries_the_watermark_and_credits_on_every_frame(fake, tmp_path):
    # given a hosted clip of flat colours (the fake's sample) and credits the terms require
    spec = _spec(tmp_path, credits=("Foxy © Studio Aoi",))

    # when
    result = _backend(fake).render(spec, lambda fraction: None)

    # then the watermark corner holds high-contrast text on every frame, as local renders
    left, top, right, bottom = watermark_box()
    frames = _frames(result.video_path)
    assert len(frames) == SAMPLE_FRAMES
    for frame in frames:
        assert luma_spread(frame, (left, top, right, bottom)) > 120
        assert luma_spread(frame, (WIDTH - right, top, left, bottom)) < 40
        # and the credits band carries text (the hosted frames are flat: spread 0)
        assert luma_spread(frame, (0, HEIGHT - 40, WIDTH, HEIGHT)) > 40
    with Image.open(result.poster_path) as poster:
        assert luma_spread(poster.convert("RGB"), (left, top, right, bottom)) > 120


def test_remix_of_a_video_the_service_made_calls_its_remix_with_the_parent_id(fake, tmp_path):
    # given a parent the service made
    backend = _backend(fake)
    first = backend.render(_spec(tmp_path), lambda fraction: None)
    parent_id = first.metadata["provider_video_id"]
    parent = ParentRef(
        work_id="w-1",
        title="Picnic",
        backend="openai",
        open_video=lambda: first.video_path.open("rb"),
        provider_video_id=parent_id,
    )
    spec = _spec(tmp_path, request_id="req-43", prompt="The picnic, in the rain", parent=parent)

    # when
    result = backend.render(spec, lambda fraction: None)

    # then the service's remix operation ran on the parent's id, not a fresh create
    (remix,) = fake.remixes
    assert remix.path == f"/v1/videos/{parent_id}/remix"
    assert remix.fields["prompt"].startswith("The picnic, in the rain")
    assert remix.headers["idempotency-key"] == "cocreate-render-req-43"
    assert len(fake.creates) == 1
    job = fake.jobs[result.metadata["provider_video_id"]]
    assert job.remixed_from_video_id == parent_id
    assert result.metadata["remixed_from"] == parent_id
    assert result.metadata["watermarked"] is True


def test_characters_reference_images_are_sent_as_the_input_reference(fake, tmp_path):
    # given characters with reference images
    red, blue = tmp_path / "red.png", tmp_path / "blue.png"
    Image.new("RGB", (300, 300), (255, 0, 0)).save(red)
    Image.new("RGB", (200, 400), (0, 0, 255)).save(blue)
    characters = (CharacterRef("c1", "Foxy", (red,)), CharacterRef("c2", "Crowley", (blue,)))

    # when
    result = _backend(fake).render(_spec(tmp_path, characters=characters), lambda f: None)

    # then the create carried one PNG at the requested size, holding both images
    (create,) = fake.creates
    _, content_type, data = create.files["input_reference"]
    assert content_type == "image/png"
    with Image.open(io.BytesIO(data)) as reference:
        assert reference.size == (720, 1280)
        colours = {colour for _, colour in reference.convert("RGB").getcolors(1 << 16)}
    assert {(255, 0, 0), (0, 0, 255)} <= colours
    assert result.metadata["input_reference"] == "characters"


def test_remix_of_a_video_made_elsewhere_starts_from_the_parents_last_frame(fake, tmp_path):
    # given a parent the local renderer made
    local = LocalBackend().render(
        _spec(tmp_path, output_dir=tmp_path / "parent", characters=()), lambda f: None
    )
    parent = ParentRef(
        work_id="w-2",
        title="Local",
        backend="local",
        open_video=lambda: local.video_path.open("rb"),
    )

    # when
    result = _backend(fake).render(_spec(tmp_path, parent=parent), lambda f: None)

    # then no remix call: a create whose input reference is the parent's last frame
    assert fake.remixes == []
    (create,) = fake.creates
    _, _, data = create.files["input_reference"]
    last = _frames(local.video_path)[-1]
    with Image.open(io.BytesIO(data)) as reference:
        sent = reference.convert("RGB").resize(last.size)
    assert sum(ImageStat.Stat(ImageChops.difference(sent, last)).mean) / 3 < 6
    assert result.metadata["input_reference"] == "parent_last_frame"
