"""What CoolSMS says is untrusted on the pages: recipients, codes, failure and status
messages, and a text typed into the message widget render as text, never as markup."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from django.template import Context, Engine

from coolsms_oauth_django.forms import MessageTextarea

NOTICES_TEMPLATES = Path(__file__).resolve().parent.parent / "example_project/notices/templates"
HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
#: What must never appear in a page unescaped.
MARKUP = ("<script", "<img", "onerror=alert(2)>")
BASE = "{% block content %}{% endblock %}"


def notices_engine() -> Engine:
    """The example's notices templates, over a bare base.html (its nav needs the site's URLs)."""
    return Engine(
        dirs=[str(NOTICES_TEMPLATES)],
        loaders=[
            ("django.template.loaders.locmem.Loader", {"base.html": BASE}),
            "django.template.loaders.filesystem.Loader",
        ],
        libraries={"i18n": "django.templatetags.i18n"},
    )


def test_a_groups_recipients_and_failure_messages_from_coolsms_render_as_text() -> None:
    failed = SimpleNamespace(delivered=False, pending=False, status_message=HOSTILE)
    group = {"groupId": "G4V1", "status": HOSTILE, "count": {"total": HOSTILE}}
    recipient = {"to": HOSTILE, "type": HOSTILE, "statusCode": HOSTILE, "statusMessage": HOSTILE}
    context = {
        "group": group,
        "recipients": [{**recipient, "delivery": failed}],
        "refused": [(HOSTILE, HOSTILE, HOSTILE)],
    }
    page = notices_engine().get_template("notices/group.html").render(Context(context))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the values are on the page
    assert page.count("&lt;script&gt;") >= 9  # status, total, 4 cells, delivery, 3 refused
    assert not any(markup in page for markup in MARKUP)


def test_the_message_widget_renders_a_hostile_text_and_id_as_text() -> None:
    html = MessageTextarea().render("text", "</textarea>" + HOSTILE, attrs={"id": HOSTILE})
    assert "&lt;/textarea&gt;" in html and "</textarea>" in html
    assert html.count("</textarea>") == 1  # only the widget's own closing tag
    assert not any(markup in html for markup in MARKUP)
