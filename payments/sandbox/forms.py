"""The sandbox pages' forms: a card, and an onboarding's identity and bank account."""

from django import forms


class CardForm(forms.Form):
    email = forms.EmailField(max_length=254)
    number = forms.CharField(
        label="Card number",
        max_length=23,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "cc-number",
                "placeholder": "1234 1234 1234 1234",
            }
        ),
    )
    expiry = forms.CharField(
        label="Expiration (MM / YY)",
        max_length=7,
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "placeholder": "MM / YY"}),
    )
    cvc = forms.CharField(
        label="CVC",
        max_length=4,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "cc-csc", "placeholder": "CVC"}
        ),
    )
    name = forms.CharField(label="Cardholder name", max_length=100)


class OnboardingForm(forms.Form):
    name = forms.CharField(label="Legal name", max_length=100)
    routing_number = forms.RegexField(
        label="Routing number",
        regex=r"^\d{9}$",
        initial="110000000",
        error_messages={"invalid": "A routing number has 9 digits."},
    )
    account_number = forms.RegexField(
        label="Account number",
        regex=r"^\d{4,17}$",
        initial="000123456789",
        error_messages={"invalid": "An account number has 4 to 17 digits."},
    )
    accept = forms.BooleanField(
        label="I agree to the Stripe Connected Account Agreement (test mode: nothing is signed)"
    )
