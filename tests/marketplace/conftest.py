import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from licensing import services as licensing_services
from marketplace.enums import TERMINAL_STATUSES
from marketplace.models import GenerationRequest
from tests.factories import editor_of


def reference_png(colour=(255, 0, 255)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(buffer, "PNG")
    return SimpleUploadedFile("ref.png", buffer.getvalue(), content_type="image/png")


def with_image(character, colour=(255, 0, 255)):
    licensing_services.character_image_add(
        character=character, by=editor_of(character), file=reference_png(colour)
    )
    return character


SETTLED = TERMINAL_STATUSES | {"awaiting_approval"}


def wait_for(request_id, statuses=SETTLED, timeout=120.0) -> GenerationRequest:
    """Poll the database until the request settles (or reaches one of ``statuses``)."""
    deadline = time.monotonic() + timeout
    while True:
        request = GenerationRequest.objects.get(pk=request_id)
        if request.status in statuses:
            return request
        if time.monotonic() > deadline:
            events = list(request.events.values_list("to_status", "note"))
            raise AssertionError(f"request stuck in {request.status}: {events}")
        time.sleep(0.1)


@pytest.fixture
def signing(settings, provenance_keys):
    """Rendering and signing in this process: the session's development C2PA keys."""
    settings.C2PA_CERT_CHAIN = str(provenance_keys.chain)
    settings.C2PA_PRIVATE_KEY = str(provenance_keys.signer_key)
    settings.C2PA_TRUST_ANCHORS = str(provenance_keys.root_cert)
