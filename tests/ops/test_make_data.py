"""bench/make_data.py keeps working: run as a command at a tiny scale on the test
database, it writes the promised rows, a balanced ledger (through the ledger's own
triggers) and remix chains that reach the requested depth."""

import subprocess
import sys

import pytest
from django.db import connection
from django.db.models import Count, F, Max, Q, Sum

from accounts.models import Follow, Organization, User
from licensing.models import Character, CharacterAlias, Grant, Offer
from licensing.selectors import catalog_characters
from marketplace import selectors
from marketplace.models import (
    Comment,
    GenerationRequest,
    Like,
    Storyline,
    StorylineCharacter,
    Work,
    WorkLicense,
)
from payments.models import LedgerEntry, LedgerTransaction, RevenueEvent
from tests.workers import ROOT

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]
SCALE = 0.001  # 100 characters, 1,000 works (10 takes of a storyline), 5,000 ledger entries


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "bench/make_data.py", "--database", _database_url(), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_make_data_at_a_tiny_scale_fills_every_table_and_keeps_the_rules():
    # when
    result = _run("--scale", str(SCALE))

    # then: it says what it did
    assert result.returncode == 0, result.stdout + result.stderr
    assert "checks ok" in result.stdout
    assert "payments_ledgerentry" in result.stdout

    # the counts are the full set's, times the scale
    assert Organization.objects.count() == 20
    assert User.objects.count() == 20 + 200  # an owner per organization, and creators
    assert Character.objects.count() == 100
    assert CharacterAlias.objects.count() == 300
    assert Offer.objects.filter(status="published").count() == 100
    assert Work.objects.count() == 1_000
    assert LedgerEntry.objects.count() == 5_000

    # every work has its request, and licences whose grants are on the right offer
    assert GenerationRequest.objects.count() == 1_000
    assert not Work.objects.annotate(n=Count("licenses")).filter(n=0).exists()
    mismatched = [
        lic
        for lic in WorkLicense.objects.select_related("grant")
        if lic.grant.character_id != lic.character_id or lic.grant.offer_id != lic.offer_id
    ]
    assert mismatched == []
    assert Grant.objects.exclude(status="active").count() == 0

    # the ledger balances per transaction and currency, every transaction has its event
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM payments_ledgerentry"
            " GROUP BY transaction_id, currency HAVING SUM(amount) <> 0) AS unbalanced"
        )
        assert cursor.fetchone()[0] == 0
    transactions = LedgerTransaction.objects.count()
    assert RevenueEvent.objects.filter(status="settled", transaction__isnull=False).count() == (
        transactions
    )

    # a chain reaches depth 20, link by link
    assert Work.objects.aggregate(deepest=Max("depth"))["deepest"] == 20
    tail = Work.objects.filter(depth=20).first()
    ancestors = selectors.work_ancestors(work=tail)
    assert [a.depth for a in ancestors] == list(range(19, -1, -1))
    assert ancestors[-1].parent_id is None

    # the catalog's search indexes, set aside for the load, are back as they were
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reloptions FROM pg_class c WHERE c.relname LIKE 'licensing%%_trgm'"
        )
        # (four on the catalog's tables, one on its documents: licensing/migrations/0014)
        assert sorted(cursor.fetchall()) == [(["fastupdate=off"],)] * 5
    character = tail.licenses.first().character
    assert character in catalog_characters(q=character.name)[:25]

    # the social tables: likes, follows and comments, skewed, within their rules
    assert Like.objects.count() == 3_000
    assert Follow.objects.count() == 4_000
    assert Comment.objects.count() == 500
    assert not Follow.objects.filter(follower=F("followee")).exists()
    most_liked = Like.objects.values("work").annotate(n=Count("id")).order_by("-n").first()
    assert most_liked["n"] > 3 * 10  # skewed: far above the mean of 3
    assert not Like.objects.filter(work__status="delisted", work__storyline__isnull=False).exists()

    # a storyline with its cast, its opening and its takes, each made while it was open,
    # remixing the opening, and licensing the cast's character under the cast's offer
    # with the take's creator's own grant
    storyline = Storyline.objects.get()
    cast = StorylineCharacter.objects.get(storyline=storyline)
    takes = Work.objects.filter(storyline=storyline)
    assert takes.count() == 10
    assert storyline.opening is not None and storyline.opening.storyline_id is None
    for take in takes.select_related("request"):
        assert take.parent_id == storyline.opening_id == take.request.parent_id
        assert take.request.storyline_id == storyline.pk
        assert storyline.starts_at <= take.created_at < storyline.ends_at
        assert storyline.closed_at is None or take.created_at < storyline.closed_at
        own = take.licenses.select_related("grant").get(inherited=False)
        assert own.character_id == cast.character_id
        assert own.grant.licensee_id == take.creator_id
        assert own.grant.series == cast.offer.series
        assert list(take.request.characters.all()) == [cast.character]
    for label in ("each take's storyline is open", "10 takes: ok", "3,000 likes: ok"):
        assert label in result.stdout

    # each work's counters were set from the copied rows
    assert "each work's counters equal its likes" in result.stdout
    fresh = Work.objects.annotate(
        n_likes=Count("likes", distinct=True),
        n_comments=Count("comments", filter=Q(comments__status="visible"), distinct=True),
    )
    assert not fresh.exclude(like_count=F("n_likes")).exists()
    assert not fresh.exclude(comment_count=F("n_comments")).exists()
    assert (
        Work.objects.aggregate(n=Sum("remix_count"))["n"]
        == Work.objects.filter(parent__isnull=False, status="published").count()
        > 0
    )
    opening = Work.objects.get(pk=storyline.opening_id)
    assert opening.remix_count >= takes.filter(status="published").count()


def test_make_data_refuses_a_database_that_holds_users():
    # given
    User.objects.create_user(email="someone@example.com")

    # when
    result = _run("--scale", str(SCALE))

    # then: nothing is written
    assert result.returncode != 0
    assert "already holds users" in result.stdout + result.stderr
    assert Work.objects.count() == 0
