import functools

import pycountry
from django import forms

from licensing.terms import RATINGS
from marketplace.generation.base import MAX_SECONDS, MIN_SECONDS


@functools.cache
def country_choices() -> list[tuple[str, str]]:
    """Every ISO 3166-1 country (pycountry), by its name as people write it."""
    names = ((c.alpha_2, getattr(c, "common_name", None) or c.name) for c in pycountry.countries)
    return sorted(names, key=lambda pair: pair[1])


class CountryField(forms.ChoiceField):
    """A country from the list; a hand-typed code ("jp") is read as its upper case."""

    def to_python(self, value):
        return super().to_python(value).strip().upper()


class StudioForm(forms.Form):
    prompt = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Hoshi-chan dances in a neon rain"}),
    )
    characters = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only characters you hold an active licence for.",
    )
    duration_s = forms.IntegerField(
        label="Duration (seconds)", min_value=MIN_SECONDS, max_value=MAX_SECONDS, initial=5
    )
    commercial = forms.BooleanField(required=False, label="This video is for commercial use")
    territory = CountryField(
        required=False,
        label="Your country",
        help_text="Some licences allow videos only in some countries.",
    )
    rating = forms.ChoiceField(choices=[(r, r.replace("_", " ").capitalize()) for r in RATINGS])
    parent = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, character_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["characters"].choices = character_choices
        self.fields["territory"].choices = [("", "Choose your country"), *country_choices()]

    def clean(self):
        # The same rule generation_request_create applies, so that "Check terms" does
        # not call allowed what "Generate" then refuses.
        data = super().clean()
        if not data.get("characters") and not data.get("parent") and "parent" not in self.errors:
            message = "Choose at least one character you hold a licence for."
            if self.fields["characters"].choices:
                self.add_error("characters", message)
            else:  # the picker is not shown: say it above the form
                raise forms.ValidationError(message)
        return data


class VerifyForm(forms.Form):
    file = forms.FileField(
        required=False, help_text="An MP4 or JPEG from Cocreate, at most 100 MB."
    )
    work = forms.UUIDField(required=False, label="Or a work id")

    def clean(self):
        data = super().clean()
        if not data.get("file") and not data.get("work"):
            raise forms.ValidationError("Upload a file or give a work id.")
        return data


class DecisionForm(forms.Form):
    """A rightsholder's answer to a licence request or a video waiting for review."""

    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Decline")])
    reason = forms.CharField(max_length=200, required=False)
