"""Web forms for the rightsholder dashboard and the creator's accept flow. They parse
and shape input; the services validate the terms and decide."""

from django import forms

from licensing.enums import AliasMode, CharacterStatus, LookalikeAction
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


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, v.replace("_", " ").capitalize()) for v in values]


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


DESCRIPTION_HELP = (
    "What makes it recognisable, in English: how it looks, what it wears, what it does. "
    "Every prompt is compared with it by meaning, so a creator who describes it without "
    "naming it is noticed."
)
LOOKALIKE_LABEL = "A prompt that describes it without naming it"
LOOKALIKE_HELP = (
    "Creators who hold a licence for it are never stopped. A disallowed character's "
    "lookalikes are always refused."
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
        required=False, help_text="No generation at all; its names still screen every prompt."
    )
    likeness_attested = forms.BooleanField(
        required=False, label="This likeness is me, and I have the right to license it."
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
    status = forms.ChoiceField(choices=CharacterStatus.choices)
    disallowed = forms.BooleanField(required=False)

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


class NewOfferForm(forms.Form):
    preset = forms.ChoiceField(
        choices=[(p.key, p.label) for p in PRESETS] + [("", "Start from scratch")], required=False
    )


class OfferTermsForm(forms.Form):
    """Every term, as a person fills it in. ``to_terms`` gives the dict the service
    validates; emails and character names are resolved by the view."""

    title = forms.CharField(max_length=120)
    audience = forms.ChoiceField(choices=_choices(AUDIENCES))
    audience_allowlist = forms.CharField(
        required=False, help_text="Emails always admitted, comma-separated."
    )
    approval = forms.ChoiceField(choices=_choices(APPROVALS))
    approval_deadline_hours = forms.IntegerField(min_value=1, max_value=720, initial=72)
    commercial_use = forms.BooleanField(required=False)
    allowed_actions = forms.MultipleChoiceField(
        choices=_choices(ACTIONS), widget=forms.CheckboxSelectMultiple, required=False
    )
    remix_policy = forms.ChoiceField(choices=_choices(REMIX_POLICIES))
    attribution_required = forms.BooleanField(required=False)
    credit_text = forms.CharField(max_length=200, required=False)
    banned_categories = forms.MultipleChoiceField(
        choices=_choices(CATEGORIES), widget=forms.CheckboxSelectMultiple, required=False
    )
    banned_words = forms.CharField(required=False, help_text="Comma-separated words or phrases.")
    banned_costars = forms.CharField(
        required=False,
        help_text="Names of characters that may not appear alongside, comma-separated.",
    )
    max_rating = forms.ChoiceField(choices=_choices(RATINGS))
    territory_mode = forms.ChoiceField(
        choices=[("block", "Everywhere except"), ("allow", "Only in")]
    )
    territories = forms.CharField(required=False, help_text="ISO country codes, e.g. JP, FR.")
    starts_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    termination_notice_days = forms.IntegerField(min_value=0, max_value=365)
    max_generations_per_licensee = forms.IntegerField(min_value=1, required=False)
    max_licensees = forms.IntegerField(min_value=1, required=False)
    max_works = forms.IntegerField(min_value=1, required=False)
    currency = forms.CharField(max_length=3)
    upfront_fee = forms.IntegerField(min_value=0, help_text="In minor units (cents; yen).")
    per_generation_fee = forms.IntegerField(min_value=0, help_text="In minor units.")
    rev_share_bps = forms.IntegerField(
        min_value=0, label="Revenue share (basis points)", help_text="1500 = 15%."
    )
    upstream_model = forms.ChoiceField(choices=_choices(UPSTREAM_MODELS))
    max_stack_bps = forms.IntegerField(
        min_value=0, max_value=10_000, help_text="Cap on all shares taken before the creator's."
    )
    transferable = forms.BooleanField(required=False)
    sublicensable = forms.BooleanField(required=False)
    ai_training = forms.ChoiceField(choices=_choices(AI_TRAINING))
    on_revoke = forms.ChoiceField(choices=_choices(ON_REVOKE))
    grace_days = forms.IntegerField(min_value=0, max_value=365)

    @classmethod
    def initial_from(
        cls, terms: Terms, *, title: str, emails: list[str], costar_names: list[str]
    ) -> dict:
        data = terms.to_dict()
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

    def list_value(self, name: str) -> list[str]:
        return _split(self.cleaned_data.get(name) or "")

    def to_terms(self, *, allowlist_ids: list[str], costar_ids: list[str]) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "title"}
        data.update(
            audience_allowlist=allowlist_ids,
            banned_words=self.list_value("banned_words"),
            banned_costars=costar_ids,
            territories=[c.upper() for c in self.list_value("territories")],
            allowed_actions=list(data["allowed_actions"]),
            banned_categories=list(data["banned_categories"]),
            currency=data["currency"].upper(),
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
