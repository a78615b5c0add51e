"""The world the access-control matrix walks: two verified organizations X and Y (an
owner and a viewer each), a person L who licenses their own likeness, creators A and
B, and staff; and, for every kind of object a URL can name, one object per owner.

Every object is described by a Target: its label for the table ("X's draft offer"),
the parties it belongs to (``{"owner": "X"}``, ``{"licensee": "A", "licensor": "X"}``,
...), the URL keyword arguments that name it, and the rows a denied write must leave
untouched. The policy table in test_matrix.py decides from the parties who may do
what; nothing here knows about permissions."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Model
from django.utils import timezone
from PIL import Image
from rest_framework.authtoken.models import Token

from accounts import services as accounts_services
from accounts.models import Membership, Notification, TokenSecondFactor, User
from licensing import services as licensing_services
from licensing.models import CharacterImage, ConsentChallenge, LikenessConsent, NameForm
from marketplace import services as marketplace_services
from marketplace.models import GenerationRequest, Work, WorkApproval
from payments.models import CheckoutSession
from tests.builders import (
    claim_filed,
    dispute_opened,
    paid_out,
    pending_approval_work,
    storyline_opened,
    tip_settled,
    verified_studio,
    waiting_for_approval,
    waiting_for_payment,
)
from tests.factories import (
    CharacterFactory,
    OfferFactory,
    UserFactory,
    WorkFactory,
    grant_for,
    publish_offer,
)

ANONYMOUS = "anonymous"
ACTORS = (
    ANONYMOUS,
    "creator_a",
    "creator_b",
    "x_owner",
    "x_viewer",
    "y_owner",
    "y_viewer",
    "likeness_owner",
    "staff",
)

# Who acts for each owner of objects: EDITORS may manage (an organization's owner, or
# the person themselves), MEMBERS may read (any role), OWNER_ROLE holds the owner role.
EDITORS = {
    "X": {"x_owner"},
    "Y": {"y_owner"},
    "L": {"likeness_owner"},
    "A": {"creator_a"},
    "B": {"creator_b"},
}
MEMBERS = {
    "X": {"x_owner", "x_viewer"},
    "Y": {"y_owner", "y_viewer"},
    "L": {"likeness_owner"},
    "A": {"creator_a"},
    "B": {"creator_b"},
}
OWNER_ROLE = {"X": {"x_owner"}, "Y": {"y_owner"}, "L": {"likeness_owner"}}


@dataclass
class Target:
    """One object a row acts on (or none: the single target of an object-less URL)."""

    label: str
    parties: dict[str, str] = field(default_factory=dict)
    kwargs: dict[str, str] = field(default_factory=dict)
    rows: list[Model] = field(default_factory=list)  # snapshotted around denied writes
    data: dict[str, Any] = field(default_factory=dict)  # what bodies and queries need


NO_OBJECT = Target("-")


@dataclass
class World:
    users: dict[str, User]
    tokens: dict[str, str]
    targets: dict[str, list[Target]]
    secrets: dict[str, str] = field(default_factory=dict)  # TOTP secrets by actor

    def user(self, actor: str) -> User | None:
        return self.users.get(actor)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def _image(character) -> CharacterImage:
    return CharacterImage.objects.create(
        character=character,
        image=f"characters/{character.pk}/ref.png",
        thumbnail=f"characters/{character.pk}/ref-thumb.jpg",
        width=64,
        height=64,
        content_type="image/png",
        size_bytes=100,
    )


def build_world() -> World:
    # --- people --------------------------------------------------------------------------
    org_x, (x_owner, x_viewer) = verified_studio(
        name="Studio X", slug="studio-x", roles=("owner", "viewer")
    )
    org_y, (y_owner, y_viewer) = verified_studio(
        name="Studio Y", slug="studio-y", roles=("owner", "viewer")
    )
    users = {
        "creator_a": UserFactory(email="a@access.test"),
        "creator_b": UserFactory(email="b@access.test"),
        "x_owner": x_owner,
        "x_viewer": x_viewer,
        "y_owner": y_owner,
        "y_viewer": y_viewer,
        "likeness_owner": UserFactory(email="l@access.test"),
        "staff": UserFactory(email="staff@access.test", is_staff=True, is_superuser=True),
    }
    a, b, lp = users["creator_a"], users["creator_b"], users["likeness_owner"]

    # --- characters and offers -----------------------------------------------------------
    char_x = CharacterFactory(owner_organization=org_x, name="Xena of X")
    char_y = CharacterFactory(owner_organization=org_y, name="Yoru of Y")
    likeness = CharacterFactory(
        kind="likeness", owner_organization=None, owner_user=lp, name="Lena Likeness"
    )
    hidden_x = CharacterFactory(owner_organization=org_x, name="Xavier (suspended)")
    publish_offer(hidden_x)
    licensing_services.character_update(character=hidden_x, by=x_owner, status="suspended")
    characters = {"X": char_x, "Y": char_y, "L": likeness}
    # L's consent video, waiting for staff (the rows alone: no one here plays it)
    challenge = ConsentChallenge.objects.create(
        character=likeness,
        user=lp,
        phrase="lantern walnut harbor tiger velvet morning",
        expires_at=timezone.now() + timedelta(minutes=5),
        used_at=timezone.now(),
    )
    consent = LikenessConsent.objects.create(
        character=likeness,
        challenge=challenge,
        video=f"consent-videos/{likeness.pk}/matrix.webm",
        content_type="video/webm",
        size_bytes=1,
        duration_s=3,
        width=320,
        height=240,
    )

    grant_a_x = grant_for(char_x, a, commercial_use=True, rev_share_bps=1500)
    grant_b_y = grant_for(char_y, b, commercial_use=True, rev_share_bps=1500)
    grant_a_l = grant_for(likeness, a, approval="per_work")

    # A second character per owner carries the offers that rows act on (accept, end,
    # new version, drafts), so that no row depends on the grants above.
    spare = {
        "X": CharacterFactory(owner_organization=org_x, name="Xander of X"),
        "Y": CharacterFactory(owner_organization=org_y, name="Yumi of Y"),
        "L": likeness,
    }
    open_offer = {owner: publish_offer(c) for owner, c in spare.items()}
    drafts = {owner: OfferFactory(character=c, status="draft") for owner, c in spare.items()}
    pending_approval = {
        "X": waiting_for_approval(CharacterFactory(owner_organization=org_x), b),
        "Y": waiting_for_approval(CharacterFactory(owner_organization=org_y), a),
    }
    pending_payment = {
        "X": waiting_for_payment(CharacterFactory(owner_organization=org_x), a),
        "Y": waiting_for_payment(CharacterFactory(owner_organization=org_y), b),
    }
    images = {owner: _image(c) for owner, c in characters.items()}
    name_forms = {
        owner: NameForm.objects.create(
            character=c, source=c.name, text=f"{c.name} reading", origin="romaji"
        )
        for owner, c in characters.items()
    }

    # --- works, generations, approvals -------------------------------------------------
    work_a = WorkFactory(creator=a, grants=[grant_a_x], title="A dances with Xena")
    work_b = WorkFactory(creator=b, grants=[grant_b_y], title="B dances with Yoru")
    claimed_a = WorkFactory(creator=a, grants=[grant_a_x], title="A's claimed video")
    claimed_b = WorkFactory(creator=b, grants=[grant_b_y], title="B's claimed video")
    disputed_a = WorkFactory(creator=a, grants=[grant_a_x], title="A's disputed video")
    disputed_b = WorkFactory(creator=b, grants=[grant_b_y], title="B's disputed video")
    pending_a = pending_approval_work(
        creator=a, grant=grant_a_l, character=likeness, title="A with Lena, awaiting Lena"
    )
    approval_l = WorkApproval.objects.get(work=pending_a)

    # --- claims and disputes (they notify the creators and the claimants) ---------------
    claim_x = claim_filed(claimed_a, char_x, x_owner)
    claim_y = claim_filed(claimed_b, char_y, y_owner)
    dispute_a = dispute_opened(disputed_a, char_x, claimant=x_owner, reason="It is soda.")
    dispute_b = dispute_opened(disputed_b, char_y, claimant=y_owner, reason="It is juice.")

    # --- money: a tip on A's video pays A and X; both are paid out -----------------------
    tip_settled(work_a, "pi_access_a")
    payouts = paid_out({"acct_access_a": {"user": a}, "acct_access_x": {"organization": org_x}})
    by_owner = {
        "A" if p.connected_account.user_id == a.pk else "X": p
        for p in payouts
        if p.connected_account.user_id == a.pk or p.connected_account.organization_id == org_x.pk
    }
    assert set(by_owner) == {"A", "X"}, payouts
    checkouts = {
        "A": CheckoutSession.objects.create(
            stripe_session_id="cs_access_a",
            purpose="tip",
            payer=a,
            work=work_b,
            amount=500,
            currency="USD",
            url="https://checkout.stripe.test/cs_access_a",
        ),
        "B": CheckoutSession.objects.create(
            stripe_session_id="cs_access_b",
            purpose="tip",
            payer=b,
            work=work_a,
            amount=500,
            currency="USD",
            url="https://checkout.stripe.test/cs_access_b",
        ),
    }
    for actor in ("creator_a", "x_owner"):
        accounts_services.notify(users=[users[actor]], kind="test", title=f"Hello {actor}")
    notes = {
        actor: Notification.objects.filter(user=users[actor]).first()
        for actor in ("creator_a", "x_owner")
    }

    # --- comments on A's video (showing X's character) by B: one visible, one held ------
    comment_visible = marketplace_services.comment_create(
        work=work_a, author=b, body="B likes the rain"
    )
    comment_held = marketplace_services.comment_create(
        work=work_a, author=b, body="B's spam at spam.example.com"
    )
    assert comment_held.status == "held"

    tokens = {actor: Token.objects.create(user=user).key for actor, user in users.items()}
    # staff tokens work only when issued with a code from an authenticator app
    TokenSecondFactor.objects.create(token_id=tokens["staff"])

    # --- the targets, by kind ------------------------------------------------------------
    def party(owner: str) -> dict[str, str]:
        return {"owner": owner}

    orgs = {"X": org_x, "Y": org_y}
    t: dict[str, list[Target]] = {"none": [NO_OBJECT]}
    t["org"] = [
        Target(f"{o}'s organization", party(o), {"slug": org.slug}, [org], {"org": org})
        for o, org in orgs.items()
    ]
    t["org_id"] = [
        Target(f"{o}'s organization", party(o), {"pk": str(org.pk)}, [org], {"org": org})
        for o, org in orgs.items()
    ]
    t["character"] = [
        Target(f"{o}'s {c.kind}", party(o), {"pk": str(c.pk)}, [c], {"character": c})
        for o, c in characters.items()
    ]
    t["character_hidden"] = [
        Target(
            "X's suspended character",
            party("X"),
            {"pk": str(hidden_x.pk)},
            [hidden_x],
            {"character": hidden_x},
        )
    ]
    t["new_character"] = [
        *(
            Target(f"a character of {o}", party(o), rows=[org], data={"org": org})
            for o, org in orgs.items()
        ),
        Target("one's own likeness", {}, data={"org": None}),
    ]
    t["character_offer"] = [
        Target(
            f"{o}'s published offer",
            party(o),
            {"pk": str(offer.character_id), "offer_pk": str(offer.pk)},
            [offer],
            {"offer": offer},
        )
        for o, offer in open_offer.items()
    ]
    t["image"] = [
        Target(
            f"{o}'s reference image",
            party(o),
            {"pk": str(image.character_id), "image_pk": str(image.pk)},
            [image],
        )
        for o, image in images.items()
    ]
    t["name_form"] = [
        Target(
            f"{o}'s derived name form",
            party(o),
            {"pk": str(form.character_id), "form_pk": str(form.pk)},
            [form],
        )
        for o, form in name_forms.items()
    ]
    t["offer_published"] = [
        Target(f"{o}'s published offer", party(o), {"pk": str(offer.pk)}, [offer], {"offer": offer})
        for o, offer in open_offer.items()
    ]
    t["offer_draft"] = [
        Target(f"{o}'s draft offer", party(o), {"pk": str(offer.pk)}, [offer], {"offer": offer})
        for o, offer in drafts.items()
    ]

    def grant_target(label, grant, licensee, licensor):
        return Target(
            label,
            {"licensee": licensee, "licensor": licensor},
            {"pk": str(grant.pk)},
            [grant],
            {"grant": grant},
        )

    t["grant_active"] = [
        grant_target("A's licence of X's character", grant_a_x, "A", "X"),
        grant_target("B's licence of Y's character", grant_b_y, "B", "Y"),
        grant_target("A's licence of L's likeness", grant_a_l, "A", "L"),
    ]
    t["grant_pending_approval"] = [
        grant_target("B's request for X's character", pending_approval["X"], "B", "X"),
        grant_target("A's request for Y's character", pending_approval["Y"], "A", "Y"),
    ]
    t["grant_pending_payment"] = [
        grant_target("A's unpaid licence of X's character", pending_payment["X"], "A", "X"),
        grant_target("B's unpaid licence of Y's character", pending_payment["Y"], "B", "Y"),
    ]
    t["generation"] = [
        Target(
            f"{o}'s generation",
            {"creator": o},
            {"pk": str(w.request_id)},
            [GenerationRequest.objects.get(pk=w.request_id)],
        )
        for o, w in (("A", work_a), ("B", work_b))
    ]
    t["work_published"] = [
        Target(
            f"{o}'s published work (showing {lic})",
            {"creator": o, "licensor": lic},
            {"pk": str(w.pk)},
            [w],
            {"work": w, "character": characters[lic]},
        )
        for o, lic, w in (("A", "X", work_a), ("B", "Y", work_b))
    ]
    t["work_pending"] = [
        Target(
            "A's work awaiting L's approval",
            {"creator": "A", "licensor": "L"},
            {"pk": str(pending_a.pk)},
            [pending_a, approval_l],
            {"work": pending_a, "character": likeness},
        )
    ]
    t["approval"] = [
        Target(
            "L's review of A's work",
            {"creator": "A", "licensor": "L"},
            {"pk": str(approval_l.pk)},
            [approval_l, pending_a],
            {"approval": approval_l},
        )
    ]
    t["claim_active"] = [
        Target(
            f"{o}'s claim on {c}'s work",
            {"claimant": o, "creator": c},
            {"pk": str(claim.pk)},
            [claim, claim.work],
            {"claim": claim},
        )
        for o, c, claim in (("X", "A", claim_x), ("Y", "B", claim_y))
    ]
    t["dispute_open"] = [
        Target(
            f"{c}'s dispute of {o}'s claim",
            {"claimant": o, "creator": c},
            {"pk": str(d.pk)},
            [d, d.claim],
            {"dispute": d},
        )
        for o, c, d in (("X", "A", dispute_a), ("Y", "B", dispute_b))
    ]
    t["money"] = [
        Target("one's own money", {}, data={"org": None}),
        *(
            Target(f"{o}'s money", party(o), rows=[org], data={"org": org})
            for o, org in orgs.items()
        ),
    ]
    t["notification"] = [
        Target(f"{actor}'s notification", {"user": actor}, rows=[note], data={"note": note})
        for actor, note in notes.items()
    ]
    t["checkout"] = [
        Target(f"{o}'s checkout", {"user": f"creator_{o.lower()}"}, rows=[s], data={"session": s})
        for o, s in checkouts.items()
    ]
    t["viewer_membership"] = [
        Target(
            f"{o}'s viewer",
            {"owner": o, "user": f"{o.lower()}_viewer"},
            {"slug": org.slug, "user_id": str(users[f"{o.lower()}_viewer"].pk)},
            [Membership.objects.get(organization=org, role="viewer")],
            {"org": org},
        )
        for o, org in orgs.items()
    ]
    t["likeness"] = [Target("L's likeness", party("L"), {"pk": str(likeness.pk)}, [likeness], {})]
    t["report_person"] = [
        Target(
            "L's own compliance report",
            {"user": "likeness_owner"},
            {"user_id": str(users["likeness_owner"].pk)},
        )
    ]
    t["consent"] = [
        Target(
            "L's consent video waiting for staff",
            party("L"),
            {"consent_pk": str(consent.pk)},
            [consent, likeness],
        )
    ]
    t["task"] = [Target("a task", {}, {"task_id": str(uuid.uuid4())})]
    # storylines: X's and Y's, each with the owner's creator's published work as a take
    storylines = {
        "X": storyline_opened(char_x, offer=grant_a_x.offer),
        "Y": storyline_opened(char_y, offer=grant_b_y.offer),
    }
    takes = {"X": work_a, "Y": work_b}
    for o, storyline in storylines.items():
        Work.objects.filter(pk=takes[o].pk).update(storyline=storyline)
    t["storyline"] = [
        Target(f"{o}'s storyline", party(o), {"pk": str(s.pk)}, [s], {"storyline": s})
        for o, s in storylines.items()
    ]
    t["storyline_take"] = [
        Target(
            f"a take of {o}'s storyline",
            party(o),
            {"pk": str(s.pk), "work_pk": str(takes[o].pk)},
            [s],
            {"storyline": s},
        )
        for o, s in storylines.items()
    ]
    t["new_storyline"] = [
        Target(
            f"a storyline of {o}'s character",
            party(o),
            rows=[orgs[o]],
            data={"offer": {"X": grant_a_x, "Y": grant_b_y}[o].offer},
        )
        for o in ("X", "Y")
    ]
    t["comment_visible"], t["comment_held"] = (
        [
            Target(
                f"B's {label} comment on A's work (showing X)",
                {"author": "B", "creator": "A", "licensor": "X"},
                {"pk": str(work_a.pk), "comment_pk": str(comment.pk)},
                [comment],
                {"comment": comment},
            )
        ]
        for label, comment in (("visible", comment_visible), ("held", comment_held))
    )
    t["person"] = [
        Target(f"{o}'s profile", {"user": o}, {"pk": str(users[actor].pk)}, [users[actor]])
        for o, actor in (("A", "creator_a"), ("X", "x_owner"))
    ]
    t["payout"] = [  # not in any URL: the leak check looks for their ids in lists
        Target(f"{o}'s payout", party(o), rows=[p]) for o, p in by_owner.items()
    ]
    return World(users=users, tokens=tokens, targets=t)
