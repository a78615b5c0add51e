"""The rightsholder's storyline form: the cast is chosen as offers of their own
characters (each offer names its character), the opening among their published works."""

from django import forms

from marketplace.enums import StorylineJoin
from marketplace.services.storylines import MAX_TAKE_SECONDS, MIN_TAKE_SECONDS

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class StorylineForm(forms.Form):
    title = forms.CharField(max_length=120)
    premise = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The beat every take starts from: who, where, what happens.",
    )
    cast = forms.MultipleChoiceField(
        label="Characters and the offer takes use",
        widget=forms.CheckboxSelectMultiple,
        help_text="Your characters; a take must hold a licence under the offer shown.",
    )
    opening = forms.ChoiceField(
        label="Opening video (optional)",
        required=False,
        help_text="Every take remixes it. One of your published videos.",
    )
    starts_at = forms.DateTimeField(label="Starts", widget=DATETIME)
    ends_at = forms.DateTimeField(label="Ends", widget=DATETIME)
    max_take_s = forms.TypedChoiceField(
        label="Longest take (seconds)",
        coerce=int,
        choices=[(n, str(n)) for n in range(MIN_TAKE_SECONDS, MAX_TAKE_SECONDS + 1)],
        initial=MAX_TAKE_SECONDS,
    )
    join_policy = forms.ChoiceField(
        label="Other characters in takes", choices=StorylineJoin.choices
    )
    joiners = forms.MultipleChoiceField(
        label="Characters that may join (when only those listed may)",
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args, offers, works, characters, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cast"].choices = [
            (str(o.pk), f"{o.character.name}: {o.title} (v{o.version})") for o in offers
        ]
        self.fields["opening"].choices = [("", "No opening video")] + [
            (str(w.pk), w.title) for w in works
        ]
        self.fields["joiners"].choices = [(str(pk), name) for pk, name in characters]
        if editing:
            # The cast, the opening and the start stay: takes already rely on them.
            for name in ("cast", "opening", "starts_at"):
                del self.fields[name]
