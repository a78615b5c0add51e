"""The Content-Security-Policy forbids inline script, and no page needs any: every main
page, as rendered for the people who use it, has no inline <script>, no on*= handler,
and carries the header."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from licensing import services as licensing_services
from marketplace import services as marketplace_services
from tests.factories import CharacterFactory, UserFactory, editor_of, grant_for
from tests.marketplace.helpers import make_work

pytestmark = pytest.mark.django_db


class _ScriptAudit(HTMLParser):
    """Collects inline scripts (a <script> without src that is not a JSON data block)
    and inline event-handler attributes."""

    def __init__(self):
        super().__init__()
        self.inline_scripts: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        self.handlers += [f"<{tag} {name}=…>" for name in names if name.startswith("on")]
        is_data = names.get("type") in ("application/json", "application/ld+json")
        if tag == "script" and not names.get("src") and not is_data:
            self.inline_scripts.append(self.get_starttag_text())
        for name, value in attrs:
            if name in ("href", "src", "action") and (value or "").lower().startswith(
                "javascript:"
            ):
                self.handlers.append(f"<{tag} {name}=javascript:…>")


def _directives(header: str) -> dict[str, list[str]]:
    parts = [part.strip().split() for part in header.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def assert_csp_clean(response, url):
    assert response.status_code == 200, (url, response.status_code)
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"], url
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"][0] == "'self'"
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    audit = _ScriptAudit()
    audit.feed(response.content.decode())
    assert audit.inline_scripts == [], (url, audit.inline_scripts)
    assert audit.handlers == [], (url, audit.handlers)


@pytest.fixture
def signing(settings, provenance_keys):
    settings.C2PA_CERT_CHAIN = str(provenance_keys.chain)
    settings.C2PA_PRIVATE_KEY = str(provenance_keys.signer_key)
    settings.C2PA_TRUST_ANCHORS = str(provenance_keys.root_cert)


def test_every_main_page_runs_without_inline_script_under_the_policy(signing, staff_client):
    # given: a rightsholder with a character and a draft offer, and a creator with a
    # licence, a published work and a queued generation
    character = CharacterFactory(name="Hoshi-chan")
    owner = editor_of(character)
    creator = UserFactory()
    grant_for(character, creator)
    draft = licensing_services.offer_create_draft(
        character=character, by=owner, terms={"credit_text": "Hoshi"}
    )
    work = make_work(creator=creator, characters=[character], prompt="Hoshi-chan waves")
    queued = marketplace_services.generation_request_create(
        creator=creator, prompt="Hoshi-chan runs", character_ids=[character.pk], duration_s=4
    )
    organization = character.owner_organization
    creator_pages = [
        reverse("home"),
        reverse("marketplace:feed"),
        reverse("licensing:catalog"),
        reverse("licensing:character_detail", kwargs={"pk": character.pk}),
        reverse("marketplace:studio"),
        f"{reverse('marketplace:studio')}?parent={work.pk}",
        reverse("marketplace:generation_detail", kwargs={"pk": queued.pk}),
        reverse("marketplace:my_works"),
        work.get_absolute_url(),
        reverse("marketplace:verify"),
        reverse("licensing:my_grants"),
        reverse("accounts:notifications"),
        reverse("payments:earnings"),
        reverse("accounts:organization_list"),
        reverse("accounts:organization_create"),
        reverse("account_email"),
        reverse("mfa_index"),
        reverse("api-docs"),
    ]
    owner_pages = [
        reverse("dashboard:overview"),
        reverse("licensing:character_create"),
        reverse("licensing:character_manage", kwargs={"pk": character.pk}),
        reverse("licensing:offer_edit", kwargs={"pk": draft.pk}),
        reverse("marketplace:approvals"),
        reverse("marketplace:claims_dashboard"),
        reverse("accounts:organization_detail", kwargs={"slug": organization.slug}),
    ]
    anonymous_pages = [reverse("account_login"), reverse("account_signup"), reverse("home")]
    staff_pages = [
        reverse("admin:index"),
        reverse("admin:accounts_organization_changelist"),
        reverse("admin:accounts_organization_change", args=[organization.pk]),
        reverse("admin:licensing_character_changelist"),
        reverse("ops-status"),
    ]

    # then
    for who, pages in [(creator, creator_pages), (owner, owner_pages), (None, anonymous_pages)]:
        client = Client()
        if who is not None:
            client.force_login(who)
        for url in pages:
            assert_csp_clean(client.get(url), url)
    for url in staff_pages:
        assert_csp_clean(staff_client.get(url), url)


def test_api_docs_load_swagger_ui_and_its_start_up_script_from_urls(client):
    page = client.get(reverse("api-docs"))
    assert_csp_clean(page, "api-docs")

    html = page.content.decode()
    script_url = re.search(r'<script src="([^"]*\?[^"]*script=[^"]*)"', html).group(1)
    script = client.get(script_url.replace("&amp;", "&"))

    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_the_policy_allows_stripes_checkout_and_connect_after_a_post(client):
    policy = _directives(client.get(reverse("home"))["Content-Security-Policy"])

    assert policy["form-action"] == [
        "'self'",
        "https://checkout.stripe.com",
        "https://connect.stripe.com",
    ]
    assert policy["img-src"] == ["'self'", "data:"]
    # blob: plays back a consent video just recorded in the page (static/js/consent.js).
    assert policy["media-src"] == ["'self'", "blob:"]
