from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coolsms_oauth_django import sms
from coolsms_oauth_django.forms import MessageTextField

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


class NoticeForm(forms.Form):
    """A notice to many: a registered sender number, the recipients, the text, a time."""

    #: The most recipients the example takes in one notice (CoolSMS takes 10,000 a call).
    MAX_RECIPIENTS = 1000

    sender = forms.ChoiceField(
        label=_("From"),
        help_text=_("Your sender numbers registered with CoolSMS."),
        error_messages={
            "invalid_choice": _("%(value)s is not one of your registered sender numbers.")
        },
    )
    recipients = forms.CharField(
        label=_("To"),
        help_text=_("One number a line (or separated by commas); hyphens and spaces are fine."),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    text = MessageTextField(label=_("Text"))
    scheduled_at = forms.DateTimeField(
        label=_("Send at (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, sender_numbers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sender"].choices = [(number, number) for number in sender_numbers]

    def clean_recipients(self):
        entries = [
            entry.strip()
            for line in self.cleaned_data["recipients"].splitlines()
            for entry in line.replace(";", ",").split(",")
            if entry.strip()
        ]
        numbers = [sms.normalize_number(entry) for entry in entries]
        low, high = sms.RECIPIENT_DIGITS
        bad = [
            entry
            for entry, number in zip(entries, numbers, strict=True)
            if not (number.isascii() and number.isdigit()) or not low <= len(number) <= high
        ]
        if bad:
            raise forms.ValidationError(
                _("These are not phone numbers: %(numbers)s"),
                params={"numbers": ", ".join(bad[:10])},
            )
        if not numbers:
            raise forms.ValidationError(_("Enter at least one phone number."))
        if len(numbers) > self.MAX_RECIPIENTS:
            raise forms.ValidationError(
                _("A notice may go to at most %(count)s numbers."),
                params={"count": self.MAX_RECIPIENTS},
            )
        return numbers

    def clean_scheduled_at(self):
        when = self.cleaned_data["scheduled_at"]
        if when is not None and when <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future, or leave it empty."))
        return when

    def messages(self):
        """Return the messages to send, one for each recipient."""
        data = self.cleaned_data
        return [
            {"to": to, "from": data["sender"], "text": data["text"]} for to in data["recipients"]
        ]
