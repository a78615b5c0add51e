"""The surface sweep: every role's main pages, on a laptop (1280 by 800) and a phone
(390 by 844), checked for what a person would notice (tests/browser/checks.py): the
page scrolls sideways, ids or internal term names or ledger-style amounts in the visible
text, card grids out of line, stacked cards that touch, a chart without its table, and
axe-core's serious or critical accessibility violations. Each test lists
every problem it found, page by page, and saves a screenshot of every page at every
size in var/test-artifacts/browser/ (surface-<role>-<page>-<size>.png).

The world is rows (tests/factories.py, tests/builders.py) with small real videos
(tests/videos.py): one of each role, nothing rendered, no worker. One Chromium serves
the whole module."""

import io
import os
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client
from PIL import Image
from playwright.sync_api import expect

from accounts import services as accounts_services
from licensing import services as licensing_services
from marketplace import services as marketplace_services
from marketplace.models import Work
from tests.browser import checks
from tests.browser.conftest import _chromium, _contexts, screenshot
from tests.builders import (
    claim_filed,
    pending_approval_work,
    pending_studio,
    storyline_opened,
    tip_settled,
    verified_studio,
    waiting_for_approval,
)
from tests.factories import (
    CharacterFactory,
    GrantFactory,
    OfferFactory,
    UserFactory,
    WorkFactory,
    proven_likeness,
)
from tests.videos import clip

pytestmark = [pytest.mark.postgresql, pytest.mark.redis]

SIZES = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@dataclass
class World:
    creator: object
    studio_owner: object
    likeness_owner: object
    staff: object
    organization: object
    character: object
    likeness: object
    draft_offer: object
    work: object
    storyline: object


def _png(colour) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 320), colour).save(buffer, "PNG")
    return SimpleUploadedFile("reference.png", buffer.getvalue(), content_type="image/png")


def _with_files(work: Work, video: bytes) -> Work:
    """Write a small real video and its poster where the work's rows say they are."""
    for field, data in ((work.video, video), (work.poster, _jpeg())):
        path = field.storage.path(field.name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out:
            out.write(data)
    return work


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (180, 320), (90, 60, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def _world() -> World:
    """One of each role and the objects their main pages show."""
    organization, (studio_owner,) = verified_studio(name="Studio Kaze")
    studio_owner.display_name = "Hana Mori"
    studio_owner.save(update_fields=["display_name"])
    character = CharacterFactory(
        owner_organization=organization, name="Mika Stardust", franchise="Star Diary"
    )
    licensing_services.character_image_add(
        character=character, by=studio_owner, file=_png((40, 90, 200))
    )
    offer = OfferFactory(
        character=character, commercial_use=True, rev_share_bps=1500, per_generation_fee=50
    )
    draft_offer = OfferFactory(character=character, status="draft", rev_share_bps=2000)

    likeness_owner = UserFactory(email="aiko@people.test", display_name="Aiko Tanaka")
    likeness = proven_likeness(likeness_owner, "Aiko Tanaka")
    OfferFactory(character=likeness, approval="per_work")

    creator = UserFactory(email="ren@creators.test", display_name="Ren Sato")
    grant = GrantFactory(licensee=creator, offer=offer)
    video = clip(seconds=1.0, size=(180, 320), kind="mp4", audio=False)
    work = _with_files(
        WorkFactory(creator=creator, grants=[grant], title="Mika dances in the rain"), video
    )
    _with_files(
        WorkFactory(creator=creator, grants=[grant], title="Mika on the moon", parent=work),
        video,
    )
    tip_settled(work, "pi_surface_tip_1", amount=500)
    # Comments: one for everyone, one held for the studio (and its author) to review.
    fan = UserFactory(email="kei@viewers.test", display_name="Kei Ito")
    marketplace_services.comment_create(work=work, author=fan, body="The rain looks real!")
    marketplace_services.comment_create(work=work, author=fan, body="More at kei.example.com")
    accounts_services.follow_create(follower=fan, followee=creator)
    claim_filed(
        _with_files(WorkFactory(creator=creator, grants=[grant], title="Mika at sea"), video),
        character,
        studio_owner,
    )
    # Waiting for the studio: a creator's licence request and a video to review.
    newcomer = UserFactory(email="yui@creators.test", display_name="Yui Kato")
    waiting_for_approval(character, newcomer)
    likeness_grant = GrantFactory(licensee=creator, character=likeness, approval="per_work")
    _with_files(
        pending_approval_work(
            creator=creator, grant=likeness_grant, character=likeness, title="Aiko waves hello"
        ),
        video,
    )
    # A storyline of the studio's character, opened on its own video; Ren's videos are takes.
    GrantFactory(licensee=studio_owner, offer=offer)
    opening = _with_files(
        WorkFactory(
            creator=studio_owner,
            grants=[studio_owner.grants.get()],
            title="The stars fall on Star Diary",
        ),
        video,
    )
    storyline = storyline_opened(character, offer=offer, opening=opening, max_take_s=8)
    Work.objects.filter(creator=creator, parent__isnull=True, claims__isnull=True).exclude(
        status="pending_approval"
    ).update(storyline=storyline)
    pending_studio(name="Kumo Pictures")  # for staff to verify
    staff = UserFactory(email="ops@cocreate.test", is_staff=True, is_superuser=True)
    return World(
        creator=creator,
        studio_owner=studio_owner,
        likeness_owner=likeness_owner,
        staff=staff,
        organization=organization,
        character=character,
        likeness=likeness,
        draft_offer=draft_offer,
        work=work,
        storyline=storyline,
    )


def _pages(role: str, w: World) -> dict[str, str]:
    """Each role's main pages: a name for the report and the screenshot, and the URL."""
    public = {
        "home": "/",
        "feed": "/feed/",
        "catalog": "/catalog/",
        "character": f"/characters/{w.character.pk}/",
        "work": f"/works/{w.work.pk}/",
        "storylines": "/storylines/",
        "storyline": f"/storylines/{w.storyline.pk}/",
        "storyline-watch": f"/storylines/{w.storyline.pk}/watch/",
        "profile": f"/people/{w.creator.pk}/",
        "profile-remixes": f"/people/{w.creator.pk}/?tab=remixes",
    }
    return {
        "anonymous": {**public, "verify": "/verify/", "verify-export": "/verify/export/"},
        "creator": {
            **public,
            "studio": "/studio/",
            "remix": f"/studio/?parent={w.work.pk}",
            "take": f"/studio/?storyline={w.storyline.pk}",
            "my-works": "/works/mine/",
            "my-licences": "/grants/",
            "earnings": "/earnings/",
            "notifications": "/notifications/",
            "notification-settings": "/notifications/settings/",
            "following": "/feed/following/",
        },
        "studio": {
            "dashboard": "/dashboard/",
            "character-manage": f"/dashboard/characters/{w.character.pk}/",
            "offer-editor": f"/dashboard/offers/{w.draft_offer.pk}/",
            "approvals": "/dashboard/approvals/",
            "organizations": "/organizations/",
            "organization": f"/organizations/{w.organization.slug}/",
            "earnings": "/earnings/",
            "notifications": "/notifications/",
            "character": f"/characters/{w.character.pk}/",
            "storyline": f"/storylines/{w.storyline.pk}/",
            "storyline-new": "/storylines/new/",
            "storyline-edit": f"/storylines/{w.storyline.pk}/edit/",
            "work-moderated": f"/works/{w.work.pk}/",
        },
        "likeness": {
            "dashboard": "/dashboard/",
            "character-manage": f"/dashboard/characters/{w.likeness.pk}/",
            "approvals": "/dashboard/approvals/",
            "earnings": "/earnings/",
            "notifications": "/notifications/",
        },
        "staff": {
            "status": "/ops/status/",
            "likeness-reviews": "/staff/likeness-reviews/",
            "dashboard": "/dashboard/",
            "organizations": "/organizations/",
        },
    }[role]


def _user(role: str, w: World):
    return {
        "anonymous": None,
        "creator": w.creator,
        "studio": w.studio_owner,
        "likeness": w.likeness_owner,
        "staff": w.staff,
    }[role]


@pytest.fixture(scope="module")
def sweep_chromium():
    """One Chromium for the module's tests (each gets contexts of its own)."""
    with _chromium() as browser:
        yield browser


@pytest.fixture
def sweep_context(sweep_chromium, live_server, transactional_db, request):
    yield from _contexts(sweep_chromium, live_server, request)
    # The test's ORM calls, made while Playwright's loop runs, opened a connection of
    # their own: close it in that same context, before the database is flushed.
    connections.close_all()


def _signed_in(context, user, live_server) -> None:
    """Give ``context`` a session of ``user`` (the log-in form is other journeys' part)."""
    if user is None:
        return
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def _check(page, role: str, name: str, url: str, size: str) -> list[str]:
    response = page.goto(url)
    problems = []
    if response is None or response.status >= 400:
        problems.append(f"answers {response.status if response else 'nothing'}")
    # What htmx loads on arrival (the claims on a work page, the feed's next items).
    expect(page.locator(".htmx-request")).to_have_count(0)
    text = checks.visible_text(page)
    problems += checks.overflow(page)
    problems += checks.uneven_grids(page)
    problems += checks.touching_cards(page)
    problems += checks.charts_without_table(page)
    problems += checks.jargon(text)
    problems += checks.raw_amounts(text)
    problems += checks.axe_violations(page)
    screenshot(page, f"surface-{role}-{name}-{size}")
    return [f"{role} {name} ({url}) {size}: {problem}" for problem in problems]


@pytest.mark.parametrize("role", ["anonymous", "creator", "studio", "likeness", "staff"])
def test_every_main_page_reads_well_at_both_sizes(role, sweep_context, live_server):
    world = _world()
    problems = []
    for size, viewport in SIZES.items():
        context = sweep_context(viewport=viewport)
        checks.serve_axe(context)
        _signed_in(context, _user(role, world), live_server)
        page = context.new_page()
        for name, url in _pages(role, world).items():
            problems += _check(page, role, name, url, size)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
