"""The seed's order of events: people and studios, the catalog, the watchlist and
licences, the videos, the claim, then the money. One database transaction: a seed that
fails half way leaves nothing behind but rendered files, and the next run starts clean."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.test.utils import override_settings

from core.money import Money
from demo.seed.catalog import (
    seed_characters,
    seed_grants,
    seed_pending_likeness,
    seed_watchlist,
)
from demo.seed.claims import seed_claim
from demo.seed.data import PEOPLE, Person
from demo.seed.money import (
    seed_ad_revenue,
    seed_after_payout,
    seed_payout,
    seed_sandbox,
    seed_tips,
    seed_wallets,
)
from demo.seed.people import seed_people, seed_studios
from demo.seed.progress import Progress
from demo.seed.storylines import seed_storyline
from demo.seed.stripe_offline import OfflineStripe
from demo.seed.works import seed_works
from payments.sandbox.mode import sandbox_active


@dataclass(frozen=True)
class SeedReport:
    people: tuple[Person, ...]
    studios: int
    characters: int
    watchlist: int
    works: int
    remix_depth: int
    payout: str
    storyline: str = ""
    takes: int = 0


def _require_signing_keys() -> None:
    missing = [
        name
        for name in ("C2PA_CERT_CHAIN", "C2PA_PRIVATE_KEY")
        if not Path(getattr(settings, name)).is_file()
    ]
    if missing:
        raise CommandError(
            f"The demo videos are signed, but {', '.join(missing)} is missing: run "
            "`manage.py provenance_keys` first (make run does)."
        )


def seed_demo(*, progress: Progress | None = None) -> SeedReport:
    """Build (or find) the whole demo marketplace, telling ``progress`` how far it got."""
    progress = progress or Progress()
    _require_signing_keys()
    gateway = OfflineStripe()
    # The seed's notifications stay in-app (/notifications/); the demo's .test
    # addresses are sent no email, so the console is not flooded with them.
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        transaction.atomic(),
    ):
        progress.stage("Creating the demo people and studios")
        users = seed_people()
        studios = seed_studios(users)
        characters = seed_characters(users, studios, progress=progress)
        progress.stage("Recording a likeness that waits for review")
        seed_pending_likeness(users)
        progress.stage("Importing the starter watchlist")
        watchlist = seed_watchlist()
        seed_grants(users, characters, gateway=gateway, progress=progress)
        progress.stage("Topping up the creators' wallets")
        seed_wallets(users, gateway=gateway)
        works = seed_works(users, characters, progress=progress)
        progress.stage("Opening Hoshi Studio's storyline")
        storyline, takes = seed_storyline(users, studios, characters, progress=progress)
        progress.stage("Filing a claim and its dispute")
        seed_claim(users, characters, works)
        progress.stage("Recording tips and ad revenue")
        seed_tips(users, works)
        seed_ad_revenue(works)
        progress.stage("Paying out a creator")
        payout = seed_payout(users, gateway=gateway)
        seed_after_payout(users, works)
        if sandbox_active():
            progress.stage("Handing the payments sandbox its balances")
            seed_sandbox(users)
    return SeedReport(
        people=PEOPLE,
        studios=len(studios),
        characters=len(characters),
        watchlist=watchlist,
        works=sum(1 for work in works.values() if work.status == "published"),
        remix_depth=max(work.depth for work in works.values()) + 1,
        payout=f"{Money(payout.amount, payout.currency)} to {payout.connected_account}",
        storyline=storyline.title,
        takes=len(takes) - 1,
    )
