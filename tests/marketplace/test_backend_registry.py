"""Video backends are plug-ins found through the ``cocreate.video_backends`` entry
points; the studio and the request checks offer only what the chosen one supports; and
a remix made through the pipeline opens with its parent's last second."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points

import av
import pytest
from PIL import ImageChops, ImageStat

from core.errors import DomainError
from marketplace import services
from marketplace.generation import plugins, registry
from marketplace.generation.local import OPENING_FRAMES
from marketplace.models import GenerationRequest
from tests.factories import CharacterFactory, UserFactory, WorkFactory, grant_for
from tests.marketplace.conftest import with_image
from tests.marketplace.helpers import field_errors, make_work

STUDIO = "/studio/"
THIRD_BACKEND = """
from marketplace.generation.local import LocalBackend
from marketplace.generation.registry import BackendInfo, Capabilities


class StillBackend(LocalBackend):
    # A third party's renderer: it draws with the local renderer under its own name.
    name = "still"


INFO = BackendInfo(
    name="still",
    label="Still frames",
    capabilities=Capabilities(
        durations=(6, 10), sizes=("480x854",), reference_images=False, remix=False
    ),
    factory=StillBackend,
)
"""


@pytest.fixture
def fresh_registry():
    registry.backends.cache_clear()
    yield
    registry.backends.cache_clear()


@pytest.fixture
def third_backend(tmp_path, monkeypatch, fresh_registry):
    """A distribution that is not Cocreate declares a backend, as a plug-in would: a
    module and its dist-info (METADATA, entry_points.txt) on sys.path."""
    (tmp_path / "cocreate_still_backend.py").write_text(THIRD_BACKEND)
    dist_info = tmp_path / "cocreate_still_backend-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: cocreate-still-backend\nVersion: 1.0\n"
    )
    (dist_info / "entry_points.txt").write_text(
        "[cocreate.video_backends]\nstill = cocreate_still_backend:INFO\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.backends.cache_clear()
    yield
    sys.modules.pop("cocreate_still_backend", None)


def test_the_installed_metadata_declares_the_built_in_backends(fresh_registry):
    declared = {point.name: point for point in entry_points(group=registry.GROUP)}

    assert declared["local"].load() is plugins.LOCAL
    assert declared["openai"].load() is plugins.OPENAI
    assert {"local", "openai"} <= set(registry.backends())


def test_an_install_without_the_entry_points_keeps_the_built_in_backends(
    fresh_registry, monkeypatch
):
    # an editable install made before pyproject.toml declared them lists none
    monkeypatch.setattr(registry, "entry_points", lambda group: [])

    assert registry.backends() == {"local": plugins.LOCAL, "openai": plugins.OPENAI}


def test_a_backend_from_another_distribution_is_registered_and_built(third_backend, settings):
    settings.OPENAI_API_KEY = ""

    assert registry.available_backends() == ["local", "still"]
    info = registry.backend_info("still")
    assert info.capabilities.durations == (6, 10)
    assert info.durations_text() == "6 or 10 seconds"
    assert type(registry.get_backend("still")).__name__ == "StillBackend"


def test_a_backend_that_cannot_run_here_is_not_offered_and_says_why(fresh_registry, settings):
    settings.OPENAI_API_KEY = ""

    assert "openai" not in registry.available_backends()
    with pytest.raises(registry.RenderFailed) as failure:
        registry.get_backend("openai")
    assert failure.value.reason == "The openai video backend needs OPENAI_API_KEY."
    with pytest.raises(registry.RenderFailed) as unknown:
        registry.get_backend("nope")
    assert "Unknown video backend 'nope'" in unknown.value.reason


def _options(html: str, name: str) -> list[str]:
    import re

    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return re.findall(r'<option value="([^"]*)"', select.group(1))


@pytest.mark.django_db
def test_the_studio_offers_the_plugged_in_backend_and_only_its_durations(
    third_backend, client, settings
):
    settings.OPENAI_API_KEY = ""
    client.force_login(UserFactory())

    default = client.get(STUDIO).content.decode()
    chosen = client.get(STUDIO, {"backend": "still"}).content.decode()

    assert _options(default, "backend") == ["local", "still"]
    assert "Still frames" in default
    assert _options(default, "duration_s") == [str(d) for d in range(4, 16)]
    assert _options(chosen, "duration_s") == ["6", "10"]
    assert "The Still frames renderer makes videos of 6 or 10 seconds." in chosen


@pytest.mark.django_db
def test_the_studio_refuses_a_duration_the_backend_does_not_make(third_backend, client):
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator)
    client.force_login(creator)

    response = client.post(
        STUDIO,
        {
            "prompt": "Hoshi-chan waves",
            "characters": [str(hoshi.pk)],
            "backend": "still",
            "duration_s": 5,
            "rating": "all_ages",
        },
    )

    assert response.status_code == 200
    assert field_errors(response.content.decode(), "duration_s") == [
        "The Still frames renderer makes videos of 6 or 10 seconds."
    ]
    assert not GenerationRequest.objects.exists()


@pytest.mark.django_db
def test_a_remix_with_a_backend_that_cannot_remix_is_refused_with_the_reason(third_backend, client):
    creator = UserFactory()
    parent = WorkFactory()
    client.force_login(creator)
    data = {"prompt": "More", "backend": "still", "duration_s": 6, "rating": "all_ages"}

    response = client.post(f"{STUDIO}?parent={parent.pk}", {**data, "parent": str(parent.pk)})

    reason = "The Still frames renderer cannot make remixes; choose another renderer."
    assert field_errors(response.content.decode(), "backend") == [reason]
    with pytest.raises(DomainError) as refused:
        services.generation_request_create(
            creator=creator,
            prompt="More",
            character_ids=[],
            parent=parent,
            backend="still",
            duration_s=6,
        )
    assert refused.value.detail == reason
    assert not GenerationRequest.objects.filter(creator=creator).exists()


@pytest.mark.django_db
def test_the_api_refuses_a_duration_the_hosted_backend_does_not_make(api_client, settings):
    settings.OPENAI_API_KEY = "sk-test"
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator)
    api_client.force_authenticate(creator)

    response = api_client.post(
        "/api/v1/generations/",
        {
            "prompt": "Hoshi-chan",
            "character_ids": [str(hoshi.pk)],
            "duration_s": 5,
            "backend": "openai",
        },
        format="json",
    )

    assert response.status_code == 400, response.json()
    assert "The OpenAI Sora renderer makes videos of 4, 8 or 12 seconds." in str(response.json())
    assert not GenerationRequest.objects.exists()


@pytest.mark.django_db
def test_a_remix_made_through_the_pipeline_opens_with_its_parents_last_second(signing):
    # given a published work and a creator licensed to remix its character
    creator = UserFactory()
    hoshi = with_image(CharacterFactory(name="Hoshi-chan"))
    grant_for(hoshi, creator, allowed_actions=["generate", "remix", "publish"])
    parent = make_work(creator=creator, characters=[hoshi], prompt="Hoshi-chan at dawn")

    # when a remix of it is generated
    remix = make_work(
        creator=creator, characters=[hoshi], prompt="Hoshi-chan at dusk", parent=parent
    )

    # then the remix's first second is the parent's last one
    def frames(work):
        with work.video.open("rb") as stream, av.open(stream) as container:
            return [frame.to_image() for frame in container.decode(video=0)]

    parent_frames, remix_frames = frames(parent), frames(remix)
    for index in range(OPENING_FRAMES):
        difference = ImageChops.difference(
            remix_frames[index], parent_frames[index - OPENING_FRAMES]
        )
        assert sum(ImageStat.Stat(difference).mean) / 3 < 4, index
    metadata = remix.request.render_output["metadata"]
    assert metadata["parent"] == {"work_id": str(parent.pk), "opening_frames": OPENING_FRAMES}


@pytest.mark.django_db
def test_the_remix_action_is_offered_only_when_a_renderer_here_can_remix(
    third_backend, client, monkeypatch
):
    work = WorkFactory()
    remix_link = f"/studio/?parent={work.pk}"
    offered = client.get(work.get_absolute_url()).content.decode()

    still = registry.backend_info("still")
    with monkeypatch.context() as patch:  # only a renderer that cannot remix is installed
        patch.setattr(registry, "backends", lambda: {"still": still})
        hidden = client.get(work.get_absolute_url()).content.decode()

    assert remix_link in offered
    assert remix_link not in hidden
    assert ">Share<" in hidden  # the page and its other actions are still there
