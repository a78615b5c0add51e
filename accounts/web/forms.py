from django import forms

from accounts.enums import MembershipRole
from accounts.names import MAX_LENGTH


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    website = forms.URLField(required=False, assume_scheme="https")


class MemberForm(forms.Form):
    email = forms.EmailField(label="Member's email")
    role = forms.ChoiceField(choices=MembershipRole.choices, initial=MembershipRole.VIEWER)


class DocumentForm(forms.Form):
    title = forms.CharField(max_length=120, help_text="For example: trademark registration")
    file = forms.FileField(help_text="PDF, PNG, JPEG or WebP; at most 10 MB.")


class NotificationSettingsForm(forms.Form):
    new_followers = forms.BooleanField(required=False, label="New followers")
    likes = forms.BooleanField(required=False, label="Likes on my videos")
    comments = forms.BooleanField(required=False, label="Comments on my videos")


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        max_length=MAX_LENGTH,
        required=False,
        label="Public name",
        help_text="Shown on your videos, profile and comments. Leave it empty to be shown "
        "as a placeholder; your email address is never shown.",
    )
