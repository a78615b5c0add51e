import functools

import pycountry
from django import forms
from django.conf import settings
from django.urls import reverse

from licensing.terms import RATINGS
from marketplace.generation import BackendInfo, available_backends, backend_info


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
    backend = forms.ChoiceField(label="Renderer", required=False)
    duration_s = forms.TypedChoiceField(label="Duration (seconds)", coerce=int)
    commercial = forms.BooleanField(required=False, label="This video is for commercial use")
    territory = CountryField(
        required=False,
        label="Your country",
        help_text="Some licences allow videos only in some countries.",
    )
    rating = forms.ChoiceField(choices=[(r, r.replace("_", " ").capitalize()) for r in RATINGS])
    parent = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args, character_choices: list[tuple[str, str]], remix: bool = False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.remix = remix
        self.fields["characters"].choices = character_choices
        self.fields["territory"].choices = [("", "Choose your country"), *country_choices()]
        self._offer_backends()

    def _offer_backends(self) -> None:
        """Offer the renderers that can run here, and only the durations the chosen one
        makes (the choice comes with the data, or ``initial``, else the default)."""
        names = available_backends()
        infos = [backend_info(name) for name in names]
        self.fields["backend"].choices = [(i.name, i.label) for i in infos]
        if len(names) == 1:
            self.fields["backend"].widget = forms.HiddenInput()
        else:  # choosing one reloads the durations it offers (htmx, from the studio page)
            self.fields["backend"].widget.attrs.update(
                {
                    "hx-get": reverse("marketplace:studio"),
                    "hx-include": "#studio-form",
                    "hx-select": "#duration-field",
                    "hx-target": "#duration-field",
                    "hx-swap": "outerHTML",
                }
            )
        chosen = self.chosen_backend()
        durations = chosen.capabilities.durations
        field = self.fields["duration_s"]
        field.choices = [(d, str(d)) for d in durations]
        field.initial = 5 if 5 in durations else durations[0]
        field.help_text = f"The {chosen.label} renderer makes videos of {chosen.durations_text()}."
        field.error_messages["invalid_choice"] = field.help_text

    def chosen_backend(self) -> BackendInfo:
        name = (self.data.get("backend") if self.is_bound else None) or self.initial.get("backend")
        names = available_backends()
        return backend_info(name if name in names else settings.VIDEO_BACKEND)

    def clean_backend(self) -> str:
        name = self.cleaned_data.get("backend") or settings.VIDEO_BACKEND
        info = backend_info(name)
        if self.remix and not info.capabilities.remix:
            raise forms.ValidationError(
                f"The {info.label} renderer cannot make remixes; choose another renderer."
            )
        return name

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
