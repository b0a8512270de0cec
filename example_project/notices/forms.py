from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

phone_number = RegexValidator(r"^[0-9]{8,15}$", _("Enter 8 to 15 digits, without dashes."))


class SendSMSForm(forms.Form):
    to = forms.CharField(label=_("To"), max_length=15, validators=[phone_number])
    # CoolSMS sends only from numbers registered (and verified) in the member's account.
    sender = forms.CharField(label=_("From"), max_length=15, validators=[phone_number])
    text = forms.CharField(
        label=_("Text"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        initial=_("Hello from the example site!"),
    )
