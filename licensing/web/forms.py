"""Web forms for the rightsholder dashboard and the creator's accept flow. They parse
and shape input; the services validate the terms and decide."""

from decimal import Decimal

import pycountry
from django import forms

from core.money import currency_exponent, format_minor, minor_to_major, percent_from_bps
from licensing.enums import AliasMode, CharacterKind, CharacterStatus, LookalikeAction
from licensing.terms import (
    ACTIONS,
    AI_TRAINING,
    APPROVALS,
    AUDIENCES,
    BPS_MAX,
    CATEGORIES,
    ON_REVOKE,
    PER_GENERATION_FEE_MAX,
    PRESETS,
    RATINGS,
    REMIX_POLICIES,
    UPFRONT_FEE_MAX,
    UPSTREAM_MODELS,
    Terms,
)


def is_currency(code: str) -> bool:
    return len(code) == 3 and pycountry.currencies.get(alpha_3=code) is not None


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, v.replace("_", " ").capitalize()) for v in values]


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


DESCRIPTION_HELP = (
    "What makes it recognisable, in English: how it looks, what it wears, what it does. "
    "Every prompt is compared with it by meaning, so a creator who describes it without "
    "naming it is noticed."
)
DISALLOWED_LABEL = "Refuse all generations of this character"
DISALLOWED_HELP = (
    "No one may make videos of it, licensed or not, and it leaves the catalog; its names "
    "still screen every prompt."
)
STATUS_LABELS = {
    CharacterStatus.DRAFT: "Draft: only you see it, until its owner is verified",
    CharacterStatus.ACTIVE: "Active: in the catalog; licensed creators may use it",
    CharacterStatus.SUSPENDED: "Paused: out of the catalog, no new videos for now",
    CharacterStatus.ARCHIVED: "Archived: retired, no new videos",
}
LOOKALIKE_LABEL = "A prompt that describes it without naming it"
LOOKALIKE_HELP = (
    "Creators who hold a licence for it are never stopped. While you refuse all "
    "generations of it, its lookalikes are always refused."
)


class CharacterForm(forms.Form):
    owner = forms.ChoiceField(label="Owner", help_text="One of your organizations, or yourself.")
    name = forms.CharField(max_length=120)
    aliases = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, any script. Add '| exact' for exact case only (e.g. Link | exact) "
        "or '| review' to flag instead of refusing.",
    )
    franchise = forms.CharField(max_length=120, required=False)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=DESCRIPTION_HELP,
    )
    lookalike_action = forms.ChoiceField(
        label=LOOKALIKE_LABEL,
        choices=LookalikeAction.choices,
        initial=LookalikeAction.REVIEW,
        required=False,
        help_text=LOOKALIKE_HELP,
    )
    disallowed = forms.BooleanField(
        required=False, label=DISALLOWED_LABEL, help_text=DISALLOWED_HELP
    )
    likeness_attested = forms.BooleanField(
        required=False,
        label="This likeness is me, and I have the right to license it.",
        help_text="Only for your own likeness.",
    )
    image = forms.ImageField(required=False, help_text="PNG, JPEG or WebP; at most 10 MB, 4096 px.")

    def __init__(self, *args, owners: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = owners

    def clean_lookalike_action(self) -> str:
        return self.cleaned_data.get("lookalike_action") or LookalikeAction.REVIEW

    def clean_aliases(self) -> list[tuple[str, str]]:
        return parse_aliases(self.cleaned_data.get("aliases", ""))


def parse_aliases(text: str) -> list[tuple[str, str]]:
    modes = {
        "exact": AliasMode.EXACT_CASE,
        "exact_case": AliasMode.EXACT_CASE,
        "review": AliasMode.REVIEW,
    }
    aliases = []
    for line in text.splitlines():
        if not line.strip():
            continue
        text_part, _, mode = line.partition("|")
        mode = mode.strip().lower()
        if mode and mode not in modes:
            raise forms.ValidationError(f"Unknown alias mode '{mode}': use exact or review.")
        aliases.append((text_part.strip(), modes.get(mode, AliasMode.NORMAL)))
    return aliases


def format_aliases(aliases) -> str:
    suffix = {AliasMode.EXACT_CASE: " | exact", AliasMode.REVIEW: " | review"}
    return "\n".join(f"{a.text}{suffix.get(a.mode, '')}" for a in aliases)


class CharacterEditForm(forms.Form):
    name = forms.CharField(max_length=120)
    aliases = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=CharacterForm.base_fields["aliases"].help_text,
    )
    franchise = forms.CharField(max_length=120, required=False)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text=DESCRIPTION_HELP
    )
    lookalike_action = forms.ChoiceField(
        label=LOOKALIKE_LABEL,
        choices=LookalikeAction.choices,
        required=False,
        help_text=LOOKALIKE_HELP,
    )
    status = forms.ChoiceField(
        label="Availability", choices=[(s.value, STATUS_LABELS[s]) for s in CharacterStatus]
    )
    disallowed = forms.BooleanField(
        required=False, label=DISALLOWED_LABEL, help_text=DISALLOWED_HELP
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.initial.get("status") != CharacterStatus.DRAFT:
            # Only verification makes a draft; an owner cannot choose it.
            self.fields["status"].choices = [
                c for c in self.fields["status"].choices if c[0] != CharacterStatus.DRAFT
            ]

    def clean_aliases(self) -> list[tuple[str, str]]:
        return parse_aliases(self.cleaned_data.get("aliases", ""))

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if not cleaned.get("lookalike_action"):
            cleaned.pop("lookalike_action", None)  # not sent: left as it is
        return cleaned


class ImageForm(forms.Form):
    image = forms.ImageField(help_text="PNG, JPEG or WebP; at most 10 MB, 4096 px.")


class ConsentVideoForm(forms.Form):
    """The fallback without JavaScript: a video file (a phone opens its front camera)."""

    challenge_id = forms.UUIDField(widget=forms.HiddenInput)
    video = forms.FileField(
        label="Your video",
        help_text="Read the phrase aloud, facing the camera: 2 to 30 seconds, at most 30 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "video/*", "capture": "user"}),
    )


class ConsentReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required to reject: the person reads it.",
    )


RECOMMENDED_PRESET = "non_commercial_remix"


def recommended_preset(kind: str) -> str:
    """The preset the character page suggests first: a person's likeness starts with
    the one that lets only the people they approve use it."""
    return "likeness_approved" if kind == CharacterKind.LIKENESS else RECOMMENDED_PRESET


class NewOfferForm(forms.Form):
    preset = forms.ChoiceField(
        choices=[(p.key, p.label) for p in PRESETS] + [("", "Start from scratch")],
        required=False,
    )

    def __init__(self, *args, kind: str = CharacterKind.CHARACTER, **kwargs):
        super().__init__(*args, **kwargs)
        recommended = recommended_preset(kind)
        self.fields["preset"].initial = recommended
        self.fields["preset"].choices = [
            (key, f"{label} (recommended)" if key == recommended else label)
            for key, label in self.fields["preset"].choices
        ]


class MajorUnitsField(forms.DecimalField):
    """An amount typed in the offer's currency ("20.00", "500"); ``OfferTermsForm``
    turns it into minor units once it knows the currency."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    default_error_messages = {
        "invalid": "Enter an amount with a point for decimals, e.g. 20.00 (no thousands "
        "separators).",
        "min_value": "A fee cannot be negative: 0 is free.",
    }

    def __init__(self, **kwargs):
        super().__init__(min_value=0, max_digits=15, **kwargs)


class PercentField(forms.DecimalField):
    """A percentage typed as people write it ("15", "12.5"); stored as basis points."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    default_error_messages = {
        "invalid": "Enter a percentage as a number, e.g. 15 or 12.5.",
        "min_value": "A percentage cannot be negative.",
        "max_value": "A percentage cannot be above 100.",
        "max_decimal_places": "Use at most two decimals, e.g. 12.5 or 12.25.",
        "max_digits": "Enter a percentage from 0 to 100.",
    }

    def __init__(self, **kwargs):
        super().__init__(min_value=0, max_value=100, max_digits=5, decimal_places=2, **kwargs)

    def to_python(self, value):
        # "15%" is how people write it.
        if isinstance(value, str):
            value = value.strip().removesuffix("%").rstrip()
        return super().to_python(value)


def to_minor(amount: Decimal, currency: str, *, most: int) -> int:
    """``amount`` major units as minor units of ``currency``, refused with a sentence a
    person can act on when the currency has no such fraction or it is too much."""
    exponent = currency_exponent(currency)
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        if exponent == 0:
            raise forms.ValidationError(
                f"{currency} has no smaller unit: enter a whole amount, e.g. 500."
            )
        raise forms.ValidationError(
            f"{currency} has {exponent} decimals at most, e.g. {minor_to_major(2050, currency)}."
        )
    if minor > most:
        raise forms.ValidationError(f"At most {format_minor(most, currency)}.")
    return int(minor)


def to_major_text(amount: int, currency: str) -> str:
    """Minor units as the editor shows them back: "20.00" (USD), "500" (JPY)."""
    return str(minor_to_major(amount, currency))


# Money fields: the most each may ask, in minor units. Percent fields: the term each sets.
MONEY_FIELDS = {"upfront_fee": UPFRONT_FEE_MAX, "per_generation_fee": PER_GENERATION_FEE_MAX}
PERCENT_FIELDS = {"rev_share_percent": "rev_share_bps", "max_stack_percent": "max_stack_bps"}

AUDIENCE_LABELS = {
    "public": "Anyone",
    "approved": "Only people I approve",
    "followers": "My followers",
    "mutuals": "People I follow who follow me back",
    "self": "Only me",
}
APPROVAL_LABELS = {
    "none": "No approval: a creator who accepts may start at once",
    "per_licensee": "I approve each creator before they start",
    "per_work": "I review each video before it is published",
}
REMIX_LABELS = {
    "none": "No condition on remixes",
    "same_terms": "Remixes must carry these same terms",
}
RATING_LABELS = {"all_ages": "All ages", "teen": "Teen", "mature": "Mature"}
UPSTREAM_LABELS = {
    "absolute": "Stays the same however many times a video is remixed",
    "relative": "Shrinks with each remix: a share of the share before it",
}
AI_TRAINING_LABELS = {
    "not_allowed": "Not allowed",
    "allowed": "Allowed",
}
ON_REVOKE_LABELS = {
    "keep": "Their videos stay up",
    "delist": "Their videos leave the feed (still reachable by link)",
    "delete": "Their videos are deleted",
}


def _labelled(values: tuple[str, ...], labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(v, labels.get(v, v.replace("_", " ").capitalize())) for v in values]


class OfferTermsForm(forms.Form):
    """Every term, as a person fills it in: money in the currency's major units,
    shares in percent. ``to_terms`` gives the dict the service validates (minor units,
    basis points); emails and character names are resolved by the view."""

    title = forms.CharField(max_length=120, help_text="Creators see it on the character's page.")
    audience = forms.ChoiceField(
        label="Who may use it", choices=_labelled(AUDIENCES, AUDIENCE_LABELS)
    )
    audience_allowlist = forms.CharField(
        required=False,
        label="Also these people",
        help_text="Email addresses of accounts always admitted, comma-separated.",
    )
    approval = forms.ChoiceField(
        label="Your approval", choices=_labelled(APPROVALS, APPROVAL_LABELS)
    )
    approval_deadline_hours = forms.IntegerField(
        min_value=1,
        max_value=720,
        initial=72,
        label="Hours you have to review a video",
        help_text="When you review each video: one not reviewed in time is refused.",
    )
    commercial_use = forms.BooleanField(
        required=False, label="Allow commercial use (ads, sponsorships, sales)"
    )
    allowed_actions = forms.MultipleChoiceField(
        label="Creators may",
        choices=_choices(ACTIONS),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    remix_policy = forms.ChoiceField(
        label="Remixes", choices=_labelled(REMIX_POLICIES, REMIX_LABELS)
    )
    attribution_required = forms.BooleanField(required=False, label="Require a credit")
    credit_text = forms.CharField(
        max_length=200, required=False, label="Credit", help_text="Shown with every video."
    )
    banned_categories = forms.MultipleChoiceField(
        label="Never in videos about",
        choices=_choices(CATEGORIES),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    banned_words = forms.CharField(
        required=False,
        label="Words a prompt may not use",
        help_text="Comma-separated words or phrases.",
    )
    banned_costars = forms.CharField(
        required=False,
        label="Never alongside",
        help_text="Names of characters that may not appear with it, comma-separated.",
    )
    max_rating = forms.ChoiceField(
        label="Highest content rating", choices=_labelled(RATINGS, RATING_LABELS)
    )
    territory_mode = forms.ChoiceField(
        label="Where", choices=[("block", "Everywhere except"), ("allow", "Only in")]
    )
    territories = forms.CharField(
        required=False, label="Countries", help_text="ISO country codes, e.g. JP, FR."
    )
    starts_at = forms.DateTimeField(
        required=False,
        label="Available from",
        help_text="Empty: as soon as it is published.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ends_at = forms.DateTimeField(
        required=False,
        label="Available until",
        help_text="Empty: no end date.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    termination_notice_days = forms.IntegerField(
        min_value=0,
        max_value=365,
        label="Notice you give before ending the offer (days)",
    )
    max_generations_per_licensee = forms.IntegerField(
        min_value=1, required=False, label="Videos per creator", help_text="Empty: no limit."
    )
    max_licensees = forms.IntegerField(
        min_value=1, required=False, label="Number of creators", help_text="Empty: no limit."
    )
    max_works = forms.IntegerField(
        min_value=1,
        required=False,
        label="Published videos in total",
        help_text="Empty: no limit.",
    )
    currency = forms.CharField(
        max_length=3,
        label="Currency",
        help_text="The three-letter code creators pay in: USD, EUR, GBP, JPY…",
    )
    upfront_fee = MajorUnitsField(
        label="Fee to accept the licence",
        help_text="Paid once, when a creator accepts, e.g. 20.00 (yen: 500). 0 is free.",
    )
    per_generation_fee = MajorUnitsField(
        label="Fee per video",
        help_text="Paid for each video a creator makes with it. 0 is free.",
    )
    rev_share_percent = PercentField(
        label="Your share of each video's earnings (%)",
        help_text="Of the tips and ad revenue its videos earn, e.g. 15 or 12.5.",
    )
    upstream_model = forms.ChoiceField(
        label="Your share when a remix is remixed again",
        choices=_labelled(UPSTREAM_MODELS, UPSTREAM_LABELS),
    )
    max_stack_percent = PercentField(
        label="Most that everyone before the remixer may take together (%)",
        help_text="Rightsholders' and earlier creators' shares of a remix added up; a "
        "remix that would take more is refused. At least your own share.",
    )
    transferable = forms.BooleanField(
        required=False, label="A creator may hand their licence to someone else"
    )
    sublicensable = forms.BooleanField(
        required=False, label="A creator may license it on to others"
    )
    ai_training = forms.ChoiceField(
        label="Using the videos to train AI", choices=_labelled(AI_TRAINING, AI_TRAINING_LABELS)
    )
    on_revoke = forms.ChoiceField(
        label="When a licence ends", choices=_labelled(ON_REVOKE, ON_REVOKE_LABELS)
    )
    grace_days = forms.IntegerField(
        min_value=0,
        max_value=365,
        label="Days a creator keeps a licence after you end it",
    )

    # Terms the validator names, and the field that shows them.
    FIELD_FOR_TERM = {term: name for name, term in PERCENT_FIELDS.items()}

    @classmethod
    def initial_from(
        cls, terms: Terms, *, title: str, emails: list[str], costar_names: list[str]
    ) -> dict:
        data = terms.to_dict()
        for name in MONEY_FIELDS:
            data[name] = to_major_text(data[name], terms.currency)
        for name, term in PERCENT_FIELDS.items():
            data[name] = percent_from_bps(data.pop(term))
        data.update(
            title=title,
            audience_allowlist=", ".join(emails),
            banned_words=", ".join(terms.banned_words),
            banned_costars=", ".join(costar_names),
            territories=", ".join(terms.territories),
            starts_at=terms.starts_at,
            ends_at=terms.ends_at,
        )
        return data

    def clean_currency(self) -> str:
        code = self.cleaned_data["currency"].strip().upper()
        if not is_currency(code):
            raise forms.ValidationError(
                f"{code or 'That'} is not a currency code: use one like USD, EUR or JPY."
            )
        return code

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        currency = cleaned.get("currency")
        for name, most in MONEY_FIELDS.items():
            amount = cleaned.get(name)
            if amount is None or currency is None:
                continue
            try:
                cleaned[name] = to_minor(amount, currency, most=most)
            except forms.ValidationError as error:
                self.add_error(name, error)
        return cleaned

    def list_value(self, name: str) -> list[str]:
        return _split(self.cleaned_data.get(name) or "")

    def to_terms(self, *, allowlist_ids: list[str], costar_ids: list[str]) -> dict:
        data = {
            k: v for k, v in self.cleaned_data.items() if k != "title" and k not in PERCENT_FIELDS
        }
        for name, term in PERCENT_FIELDS.items():
            data[term] = int(self.cleaned_data[name] * 100)
        data.update(
            audience_allowlist=allowlist_ids,
            banned_words=self.list_value("banned_words"),
            banned_costars=costar_ids,
            territories=[c.upper() for c in self.list_value("territories")],
            allowed_actions=list(data["allowed_actions"]),
            banned_categories=list(data["banned_categories"]),
        )
        return data


class AcceptForm(forms.Form):
    """The prices shown with an offer, posted back when the creator accepts it: accepting
    is refused if the current version asks more (price protection)."""

    max_fee = forms.IntegerField(min_value=0, max_value=UPFRONT_FEE_MAX, widget=forms.HiddenInput)
    max_rev_share_bps = forms.IntegerField(min_value=0, max_value=BPS_MAX, widget=forms.HiddenInput)
    # Left out (a page rendered before this field existed) it agrees to no fee per video.
    max_generation_fee = forms.IntegerField(
        min_value=0, max_value=PER_GENERATION_FEE_MAX, required=False, widget=forms.HiddenInput
    )

    def clean_max_generation_fee(self) -> int:
        return self.cleaned_data["max_generation_fee"] or 0


class CatalogFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, alias or franchise"}),
    )
    kind = forms.ChoiceField(
        required=False,
        choices=[("", "Any kind"), ("character", "Characters"), ("likeness", "Likenesses")],
    )
    franchise = forms.CharField(required=False)
    use = forms.ChoiceField(
        required=False,
        label="Use",
        choices=[
            ("", "Any use"),
            ("commercial", "Commercial allowed"),
            ("noncommercial", "Non-commercial"),
        ],
    )
    price = forms.ChoiceField(
        required=False,
        label="Price",
        choices=[("", "Any price"), ("free", "Free to license"), ("paid", "Paid")],
    )


class GrantRevokeForm(forms.Form):
    """Why the rightsholder takes one person's licence back: the person reads it."""

    reason = forms.CharField(max_length=200, strip=True)
