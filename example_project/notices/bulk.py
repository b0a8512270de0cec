"""The example's notice to many: pick a registered sender number, paste the recipients, write
the text (its size and type shown as you type), send now or later; then see the group.

Each page uses ``request.coolsms`` (set by ``CoolSMSMiddleware``): the connected user's
session, or a falsy ``None``. The scopes these pages need: ``senderid:read``,
``message:write``, ``message:read``.
"""

from itertools import islice

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from coolsms_oauth_django.exceptions import CoolSMSAPIError, MessagesRejected, TokenError

from .forms import NoticeForm
from .models import Delivery
from .views import problem_text

#: The refusals of the last send, shown once on its group's page.
LAST_NOTICE_KEY = "notices_last_notice"
#: How many groups the list shows, and how many messages a group's page.
RECENT_GROUPS = 20
GROUP_MESSAGES = 200


#: CoolSMS's group statuses in the user's language (an unknown one is shown as it came).
GROUP_STATUS = {
    "PENDING": pgettext_lazy("notice status", "Pending"),
    "SCHEDULED": pgettext_lazy("notice status", "Scheduled"),
    "SENDING": pgettext_lazy("notice status", "Sending"),
    "COMPLETE": pgettext_lazy("notice status", "Complete"),
    "FAILED": pgettext_lazy("notice status", "Failed"),
}


def with_labels(group):
    """Add to a group of CoolSMS's answer its status in words and its times as datetimes."""
    group["status_label"] = GROUP_STATUS.get(group.get("status"), group.get("status"))
    group["created"] = moment(group.get("dateCreated"))
    group["scheduled"] = moment(group.get("scheduledDate"))
    return group


def moment(value):
    """Return CoolSMS's ISO 8601 time as a datetime, for the ``date`` filter to localise."""
    return parse_datetime(value) if value else None


def failures(answer_failures):
    """Return (to, statusCode, statusMessage) for each message CoolSMS refused."""
    return [(f.get("to"), f.get("statusCode"), f.get("statusMessage")) for f in answer_failures]


@login_required
def new_notice(request):
    if not request.coolsms:
        return redirect("dashboard")
    session = request.coolsms
    try:
        numbers = session.sender_numbers()
    except (CoolSMSAPIError, TokenError) as error:
        messages.error(request, problem_text(error))
        return redirect("dashboard")
    form = NoticeForm(request.POST or None, sender_numbers=numbers)
    refused = []
    if request.method == "POST" and form.is_valid():
        try:
            answer = session.send_many(
                form.messages(), scheduled_at=form.cleaned_data["scheduled_at"]
            )[0]
        except MessagesRejected as error:
            # Nothing was registered: say why, recipient by recipient, and keep the form.
            refused = failures(error.failed)
            form.add_error(None, _("CoolSMS refused every message; nothing was sent."))
        except (CoolSMSAPIError, TokenError) as error:
            messages.error(request, problem_text(error))
        else:
            info = answer["groupInfo"]
            request.session[LAST_NOTICE_KEY] = {
                "group_id": info["groupId"],
                "failed": failures(answer["failedMessageList"]),
            }
            messages.success(
                request,
                _("CoolSMS registered %(ok)s of %(total)s messages.")
                % {"ok": info["count"]["registeredSuccess"], "total": info["count"]["total"]},
            )
            return redirect("notice_group", group_id=info["groupId"])
    return render(
        request, "notices/notice_new.html", {"form": form, "refused": refused, "numbers": numbers}
    )


@login_required
def notice_groups(request):
    if not request.coolsms:
        return redirect("dashboard")
    groups, problem = [], None
    try:
        groups = list(islice(request.coolsms.list_groups(limit=RECENT_GROUPS), RECENT_GROUPS))
        for group in groups:
            with_labels(group)
    except (CoolSMSAPIError, TokenError) as error:
        problem = problem_text(error)
    return render(request, "notices/groups.html", {"groups": groups, "problem": problem})


@login_required
def notice_group(request, group_id):
    if not request.coolsms:
        return redirect("dashboard")
    session = request.coolsms
    try:
        group = session.get_group(group_id)
        recipients = list(
            islice(session.list_messages(groupId=group_id, limit=100), GROUP_MESSAGES)
        )
    except ValueError as error:  # not a group id at all
        raise Http404(str(error)) from error
    except CoolSMSAPIError as error:
        if error.status == 404:
            raise Http404(error.error_message) from error
        messages.error(request, problem_text(error))
        return redirect("notice_groups")
    # The delivery reports CoolSMS sent this site (notices.receivers keeps them).
    deliveries = {d.message_id: d for d in Delivery.objects.filter(group_id=group_id)}
    for message in recipients:
        message["delivery"] = deliveries.get(message.get("messageId"))
    with_labels(group)
    last = request.session.get(LAST_NOTICE_KEY) or {}
    refused = []
    if last.get("group_id") == group_id:
        refused = request.session.pop(LAST_NOTICE_KEY)["failed"]
    return render(
        request,
        "notices/group.html",
        {"group": group, "recipients": recipients, "refused": refused},
    )


@login_required
@require_POST
def cancel_notice(request, group_id):
    if not request.coolsms:
        return redirect("dashboard")
    try:
        request.coolsms.cancel_scheduled(group_id)
    except ValueError as error:
        raise Http404(str(error)) from error
    except (CoolSMSAPIError, TokenError) as error:
        messages.error(request, problem_text(error))
    else:
        messages.success(request, _("The scheduled notice is cancelled."))
    return redirect("notice_group", group_id=group_id)
