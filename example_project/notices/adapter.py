"""This site's CoolSMS adapter, named in ``COOLSMS_OAUTH["ADAPTER"]`` (settings.py)."""

from coolsms_oauth_django.adapter import CoolSMSAdapter


class NoticesAdapter(CoolSMSAdapter):
    """Keep the member's name, e-mail and account ID of the profile, not the phone number.

    The send form reads the number from CoolSMS when it shows (``get_profile()``), so this
    site stores no personal data it does not use.
    """

    def populate_account(self, account, profile):
        super().populate_account(account, profile)
        account.phone_number = ""
