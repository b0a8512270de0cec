"""A form field for a message text that shows, as the user types, its size and type.

``MessageTextField`` checks the text with CoolSMS's rules (:mod:`.sms`) when the form is
cleaned; its widget shows the byte count and the type CoolSMS will pick, counted in the
browser by a small script (``coolsms_oauth/message_text.js``: render ``{{ form.media }}``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import sms

__all__ = ["MessageTextField", "MessageTextarea"]


class MessageTextarea(forms.Textarea):
    """A textarea followed by a live "bytes / limit · type" counter."""

    template_name = "coolsms_oauth/widgets/message_text.html"

    class Media:
        js = ("coolsms_oauth/message_text.js",)

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"rows": 5, **(attrs or {})})

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        """Add the limits the counter compares against (from :mod:`.sms`, never repeated)."""
        context = super().get_context(name, value, attrs)
        text = value if isinstance(value, str) else ""
        context["widget"]["attrs"].update(
            {
                "data-coolsms-text": "",
                "data-sms-max-bytes": sms.SMS_MAX_BYTES,
                "data-lms-max-bytes": sms.LMS_MAX_BYTES,
            }
        )
        context["counter"] = {
            "bytes": sms.byte_length(text),
            "type": sms.message_type(text),
            "limit": sms.SMS_MAX_BYTES if sms.message_type(text) == "SMS" else sms.LMS_MAX_BYTES,
        }
        return context


class MessageTextField(forms.CharField):
    """A message text: refused when CoolSMS would refuse it as an SMS or LMS."""

    widget = MessageTextarea
    default_error_messages = {
        sms.TOO_LONG: _(
            "This text has %(bytes)s bytes; a message may have at most %(limit)s "
            "(Hangul counts 2 bytes, ASCII 1)."
        ),
        sms.NON_PRINTABLE: _("Remove the control characters from the text."),
        sms.NOT_UTF8: _("The text holds characters that cannot be sent."),
    }

    def validate(self, value: Any) -> None:
        """Run CharField's checks, then CoolSMS's rules for the text."""
        super().validate(value)
        if value in self.empty_values:
            return
        try:
            sms.check_text(value)
        except sms.MessageRefused as err:
            raise ValidationError(
                self.error_messages.get(err.status_code, err.message),
                code=err.status_code,
                params={"bytes": f"{sms.byte_length(value):,}", "limit": f"{sms.LMS_MAX_BYTES:,}"},
            ) from err
