"""Fill a PostgreSQL database with a marketplace at production scale, with COPY.

At ``--scale 1``: 20,000 organizations (each with an owner and a membership), 200,000
creators, 100,000 characters (95% a studio's, 5% a creator's likeness) with 300,000
aliases and one published offer each, about 500,000 grants, 1,000,000 works (each with
its GenerationRequest, the characters it names and its WorkLicense rows; remixes carry
their parent's licences as inherited rows, as the pipeline writes them) in remix chains
up to 20 deep, and 5,000,000 ledger entries in about 1,250,000 balanced revenue
transactions, each with the settled RevenueEvent it came from. ``--scale 0.01`` makes a
proportional set (every count times 0.01; at least one chain still reaches depth 20).

The social side, at ``--scale 1``: 100 storylines (one per 1,000 characters, each with
one character as its cast under that character's offer, an opening video and 10,000
takes in all, the first storyline about 1,900 of them; about 5% of creators also hold a
grant on a storyline's character), 3,000,000 likes (distinct likers per work), 4,000,000
follows (never oneself; a few people follow tens of thousands) and 500,000 comments.
Likes, follows and comments are skewed: an item's share falls steeply with a random
popularity rank. A take is a planned original that nobody remixes, rewritten into a
remix of its storyline's opening made within the storyline's dates by a licensee of the
cast character (its request names the character; the opening's others are inherited),
so no remix chain changes.

    createdb -h 127.0.0.1 -U postgres cocreate_scale
    .venv/bin/python bench/make_data.py \\
        --database postgres://postgres@127.0.0.1:5432/cocreate_scale [--scale 1] [--flush]

It migrates the database, refuses one that already holds users unless ``--flush`` is
given (which empties it first), and prints each table's row count and the seconds spent
making and copying its rows.

How the ledger stays within its rules (the triggers of payments/migrations/0002): they
stay enabled. Every transaction's entries are written whole inside one COPY statement
(50,000 transactions a statement), so the statement-level balance trigger checks each
COPY's transactions and aborts the load on any that does not sum to zero per currency;
COPY only inserts, so the immutability trigger (UPDATE and DELETE) never fires.

Foreign keys are checked too, but not row by row: the load runs in one database
transaction that first drops the foreign keys of the tables it writes (and those
pointing at them), and at the end re-adds each exactly as it was and validates it
against every row (``ALTER TABLE ... VALIDATE CONSTRAINT``, one set-based query each)
before committing. A row that breaks one fails the validation and the whole load rolls
back, leaving the database as it was. Row by row, those checks cost more than the rest
of the load (each locks the row it finds).

The amounts are synthetic: each revenue transaction debits Stripe clearing and credits
the platform fee, the work's creator, its first rightsholder and, for a remix, the
parent's creator, split with ``core.money.allocate``; they are shaped like the
settlement engine's postings but are not recomputed with it (bench/settlement.py does
that). Nothing is rendered: video and poster paths point at files that do not exist.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from array import array
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

FULL = {
    "organizations": 20_000,
    "creators": 200_000,
    "characters": 100_000,
    "works": 1_000_000,
    "entries": 5_000_000,
    "storylines": 100,  # one per 1,000 characters
    "takes": 10_000,  # works that are storyline takes, skewed over the storylines
    "likes": 3_000_000,  # about 3 per published work, skewed over the works
    "follows": 4_000_000,  # 20 per creator on average, skewed over followers and followees
    "comments": 500_000,  # about 0.5 per work, skewed over the works
}
ALIASES_PER_CHARACTER = 3
LIKENESS_SHARE = 0.05
GRANTS_PER_CREATOR = (1, 2, 3, 4)  # uniform: 2.5 on average
REMIX_SHARE = 0.35
REMIX_WINDOW = 5_000  # a remix's parent is one of the previous 5,000 works
OWN_CHARACTER_ON_REMIX = 0.3
MAX_DEPTH = 20
DEEP_CHAINS_AT_FULL = 1_000  # chains made to reach MAX_DEPTH, 21 works each
LEDGER_CHUNK = 50_000  # transactions per COPY statement
DOMAIN = "scale.bench"
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=365)
STORYLINE_DAYS = 60  # a storyline takes takes for 60 days after its opening video
STORYLINE_GRANT_SHARE = 0.05  # creators who also license a storyline's character
SKEW = 3.0  # popularity: rank = items * random() ** SKEW (a few items get most)
COMMENT_BODIES = (
    "Love this!", "The lighting here is perfect.", "Part two when?", "This made my day.",
    "How did you get the rain to look like that?", "Remixing this next.", "So good.",
)  # fmt: skip

ONSETS = ("", "k", "s", "t", "n", "h", "m", "r", "v", "l", "b", "d", "th", "sh", "br", "z")
VOWELS = ("a", "e", "i", "o", "u", "ae", "ia", "ou", "ei", "y")
CODAS = ("", "", "", "n", "r", "s", "l", "th", "x")
KANA = "カキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"
WORDS = (
    "Star", "Moon", "River", "Ember", "Frost", "Harbour", "Lantern", "Thunder", "Velvet",
    "Iron", "Paper", "Neon", "Cedar", "Coral", "Echo", "Quartz", "Saffron", "Willow",
)  # fmt: skip
NOUNS = ("Chronicles", "Saga", "Academy", "Tales", "Legends", "Quest", "Squad", "Odyssey")
SCENES = (
    "dances in the rain",
    "races across a neon city at night",
    "shares tea in a quiet garden",
    "explores a lantern-lit market",
    "sails through a storm",
    "paints a mural at dawn",
)
# (preset, commercial, upfront fee, rev share, upstream model, stack cap, approval)
OFFER_TEMPLATES = (
    ("non_commercial_remix", False, 0, 0, "absolute", 5_000, "none"),
    ("commercial_remix", True, 0, 1_500, "absolute", 5_000, "none"),
    ("commercial_remix", True, 0, 1_000, "relative", 4_000, "none"),
    ("paid_licence", True, 2_000, 2_000, "absolute", 2_500, "none"),
    ("per_work_approval", True, 0, 800, "absolute", 3_000, "per_work"),
)
CURRENCIES = (("USD", 0.80), ("EUR", 0.15), ("JPY", 0.05))
PLATFORM_BPS, RIGHTSHOLDER_BPS, UPSTREAM_BPS = 1_000, 1_500, 500


def _say(text: str) -> None:
    print(text, flush=True)


def scaled(scale: float) -> dict[str, int]:
    counts = {name: round(full * scale) for name, full in FULL.items()}
    counts["aliases"] = counts["characters"] * ALIASES_PER_CHARACTER
    counts["deep_chains"] = max(1, round(DEEP_CHAINS_AT_FULL * scale))
    if counts["works"] < counts["deep_chains"] * (MAX_DEPTH + 1) or counts["entries"] < 3:
        raise SystemExit(f"make_data: --scale {scale} is too small for a {MAX_DEPTH}-deep chain")
    counts["storylines"] = max(1, counts["storylines"])
    counts["takes"] = max(counts["storylines"], counts["takes"])
    if min(counts["organizations"], counts["creators"], counts["characters"]) < 1:
        raise SystemExit(f"make_data: --scale {scale} leaves a table empty")
    return counts


def _copyable(value):
    """A model default as COPY takes it: JSON defaults wrapped as jsonb."""
    from psycopg.types.json import Jsonb

    return Jsonb(value) if isinstance(value, dict | list) else value


class Loader:
    """Makes the rows in memory-light arrays and writes each table with COPY."""

    def __init__(self, cursor, counts: dict[str, int], seed: int) -> None:
        self.cursor = cursor  # a psycopg 3 cursor
        self.counts = counts
        self.rng = random.Random(seed)
        self.rows: dict[str, int] = defaultdict(int)
        self.seconds: dict[str, float] = defaultdict(float)
        self.now = datetime.now(UTC)

    # -- plumbing -------------------------------------------------------------------

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def copy(self, model, fields: list[str], rows) -> None:
        """COPY ``rows`` (tuples in the order of ``fields``, model field names) into
        ``model``'s table, timing the making of the rows together with the copy."""
        meta = model._meta
        # A NOT NULL column added to the model since this loader was written takes its
        # model default, so a new field cannot break the load.
        defaults = [
            field
            for field in meta.concrete_fields
            if field.name not in fields
            and not field.null
            and field.has_default()
            and not field.primary_key
        ]
        tail = tuple(_copyable(field.get_default()) for field in defaults)
        names = [*fields, *(field.name for field in defaults)]
        columns = ", ".join(f'"{meta.get_field(name).column}"' for name in names)
        started = time.perf_counter()
        count = 0
        with self.cursor.copy(f'COPY "{meta.db_table}" ({columns}) FROM STDIN') as copy:
            write = copy.write_row
            for row in rows:
                write((*row, *tail) if tail else row)
                count += 1
        self.rows[meta.db_table] += count
        self.seconds[meta.db_table] += time.perf_counter() - started

    def check_constraints(self) -> None:
        """Check every deferred constraint still in place now, then defer again, so a
        phase's mistakes surface at its end."""
        self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        self.cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def _name(self) -> str:
        rng = self.rng

        def word(syllables: int) -> str:
            parts = (rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(syllables))
            return ("".join(parts) + rng.choice(CODAS)).capitalize()

        return f"{word(rng.choice((2, 2, 3)))} {word(rng.choice((2, 3)))}"

    # -- people ---------------------------------------------------------------------

    def people(self) -> None:
        from django.contrib.auth.hashers import make_password

        from accounts.models import Membership, Organization, User

        n_orgs, n_creators = self.counts["organizations"], self.counts["creators"]
        unusable = make_password(None)
        self.org_owner_ids = [self._uuid() for _ in range(n_orgs)]
        self.creator_ids = [self._uuid() for _ in range(n_creators)]
        self.creator_names = [self._name() for _ in range(n_creators)]
        user_fields = ["id", "password", "is_superuser", "email", "display_name", "is_staff"]
        user_fields += ["is_active", "date_joined"]

        def users():
            for i, pk in enumerate(self.org_owner_ids):
                yield (pk, unusable, False, f"owner{i}@{DOMAIN}", f"Owner {i}", False, True, EPOCH)
            for i, pk in enumerate(self.creator_ids):
                joined = EPOCH + SPAN * (i / n_creators) / 2
                name = self.creator_names[i]
                yield (pk, unusable, False, f"creator{i}@{DOMAIN}", name, False, True, joined)

        self.copy(User, user_fields, users())

        self.org_ids = [self._uuid() for _ in range(n_orgs)]
        self.org_names = [f"{self._name().split()[0]} Studio {i}" for i in range(n_orgs)]
        self.org_franchises = [
            [f"{self.rng.choice(WORDS)} {self.rng.choice(NOUNS)}" for _ in range(1 + i % 3)]
            for i in range(n_orgs)
        ]
        org_fields = ["id", "created_at", "updated_at", "name", "slug", "description", "website"]
        org_fields += ["verification_status", "verification_note", "verified_at"]
        self.copy(
            Organization,
            org_fields,
            (
                (pk, EPOCH, EPOCH, self.org_names[i], f"studio-{i}", "", "", "verified", "", EPOCH)
                for i, pk in enumerate(self.org_ids)
            ),
        )
        self.copy(
            Membership,
            ["created_at", "updated_at", "user", "organization", "role"],
            (
                (EPOCH, EPOCH, self.org_owner_ids[i], self.org_ids[i], "owner")
                for i in range(n_orgs)
            ),
        )
        self.check_constraints()

    # -- catalog --------------------------------------------------------------------

    def catalog(self) -> None:
        from licensing.models import Character, CharacterAlias, Offer
        from licensing.terms import Terms

        rng, n = self.rng, self.counts["characters"]
        n_orgs, n_creators = self.counts["organizations"], self.counts["creators"]
        self.char_ids = [self._uuid() for _ in range(n)]
        self.char_names: list[str] = []
        # Owner: an organization's index, or -1 - creator index for a likeness.
        self.char_owner = array("l")
        self.offer_ids = [self._uuid() for _ in range(n)]
        self.offer_hash: list[str] = []
        self.offer_terms: list[tuple] = []  # the template of each character's offer
        self.offer_generation_fee: list[int] = []  # each offer's fee per video
        self.rightsholder: list[str] = []
        char_rows, alias_rows, offer_rows = [], [], []
        used_names: set[tuple[int, str]] = set()
        templates = [
            (t, Terms(**self._template_terms(t)).to_dict()) for t in OFFER_TEMPLATES
        ]  # credit text is filled per character below
        for i, pk in enumerate(self.char_ids):
            likeness = rng.random() < LIKENESS_SHARE
            if likeness:
                owner = -1 - rng.randrange(n_creators)
                name = self.creator_names[-1 - owner]
                holder = name
                franchise = ""
            else:
                owner = i % n_orgs
                name = self._name()
                holder = self.org_names[owner]
                franchise = rng.choice(self.org_franchises[owner])
            while (owner, name) in used_names:
                name = f"{name} {rng.randrange(2, 99)}"
            used_names.add((owner, name))
            self.char_owner.append(owner)
            self.char_names.append(name)
            self.rightsholder.append(holder)
            created = EPOCH + SPAN * (i / n) / 3
            org_id = None if likeness else self.org_ids[owner]
            user_id = self.creator_ids[-1 - owner] if likeness else None
            description = f"{name} {rng.choice(SCENES)}."
            char_rows.append(
                (
                    pk,
                    created,
                    created,
                    "likeness" if likeness else "character",
                    org_id,
                    user_id,
                    name,
                    description,
                    franchise,
                    False,
                    "active",
                    created if likeness else None,
                )
            )
            given = name.split()[0]
            kana = "".join(rng.choice(KANA) for _ in range(rng.choice((3, 4, 5))))
            aliases = (given, f"{kana}{i}", f"{rng.choice(WORDS)} {given} {i}")
            for text in aliases:
                alias_rows.append((created, created, pk, text, "normal"))
            template, base = templates[0 if likeness else rng.randrange(len(templates))]
            terms = dict(base, credit_text=holder)
            terms_hash = Terms.from_dict(terms).content_hash()
            self.offer_hash.append(terms_hash)
            self.offer_terms.append(template)
            self.offer_generation_fee.append(terms["per_generation_fee"])
            preset, commercial, fee = template[0], template[1], template[2]
            creator_of_offer = user_id or self.org_owner_ids[owner]
            offer_rows.append(
                (
                    self.offer_ids[i],
                    created,
                    created,
                    pk,
                    self._uuid(),
                    1,
                    "published",
                    f"{name}: {preset.replace('_', ' ')}",
                    preset,
                    terms,
                    terms_hash,
                    commercial,
                    fee,
                    "USD",
                    created,
                    None,
                    creator_of_offer,
                )
            )
        char_fields = ["id", "created_at", "updated_at", "kind", "owner_organization"]
        char_fields += ["owner_user", "name", "description", "franchise", "disallowed", "status"]
        char_fields += ["likeness_attested_at"]
        self.copy(Character, char_fields, char_rows)
        self.copy(
            CharacterAlias, ["created_at", "updated_at", "character", "text", "mode"], alias_rows
        )
        from psycopg.types.json import Jsonb

        offer_fields = ["id", "created_at", "updated_at", "character", "series", "version"]
        offer_fields += ["status", "title", "preset", "terms", "terms_hash", "commercial_use"]
        offer_fields += ["upfront_fee", "currency", "published_at", "ended_at", "created_by"]
        self.offer_series = [row[4] for row in offer_rows]
        self.copy(
            Offer,
            offer_fields,
            ((*row[:9], Jsonb(row[9]), *row[10:]) for row in offer_rows),
        )
        self.check_constraints()

    @staticmethod
    def _template_terms(template: tuple) -> dict:
        _, commercial, fee, bps, model, cap, approval = template
        return {
            "commercial_use": commercial,
            "allowed_actions": ("generate", "remix", "publish"),
            "remix_policy": "same_terms",
            "upfront_fee": fee,
            "rev_share_bps": bps,
            "upstream_model": model,
            "max_stack_bps": cap,
            "approval": approval,
        }

    # -- grants ---------------------------------------------------------------------

    def grants(self) -> None:
        from licensing.models import Grant

        rng, n_chars = self.rng, self.counts["characters"]
        self.grant_ids: list[uuid.UUID] = []
        self.grant_char = array("l")
        self.grant_creator = array("l")
        self.creator_grants: list[tuple[int, ...]] = []
        # Each storyline's character (its cast of one), chosen now so that more creators
        # than average license it: a storyline draws takes from its licensees.
        n_story = min(self.counts["storylines"], n_chars)
        self.counts["storylines"] = n_story
        self.story_chars = rng.sample(range(n_chars), n_story)
        rows = []
        for c, licensee in enumerate(self.creator_ids):
            k = min(rng.choice(GRANTS_PER_CREATOR), n_chars)
            chosen = rng.sample(range(n_chars), k)
            if rng.random() < STORYLINE_GRANT_SHARE:
                extra = self.story_chars[int(n_story * rng.random() ** 2)]
                if extra not in chosen:
                    chosen.append(extra)
            mine = []
            for ch in chosen:
                index = len(self.grant_ids)
                pk = self._uuid()
                self.grant_ids.append(pk)
                self.grant_char.append(ch)
                self.grant_creator.append(c)
                mine.append(index)
                template = self.offer_terms[ch]
                at = EPOCH + SPAN * (c / len(self.creator_ids)) / 2
                rows.append(
                    (
                        pk,
                        at,
                        at,
                        self.offer_ids[ch],
                        self.offer_series[ch],
                        ch,
                        licensee,
                        "active",
                        template[2],
                        template[3],
                        self.offer_generation_fee[ch],
                        at,
                        None,
                        "",
                        "",
                    )
                )
            self.creator_grants.append(tuple(mine))
        fields = ["id", "created_at", "updated_at", "offer", "series", "character", "licensee"]
        fields += ["status", "max_fee", "max_rev_share_bps", "max_generation_fee"]
        fields += ["activated_at", "ended_at"]
        fields += ["end_reason", "revoke_reason"]
        self.copy(
            Grant,
            fields,
            ((*row[:5], self.char_ids[row[5]], *row[6:]) for row in rows),
        )
        self.check_constraints()

    # -- works ----------------------------------------------------------------------

    def _plan_works(self) -> None:
        """Each work's creator, parent and licences (grant indexes, own first)."""
        rng = self.rng
        n, chains = self.counts["works"], self.counts["deep_chains"]
        deep_total = chains * (MAX_DEPTH + 1)
        stride = max(1, n // deep_total)
        self.work_creator = array("l")
        self.work_parent = array("l")
        self.work_depth = bytearray()
        self.work_grants: list[tuple[int, ...]] = []
        self.work_own = bytearray()  # how many of work_grants are the work's own
        chain_tip = [-1] * chains
        deep_used = 0
        creators = len(self.creator_ids)
        for i in range(n):
            parent = -1
            if i % stride == 0 and deep_used < deep_total:
                chain = deep_used % chains
                parent = chain_tip[chain]
                chain_tip[chain] = i
                deep_used += 1
            elif i and rng.random() < REMIX_SHARE:
                candidate = rng.randrange(max(0, i - REMIX_WINDOW), i)
                if self.work_depth[candidate] < MAX_DEPTH:
                    parent = candidate
            creator = rng.randrange(creators)
            mine = self.creator_grants[creator]
            if parent < 0:
                own = rng.sample(mine, min(len(mine), rng.choice((1, 1, 1, 2))))
                inherited: tuple[int, ...] = ()
            else:
                inherited = self.work_grants[parent]
                have = {self.grant_char[g] for g in inherited}
                own = []
                if rng.random() < OWN_CHARACTER_ON_REMIX:
                    fresh = [g for g in mine if self.grant_char[g] not in have]
                    own = fresh[:1]
            if i == 0 and len(own) == 0:
                own = [mine[0]]
            self.work_creator.append(creator)
            self.work_parent.append(parent)
            self.work_depth.append(self.work_depth[parent] + 1 if parent >= 0 else 0)
            self.work_grants.append(tuple(own) + inherited)
            self.work_own.append(len(own))
        if deep_used != deep_total:
            raise RuntimeError("the deep chains were not all laid out")

    def _plan_storylines(self) -> None:
        """Each storyline's opening video and takes, rewriting planned works that are
        originals nobody remixes (so no chain changes): the opening becomes an original
        of the storyline's character by one of its licensees; each take a remix of the
        opening, made within the storyline's dates by a licensee of that character
        (under the storyline's offer), naming it and inheriting the opening's others.
        Storyline 0 gets the most takes (a storyline's share falls as 1 / rank)."""
        import bisect

        rng, n = self.rng, self.counts["works"]
        n_story = self.counts["storylines"]
        has_child = bytearray(n)
        for parent in self.work_parent:
            if parent >= 0:
                has_child[parent] = 1
        free = [i for i in range(n) if self.work_parent[i] < 0 and not has_child[i]]
        used: set[int] = set()
        holders: dict[int, list[int]] = defaultdict(list)  # character -> its grants
        wanted = set(self.story_chars)
        for g, ch in enumerate(self.grant_char):
            if ch in wanted:
                holders[ch].append(g)
        window = max(1, int(n * STORYLINE_DAYS / 365) - 1)
        weights = [1 / (k + 1) for k in range(n_story)]
        share = [int(self.counts["takes"] * w / sum(weights)) for w in weights]
        share[0] += self.counts["takes"] - sum(share)
        self.work_storyline = array("l", [-1]) * n
        self.story_opening: list[int] = []
        carry = 0
        for k, ch in enumerate(self.story_chars):
            if not holders[ch]:
                raise SystemExit("make_data: a storyline's character has no licensee")
            early = [i for i in free[: bisect.bisect_left(free, n // 2)] if i not in used]
            published = [i for i in early if self.work_status[i]]
            if not published:
                raise SystemExit("make_data: no work left to open a storyline with")
            opening = rng.choice(published)
            used.add(opening)
            g = rng.choice(holders[ch])
            self.work_creator[opening] = self.grant_creator[g]
            self.work_grants[opening] = (g,)
            self.work_own[opening] = 1
            self.story_opening.append(opening)
            lo = bisect.bisect_right(free, opening)
            hi = bisect.bisect_right(free, opening + window)
            pool = [i for i in free[lo:hi] if i not in used]
            want = share[k] + carry
            takes = rng.sample(pool, min(want, len(pool)))
            carry = want - len(takes)
            for i in takes:
                used.add(i)
                g = rng.choice(holders[ch])
                self.work_creator[i] = self.grant_creator[g]
                self.work_parent[i] = opening
                self.work_depth[i] = 1
                self.work_grants[i] = (g,)
                self.work_own[i] = 1
                self.work_storyline[i] = k
        if carry:
            raise SystemExit(f"make_data: {carry} takes found no work to be")

    def storylines(self) -> None:
        """The storylines and their casts (after the works, which name them)."""
        from marketplace.models import Storyline, StorylineCharacter

        rows, cast = [], []
        for k, ch in enumerate(self.story_chars):
            pk = self.story_ids[k]
            opening = self.story_opening[k]
            starts = self.work_created(opening)
            ends = starts + timedelta(days=STORYLINE_DAYS, hours=1)
            if k == 0:  # the busiest storyline is still open
                ends = max(ends, self.now + timedelta(days=30))
            status, closed = ("open", None) if ends > self.now else ("closed", ends)
            owner = self.char_owner[ch]
            org = self.org_ids[owner] if owner >= 0 else None
            user = None if owner >= 0 else self.creator_ids[-1 - owner]
            by = self.org_owner_ids[owner] if owner >= 0 else user
            name = self.char_names[ch]
            title = f"{name}: {self.rng.choice(WORDS)} {self.rng.choice(NOUNS)}"[:120]
            premise = f"{name} {SCENES[k % len(SCENES)]}. Your take?"
            rows.append(
                (
                    pk, starts, starts, org, user, by, title, premise, self.work_ids[opening],
                    starts, ends, 15, "none", status, closed,
                )
            )  # fmt: skip
            cast.append((pk, self.char_ids[ch], self.offer_ids[ch]))
        fields = ["id", "created_at", "updated_at", "owner_organization", "owner_user"]
        fields += ["created_by", "title", "premise", "opening", "starts_at", "ends_at"]
        fields += ["max_take_s", "join_policy", "status", "closed_at"]
        self.copy(Storyline, fields, rows)
        self.copy(StorylineCharacter, ["storyline", "character", "offer"], cast)

    def work_created(self, i: int) -> datetime:
        return EPOCH + SPAN / 2 + SPAN / self.counts["works"] * i

    def works(self) -> None:
        from psycopg.types.json import Jsonb

        from marketplace.models import GenerationRequest, Work, WorkLicense

        self._plan_works()
        rng, n = self.rng, self.counts["works"]
        self.work_ids = [self._uuid() for _ in range(n)]
        request_ids = [self._uuid() for _ in range(n)]
        step = SPAN / n
        start = EPOCH + SPAN / 2
        self.work_status = bytearray(1 if rng.random() < 0.98 else 0 for _ in range(n))
        self._plan_storylines()
        self.story_ids = [self._uuid() for _ in range(self.counts["storylines"])]

        def storyline(i: int) -> uuid.UUID | None:
            k = self.work_storyline[i]
            return self.story_ids[k] if k >= 0 else None

        empty = Jsonb({})
        no_reasons = Jsonb([])

        def created(i: int) -> datetime:
            return start + step * i

        def prompt(i: int) -> str:
            own = self.work_grants[i][: self.work_own[i]] or self.work_grants[i][:1]
            names = " and ".join(self.char_names[self.grant_char[g]] for g in own)
            return f"{names} {SCENES[i % len(SCENES)]}"

        prompts = [prompt(i) for i in range(n)]
        req_fields = ["id", "created_at", "updated_at", "creator", "prompt", "parent"]
        req_fields += ["duration_s", "seed", "commercial", "territory", "rating", "backend"]
        req_fields += ["status", "progress", "reason", "reasons", "decision", "effective_terms"]
        req_fields += ["render_output", "render_attempts", "finished_at", "storyline"]
        work_fields = ["id", "created_at", "updated_at", "request", "creator", "parent"]
        work_fields += ["depth", "title", "prompt", "status", "video", "poster", "duration_s"]
        work_fields += ["width", "height", "frame_count", "backend", "manifest", "commercial"]
        work_fields += ["published_at", "storyline"]

        def commercial(i: int) -> bool:
            return all(self.offer_terms[self.grant_char[g]][1] for g in self.work_grants[i])

        def requests():
            for i in range(n):
                at = created(i)
                parent = self.work_parent[i]
                yield (
                    request_ids[i], at, at, self.creator_ids[self.work_creator[i]], prompts[i],
                    self.work_ids[parent] if parent >= 0 else None, 4, i, commercial(i), "",
                    "all_ages", "local", "published", 100, "", no_reasons, None, empty, empty,
                    1, at + timedelta(seconds=30), storyline(i),
                )  # fmt: skip

        def works():
            for i in range(n):
                at = created(i)
                parent = self.work_parent[i]
                pk = self.work_ids[i]
                status = "published" if self.work_status[i] else "delisted"
                yield (
                    pk, at, at, request_ids[i], self.creator_ids[self.work_creator[i]],
                    self.work_ids[parent] if parent >= 0 else None, self.work_depth[i],
                    f"Work {i}", prompts[i], status, f"works/{pk}/video.mp4",
                    f"works/{pk}/poster.jpg", 4.0, 480, 854, 96, "local", empty, commercial(i),
                    at + timedelta(seconds=60), storyline(i),
                )  # fmt: skip

        def named_characters():
            for i in range(n):
                for g in self.work_grants[i][: self.work_own[i]]:
                    yield (request_ids[i], self.char_ids[self.grant_char[g]])

        def licences():
            for i in range(n):
                own = self.work_own[i]
                for position, g in enumerate(self.work_grants[i]):
                    ch = self.grant_char[g]
                    template = self.offer_terms[ch]
                    yield (
                        self.work_ids[i], self.char_ids[ch], self.grant_ids[g],
                        self.offer_ids[ch], self.offer_hash[ch], self.rightsholder[ch],
                        template[3], template[4], position >= own,
                    )  # fmt: skip

        self.copy(GenerationRequest, req_fields, requests())
        self.copy(Work, work_fields, works())
        self.copy(
            GenerationRequest.characters.through,
            ["generationrequest", "character"],
            named_characters(),
        )
        lic_fields = ["work", "character", "grant", "offer", "terms_hash", "rightsholder"]
        lic_fields += ["rev_share_bps", "upstream_model", "inherited"]
        self.copy(WorkLicense, lic_fields, licences())
        self.storylines()
        self.check_constraints()

    # -- social ---------------------------------------------------------------------

    def _skewed_counts(self, items: int, total: int, cap: int) -> array:
        """``total`` spread over ``items`` by a popularity rank (a random order), the
        first ranks getting most; none over ``cap``, an excess passed down the ranks."""
        rng = self.rng
        if total > items * cap:
            raise SystemExit(f"make_data: {total:,} rows do not fit {items:,} x {cap:,}")
        order = list(range(items))
        rng.shuffle(order)
        counts = array("l", [0]) * items
        random = rng.random
        for _ in range(total):
            counts[order[int(items * random() ** SKEW)]] += 1
        carry = 0
        for item in order:
            wanted = counts[item] + carry
            counts[item] = min(wanted, cap)
            carry = wanted - counts[item]
        return counts

    def social(self) -> None:
        """Likes (distinct likers per work), follows (distinct, never oneself; a few
        people follow very many, a few are followed by very many) and comments."""
        from accounts.models import Follow
        from marketplace.models import Comment, Like

        rng, creators = self.rng, len(self.creator_ids)
        published = [i for i in range(self.counts["works"]) if self.work_status[i]]
        day = timedelta(days=1)

        def published_at(i: int) -> datetime:
            return self.work_created(i) + timedelta(seconds=60)

        per_work = self._skewed_counts(len(published), self.counts["likes"], creators)

        def likes():
            for position, i in enumerate(published):
                at = published_at(i)
                for user in rng.sample(range(creators), per_work[position]):
                    yield (self.creator_ids[user], self.work_ids[i], at + day * 30 * rng.random())

        self.copy(Like, ["user", "work", "created_at"], likes())

        per_follower = self._skewed_counts(creators, self.counts["follows"], creators // 2)
        popular = list(range(creators))
        rng.shuffle(popular)

        def follows():
            random = rng.random
            for follower in range(creators):
                chosen: set[int] = set()
                while len(chosen) < per_follower[follower]:
                    if random() < 0.5:
                        followee = popular[int(creators * random() ** SKEW)]
                    else:
                        followee = rng.randrange(creators)
                    if followee != follower:
                        chosen.add(followee)
                for followee in chosen:
                    at = EPOCH + SPAN * random()
                    yield (self.creator_ids[follower], self.creator_ids[followee], at, at)

        self.copy(Follow, ["follower", "followee", "created_at", "updated_at"], follows())

        per_work = self._skewed_counts(len(published), self.counts["comments"], 1_000_000)

        def comments():
            for position, i in enumerate(published):
                at = published_at(i)
                for _ in range(per_work[position]):
                    when = at + day * 30 * rng.random()
                    author = self.creator_ids[rng.randrange(creators)]
                    body = rng.choice(COMMENT_BODIES)
                    yield (self._uuid(), when, when, self.work_ids[i], author, body, "visible", "")

        fields = ["id", "created_at", "updated_at", "work", "author", "body", "status"]
        fields += ["held_reason"]
        self.copy(Comment, fields, comments())
        self.check_constraints()

    def counters(self) -> None:
        """The works' like, remix and comment counters from the rows just copied: one
        UPDATE per counter, the statements ``read_models_rebuild`` reconciles with."""
        from marketplace.services.counters import work_counters_sql

        for sql, params in work_counters_sql():
            self.cursor.execute(sql, params)

    # -- ledger ---------------------------------------------------------------------

    def ledger(self) -> None:
        from psycopg.types.json import Jsonb

        from core.money import Money, allocate
        from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction, RevenueEvent

        rng, target = self.rng, self.counts["entries"]
        table = LedgerAccount._meta.db_table
        self.cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608
        next_account = self.cursor.fetchone()[0] + 1
        accounts: dict[tuple, int] = {}
        published = [i for i in range(self.counts["works"]) if self.work_status[i]]
        remixes = [i for i in published if self.work_parent[i] >= 0]
        currencies = [c for c, _ in CURRENCIES]
        weights = [w for _, w in CURRENCIES]

        @lru_cache(maxsize=200_000)
        def split(amount: int, currency: str, parts: tuple[int, ...]) -> tuple[int, ...]:
            return tuple(m.amount for m in allocate(Money(amount, currency), list(parts)))

        def account(owner: tuple, kind: str, currency: str) -> int:
            key = (owner, kind, currency)
            pk = accounts.get(key)
            if pk is None:
                nonlocal next_account
                pk = accounts[key] = next_account
                next_account += 1
                new_accounts.append((pk, kind, currency, *owner, self.now))
            return pk

        def holder(work: int) -> tuple:
            owner = self.char_owner[self.grant_char[self.work_grants[work][0]]]
            if owner < 0:
                return (self.creator_ids[-1 - owner], None)
            return (None, self.org_ids[owner])

        platform = (None, None)
        left = target
        number = 0
        txn_fields = ["id", "key", "kind", "memo", "meta", "created_at"]
        entry_fields = ["transaction", "account", "amount", "currency", "work_id", "created_at"]
        event_fields = ["id", "kind", "source", "external_id", "work", "grant", "payer"]
        event_fields += ["amount", "currency", "status", "occurred_at", "created_at"]
        event_fields += ["transaction"]
        while left:
            new_accounts: list[tuple] = []
            txns, entries, events = [], [], []
            started = time.perf_counter()
            while left and len(txns) < LEDGER_CHUNK:
                # Sizes of 3, 4 or 5 entries that end exactly on the target.
                if left <= 5:
                    size = left
                elif left <= 8:
                    size = 3
                else:
                    size = rng.choice((3, 4, 4, 5))
                left -= size
                work = rng.choice(remixes if size == 5 and remixes else published)
                currency = rng.choices(currencies, weights)[0]
                kind = "tip" if rng.random() < 0.5 else "ad_revenue"
                amount = rng.choice((100, 200, 500, 1_000, 2_000, 5_000, rng.randint(100, 20_000)))
                creator = self.creator_ids[self.work_creator[work]]
                parties = [(platform, "platform_revenue", PLATFORM_BPS)]
                if size >= 4:
                    parties.append((holder(work), "pending", RIGHTSHOLDER_BPS))
                if size == 5:
                    upstream = self.creator_ids[self.work_creator[self.work_parent[work]]]
                    parties.append(((upstream, None), "pending", UPSTREAM_BPS))
                rest = 10_000 - sum(bps for _, _, bps in parties)
                parties.append(((creator, None), "pending", rest))
                amounts = split(amount, currency, tuple(bps for _, _, bps in parties))
                txn_id, event_id = self._uuid(), self._uuid()
                work_id = self.work_ids[work]
                at = EPOCH + SPAN / 2 + SPAN * rng.random()
                number += 1
                external = f"scale-{number}"
                label = "Tip" if kind == "tip" else "Ad revenue"
                meta = {"event": str(event_id), "escrow": False, "work": str(work_id)}
                txns.append(
                    (
                        txn_id,
                        f"revenue:{event_id}",
                        f"revenue.{kind}",
                        f"{label} import:{external}",
                        Jsonb(meta),
                        at,
                    )
                )
                clearing = account(platform, "stripe_clearing", currency)
                entries.append((txn_id, clearing, -amount, currency, work_id, at))
                for (owner, account_kind, _), part in zip(parties, amounts, strict=True):
                    entries.append(
                        (
                            txn_id,
                            account(owner, account_kind, currency),
                            part,
                            currency,
                            work_id,
                            at,
                        )
                    )
                payer = self.creator_ids[rng.randrange(len(self.creator_ids))]
                events.append(
                    (
                        event_id,
                        kind,
                        "import",
                        external,
                        work_id,
                        None,
                        payer if kind == "tip" else None,
                        amount,
                        currency,
                        "settled",
                        at,
                        at,
                        txn_id,
                    )
                )
            self.seconds[LedgerEntry._meta.db_table] += time.perf_counter() - started
            account_fields = ["id", "kind", "currency", "user", "organization", "created_at"]
            self.copy(LedgerAccount, account_fields, new_accounts)
            self.copy(LedgerTransaction, txn_fields, txns)
            # One statement per chunk of whole transactions: the balance trigger checks
            # every transaction of the chunk when the COPY ends.
            self.copy(LedgerEntry, entry_fields, entries)
            self.copy(RevenueEvent, event_fields, events)
            self.check_constraints()
        self.cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), %s)",
            [max(next_account - 1, 1)],
        )


# The tables the loader writes; their foreign keys are set aside while it writes.
def _loaded_tables() -> list[str]:
    from accounts.models import Follow, Membership, Organization, User
    from licensing.models import Character, CharacterAlias, Grant, Offer
    from marketplace.models import (
        Comment,
        GenerationRequest,
        Like,
        Storyline,
        StorylineCharacter,
        Work,
        WorkLicense,
    )
    from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction, RevenueEvent

    models = [User, Organization, Membership, Character, CharacterAlias, Offer, Grant]
    models += [GenerationRequest, GenerationRequest.characters.through, Work, WorkLicense]
    models += [Storyline, StorylineCharacter, Like, Follow, Comment]
    models += [LedgerAccount, LedgerTransaction, LedgerEntry, RevenueEvent]
    return [m._meta.db_table for m in models]


def _set_foreign_keys_aside(cursor, tables: list[str]) -> list[tuple[str, str, str]]:
    """Drop the foreign keys of ``tables`` and of every table pointing at them, returning
    their definitions. Checked row by row, they cost more than the rest of the load
    together (each check locks the referenced row); re-added and validated at the end
    they cost one set-based query each, and promise the same."""
    cursor.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)"
        "  FROM pg_constraint c"
        " WHERE c.contype = 'f'"
        "   AND (c.conrelid::regclass::text = ANY(%s) OR c.confrelid::regclass::text = ANY(%s))",
        [tables, tables],
    )
    keys = cursor.fetchall()
    for table, name, _ in keys:
        cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    return keys


def _set_search_indexes_aside(cursor, tables: list[str]) -> list[str]:
    """Drop the GIN (trigram) indexes of ``tables``, returning their definitions. They
    merge every new row's trigrams at write time (``fastupdate = off``, see
    licensing/migrations/0002), which would slow the catalog's load several times over;
    built once from the loaded rows they take seconds, and end the same."""
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)"
        "  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        "  JOIN pg_am a ON a.oid = c.relam"
        " WHERE a.amname = 'gin' AND i.indrelid::regclass::text = ANY(%s)",
        [tables],
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _, definition in indexes]


def _restore_foreign_keys(cursor, keys: list[tuple[str, str, str]]) -> None:
    """Re-add each foreign key as it was, and validate it against every row."""
    for table, name, definition in keys:
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition} NOT VALID')
        cursor.execute(f'ALTER TABLE "{table}" VALIDATE CONSTRAINT "{name}"')


def load(*, scale: float, seed: int = 7, analyze: bool = True) -> Loader:
    """Write the whole data set in one database transaction; returns the loader with
    its per-table row counts and seconds."""
    from django.db import connection, transaction

    counts = scaled(scale)
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own cursor, for copy()
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        tables = _loaded_tables()
        keys = _set_foreign_keys_aside(cursor, tables)
        indexes = _set_search_indexes_aside(cursor, tables)
        loader = Loader(cursor, counts, seed)
        phases = (
            loader.people,
            loader.catalog,
            loader.grants,
            loader.works,
            loader.social,
            loader.counters,
        )
        for phase in (*phases, loader.ledger):
            started = time.perf_counter()
            phase()
            _say(f"  {phase.__name__:<8} done in {time.perf_counter() - started:6.1f} s")
        started = time.perf_counter()
        _restore_foreign_keys(cursor, keys)
        took = loader.seconds["(foreign keys re-added and validated)"] = (
            time.perf_counter() - started
        )
        _say(f"  {len(keys)} foreign keys re-added and validated in {took:.1f} s")
        started = time.perf_counter()
        for definition in indexes:
            cursor.execute(definition)
        took = loader.seconds["(search indexes rebuilt)"] = time.perf_counter() - started
        _say(f"  {len(indexes)} search indexes rebuilt in {took:.1f} s")
        if analyze:
            started = time.perf_counter()
            cursor.execute("ANALYZE")
            loader.seconds["(analyze)"] = time.perf_counter() - started
    return loader


STORYLINE_CHECKS = (
    (
        "each take's storyline is open when the take is made",
        "SELECT count(*) FROM marketplace_work w"
        "  JOIN marketplace_storyline s ON s.id = w.storyline_id"
        " WHERE NOT (w.created_at >= s.starts_at AND w.created_at < s.ends_at"
        "            AND (s.closed_at IS NULL OR w.created_at < s.closed_at))",
    ),
    (
        "each take remixes its storyline's opening, as its request says",
        "SELECT count(*) FROM marketplace_work w"
        "  JOIN marketplace_storyline s ON s.id = w.storyline_id"
        "  JOIN marketplace_generationrequest r ON r.id = w.request_id"
        " WHERE w.parent_id IS DISTINCT FROM s.opening_id"
        "    OR r.storyline_id IS DISTINCT FROM w.storyline_id"
        "    OR r.parent_id IS DISTINCT FROM s.opening_id",
    ),
    (
        "each take licenses a cast character under the cast's offer, by its creator",
        "SELECT count(*) FROM marketplace_work w WHERE w.storyline_id IS NOT NULL"
        "   AND NOT EXISTS (SELECT 1 FROM marketplace_worklicense l"
        "        JOIN licensing_grant g ON g.id = l.grant_id"
        "        JOIN marketplace_storylinecharacter c"
        "          ON c.storyline_id = w.storyline_id AND c.character_id = l.character_id"
        "        JOIN licensing_offer o ON o.id = c.offer_id"
        "       WHERE l.work_id = w.id AND NOT l.inherited"
        "         AND g.licensee_id = w.creator_id AND g.series = o.series)",
    ),
)


COUNTER_CHECKS = (
    (
        "each work's counters equal its likes, published remixes and visible comments",
        "SELECT count(*) FROM marketplace_work w"
        "  LEFT JOIN (SELECT work_id, count(*) AS n FROM marketplace_like"
        "             GROUP BY work_id) l ON l.work_id = w.id"
        "  LEFT JOIN (SELECT parent_id, count(*) AS n FROM marketplace_work"
        "             WHERE status = 'published' AND parent_id IS NOT NULL"
        "             GROUP BY parent_id) r ON r.parent_id = w.id"
        "  LEFT JOIN (SELECT work_id, count(*) AS n FROM marketplace_comment"
        "             WHERE status = 'visible' GROUP BY work_id) c ON c.work_id = w.id"
        " WHERE w.like_count <> COALESCE(l.n, 0) OR w.remix_count <> COALESCE(r.n, 0)"
        "    OR w.comment_count <> COALESCE(c.n, 0)",
    ),
)


def checks(
    *, read_models: bool = True, counts: dict[str, int] | None = None
) -> list[tuple[str, bool, str]]:
    """What the data set promises, read back from the database."""
    from django.db import connection
    from django.db.models import F, Max

    from marketplace import selectors
    from marketplace.models import Work
    from payments.models import LedgerEntry

    results = []
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT count(*) FROM (SELECT 1 FROM "{LedgerEntry._meta.db_table}" '  # noqa: S608
            "GROUP BY transaction_id, currency HAVING SUM(amount) <> 0) AS unbalanced"
        )
        unbalanced = cursor.fetchone()[0]
        for label, sql in (*STORYLINE_CHECKS, *COUNTER_CHECKS):
            cursor.execute(sql)
            wrong = cursor.fetchone()[0]
            results.append((label, wrong == 0, f"{wrong:,} not" if wrong else ""))
    results.append(("every transaction sums to zero per currency", unbalanced == 0, ""))
    if counts is not None:
        from accounts.models import Follow
        from marketplace.models import Comment, Like, Storyline

        loaded = {
            "storylines": Storyline.objects.count(),
            "takes": Work.objects.filter(storyline__isnull=False).count(),
            "likes": Like.objects.count(),
            "follows": Follow.objects.count(),
            "comments": Comment.objects.count(),
        }
        for name, n in loaded.items():
            results.append((f"{counts[name]:,} {name}", n == counts[name], f"{n:,}"))
    deepest = Work.objects.aggregate(depth=Max("depth"))["depth"]
    tail = Work.objects.filter(depth=deepest).order_by("id").first()
    ancestors = selectors.work_ancestors(work=tail) if tail else []
    walked = len(ancestors)
    from licensing.models import CatalogDocument, Character
    from marketplace.models import FeedEntry

    if read_models:
        listed = (
            Character.objects.filter(status="active", disallowed=False, offers__status="published")
            .distinct()
            .count()
        )
        documents = CatalogDocument.objects.count()
        results.append(
            ("a catalog document per listed character", documents == listed, f"{documents:,}")
        )
        published = Work.objects.filter(status="published").count()
        entries = FeedEntry.objects.count()
        results.append(("a feed entry per published work", entries == published, f"{entries:,}"))
        # The Following tab reads the entries by creator: each must name its work's.
        astray = FeedEntry.objects.exclude(creator_id=F("work__creator_id")).count()
        results.append(("each feed entry names its work's creator", astray == 0, f"{astray:,} not"))
    results.append(
        (
            f"the deepest chain reaches depth {MAX_DEPTH}",
            deepest == MAX_DEPTH and walked == MAX_DEPTH and ancestors[-1].parent_id is None,
            f"max depth {deepest}; {walked} ancestors walked from {tail.pk if tail else '-'}",
        )
    )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = the full set")
    parser.add_argument("--database", help="a postgres:// URL (default: $DATABASE_URL)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--flush", action="store_true", help="empty the database first")
    parser.add_argument(
        "--no-read-models",
        action="store_true",
        help="leave the read models empty (run manage.py read_models_rebuild later)",
    )
    args = parser.parse_args(argv)
    if args.database:
        os.environ["DATABASE_URL"] = args.database
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        raise SystemExit("make_data: needs a PostgreSQL database: --database postgres://...")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if User.objects.exists():
        if not args.flush:
            raise SystemExit(
                "make_data: the database already holds users; use an empty one "
                "(createdb cocreate_scale) or pass --flush to empty it first"
            )
        call_command("flush", interactive=False, verbosity=0)
    counts = scaled(args.scale)
    _say(f"make_data: scale {args.scale} into {connection.settings_dict['NAME']}")
    loaded = load(scale=args.scale, seed=args.seed)
    rebuilt = time.perf_counter()
    if not args.no_read_models:
        # The read models (the catalog's documents, the feed's entries) from the rows.
        call_command("read_models_rebuild")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE licensing_catalogdocument, marketplace_feedentry")
    loaded.seconds["(read models rebuilt)"] = time.perf_counter() - rebuilt
    total = time.perf_counter() - started
    _say(f"{'table':<42} {'rows':>12} {'seconds':>9}")
    for table in sorted(loaded.rows, key=lambda t: -loaded.rows[t]):
        _say(f"{table:<42} {loaded.rows[table]:>12,} {loaded.seconds[table]:>9.1f}")
    for step in (
        "(foreign keys re-added and validated)",
        "(search indexes rebuilt)",
        "(analyze)",
        "(read models rebuilt)",
    ):
        _say(f"{step:<42} {'':>12} {loaded.seconds[step]:>9.1f}")
    ok = True
    for label, passed, detail in checks(read_models=not args.no_read_models, counts=counts):
        ok &= passed
        _say(f"check: {label}: {'ok' if passed else 'FAILED'}{f' ({detail})' if detail else ''}")
    expected = {"characters": counts["characters"], "works": counts["works"]}
    _say(f"targets: {expected | {'entries': counts['entries'], 'aliases': counts['aliases']}}")
    _say(
        f"total {total:.1f} s (migrate, load, analyze, read models); "
        f"checks {'ok' if ok else 'FAILED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
