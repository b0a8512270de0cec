"""The example's pages: a dashboard that reads CoolSMS as the signed-in user, and a send form.

Two ways to get the user's CoolSMS session are shown:

- ``get_coolsms_session(request.user)`` (the dashboard) raises ``NotConnected`` or
  ``ReconnectRequired``, so the view can explain each case with its own page;
- ``request.coolsms`` (the send view), set by ``CoolSMSMiddleware``, is the session or a falsy
  ``None``; a ``ReconnectRequired`` the view does not catch becomes a redirect to the connect
  page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from coolsms_oauth_django import get_coolsms_session
from coolsms_oauth_django.exceptions import (
    CoolSMSAPIError,
    NotConnected,
    ReconnectRequired,
    TokenError,
)

from .forms import SendSMSForm

#: What CoolSMS answers when it accepts a message (``POST /messages/v4/send``).
SMS_RESULT_FIELDS = (
    "groupId",
    "messageId",
    "accountId",
    "statusCode",
    "statusMessage",
    "to",
    "from",
    "type",
    "country",
)
LAST_SMS_SESSION_KEY = "notices_last_sms"


def problem_text(error):
    """Describe a failed CoolSMS call for the user, without tokens or secrets."""
    if isinstance(error, CoolSMSAPIError) and error.status == 0:
        return _("CoolSMS could not be reached. Please try again in a moment.")
    if isinstance(error, CoolSMSAPIError):
        return _("CoolSMS answered with an error: %(code)s %(message)s") % {
            "code": error.error_code,
            "message": error.error_message,
        }
    return _("CoolSMS did not renew this site's access just now. Please try again in a moment.")


def send_form(profile):
    """Return an empty send form whose From number is the member's own phone number."""
    return SendSMSForm(initial={"sender": (profile or {}).get("phoneNumber", "")})


@login_required
def dashboard(request):
    try:
        session = get_coolsms_session(request.user)
    except NotConnected:
        return render(request, "notices/connect.html")
    except ReconnectRequired:
        return render(request, "notices/reconnect.html")

    profile = balance = problem = None
    # The session refreshes the access token when it is about to expire; closing it (the
    # with block) releases its connections.
    with session:
        try:
            profile = session.get_profile()
            balance = session.get_balance()
        except ReconnectRequired:
            # CoolSMS no longer accepts this site's tokens: the member revoked the access,
            # for instance. The connection is now marked "needs reconnecting".
            return render(request, "notices/reconnect.html")
        except (CoolSMSAPIError, TokenError) as error:
            # CoolSMS is down or refused the call: show the page anyway, with a notice.
            problem = problem_text(error)

    return render(
        request,
        "notices/dashboard.html",
        {
            "profile": profile,
            "balance": balance,
            "problem": problem,
            "form": send_form(profile),
            "last_sms": request.session.pop(LAST_SMS_SESSION_KEY, None),
        },
    )


@login_required
def send_sms(request):
    if not request.coolsms:
        # Not connected, or the connection needs reconnecting: the dashboard says which.
        return redirect("dashboard")
    if request.method != "POST":
        try:
            profile = request.coolsms.get_profile()
        except (CoolSMSAPIError, TokenError):
            profile = None  # the form works without its From number filled in
        return render(request, "notices/send.html", {"form": send_form(profile)})
    form = SendSMSForm(request.POST)
    if not form.is_valid():
        return render(request, "notices/send.html", {"form": form})
    try:
        result = request.coolsms.send_message(
            to=form.cleaned_data["to"],
            from_=form.cleaned_data["sender"],
            text=form.cleaned_data["text"],
        )
    except (CoolSMSAPIError, TokenError) as error:
        # ReconnectRequired is not caught here: CoolSMSMiddleware answers it with a redirect
        # to the connect page.
        messages.error(request, problem_text(error))
        return render(request, "notices/send.html", {"form": form})
    # Post/Redirect/Get: the dashboard shows the result once, and a reload sends nothing.
    request.session[LAST_SMS_SESSION_KEY] = [
        (field, result.get(field, "")) for field in SMS_RESULT_FIELDS
    ]
    messages.success(request, _("CoolSMS accepted the message."))
    return redirect("dashboard")
