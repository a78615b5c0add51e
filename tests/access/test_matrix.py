"""The access-control matrix: every API endpoint and every web page, called by every
kind of person, on objects owned by each of them, against a declarative policy table.

The URLs are not listed by hand: they are read from Django's resolver (as
``show_urls`` would), and every pattern must either have an entry in ROUTES, which
says which objects fill its path and who may do what to each, or be in SKIPPED with
its reason. A new URL that is in neither fails the first test, so coverage cannot rot.

Each row is (URL, method, object, actor). Allowed: a 2xx or 3xx that is not a
redirect to a log-in page. Denied: 401, 403 or 404 (or, for a page, a redirect to a
log-in page), and a denied call changes nothing: the object's rows and the row count
of every table are the same before and after. Never a 5xx. Every row runs in a
savepoint that is rolled back, so rows are independent and the world is built once.
A 2xx answer must also not carry the id of a private object its reader may not see.

The full table is written to var/test-artifacts/access-matrix.csv (TEST_ARTIFACTS_DIR
moves it). See README.md, "Access control"."""

from __future__ import annotations

import csv
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import stripe
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from licensing.web.manage import _offer_form_initial
from tests.access.world import (
    ACTORS,
    ANONYMOUS,
    EDITORS,
    MEMBERS,
    NO_OBJECT,
    OWNER_ROLE,
    Target,
    World,
    build_world,
    png_bytes,
)
from tests.factories import PASSWORD
from tests.fakes.stripe_fake import FakeStripe, post_signed_event
from tests.mfa import log_in_with_totp, totp_activate

ARTIFACTS = Path(
    os.environ.get("TEST_ARTIFACTS_DIR", Path(__file__).parents[2] / "var" / "test-artifacts")
)

# --- what the walk leaves out, and why ----------------------------------------------------

SKIPPED_PREFIXES = {
    "accounts/": "django-allauth's own account pages (log-in, sign-up, e-mail, MFA); "
    "tests/accounts covers them",
    "admin/": "the Django admin, which only staff with TOTP may open (config/admin_site.py); "
    "ADMIN_ROW below asserts that nobody else gets in",
    "sandbox/": "the payments sandbox (test mode's stand-in for Stripe): with Stripe keys "
    "configured, as here, every sandbox URL is a 404 for everyone, and "
    "tests/payments/test_sandbox.py asserts it; in test mode its pages are Stripe's, "
    "opened by the unguessable id in their address",
}
SKIPPED_NAMES = {
    "media": "stored files, on signed URLs: tests/access/test_media.py walks who may load "
    "each kind of file in each state",
    "api-schema": "the OpenAPI schema: public documentation, no objects",
    "api-docs": "Swagger UI for the schema: public documentation, no objects",
}


# --- the policy table's vocabulary ---------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Who may: a predicate over (actor, target) with the words the table prints."""

    test: Callable[[str, Target], bool]
    text: str

    def __call__(self, actor: str, target: Target) -> bool:
        return self.test(actor, target)

    def __or__(self, other: Rule) -> Rule:
        return Rule(lambda a, t: self(a, t) or other(a, t), f"{self.text} | {other.text}")

    def __sub__(self, other: Rule) -> Rule:
        return Rule(lambda a, t: self(a, t) and not other(a, t), f"{self.text} - {other.text}")


ANYONE = Rule(lambda a, t: True, "anyone")
SIGNED_IN = Rule(lambda a, t: a != ANONYMOUS, "signed in")
STAFF = Rule(lambda a, t: a == "staff", "staff")
NOBODY = Rule(lambda a, t: False, "nobody")
NOT_STAFF = Rule(lambda a, t: a != "staff", "anyone but staff")


def editors(party: str) -> Rule:
    """The people who manage ``party``'s things: an organization's owners (and
    managers), or the person themselves."""
    return Rule(lambda a, t: a in EDITORS.get(t.parties.get(party, ""), ()), f"{party} editors")


def members(party: str) -> Rule:
    """Anyone in ``party``'s organization, viewers included (read-only)."""
    return Rule(lambda a, t: a in MEMBERS.get(t.parties.get(party, ""), ()), f"{party} members")


def owner_role(party: str) -> Rule:
    return Rule(lambda a, t: a in OWNER_ROLE.get(t.parties.get(party, ""), ()), f"{party} owner")


def the_user(party: str) -> Rule:
    return Rule(lambda a, t: a == t.parties.get(party), f"the {party}")


# One's own things need only a sign-in; an organization's need its editors (writes) or
# members (money and reports).
OWN_OR_EDITORS = Rule(
    lambda a, t: a != ANONYMOUS and ("owner" not in t.parties or editors("owner")(a, t)),
    "signed in (own) | owner editors",
)
OWN_OR_MEMBERS = Rule(
    lambda a, t: a != ANONYMOUS and ("owner" not in t.parties or members("owner")(a, t)),
    "signed in (own) | owner members",
)
OWN_OR_OWNER_ROLE = Rule(
    lambda a, t: a != ANONYMOUS and ("owner" not in t.parties or owner_role("owner")(a, t)),
    "signed in (own) | owner owner",
)
# Whoever manages a proven character (a studio's owner, a verified likeness's person).
CHARACTER_OWNERS = Rule(
    lambda a, t: any(a in EDITORS[owner] for owner in ("X", "Y", "L")),
    "X, Y or L editors",
)
WORK_READERS = editors("creator") | editors("licensor")  # a work not (yet) published
# A grant is read by its licensee and by the licensor's members, viewers included.
GRANT_READERS = editors("licensee") | members("licensor")
CLAIM_PARTIES = members("claimant") | editors("creator")
# A comment's moderators: the rightsholders of the work's characters, and staff; a held
# one is seen by them and its author only.
COMMENT_MODERATORS = editors("licensor") | STAFF
COMMENT_INSIDERS = editors("author") | COMMENT_MODERATORS
COMMENT_MODERATION = {"comment_visible": COMMENT_MODERATORS, "comment_held": COMMENT_MODERATORS}

Body = Callable[[World, Target, str], dict[str, Any]]


@dataclass(frozen=True)
class Op:
    """One method of one URL: the object kinds that fill it, each with who may."""

    targets: dict[str, Rule]
    body: Body | None = None
    query: Body | None = None
    in_body: bool = False  # the object is named in the body, not the path
    note: str = ""
    # Statuses that mean the caller passed access control and the object's state refused
    # the action, in the error shape (Withdraw with nothing to pay: 409).
    refusals: tuple[int, ...] = ()


# --- bodies --------------------------------------------------------------------------------


def _o(world: World, kind: str, index: int = 0) -> Any:
    """The first object of a kind (for bodies that name another object)."""
    return world.targets[kind][index]


def _work_a(world: World) -> Any:
    return _o(world, "work_published").data["work"]


def _char_x(world: World) -> Any:
    return _o(world, "character").data["character"]


def token_body(w, t, a):
    return {"email": w.users["creator_a" if a == ANONYMOUS else a].email, "password": PASSWORD}


def new_character_api(w, t, a):
    if t.data["org"] is None:
        return {"kind": "likeness", "name": "Matrix face", "likeness_attested": True}
    return {"organization": t.data["org"].slug, "name": "Matrix character"}


def new_character_web(w, t, a):
    owner = f"org:{t.data['org'].slug}" if t.data["org"] else "self"
    return {
        "owner": owner,
        "name": "Matrix character",
        "aliases": "",
        "description": "",
        "franchise": "",
        "likeness_attested": "on",
    }


def character_edit_web(w, t, a):
    c = t.data["character"]
    return {
        "name": c.name,
        "aliases": "",
        "franchise": "",
        "description": "Edited",
        "status": "active",
    }


def conflict_report_body(w, t, a):
    """The reporter's own character as the basis (Studio X's for anyone who has none)."""
    own = {"x_owner": "X", "y_owner": "Y", "likeness_owner": "L"}.get(a, "X")
    basis = next(c for c in w.targets["character"] if c.parties["owner"] == own)
    return {"character_id": basis.kwargs["pk"], "reason": "It uses our character's name."}


def claim_body_api(w, t, a):
    return {
        "character_id": str(t.data["character"].pk),
        "reason": "terms_breach",
        "evidence": "A beer at 0:02.",
        "policy": "track",
    }


def claim_body_web(w, t, a):
    return {
        "character": str(t.data["character"].pk),
        "reason": "terms_breach",
        "evidence": "A beer at 0:02.",
        "policy": "track",
    }


def offer_form(w, t, a):
    """The offer editor's form as the page fills it for this draft."""
    data = {}
    for key, value in _offer_form_initial(t.data["offer"]).items():
        if value is None or value is False:
            continue
        if value is True:
            data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [str(v) for v in value]
        else:
            data[key] = str(value)
    return data


def studio_body(w, t, a):
    return {
        "prompt": "A calm walk in the park",
        "parent": str(_work_a(w).pk),
        "duration_s": "4",
        "rating": "all_ages",
    }


def org_query(w, t, a, key="organization"):
    return {key: t.data["org"].slug} if t.data.get("org") else {}


def _storyline_dates() -> dict[str, str]:
    now = timezone.now()
    return {"starts_at": now.isoformat(), "ends_at": (now + timedelta(days=7)).isoformat()}


def storyline_body_api(w, t, a):
    offer = t.data["offer"]
    return {
        "title": "Matrix storyline",
        "premise": "Everyone takes part.",
        "cast": [{"character_id": str(offer.character_id), "offer_id": str(offer.pk)}],
        **_storyline_dates(),
    }


def storyline_body_web(w, t, a):
    dates = {k: v[:16] for k, v in _storyline_dates().items()}
    return {
        "title": "Matrix storyline",
        "premise": "Everyone takes part.",
        "cast": [str(t.data["offer"].pk)],
        "max_take_s": "8",
        "join_policy": "none",
        **dates,
    }


def storyline_edit_body(w, t, a):
    return {
        "title": "Edited storyline",
        "premise": "Edited.",
        "ends_at": _storyline_dates()["ends_at"][:16],
        "max_take_s": "8",
        "join_policy": "none",
    }


def _const(value: dict[str, Any]) -> Body:
    return lambda w, t, a: value


# --- the policy table ----------------------------------------------------------------------
# route name -> method -> Op. Object kinds are World.targets' keys (tests/access/world.py).

ROUTES: dict[str, dict[str, Op]] = {
    # --- API: accounts
    "api-token": {
        "post": Op(
            {"none": NOT_STAFF},
            body=token_body,
            note="credentials in the body; staff also need a TOTP code (403 without)",
        )
    },
    "api-me": {"get": Op({"none": SIGNED_IN})},
    "api-ping": {"get": Op({"none": ANYONE}, note="the latency floor; reveals nothing")},
    # --- API: characters and offers
    "api-characters": {
        "get": Op({"none": ANYONE}),
        "post": Op({"new_character": OWN_OR_EDITORS}, body=new_character_api),
    },
    "api-character": {
        # Regression: a suspended character was served to anyone here.
        "get": Op({"character": ANYONE, "character_hidden": editors("owner")}),
        "patch": Op(
            {"character": editors("owner"), "character_hidden": editors("owner")},
            body=_const({"description": "Edited"}),
        ),
    },
    "api-character-conflict-reports": {
        "post": Op(
            {"character": CHARACTER_OWNERS},
            body=conflict_report_body,
            refusals=(400,),
            note="the owner of a proven character reports another's (the body names their "
            "own); reporting one's own answers 400",
        )
    },
    "api-organization-verify": {
        "post": Op(
            {"org_id": STAFF},
            refusals=(409,),
            note="staff with a second factor; 409 for an organization already verified",
        )
    },
    "api-organization-reject": {
        "post": Op({"org_id": STAFF}, body=_const({"reason": "The documents do not hold."}))
    },
    "api-character-offers": {
        "post": Op(
            {"character": editors("owner")},
            body=_const({"preset": "commercial_remix", "terms": {"credit_text": "Matrix"}}),
        )
    },
    # a likeness's consent video: its person only (the video travels as multipart, so
    # the matrix's JSON body is a 415 once access control has passed)
    "api-character-consent-challenge": {"post": Op({"likeness": editors("owner")})},
    "api-character-consent": {
        "get": Op({"likeness": editors("owner")}),
        "post": Op({"likeness": editors("owner")}, refusals=(415,)),
    },
    "api-offer": {
        "get": Op({"offer_published": ANYONE, "offer_draft": editors("owner")}),
        "patch": Op(
            {"offer_draft": editors("owner")},
            body=_const({"title": "Matrix", "terms": {"credit_text": "Matrix"}}),
        ),
    },
    "api-offer-publish": {"post": Op({"offer_draft": editors("owner")})},
    "api-offer-new-version": {"post": Op({"offer_published": editors("owner")})},
    "api-offer-odrl": {"get": Op({"offer_published": ANYONE, "offer_draft": editors("owner")})},
    "api-offer-accept": {
        "post": Op(
            {"offer_published": SIGNED_IN},
            body=_const({"max_fee": 0, "max_rev_share_bps": 10_000}),
        )
    },
    "api-offer-end": {"post": Op({"offer_published": editors("owner")})},
    # --- API: grants
    "api-grants": {"get": Op({"none": SIGNED_IN})},
    "api-grant": {
        "get": Op(
            {
                "grant_active": GRANT_READERS,
                "grant_pending_approval": GRANT_READERS,
                "grant_pending_payment": GRANT_READERS,
            }
        )
    },
    "api-grant-end": {
        "post": Op({"grant_active": editors("licensee")}, body=_const({"reason": "Done"}))
    },
    "api-grant-revoke": {
        "post": Op({"grant_active": editors("licensor")}, body=_const({"reason": "Misuse"}))
    },
    "api-grant-decide": {
        "post": Op(
            {"grant_pending_approval": editors("licensor")}, body=_const({"decision": "approve"})
        )
    },
    "api-grant-odrl": {"get": Op({"grant_active": GRANT_READERS})},
    "api-grant-checkout": {"post": Op({"grant_pending_payment": editors("licensee")})},
    "api-screen": {
        "post": Op(
            {"none": SIGNED_IN},
            body=lambda w, t, a: {"prompt": "A calm walk", "character_ids": [str(_char_x(w).pk)]},
        )
    },
    # --- API: generations, works, feed, approvals
    "api-generations": {
        "get": Op({"none": SIGNED_IN}),
        "post": Op(
            {"none": SIGNED_IN},
            body=lambda w, t, a: {
                "prompt": "A calm walk in the park",
                "character_ids": [],
                "parent_work_id": str(_work_a(w).pk),
                "duration_s": 4,
            },
            note="anyone may ask; the policy check refuses what the terms refuse",
        ),
    },
    "api-generation": {"get": Op({"generation": editors("creator")})},
    "api-works": {"get": Op({"none": ANYONE})},
    "api-work": {
        "get": Op({"work_published": ANYONE, "work_pending": WORK_READERS}),
        "delete": Op(
            {
                "work_published": editors("creator") | STAFF,
                "work_pending": editors("creator") | editors("licensor"),
            },
            note="the creator, staff, or the person the video shows",
        ),
    },
    "api-work-split": {"get": Op({"work_published": ANYONE, "work_pending": WORK_READERS})},
    "api-work-tips": {
        "post": Op(
            {"work_published": SIGNED_IN - editors("creator"), "work_pending": NOBODY},
            body=_const({"amount": 500, "currency": "USD"}),
        )
    },
    "api-work-like": {
        "post": Op(
            {"work_published": SIGNED_IN, "work_pending": WORK_READERS},
            refusals=(409,),
            note="only a published work can be liked: 409 for the readers of a draft",
        ),
        "delete": Op({"work_published": SIGNED_IN, "work_pending": WORK_READERS}),
    },
    "api-work-follow": {
        "post": Op(
            {"work_published": SIGNED_IN, "work_pending": WORK_READERS},
            refusals=(400,),
            note="follows the work's creator: 400 for the creator (not yourself)",
        ),
        "delete": Op({"work_published": SIGNED_IN, "work_pending": WORK_READERS}),
    },
    "api-work-comments": {
        "get": Op({"work_published": ANYONE, "work_pending": WORK_READERS}),
        "post": Op(
            {"work_published": SIGNED_IN, "work_pending": WORK_READERS},
            body=_const({"body": "Lovely light"}),
            refusals=(409,),
            note="only a published work takes comments: 409 for the readers of a draft",
        ),
    },
    "api-work-comment": {
        "delete": Op({"comment_visible": editors("author"), "comment_held": editors("author")})
    },
    "api-comment-report": {
        "post": Op(
            {"comment_visible": SIGNED_IN, "comment_held": COMMENT_INSIDERS},
            body=_const({}),
            refusals=(400,),
            note="anyone who can see it; 400 for its author (delete it instead)",
        )
    },
    "api-comment-hide": {"post": Op(COMMENT_MODERATION)},
    "api-comment-unhide": {"post": Op(COMMENT_MODERATION)},
    "api-user-follow": {
        "post": Op({"person": SIGNED_IN}, refusals=(400,), note="400 for oneself"),
        "delete": Op({"person": SIGNED_IN}),
    },
    "api-feed": {"get": Op({"none": ANYONE})},
    "api-feed-following": {"get": Op({"none": SIGNED_IN})},
    "api-storylines": {
        "get": Op({"none": ANYONE}),
        "post": Op({"new_storyline": editors("owner")}, body=storyline_body_api),
    },
    "api-storyline-takes": {"get": Op({"storyline": ANYONE})},
    "api-approvals": {"get": Op({"none": SIGNED_IN})},
    "api-approval-decide": {
        "post": Op(
            {"approval": editors("licensor")}, body=_const({"decision": "approve", "note": ""})
        )
    },
    # --- API: claims and disputes
    "api-work-claims": {"post": Op({"work_published": editors("licensor")}, body=claim_body_api)},
    "api-claims": {"get": Op({"none": SIGNED_IN})},
    "api-claim-dispute": {
        "post": Op({"claim_active": editors("creator")}, body=_const({"reason": "Not so."}))
    },
    "api-claim-release": {"post": Op({"claim_active": editors("claimant")})},
    "api-dispute-resolve": {
        "post": Op(
            {"dispute_open": editors("claimant") | STAFF},
            body=_const({"decision": "release", "note": ""}),
        )
    },
    "api-dispute-escalate": {
        "post": Op({"dispute_open": editors("creator") | editors("claimant")})
    },
    # --- API: money
    "api-stripe-webhook": {
        "post": Op({"none": ANYONE}, note="authenticated by its signature, not by a user")
    },
    "api-balance": {"get": Op({"money": OWN_OR_MEMBERS}, query=org_query)},
    "api-ledger": {"get": Op({"money": OWN_OR_MEMBERS}, query=org_query)},
    "api-payouts": {
        "get": Op({"money": OWN_OR_MEMBERS}, query=org_query),
        "post": Op(
            {"money": OWN_OR_OWNER_ROLE},
            query=org_query,
            refusals=(409,),
            note="withdraw: an organization's earnings by an owner; 409 when nothing is due",
        ),
    },
    # A wallet is always the signed-in person's own: no other object is named.
    "api-wallet": {
        "get": Op({"none": SIGNED_IN}),
        "patch": Op({"none": SIGNED_IN}, body=_const({"fees_from_earnings": True})),
    },
    "api-wallet-top-ups": {
        "post": Op({"none": SIGNED_IN}, body=_const({"amount": 500, "currency": "USD"}))
    },
    # --- pages: public
    "home": {"get": Op({"none": ANYONE})},
    "healthz": {"get": Op({"none": ANYONE})},
    "licensing:catalog": {"get": Op({"none": ANYONE})},
    "licensing:character_detail": {
        "get": Op({"character": ANYONE, "character_hidden": editors("owner")})
    },
    "marketplace:feed": {"get": Op({"none": ANYONE})},
    "marketplace:storyline_list": {"get": Op({"none": ANYONE})},
    "marketplace:storyline_new": {
        "get": Op({"none": SIGNED_IN}),
        "post": Op(
            {"new_storyline": SIGNED_IN},
            body=storyline_body_web,
            refusals=(400,),
            note="the form offers only the user's own characters' offers: another's is "
            "refused (400) and nothing is made",
        ),
    },
    "marketplace:storyline_detail": {"get": Op({"storyline": ANYONE})},
    "marketplace:storyline_watch": {"get": Op({"storyline": ANYONE})},
    "marketplace:storyline_edit": {
        "get": Op({"storyline": editors("owner")}),
        "post": Op({"storyline": editors("owner")}, body=storyline_edit_body),
    },
    "marketplace:storyline_close": {"post": Op({"storyline": editors("owner")})},
    "marketplace:storyline_feature": {"post": Op({"storyline_take": editors("owner")})},
    "marketplace:character_works": {
        "get": Op({"character": ANYONE, "character_hidden": editors("owner")})
    },
    "marketplace:tdmrep": {"get": Op({"none": ANYONE})},
    "marketplace:verify": {
        "get": Op({"none": ANYONE}),
        "post": Op(
            {"none": ANYONE},
            body=lambda w, t, a: {"file": SimpleUploadedFile("x.png", png_bytes(), "image/png")},
        ),
    },
    "marketplace:work_detail": {
        "get": Op({"work_published": ANYONE, "work_pending": WORK_READERS})
    },
    # --- pages: licensing (creators)
    "payments:offer_accept": {
        "post": Op(
            {"character_offer": SIGNED_IN},
            body=_const({"max_fee": "0", "max_rev_share_bps": "10000"}),
        )
    },
    "licensing:my_grants": {"get": Op({"none": SIGNED_IN})},
    "licensing:grant_end": {"post": Op({"grant_active": editors("licensee")})},
    "licensing:grant_revoke": {
        "post": Op({"grant_active": editors("licensor")}, body=_const({"reason": "Misuse"}))
    },
    # --- pages: rightsholder dashboard
    "dashboard:overview": {"get": Op({"none": SIGNED_IN})},
    "licensing:character_create": {
        "get": Op({"none": SIGNED_IN}),
        "post": Op({"new_character": OWN_OR_EDITORS}, body=new_character_web),
    },
    "licensing:character_manage": {
        "get": Op({"character": editors("owner")}),
        "post": Op({"character": editors("owner")}, body=character_edit_web),
    },
    "licensing:character_image_add": {
        "post": Op(
            {"character": editors("owner")},
            body=lambda w, t, a: {"image": SimpleUploadedFile("r.png", png_bytes(), "image/png")},
        )
    },
    "licensing:character_image_delete": {"post": Op({"image": editors("owner")})},
    # a likeness's consent video: its person asks for a phrase and sends the video (an
    # empty form is refused with a 400 after access control)
    "licensing:consent_challenge_new": {"post": Op({"likeness": editors("owner")})},
    "licensing:consent_submit": {"post": Op({"likeness": editors("owner")}, refusals=(400,))},
    "licensing:name_form_toggle": {
        "post": Op({"name_form": editors("owner")}, body=_const({"enabled": "0"}))
    },
    "licensing:offer_create": {
        "post": Op({"character": editors("owner")}, body=_const({"preset": ""}))
    },
    "licensing:offer_edit": {
        "get": Op(
            {"offer_draft": editors("owner"), "offer_published": editors("owner")},
            note="on a published version, opens a new draft",
        ),
        "post": Op({"offer_draft": editors("owner")}, body=offer_form),
    },
    "licensing:offer_preview": {"post": Op({"offer_draft": editors("owner")}, body=offer_form)},
    "licensing:offer_publish": {
        "get": Op({"offer_draft": editors("owner")}, note="the page that confirms publishing"),
        "post": Op({"offer_draft": editors("owner")}),
    },
    "licensing:offer_end": {"post": Op({"offer_published": editors("owner")})},
    "marketplace:approvals": {
        "get": Op({"none": SIGNED_IN}),
        "post": Op(
            {"grant_pending_approval": editors("licensor"), "approval": editors("licensor")},
            body=lambda w, t, a: {
                ("grant" if "grant" in t.data else "work_approval"): str(t.kwargs["pk"]),
                "decision": "approve",
                "reason": "",
            },
            in_body=True,
        ),
    },
    # --- pages: claims and disputes
    "marketplace:claims_for_work": {
        "get": Op({"work_published": SIGNED_IN, "work_pending": WORK_READERS}),
        "post": Op({"work_published": editors("licensor")}, body=claim_body_web),
    },
    "marketplace:claim_dispute": {
        "post": Op({"claim_active": editors("creator")}, body=_const({"reason": "Not so."}))
    },
    "marketplace:dispute_escalate": {
        "post": Op({"dispute_open": editors("creator") | editors("claimant")})
    },
    "marketplace:claims_dashboard": {"get": Op({"none": SIGNED_IN})},
    "marketplace:claim_release": {"post": Op({"claim_active": editors("claimant")})},
    "marketplace:dispute_resolve": {
        "post": Op(
            {"dispute_open": editors("claimant") | STAFF},
            body=_const({"decision": "release", "note": ""}),
        )
    },
    # --- pages: notifications
    "accounts:notifications": {"get": Op({"none": SIGNED_IN})},
    "accounts:notifications_read": {
        "post": Op(
            {"notification": the_user("user"), "none": SIGNED_IN},
            body=lambda w, t, a: {"id": str(t.data["note"].pk)} if "note" in t.data else {},
            note="one notification (named in the body), or all of one's own",
        )
    },
    # --- pages: organizations and compliance
    "dashboard:compliance_download": {"get": Op({"org": members("owner")})},
    "dashboard:person_compliance_download": {"get": Op({"report_person": the_user("user")})},
    "dashboard:platform_compliance_download": {"get": Op({"none": STAFF})},
    "dashboard:person_compliance": {"get": Op({"report_person": the_user("user")})},
    "dashboard:platform_compliance": {"get": Op({"none": STAFF})},
    "dashboard:verify_export": {
        "get": Op({"none": ANYONE}),
        "post": Op(
            {"none": ANYONE},
            body=lambda w, t, a: {
                "file": SimpleUploadedFile("e.json", b'{"report": {}}', "application/json")
            },
        ),
    },
    "accounts:organization_list": {"get": Op({"none": SIGNED_IN})},
    "accounts:organization_create": {
        "get": Op({"none": SIGNED_IN}),
        "post": Op({"none": SIGNED_IN}, body=_const({"name": "Matrix Studio"})),
    },
    "accounts:organization_detail": {"get": Op({"org": members("owner")})},
    "accounts:organization_member_set": {
        "post": Op(
            {"org": owner_role("owner")},
            body=lambda w, t, a: {"email": w.users["likeness_owner"].email, "role": "viewer"},
        )
    },
    "accounts:organization_member_remove": {
        "post": Op(
            {"viewer_membership": owner_role("owner") | the_user("user")},
            note="an owner removes anyone; a member removes themself",
        )
    },
    "accounts:organization_document_add": {
        "post": Op(
            {"org": editors("owner")},
            body=lambda w, t, a: {
                "title": "Trademark",
                "file": SimpleUploadedFile("t.png", png_bytes(), "image/png"),
            },
        )
    },
    "accounts:organization_submit": {
        "post": Op({"org": editors("owner")}, note="already verified: the owner is told so")
    },
    # --- pages: studio and works
    "marketplace:studio": {
        "get": Op({"none": SIGNED_IN}),
        "post": Op({"none": SIGNED_IN}, body=studio_body),
    },
    "marketplace:studio_check": {"post": Op({"none": SIGNED_IN}, body=studio_body)},
    "marketplace:generation_detail": {"get": Op({"generation": editors("creator")})},
    "marketplace:my_works": {"get": Op({"none": SIGNED_IN})},
    "marketplace:work_like": {
        "post": Op(
            {"work_published": SIGNED_IN, "work_pending": WORK_READERS},
            note="a draft's readers are sent back with the reason (only published works)",
        )
    },
    "marketplace:work_follow": {
        "post": Op(
            {"work_published": SIGNED_IN, "work_pending": WORK_READERS},
            note="follows the work's creator; the creator is sent back with the reason",
        )
    },
    "marketplace:work_comments": {
        "get": Op({"work_published": ANYONE, "work_pending": WORK_READERS}),
        "post": Op(
            {"work_published": SIGNED_IN, "work_pending": WORK_READERS},
            body=_const({"body": "Lovely light"}),
            note="a draft's readers are sent back with the reason (only published works)",
        ),
    },
    "marketplace:comment_delete": {
        "post": Op({"comment_visible": editors("author"), "comment_held": editors("author")})
    },
    "marketplace:comment_report": {
        "post": Op(
            {"comment_visible": SIGNED_IN, "comment_held": COMMENT_INSIDERS},
            note="its author is sent back with the reason",
        )
    },
    "marketplace:comment_hide": {"post": Op(COMMENT_MODERATION)},
    "marketplace:comment_unhide": {"post": Op(COMMENT_MODERATION)},
    "marketplace:profile": {"get": Op({"person": ANYONE})},
    "marketplace:profile_follow": {
        "post": Op({"person": SIGNED_IN}, note="the person themselves is sent back with why")
    },
    "marketplace:feed_following": {"get": Op({"none": SIGNED_IN})},
    "accounts:profile_settings": {
        "get": Op({"none": SIGNED_IN}),
        "post": Op({"none": SIGNED_IN}, body=_const({"display_name": "Someone"})),
    },
    "accounts:notification_settings": {
        "get": Op({"none": SIGNED_IN}),
        "post": Op({"none": SIGNED_IN}, body=_const({"likes": "on"})),
    },
    "marketplace:work_delete": {
        "post": Op(
            {
                "work_published": editors("creator") | STAFF,
                "work_pending": editors("creator") | editors("licensor"),
            }
        )
    },
    # --- pages: money
    "payments:earnings": {
        "get": Op({"money": OWN_OR_MEMBERS}, query=lambda w, t, a: org_query(w, t, a, "org"))
    },
    "payments:connect": {
        "get": Op({"money": OWN_OR_MEMBERS}, query=lambda w, t, a: org_query(w, t, a, "org")),
        "post": Op(
            {"money": OWN_OR_OWNER_ROLE},
            body=lambda w, t, a: {"country": "US", **org_query(w, t, a, "org")},
            note="an organization's bank account is connected by an owner",
        ),
    },
    "payments:connect_return": {"get": Op({"none": SIGNED_IN})},
    "payments:withdraw": {
        "post": Op(
            {"money": OWN_OR_OWNER_ROLE},
            body=lambda w, t, a: org_query(w, t, a, "org"),
            note="an organization's earnings are withdrawn by an owner",
        )
    },
    "payments:wallet_top_up": {
        "post": Op({"none": SIGNED_IN}, body=_const({"amount": "500", "currency": "USD"}))
    },
    "payments:wallet_settings": {
        "post": Op({"none": SIGNED_IN}, body=_const({"fees_from_earnings": "on"}))
    },
    "payments:grant_pay": {"post": Op({"grant_pending_payment": editors("licensee")})},
    # Anyone signed in tips a published video but its creator (403 own_work); a video
    # that is not published cannot be tipped, so it is not found (404) for everyone.
    "payments:tip": {
        "post": Op(
            {"work_published": SIGNED_IN - editors("creator"), "work_pending": NOBODY},
            body=_const({"amount": "500", "currency": "USD"}),
        )
    },
    "payments:checkout_done": {
        "get": Op(
            {"checkout": the_user("user")},
            query=lambda w, t, a: {"session": t.data["session"].stripe_session_id},
        )
    },
    # --- pages: operations
    "ops-status": {"get": Op({"none": STAFF})},
    "ops-ping": {"post": Op({"none": STAFF})},
    "ops-ping-result": {"get": Op({"task": STAFF})},
    # --- pages: staff review of likeness consent videos (TOTP, as the admin)
    "licensing:consent_queue": {"get": Op({"none": STAFF})},
    "licensing:consent_review": {
        "post": Op({"consent": STAFF}, body=_const({"decision": "approve"}))
    },
}

# The admin is skipped above; one row per actor proves only staff (with TOTP) get in.
ADMIN_ROW = ("/admin/", STAFF)

# Ids that must never reach someone the rule does not allow (checked in every 2xx
# answer to anyone but staff, who may read everything in the admin anyway).
PRIVATE = {
    "offer_draft": editors("owner"),
    "character_hidden": members("owner"),  # the dashboard lists it to any member
    "grant_pending_approval": GRANT_READERS,
    "grant_pending_payment": GRANT_READERS,
    "generation": editors("creator"),
    "work_pending": WORK_READERS,
    "approval": WORK_READERS,
    "claim_active": CLAIM_PARTIES,
    "dispute_open": CLAIM_PARTIES,
    "notification": the_user("user"),
    "checkout": the_user("user"),
    "payout": members("owner"),
    "consent": editors("owner"),
}


# --- the walk ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    route: str  # the path as written in the URLconf
    name: str
    callback: Any
    kwargs: frozenset[str]


def url_patterns() -> list[Pattern]:
    """Every URL pattern, recursively, as ``manage.py show_urls`` lists them."""
    found: list[Pattern] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = entry.namespace
                joined = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
                walk(entry, prefix + str(entry.pattern), joined or "")
            elif isinstance(entry, URLPattern):
                name = entry.name or ""
                full = f"{namespace}:{name}" if namespace and name else name
                pattern = entry.pattern
                kwargs = set(getattr(pattern, "converters", {}))
                kwargs |= set(getattr(pattern.regex, "groupindex", {}))
                found.append(
                    Pattern(prefix + str(pattern), full, entry.callback, frozenset(kwargs))
                )

    walk(get_resolver(), "", "")
    return found


def skip_reason(pattern: Pattern) -> str | None:
    for prefix, reason in SKIPPED_PREFIXES.items():
        if pattern.route.startswith(prefix):
            return reason
    return SKIPPED_NAMES.get(pattern.name)


def walked_patterns() -> list[Pattern]:
    return [p for p in url_patterns() if skip_reason(p) is None]


def _drf_methods(callback) -> set[str] | None:
    cls = getattr(callback, "cls", None)
    if cls is None:
        return None
    return {m for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)}


def test_every_url_pattern_is_in_the_matrix_or_skipped_with_a_reason():
    # given
    patterns = walked_patterns()
    names = [p.name for p in patterns]

    # then: every walked pattern is named, known, and fillable from the world's kinds
    assert all(names), [p.route for p in patterns if not p.name]
    unknown = sorted(set(names) - set(ROUTES))
    stale = sorted(set(ROUTES) - set(names))
    assert not unknown and not stale, {
        "URL patterns the access matrix does not know how to fill (add them to ROUTES)": unknown,
        "ROUTES entries for URLs that no longer exist": stale,
    }
    for pattern in patterns:
        ops = ROUTES[pattern.name]
        drf = _drf_methods(pattern.callback)
        if drf is not None:
            assert set(ops) == drf, (pattern.name, "methods", sorted(ops), sorted(drf))
        for method, op in ops.items():
            for kind in op.targets:
                needs = set() if op.in_body else set(KIND_KWARGS[kind])
                assert needs == set(pattern.kwargs), (pattern.name, method, kind, pattern.kwargs)


# The URL keyword arguments each kind of target fills (checked against the world too).
KIND_KWARGS: dict[str, tuple[str, ...]] = {
    "none": (),
    "new_character": (),
    "money": (),
    "notification": (),
    "checkout": (),
    "org": ("slug",),
    "org_id": ("pk",),
    "viewer_membership": ("slug", "user_id"),
    "character": ("pk",),
    "character_hidden": ("pk",),
    "character_offer": ("pk", "offer_pk"),
    "image": ("pk", "image_pk"),
    "name_form": ("pk", "form_pk"),
    "offer_published": ("pk",),
    "offer_draft": ("pk",),
    "grant_active": ("pk",),
    "grant_pending_approval": ("pk",),
    "grant_pending_payment": ("pk",),
    "generation": ("pk",),
    "work_published": ("pk",),
    "work_pending": ("pk",),
    "approval": ("pk",),
    "claim_active": ("pk",),
    "dispute_open": ("pk",),
    "task": ("task_id",),
    "likeness": ("pk",),
    "consent": ("consent_pk",),
    "report_person": ("user_id",),
    "storyline": ("pk",),
    "storyline_take": ("pk", "work_pk"),
    "new_storyline": (),
    "comment_visible": ("pk", "comment_pk"),
    "comment_held": ("pk", "comment_pk"),
    "person": ("pk",),
}


@dataclass
class Row:
    name: str
    method: str
    path: str
    target: str
    actor: str
    rule: str
    expected: str  # "allow" or "deny"
    status: int = 0
    outcome: str = ""
    note: str = ""
    problems: list[str] = field(default_factory=list)


LOGIN_PAGES = ("account_login", "admin:login", "mfa_reauthenticate", "mfa_activate_totp")


def _outcome(response, login_paths: set[str]) -> str:
    status = response.status_code
    if status >= 500:
        return "error"
    if status in (401, 403, 404):
        return "deny"
    if 300 <= status < 400:
        location = response.get("Location", "").split("?")[0]
        return "deny" if location in login_paths else "allow"
    if 200 <= status < 300:
        return "allow"
    return f"other ({status})"


def _tables_sql() -> str:
    models = [
        m
        for label in ("accounts", "licensing", "marketplace", "payments", "authtoken")
        for m in apps.get_app_config(label).get_models()
    ]
    q = connection.ops.quote_name
    # Table names come from the models and are quoted: nothing here is user input.
    counts = ", ".join(f"(SELECT COUNT(*) FROM {q(m._meta.db_table)})" for m in models)  # noqa: S608
    return f"SELECT {counts}"


def _snapshot(sql: str, target: Target) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        counts = cursor.fetchone()
    rows = tuple(
        type(row)._default_manager.filter(pk=row.pk).values().first() for row in target.rows
    )
    return counts, rows


def _clients(world: World) -> dict[str, tuple[Client, APIClient]]:
    clients = {}
    for actor in ACTORS:
        web = Client(raise_request_exception=False)
        api = APIClient(raise_request_exception=False)
        user = world.user(actor)
        if actor == "staff":
            log_in_with_totp(web, user, secret=totp_activate(user))
        elif user is not None:
            web.force_login(user)
        if user is not None:
            api.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens[actor]}")
        clients[actor] = (web, api)
    return clients


def _call(client, method: str, path: str, op: Op, world: World, target: Target, actor: str):
    query = op.query(world, target, actor) if op.query else {}
    if path == "/api/v1/webhooks/stripe/":
        from django.conf import settings

        return post_signed_event(
            client, path, secret=settings.STRIPE_WEBHOOK_SECRET, event_id=f"evt_matrix_{actor}"
        )
    if method == "get":
        return client.get(path, query)
    body = op.body(world, target, actor) if op.body else {}
    if query:
        path = f"{path}?{'&'.join(f'{k}={v}' for k, v in query.items())}"
    if isinstance(client, APIClient):
        return getattr(client, method)(path, body, format="json")
    return client.post(path, body)  # multipart, as browsers send forms


def _leaks(body: str, actor: str, world: World) -> list[str]:
    if actor == "staff":
        return []
    found = []
    for kind, rule in PRIVATE.items():
        for target in world.targets[kind]:
            if rule(actor, target):
                continue
            for row in target.rows[:1]:
                if str(row.pk) in body:
                    found.append(f"leaks {target.label} ({row.pk})")
    return found


def _rows_for(world: World) -> list[tuple[Pattern, str, Op, str, Target]]:
    plan = []
    for pattern in walked_patterns():
        for method, op in ROUTES[pattern.name].items():
            for kind in op.targets:
                for target in world.targets[kind]:
                    plan.append((pattern, method, op, kind, target))
    return plan


@pytest.fixture
def matrix_settings(settings, monkeypatch, export_keys):
    # No limit may trip during the walk (it makes a few hundred calls per actor).
    settings.RATE_LIMITS = {"generate": "100000/m", "screen": "100000/m", "token": "100000/m"}
    settings.ACCOUNT_RATE_LIMITS = {
        "login": "100000/m/ip",
        "login_failed": "100000/m/ip",
        "signup": "100000/m/ip",
    }
    monkeypatch.setattr(stripe._http_client.HTTPClient, "INITIAL_DELAY", 0)
    return settings


@pytest.mark.slow  # about 2,000 calls: some 45 seconds
@pytest.mark.django_db(databases=["default", "replica"])  # /healthz/ checks the replica
def test_access_matrix(matrix_settings, capsys):
    # given: the world, built once; every row runs in a savepoint rolled back after it
    started = time.monotonic()
    world = build_world()
    clients = _clients(world)
    login_paths = {reverse(name) for name in LOGIN_PAGES}
    tables = _tables_sql()
    rows: list[Row] = []
    built = time.monotonic()

    with FakeStripe(
        api_key=matrix_settings.STRIPE_SECRET_KEY,
        webhook_secret=matrix_settings.STRIPE_WEBHOOK_SECRET,
    ) as fake:
        matrix_settings.STRIPE_API_BASE = fake.base_url
        for pattern, method, op, kind, target in _rows_for(world):
            assert set(target.kwargs) == set(KIND_KWARGS[kind]), (kind, target.label)
            path = reverse(pattern.name, kwargs={} if op.in_body else target.kwargs)
            rule = op.targets[kind]
            for actor in ACTORS:
                web, api = clients[actor]
                client = api if path.startswith("/api/") else web
                allowed = rule(actor, target)
                row = Row(
                    pattern.name,
                    method.upper(),
                    path,
                    target.label,
                    actor,
                    rule.text,
                    "allow" if allowed else "deny",
                    note=op.note,
                )
                # when
                with transaction.atomic():
                    before = _snapshot(tables, target) if not allowed else None
                    response = _call(client, method, path, op, world, target, actor)
                    row.status = response.status_code
                    row.outcome = _outcome(response, login_paths)
                    if row.status in op.refusals and row.expected == "allow":
                        row.outcome = "allow"  # in, and refused for the object's state
                        row.note = f"{row.note}; answered {row.status}".lstrip("; ")
                    changed = (
                        row.outcome != "error"
                        and before is not None
                        and _snapshot(tables, target) != before
                    )
                    if changed:
                        row.problems.append("a denied call changed the database")
                    transaction.set_rollback(True)
                # then
                if row.outcome != row.expected:
                    row.problems.append(f"expected {row.expected}, got {row.outcome}")
                if row.outcome == "allow" and not getattr(response, "streaming", False):
                    row.problems += _leaks(response.content.decode(errors="replace"), actor, world)
                rows.append(row)

        # the admin: staff with TOTP only
        for actor in ACTORS:
            web, _ = clients[actor]
            response = web.get(ADMIN_ROW[0])
            allowed = ADMIN_ROW[1](actor, NO_OBJECT)
            row = Row(
                "admin:index",
                "GET",
                ADMIN_ROW[0],
                "-",
                actor,
                ADMIN_ROW[1].text,
                "allow" if allowed else "deny",
                response.status_code,
                _outcome(response, login_paths),
            )
            if response.status_code == 302 and row.outcome == "deny":
                # the admin's own log-in page: anonymous to allauth, others refused
                followed = web.get(response["Location"])
                if actor != ANONYMOUS and followed.status_code != 403:
                    row.problems.append(f"the admin log-in answered {followed.status_code}")
            if row.outcome != row.expected:
                row.problems.append(f"expected {row.expected}, got {row.outcome}")
            rows.append(row)

    walked = time.monotonic()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / "access-matrix.csv"
    with out.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "url_name",
                "method",
                "path",
                "object",
                "actor",
                "who_may",
                "expected",
                "status",
                "outcome",
                "problems",
                "note",
            ]
        )
        for r in rows:
            writer.writerow(
                [
                    r.name,
                    r.method,
                    r.path,
                    r.target,
                    r.actor,
                    r.rule,
                    r.expected,
                    r.status,
                    r.outcome,
                    "; ".join(r.problems),
                    r.note,
                ]
            )
    failures = [r for r in rows if r.problems]
    with capsys.disabled():
        print(
            f"\naccess matrix: {len(rows)} rows "
            f"({Counter(r.expected for r in rows)}), {len(failures)} failing; world built in "
            f"{built - started:.1f}s, walked in {walked - built:.1f}s; table: {out}"
        )

    # then
    assert not failures, "\n".join(
        f"{r.method} {r.path} [{r.name}] on {r.target} as {r.actor}: {r.status} "
        f"({'; '.join(r.problems)})"
        for r in failures
    )
