"""A person proves a likeness is theirs (issue 18 §2): they read a one-time phrase in a
consent video, which is validated (type by content, size, duration), stored re-muxed and
private, and reviewed by staff beside the reference images. Only an approved likeness
is active; new reference images send it back to review. Every bad input is a clear 4xx
that stores nothing."""

import io
import zipfile
from datetime import timedelta

import av
import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import Notification
from core.errors import DomainError, NotPermitted
from licensing import services
from licensing.models import Character, ConsentChallenge, LikenessConsent
from tests.factories import UserFactory, grant_for, publish_offer
from tests.media import fetch, media_url_of, media_urls
from tests.mfa import totp_activate
from tests.pdfs import plain_pdf
from tests.videos import clip

pytestmark = pytest.mark.django_db


def _video(name: str = "consent.webm", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, clip() if data is None else data, content_type="video/webm")


def _png(colour: str = "teal") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buffer, "PNG")
    return SimpleUploadedFile("ref.png", buffer.getvalue(), content_type="image/png")


def _stored_files() -> list[str]:
    try:
        folders, _ = default_storage.listdir("consent-videos")
    except FileNotFoundError:
        return []
    return [
        f"{folder}/{name}"
        for folder in folders
        for name in default_storage.listdir(f"consent-videos/{folder}")[1]
    ]


@pytest.fixture
def person():
    return UserFactory(display_name="Aiko Tanaka")


@pytest.fixture
def likeness(person):
    """A registered likeness with one reference image: a draft until proven."""
    character = services.character_create(
        by=person, kind="likeness", name="Aiko Tanaka", likeness_attested=True
    )
    services.character_image_add(character=character, by=person, file=_png())
    return Character.objects.get(pk=character.pk)


def _submit(likeness, person, file=None, challenge=None):
    challenge = challenge or services.consent_challenge_issue(character=likeness, by=person)
    return services.consent_video_submit(
        challenge_id=challenge.pk, character=likeness, by=person, file=file or _video()
    )


# --- challenges --------------------------------------------------------------------------


def test_a_challenge_is_six_readable_words_for_the_person_and_a_few_minutes(likeness, person):
    # when
    with time_machine.travel(timezone.now(), tick=False):
        challenge = services.consent_challenge_issue(character=likeness, by=person)

    # then
    words = challenge.phrase.split()
    assert len(words) == 6 and all(w.isalpha() and w.islower() for w in words)
    assert challenge.user == person and challenge.character == likeness
    assert challenge.expires_at - challenge.created_at == timedelta(seconds=300)
    another = services.consent_challenge_issue(character=likeness, by=person)
    assert another.phrase != challenge.phrase


def test_only_the_person_may_ask_for_a_challenge_and_only_for_a_likeness(likeness):
    # given: a stranger, and a studio character
    from tests.factories import CharacterFactory, editor_of

    studio_character = CharacterFactory()

    # when / then
    with pytest.raises(NotPermitted):
        services.consent_challenge_issue(character=likeness, by=UserFactory())
    with pytest.raises(DomainError) as not_likeness:
        services.consent_challenge_issue(character=studio_character, by=editor_of(studio_character))
    assert "Only a likeness" in not_likeness.value.detail
    assert not ConsentChallenge.objects.exists()


def test_a_used_challenge_is_refused_the_second_time(likeness, person):
    # given: one video sent with a phrase
    challenge = services.consent_challenge_issue(character=likeness, by=person)
    _submit(likeness, person, challenge=challenge)

    # when: the same phrase is sent again
    with pytest.raises(DomainError) as refused:
        _submit(likeness, person, challenge=challenge)

    # then
    assert refused.value.code == "challenge_used"
    assert "one video" in refused.value.detail
    assert LikenessConsent.objects.count() == 1


def test_an_expired_challenge_is_refused_and_nothing_is_stored(likeness, person):
    # given: a phrase issued six minutes ago
    with time_machine.travel(timezone.now() - timedelta(minutes=6), tick=False):
        challenge = services.consent_challenge_issue(character=likeness, by=person)

    # when
    with pytest.raises(DomainError) as refused:
        _submit(likeness, person, challenge=challenge)

    # then: refused, spent, and no video kept
    assert refused.value.code == "challenge_expired"
    assert "expired" in refused.value.detail
    assert ConsentChallenge.objects.get(pk=challenge.pk).used_at is not None
    assert not LikenessConsent.objects.exists() and _stored_files() == []


def test_another_accounts_challenge_is_refused(likeness, person):
    # given: another person's phrase for their own likeness
    other = UserFactory()
    theirs = services.character_create(
        by=other, kind="likeness", name="Leo", likeness_attested=True
    )
    challenge = services.consent_challenge_issue(character=theirs, by=other)

    # when: Aiko sends a video with it
    with pytest.raises(DomainError) as refused:
        _submit(likeness, person, challenge=challenge)

    # then: refused, and the other person's phrase is not spent by someone else
    assert refused.value.code == "challenge_invalid"
    assert ConsentChallenge.objects.get(pk=challenge.pk).used_at is None
    assert not LikenessConsent.objects.exists()


def test_a_challenge_for_another_likeness_is_refused_and_spent(likeness, person):
    # given: the same person's phrase for their second likeness
    second = services.character_create(
        by=person, kind="likeness", name="Aiko (stage)", likeness_attested=True
    )
    challenge = services.consent_challenge_issue(character=second, by=person)

    # when
    with pytest.raises(DomainError) as refused:
        _submit(likeness, person, challenge=challenge)

    # then
    assert refused.value.code == "challenge_invalid"
    assert "another likeness" in refused.value.detail
    assert ConsentChallenge.objects.get(pk=challenge.pk).used_at is not None
    assert not LikenessConsent.objects.exists()


# --- the video ------------------------------------------------------------------------------


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", "<script>alert('payload')</script>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("consent.webm", b"<!doctype html><script>alert(1)</script>", "not_a_video"),
        ("consent.mp4", b"<html><body>hello</body></html>" * 20, "not_a_video"),
        ("consent.webm", "pdf", "not_a_video"),
        ("consent.webm", "jpeg", "not_a_video"),
        ("consent.webm", "zip-then-video", "not_a_video"),
        ("consent.webm", "long", "too_long"),
        ("consent.webm", "short", "too_short"),
        ("consent.webm", "silent", "no_audio"),
        ("consent.webm", "sound-only", "no_video_stream"),
        # a playlist FFmpeg would follow if it probed uploads
        (
            "consent.mp4",
            b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n",
            "not_a_video",
        ),
        ("consent.webm", "tiny", "bad_dimensions"),
        ("consent.pdf", "video", "name_mismatch"),
        ("consent.webm", b"", "empty"),
    ],
)
def test_a_bad_video_is_refused_with_a_reason_and_nothing_is_stored(
    likeness, person, name, data, code
):
    # given
    if data == "pdf":
        data = plain_pdf()
    elif data == "jpeg":
        buffer = io.BytesIO()
        Image.new("RGB", (64, 64), "red").save(buffer, "JPEG")
        data = buffer.getvalue()
    elif data == "zip-then-video":
        data = _zip() + clip()
    elif data == "long":
        data = clip(seconds=31, size=(64, 64), fps=2)
    elif data == "short":
        data = clip(seconds=1)
    elif data == "silent":
        data = clip(audio=False)
    elif data == "sound-only":
        data = clip(picture=False)
    elif data == "tiny":
        data = clip(size=(32, 32))
    elif data == "video":
        data = clip()

    # when
    with pytest.raises(DomainError) as refused:
        _submit(likeness, person, file=_video(name, data))

    # then
    assert refused.value.code == code
    assert refused.value.field == "video"
    assert refused.value.detail.endswith("Ask for a new phrase and record again.")
    assert not LikenessConsent.objects.exists() and _stored_files() == []


def test_a_video_over_the_size_limit_is_refused_before_it_is_read(likeness, person, settings):
    # given
    settings.LIKENESS_CONSENT_MAX_BYTES = 10_000

    # when
    with pytest.raises(DomainError) as refused:
        _submit(likeness, person)

    # then
    assert refused.value.code == "too_large"
    assert not LikenessConsent.objects.exists() and _stored_files() == []


@pytest.mark.parametrize("kind", ["webm", "mp4", "mkv-h264"])
def test_a_polyglot_is_stored_re_muxed_without_what_was_appended(likeness, person, kind):
    # given: a real video with a ZIP holding an HTML page appended
    data = clip(kind=kind) + _zip()

    # when
    consent = _submit(likeness, person, file=_video("consent.bin", data))

    # then: the stored file is a fresh container with the streams alone
    stored = default_storage.open(consent.video.name).read()
    assert b"PK\x03\x04" not in stored and b"<script>" not in stored
    assert consent.video.name.endswith(".mp4" if kind != "webm" else ".webm")
    with av.open(io.BytesIO(stored)) as container:
        assert [s.type for s in container.streams] == ["video", "audio"]
    assert 2.9 <= consent.duration_s <= 3.2
    assert (consent.width, consent.height) == (320, 240)


def test_a_submitted_video_waits_for_review_and_supersedes_the_last_one(likeness, person):
    # given: a video waiting for review
    first = _submit(likeness, person)

    # when: the person records again
    second = _submit(likeness, person)

    # then
    first.refresh_from_db()
    assert first.status == "superseded" and second.status == "pending"
    assert Character.objects.get(pk=likeness.pk).status == "draft"


# --- review ---------------------------------------------------------------------------------


def test_approving_makes_the_likeness_active_and_its_name_screens_prompts(
    likeness, person, staff, django_capture_on_commit_callbacks
):
    # given
    consent = _submit(likeness, person)
    creator = UserFactory()
    before, _ = services.policy_screen(
        creator=creator, prompt="Aiko Tanaka dances", character_ids=[]
    )

    # when
    with django_capture_on_commit_callbacks(execute=True):
        services.consent_approve(consent=consent, by=staff)

    # then
    likeness.refresh_from_db()
    consent.refresh_from_db()
    assert consent.status == "approved" and consent.reviewed_by == staff
    assert likeness.status == "active" and likeness.likeness_verified_at is not None
    after, _ = services.policy_screen(
        creator=creator, prompt="Aiko Tanaka dances", character_ids=[]
    )
    assert before.allowed and not after.allowed
    publish_offer(likeness, by=person)  # no longer refused as a draft
    assert Notification.objects.filter(user=person, kind="likeness.approved").exists()
    with pytest.raises(DomainError) as again:
        services.consent_challenge_issue(character=likeness, by=person)
    assert "already verified" in again.value.detail


def test_rejecting_needs_a_reason_and_tells_the_person(likeness, person, staff):
    # given
    consent = _submit(likeness, person)

    # when: no reason
    with pytest.raises(DomainError) as refused:
        services.consent_reject(consent=consent, by=staff, reason="  ")
    services.consent_reject(consent=consent, by=staff, reason="The phrase is not audible.")

    # then
    assert refused.value.field == "reason"
    consent.refresh_from_db()
    assert consent.status == "rejected" and consent.reason == "The phrase is not audible."
    assert Character.objects.get(pk=likeness.pk).status == "draft"
    note = Notification.objects.get(user=person, kind="likeness.rejected")
    assert "The phrase is not audible." in note.body


def test_only_staff_review_and_never_their_own_likeness(likeness, person):
    # given
    consent = _submit(likeness, person)
    staff_person = UserFactory(is_staff=True)
    own = services.character_create(
        by=staff_person, kind="likeness", name="Staff Face", likeness_attested=True
    )
    own_consent = _submit(own, staff_person)

    # when / then
    with pytest.raises(NotPermitted):
        services.consent_approve(consent=consent, by=person)
    with pytest.raises(NotPermitted):
        services.consent_approve(consent=own_consent, by=staff_person)
    assert Character.objects.get(pk=likeness.pk).status == "draft"


def test_changing_reference_images_sends_an_approved_likeness_back_to_review(
    likeness, person, staff
):
    # given: an approved likeness
    consent = _submit(likeness, person)
    services.consent_approve(consent=consent, by=staff)

    # when: the person adds a reference image
    services.character_image_add(character=likeness, by=person, file=_png("orange"))

    # then: a draft again, its video back in the staff queue with why
    likeness.refresh_from_db()
    consent.refresh_from_db()
    assert likeness.status == "draft" and likeness.likeness_verified_at is None
    assert consent.status == "pending" and "Reference images changed" in consent.reason
    from licensing import selectors

    assert list(selectors.consent_review_queue()) == [consent]

    # when: staff approve it again, then an image is removed
    services.consent_approve(consent=consent, by=staff)
    image = likeness.images.first()
    services.character_image_delete(image=image, by=person)

    # then
    assert Character.objects.get(pk=likeness.pk).status == "draft"


def test_a_licensee_cannot_generate_with_a_likeness_back_in_review(likeness, person, staff):
    # given: an approved likeness, an offer, a creator's licence; then a new image
    services.consent_approve(consent=_submit(likeness, person), by=staff)
    creator = UserFactory()
    grant_for(likeness, creator)
    services.character_image_add(character=likeness, by=person, file=_png("orange"))

    # when: the creator asks to generate with it
    decision, _ = services.policy_screen(
        creator=creator, prompt="A walk in the park", character_ids=[str(likeness.pk)]
    )

    # then: refused, saying why
    assert not decision.allowed
    assert decision.refusals[0].code == "character_draft"
    assert "not verified yet" in decision.refusals[0].message


# --- private media ------------------------------------------------------------------------


def test_a_consent_video_is_served_to_its_person_and_staff_only(likeness, person, staff):
    # given
    consent = _submit(likeness, person)
    from core.media import PUBLIC, media_signed_url

    # then: a URL signed for a stranger, or public, serves nothing; the person's does
    stranger = UserFactory()
    anonymous = Client()
    for viewer in (str(stranger.pk), PUBLIC):
        url = media_signed_url(name=consent.video.name, viewer=viewer)
        assert fetch(anonymous, url).status_code == 404
    for viewer in (person, staff):
        url = media_signed_url(name=consent.video.name, viewer=str(viewer.pk))
        response = fetch(anonymous, url)
        assert response.status_code == 200
        assert response["Content-Type"] == "video/webm"
        assert response.body == default_storage.open(consent.video.name).read()


# --- the person's page ----------------------------------------------------------------------


def test_the_person_gets_a_phrase_and_sends_a_file_from_the_page(likeness, person, client):
    # given
    client.force_login(person)
    manage = reverse("licensing:character_manage", args=[likeness.pk])
    page = client.get(manage)
    assert b"Prove it" in page.content and b"Show me a phrase to read" in page.content

    # when: they ask for a phrase, then send the fallback form
    asked = client.post(reverse("licensing:consent_challenge_new", args=[likeness.pk]))
    challenge = ConsentChallenge.objects.get(character=likeness)
    page = client.get(manage)
    sent = client.post(
        reverse("licensing:consent_submit", args=[likeness.pk]),
        {"challenge_id": str(challenge.pk), "video": _video()},
    )

    # then
    assert asked.status_code == 302
    assert challenge.phrase.encode() in page.content
    assert b'capture="user"' in page.content and b"data-consent-recorder" in page.content
    assert sent.status_code == 302
    after = client.get(manage)
    assert b"Waiting for review" in after.content
    consent = LikenessConsent.objects.get()
    assert (
        fetch(
            client, media_url_of(media_urls(after.content.decode()), consent.video.name)
        ).status_code
        == 200
    )


def test_a_refused_file_on_the_page_is_a_400_with_the_reason(likeness, person, client):
    # given
    client.force_login(person)
    challenge = services.consent_challenge_issue(character=likeness, by=person)

    # when
    response = client.post(
        reverse("licensing:consent_submit", args=[likeness.pk]),
        {"challenge_id": str(challenge.pk), "video": _video(data=b"<html>not a video</html>")},
    )

    # then
    assert response.status_code == 400
    assert b"not a video we can read" in response.content
    assert not LikenessConsent.objects.exists()


def test_a_rejected_video_shows_the_reason_and_asks_for_another(likeness, person, staff, client):
    # given
    services.consent_reject(consent=_submit(likeness, person), by=staff, reason="Too dark.")
    client.force_login(person)

    # when
    page = client.get(reverse("licensing:character_manage", args=[likeness.pk]))

    # then
    assert b"Too dark." in page.content and b"Record a new video" in page.content


def test_someone_else_cannot_send_a_video_for_a_likeness(likeness, person, client):
    # given
    challenge = services.consent_challenge_issue(character=likeness, by=person)
    client.force_login(UserFactory())

    # when
    response = client.post(
        reverse("licensing:consent_submit", args=[likeness.pk]),
        {"challenge_id": str(challenge.pk), "video": _video()},
    )

    # then
    assert response.status_code == 404
    assert ConsentChallenge.objects.get(pk=challenge.pk).used_at is None


# --- the staff page and the admin -----------------------------------------------------------


def _pending(n: int) -> list[LikenessConsent]:
    consents = []
    for index in range(n):
        someone = UserFactory()
        character = services.character_create(
            by=someone, kind="likeness", name=f"Person {index}", likeness_attested=True
        )
        services.character_image_add(character=character, by=someone, file=_png())
        consents.append(_submit(character, someone))
    return consents


def test_the_staff_queue_shows_each_video_beside_its_images_and_phrase(
    staff_client, django_assert_max_num_queries
):
    # given
    consents = _pending(3)

    # when
    with django_assert_max_num_queries(12):
        page = staff_client.get(reverse("licensing:consent_queue"))

    # then
    html = page.content.decode()
    assert page.status_code == 200
    for consent in consents:
        assert consent.challenge.phrase in html
        assert media_url_of(media_urls(html), consent.video.name)
        assert media_url_of(media_urls(html), consent.character.images.get().thumbnail.name)

    # and: the count does not grow with the queue
    _pending(3)
    with django_assert_max_num_queries(12):
        staff_client.get(reverse("licensing:consent_queue"))


def test_staff_approve_and_reject_on_the_staff_page(staff_client):
    # given
    approve, reject = _pending(2)

    # when
    no_reason = staff_client.post(
        reverse("licensing:consent_review", args=[reject.pk]), {"decision": "reject"}
    )
    staff_client.post(
        reverse("licensing:consent_review", args=[reject.pk]),
        {"decision": "reject", "reason": "Not the person in the images."},
    )
    staff_client.post(
        reverse("licensing:consent_review", args=[approve.pk]), {"decision": "approve"}
    )

    # then
    assert no_reason.status_code == 400 and b"Say why" in no_reason.content
    reject.refresh_from_db()
    approve.refresh_from_db()
    assert reject.status == "rejected" and approve.status == "approved"
    assert Character.objects.get(pk=approve.character_id).status == "active"


def test_the_staff_page_is_for_staff_who_passed_the_second_factor(client):
    # given
    consent = _pending(1)[0]
    url = reverse("licensing:consent_queue")
    staff_no_code = UserFactory(is_staff=True)
    staff_with_app = UserFactory(is_staff=True)
    totp_activate(staff_with_app)

    # when / then: a person is refused, staff without a code are sent to get one
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403
    client.force_login(staff_no_code)
    assert client.get(url).url == reverse("mfa_activate_totp")
    client.force_login(staff_with_app)
    assert reverse("mfa_reauthenticate") in client.get(url).url
    refused = client.post(
        reverse("licensing:consent_review", args=[consent.pk]), {"decision": "approve"}
    )
    assert refused.status_code == 302
    consent.refresh_from_db()
    assert consent.status == "pending"


def test_staff_review_a_consent_video_in_the_admin(staff_client):
    # given
    first, second = _pending(2)
    changelist = reverse("admin:licensing_likenessconsent_changelist")
    change = reverse("admin:licensing_likenessconsent_change", args=[first.pk])

    # when
    listing = staff_client.get(changelist)
    page = staff_client.get(change)
    refused = staff_client.post(change, {"_reject": "Reject", "review_reason": ""})
    approved = staff_client.post(change, {"_approve": "Approve", "review_reason": ""})
    staff_client.post(
        reverse("admin:licensing_likenessconsent_change", args=[second.pk]),
        {"_reject": "Reject", "review_reason": "Another person."},
    )

    # then
    html = page.content.decode()
    assert listing.status_code == 200 and page.status_code == 200
    assert first.challenge.phrase in html
    assert media_url_of(media_urls(html), first.video.name)
    assert media_url_of(media_urls(html), first.character.images.get().thumbnail.name)
    assert refused.status_code == 302 and approved.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "approved" and second.status == "rejected"
    assert second.reason == "Another person."


def test_the_admin_lists_waiting_videos_first(staff_client, staff):
    # given: an older video already approved, a newer one waiting
    older, newer = _pending(2)
    services.consent_approve(consent=older, by=staff)

    # when
    page = staff_client.get(reverse("admin:licensing_likenessconsent_changelist"))

    # then
    html = page.content.decode()
    assert html.index(newer.character.name) < html.index(older.character.name)


# --- the API --------------------------------------------------------------------------------


def test_the_api_issues_a_challenge_takes_the_video_and_reports_the_review(likeness, person):
    # given
    api = APIClient()
    api.force_authenticate(person)

    # when
    issued = api.post(f"/api/v1/characters/{likeness.pk}/consent/challenge/")
    before = api.get(f"/api/v1/characters/{likeness.pk}/consent/")
    sent = api.post(
        f"/api/v1/characters/{likeness.pk}/consent/",
        {"challenge_id": issued.json()["id"], "video": _video()},
        format="multipart",
    )
    again = api.post(
        f"/api/v1/characters/{likeness.pk}/consent/",
        {"challenge_id": issued.json()["id"], "video": _video()},
        format="multipart",
    )
    latest = api.get(f"/api/v1/characters/{likeness.pk}/consent/")

    # then
    assert issued.status_code == 201
    assert set(issued.json()) == {"id", "phrase", "expires_at"}
    assert before.status_code == 404
    assert sent.status_code == 201 and sent.json()["status"] == "pending"
    assert again.status_code == 400 and again.json()["code"] == "challenge_used"
    assert latest.status_code == 200 and latest.json()["status"] == "pending"
    assert latest.json()["video"].startswith("http")


def test_the_api_refuses_a_bad_video_in_the_error_shape(likeness, person):
    # given
    api = APIClient()
    api.force_authenticate(person)
    challenge = api.post(f"/api/v1/characters/{likeness.pk}/consent/challenge/").json()

    # when
    response = api.post(
        f"/api/v1/characters/{likeness.pk}/consent/",
        {"challenge_id": challenge["id"], "video": _video("consent.webm", plain_pdf())},
        format="multipart",
    )

    # then
    assert response.status_code == 400
    assert response.json()["code"] == "not_a_video" and response.json()["field"] == "video"
    assert not LikenessConsent.objects.exists()


def test_the_api_hides_a_likeness_from_anyone_but_its_person(likeness):
    # given
    api = APIClient()
    api.force_authenticate(UserFactory())

    # when
    challenge = api.post(f"/api/v1/characters/{likeness.pk}/consent/challenge/")
    latest = api.get(f"/api/v1/characters/{likeness.pk}/consent/")

    # then
    assert challenge.status_code == 404 and latest.status_code == 404
    assert not ConsentChallenge.objects.exists()
