"""The license term schema (DESIGN.md "License terms"), as one immutable value.

``Terms`` is what an offer version freezes. It is stored as canonical JSON, hashed for
the version key, rendered as plain language (``licensing.summary``) and as ODRL
(``licensing.odrl``), and read by the policy engine. ``validate_terms`` refuses
contradictions with errors keyed by field name.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pycountry
from django.utils.dateparse import parse_datetime

AUDIENCES = ("self", "approved", "followers", "mutuals", "public")
APPROVALS = ("none", "per_licensee", "per_work")
ACTIONS = ("generate", "remix", "publish", "export")
REMIX_POLICIES = ("none", "same_terms")
CATEGORIES = (
    "violence",
    "sexual",
    "hate",
    "politics",
    "drugs_weapons",
    "alcohol",
    "defamation",
)
# Ordered from mildest to strongest; a request's rating must not exceed max_rating.
RATINGS = ("all_ages", "teen", "mature")
TERRITORY_MODES = ("allow", "block")
UPSTREAM_MODELS = ("absolute", "relative")
AI_TRAINING = ("allowed", "not_allowed")
ON_REVOKE = ("keep", "delist", "delete")
BPS_MAX = 10_000
# The most an offer may ask, in minor units; what a creator agrees to pay is bounded alike.
UPFRONT_FEE_MAX = 100_000_000
PER_GENERATION_FEE_MAX = 10_000_000


@dataclass(frozen=True)
class Terms:
    """Every term of an offer version. Money is in integer minor units of ``currency``;
    shares are basis points (1/100 of a percent)."""

    audience: str = "public"
    audience_allowlist: tuple[str, ...] = ()  # user ids always admitted
    approval: str = "none"
    approval_deadline_hours: int = 72  # per-work review; unreviewed by then = denied
    commercial_use: bool = False
    allowed_actions: tuple[str, ...] = ("generate", "publish")
    remix_policy: str = "none"
    attribution_required: bool = True
    credit_text: str = ""
    banned_categories: tuple[str, ...] = ()
    banned_words: tuple[str, ...] = ()
    banned_costars: tuple[str, ...] = ()  # character ids
    max_rating: str = "teen"
    territory_mode: str = "block"
    territories: tuple[str, ...] = ()  # ISO 3166-1 alpha-2; empty block-list = worldwide
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    termination_notice_days: int = 30
    # Caps (None: no cap), counted under a lock on the character (licensing/services/caps.py):
    # generations the policy check allowed under one grant;
    max_generations_per_licensee: int | None = None
    # live grants (waiting for payment or approval, or active) of the offer's series;
    max_licensees: int | None = None
    # works of the series waiting for approval, published or delisted, by every licensee
    # (at the check, allowed generations still rendering or signing count too).
    max_works: int | None = None
    currency: str = "USD"
    upfront_fee: int = 0
    per_generation_fee: int = 0
    rev_share_bps: int = 0
    upstream_model: str = "absolute"
    max_stack_bps: int = 5_000
    transferable: bool = False
    sublicensable: bool = False
    ai_training: str = "not_allowed"
    on_revoke: str = "keep"
    grace_days: int = 14

    # --- serialisation -------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with sorted lists and ISO datetimes: the canonical form."""
        data: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = sorted(value) if f.name != "allowed_actions" else _ordered_actions(value)
            elif isinstance(value, datetime):
                value = value.isoformat()
            data[f.name] = value
        return data

    def canonical_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def content_hash(self) -> str:
        """sha256 of the canonical JSON: the identity of a published version."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Terms:
        """Build from stored or submitted data. Unknown keys are refused by
        ``validate_terms``; here they are ignored so old rows always load."""
        names = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in names:
                continue
            if key in ("starts_at", "ends_at") and isinstance(value, str):
                value = parse_datetime(value) if value else None
            elif isinstance(value, list):
                value = tuple(value)
            kwargs[key] = value
        return cls(**kwargs)

    def replace(self, **changes: Any) -> Terms:
        return dataclasses.replace(self, **changes)

    # --- small derived facts ----------------------------------------------------------

    @property
    def allows_remix(self) -> bool:
        return "remix" in self.allowed_actions

    @property
    def has_fees(self) -> bool:
        return self.upfront_fee > 0


def _ordered_actions(actions: tuple[str, ...]) -> list[str]:
    return [a for a in ACTIONS if a in actions] + sorted(a for a in actions if a not in ACTIONS)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_terms(data: dict[str, Any]) -> dict[str, list[str]]:
    """Every problem with the submitted terms, keyed by field; empty when valid.

    Refuses unknown fields, wrong types, values outside each vocabulary, and
    contradictions between fields (a remix policy without the remix action, an end
    before the start, a share above 100%, and so on)."""
    check = _TermsCheck(data)
    check.known_fields()
    check.vocabularies()
    check.numbers_and_flags()
    check.currency()
    check.territories()
    check.window()
    check.contradictions()
    return check.errors


class _TermsCheck:
    """One validation of submitted terms, step by step, collecting every problem."""

    KNOWN = frozenset(f.name for f in dataclasses.fields(Terms))

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def known_fields(self) -> None:
        for key in self.data:
            if key not in self.KNOWN:
                self.add(key, f"Unknown term {key!r}.")

    def _choice(self, name: str, options: tuple[str, ...]) -> None:
        if name in self.data and self.data[name] not in options:
            self.add(name, f"Must be one of: {', '.join(options)}.")

    def _many(self, name: str, options: tuple[str, ...] | None = None) -> None:
        if name not in self.data:
            return
        value = self.data[name]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            self.add(name, "Must be a list of strings.")
            return
        if options is not None:
            unknown = sorted(set(value) - set(options))
            if unknown:
                self.add(
                    name, f"Unknown value(s): {', '.join(unknown)}. Allowed: {', '.join(options)}."
                )

    def _integer(
        self, name: str, low: int = 0, high: int | None = None, nullable: bool = False
    ) -> None:
        if name not in self.data:
            return
        value = self.data[name]
        if value is None and nullable:
            return
        if not _is_int(value):
            self.add(name, "Must be a whole number.")
        elif value < low or (high is not None and value > high):
            self.add(
                name,
                f"Must be between {low} and {high}."
                if high is not None
                else f"Must be at least {low}.",
            )

    def vocabularies(self) -> None:
        self._choice("audience", AUDIENCES)
        self._choice("approval", APPROVALS)
        self._choice("remix_policy", REMIX_POLICIES)
        self._choice("max_rating", RATINGS)
        self._choice("territory_mode", TERRITORY_MODES)
        self._choice("upstream_model", UPSTREAM_MODELS)
        self._choice("ai_training", AI_TRAINING)
        self._choice("on_revoke", ON_REVOKE)
        self._many("audience_allowlist")
        self._many("allowed_actions", ACTIONS)
        self._many("banned_categories", CATEGORIES)
        self._many("banned_words")
        self._many("banned_costars")
        self._many("territories")

    def numbers_and_flags(self) -> None:
        for name in ("commercial_use", "attribution_required", "transferable", "sublicensable"):
            if name in self.data and not isinstance(self.data[name], bool):
                self.add(name, "Must be true or false.")
        self._integer("approval_deadline_hours", 1, 24 * 30)
        self._integer("termination_notice_days", 0, 365)
        self._integer("grace_days", 0, 365)
        for name in ("max_generations_per_licensee", "max_licensees", "max_works"):
            self._integer(name, 1, nullable=True)
        self._integer("upfront_fee", 0, UPFRONT_FEE_MAX)
        self._integer("per_generation_fee", 0, PER_GENERATION_FEE_MAX)
        self._integer("rev_share_bps", 0, BPS_MAX)
        self._integer("max_stack_bps", 0, BPS_MAX)
        if "credit_text" in self.data and not isinstance(self.data["credit_text"], str):
            self.add("credit_text", "Must be text.")

    def currency(self) -> None:
        if "currency" not in self.data:
            return
        code = self.data["currency"]
        if not isinstance(code, str) or pycountry.currencies.get(alpha_3=code.upper()) is None:
            self.add("currency", f"{code!r} is not an ISO 4217 currency code.")
        elif code != code.upper():
            self.add("currency", "Use the upper-case ISO 4217 code, e.g. USD or JPY.")

    def territories(self) -> None:
        if not isinstance(self.data.get("territories"), list | tuple):
            return
        bad = [
            code
            for code in self.data["territories"]
            if not isinstance(code, str)
            or len(code) != 2
            or code != code.upper()
            or pycountry.countries.get(alpha_2=code) is None
        ]
        if bad:
            self.add(
                "territories", f"Unknown ISO 3166 territory code(s): {', '.join(map(str, bad))}."
            )

    def window(self) -> None:
        dates: dict[str, datetime | None] = {}
        for name in ("starts_at", "ends_at"):
            value = self.data.get(name)
            if value in (None, ""):
                dates[name] = None
            elif isinstance(value, datetime):
                dates[name] = value
            elif isinstance(value, str) and parse_datetime(value) is not None:
                dates[name] = parse_datetime(value)
            else:
                self.add(name, "Must be an ISO 8601 date and time.")
        start, end = dates.get("starts_at"), dates.get("ends_at")
        if start and end:
            if (start.tzinfo is None) != (end.tzinfo is None):
                self.add("ends_at", "Give both times with a time zone, or neither.")
            elif end <= start:
                self.add("ends_at", "The end must be after the start.")

    def contradictions(self) -> None:
        """Between fields, judged on the fields that are valid on their own."""
        valid = {k: v for k, v in self.data.items() if k not in self.errors and k in self.KNOWN}
        terms = Terms.from_dict(valid)
        if terms.remix_policy != "none" and "remix" not in terms.allowed_actions:
            self.add("remix_policy", "A remix policy needs 'remix' among the allowed actions.")
        if "publish" not in terms.allowed_actions and "export" in terms.allowed_actions:
            self.add(
                "allowed_actions",
                "'export' needs 'publish': an unpublished video cannot be exported.",
            )
        if not terms.allowed_actions:
            self.add("allowed_actions", "Allow at least one action, or end the offer instead.")
        if terms.attribution_required and not terms.credit_text.strip():
            self.add("credit_text", "Give the credit text that attribution requires.")
        if terms.rev_share_bps > terms.max_stack_bps:
            self.add(
                "max_stack_bps", "The stack cap cannot be below this offer's own revenue share."
            )
        if terms.audience == "self" and terms.audience_allowlist:
            self.add("audience_allowlist", "An offer for yourself only cannot have an allowlist.")
        if terms.territory_mode == "allow" and not terms.territories:
            self.add("territories", "An allow-list needs at least one territory.")
        if terms.sublicensable and not terms.transferable and terms.audience == "self":
            self.add("sublicensable", "A licence for yourself only cannot be sublicensed.")


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    description: str
    terms: dict[str, Any] = field(default_factory=dict)


# Like PIL's "flavors": starting points that prefill the offer editor.
PRESETS: tuple[Preset, ...] = (
    Preset(
        "non_commercial_remix",
        "Non-commercial remix",
        "Anyone may generate and remix for free, in non-commercial videos, with credit.",
        {
            "audience": "public",
            "commercial_use": False,
            "allowed_actions": ["generate", "remix", "publish"],
            "remix_policy": "same_terms",
            "attribution_required": True,
            "banned_categories": ["sexual", "hate", "politics"],
            "rev_share_bps": 0,
        },
    ),
    Preset(
        "commercial_use",
        "Commercial use",
        "Paid licence to generate and publish commercially; no remixes of the output.",
        {
            "audience": "public",
            "commercial_use": True,
            "allowed_actions": ["generate", "publish", "export"],
            "remix_policy": "none",
            "attribution_required": True,
            "banned_categories": ["sexual", "hate", "defamation"],
            "upfront_fee": 2_000,
            "per_generation_fee": 50,
            "rev_share_bps": 1_000,
        },
    ),
    Preset(
        "commercial_remix",
        "Commercial remix",
        "Commercial generation and remixing; the rightsholder shares every descendant's revenue.",
        {
            "audience": "public",
            "commercial_use": True,
            "allowed_actions": ["generate", "remix", "publish"],
            "remix_policy": "same_terms",
            "attribution_required": True,
            "banned_categories": ["sexual", "hate"],
            "rev_share_bps": 1_500,
            "upstream_model": "absolute",
            "max_stack_bps": 5_000,
        },
    ),
    Preset(
        "likeness_approved",
        "Likeness: people I approve",
        "Only people you approve may use your likeness, and you review every video first.",
        {
            "audience": "approved",
            "approval": "per_work",
            "commercial_use": False,
            "allowed_actions": ["generate", "publish"],
            "remix_policy": "none",
            "attribution_required": True,
            "banned_categories": ["violence", "sexual", "hate", "politics", "defamation"],
            "max_rating": "all_ages",
            "on_revoke": "delete",
            "grace_days": 0,
        },
    ),
)
PRESETS_BY_KEY = {preset.key: preset for preset in PRESETS}


def preset_terms(key: str, *, credit_text: str) -> Terms:
    """The preset's terms over the defaults, crediting ``credit_text``."""
    return Terms.from_dict({**PRESETS_BY_KEY[key].terms, "credit_text": credit_text})
