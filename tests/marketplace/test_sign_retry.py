"""The signing step re-run after a crash between storing the files and committing."""

from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings as django_settings

from marketplace import services
from marketplace.models import Work, WorkLicense
from marketplace.provenance.sign import sign_media
from tests.factories import CharacterFactory, UserFactory, grant_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def signing(settings, provenance_keys):
    settings.C2PA_CERT_CHAIN = str(provenance_keys.chain)
    settings.C2PA_PRIVATE_KEY = str(provenance_keys.signer_key)
    settings.C2PA_TRUST_ANCHORS = str(provenance_keys.root_cert)


def test_a_sign_step_killed_after_storing_files_leaves_one_work_and_no_stray_files(signing):
    # given a request checked, charged and rendered
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant_for(hoshi, creator)
    request = services.generation_request_create(
        creator=creator, prompt="Hoshi-chan waves", character_ids=[hoshi.pk], duration_s=4
    )
    for step in (
        services.generation_check,
        services.generation_render,
    ):
        step(request_id=request.pk)

    # when signing dies after the video and poster are stored but before the commit
    # (the licences' insert fails, as a killed worker's transaction would be lost)
    with (
        mock.patch.object(
            WorkLicense.objects, "bulk_create", side_effect=RuntimeError("worker killed")
        ),
        pytest.raises(RuntimeError),
    ):
        services.generation_sign(request_id=request.pk)
    works_root = Path(django_settings.MEDIA_ROOT) / "works"
    assert not Work.objects.filter(request=request).exists()
    [left_behind] = list(works_root.iterdir())
    assert sorted(p.name for p in left_behind.iterdir()) == ["poster.jpg", "video.mp4"]

    # then the re-run makes the one work in that same folder, replacing the files
    # instead of storing new ones beside them
    services.generation_sign(request_id=request.pk)
    work = Work.objects.get(request=request)
    assert list(works_root.iterdir()) == [left_behind]
    assert left_behind.name == str(work.pk)
    assert sorted(p.name for p in left_behind.iterdir()) == ["poster.jpg", "video.mp4"]
    assert work.video.name == f"works/{work.pk}/video.mp4"
    assert work.poster.name == f"works/{work.pk}/poster.jpg"
    assert work.manifest and work.licenses.count() == 1


def test_a_request_failed_while_it_was_being_signed_gets_no_work(signing):
    # given a request checked, charged and rendered
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant_for(hoshi, creator)
    request = services.generation_request_create(
        creator=creator, prompt="Hoshi-chan waves", character_ids=[hoshi.pk], duration_s=4
    )
    services.generation_check(request_id=request.pk)
    services.generation_render(request_id=request.pk)
    real_sign = sign_media

    def sign_then_fail(**kwargs):
        # the licence is revoked while the file is being signed
        services.generation_fail(request_id=request.pk, reason="licence revoked")
        return real_sign(**kwargs)

    # when
    with mock.patch("marketplace.services.generation.sign_media", side_effect=sign_then_fail):
        services.generation_sign(request_id=request.pk)

    # then: it stays failed, with no work made
    request.refresh_from_db()
    assert request.status == "failed" and request.reason == "licence revoked"
    assert not Work.objects.filter(request=request).exists()
