"""MessageTextField: CoolSMS's text rules on a Django form, and the live counter's markup."""

from __future__ import annotations

from django import forms
from django.utils import translation

from coolsms_oauth_django import sms
from coolsms_oauth_django.forms import MessageTextarea, MessageTextField


class NoticeForm(forms.Form):
    text = MessageTextField()


def test_a_text_within_2000_bytes_is_accepted():
    form = NoticeForm({"text": "가" * 1000})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["text"] == "가" * 1000


def test_a_text_over_2000_bytes_is_refused_with_its_size():
    form = NoticeForm({"text": "가" * 1000 + "a"})
    assert not form.is_valid()
    [error] = form.errors.as_data()["text"]
    assert error.code == sms.TOO_LONG
    assert "2,001" in form.errors["text"][0] and "2,000" in form.errors["text"][0]


def test_the_refusal_is_translated_into_korean():
    with translation.override("ko"):
        form = NoticeForm({"text": "가" * 1001})
        assert not form.is_valid()
        assert "바이트" in form.errors["text"][0]


def test_a_control_character_is_refused():
    form = NoticeForm({"text": "hello\x00"})
    assert not form.is_valid()
    assert form.errors.as_data()["text"][0].code == sms.NON_PRINTABLE


def test_the_widget_renders_the_counter_with_the_rules_limits():
    html = str(NoticeForm(initial={"text": "안녕하세요"})["text"])
    assert f'data-sms-max-bytes="{sms.SMS_MAX_BYTES}"' in html
    assert f'data-lms-max-bytes="{sms.LMS_MAX_BYTES}"' in html
    assert 'id="id_text_counter"' in html
    assert "<span data-coolsms-bytes>10</span>" in html
    assert "<span data-coolsms-type>SMS</span>" in html


def test_a_long_initial_text_shows_lms_and_its_limit():
    html = str(NoticeForm(initial={"text": "가" * 46})["text"])
    assert "<span data-coolsms-type>LMS</span>" in html
    assert "<span data-coolsms-limit>2000</span>" in html


def test_the_widget_brings_its_script():
    assert "coolsms_oauth/message_text.js" in str(MessageTextarea().media)
    assert "coolsms_oauth/message_text.js" in str(NoticeForm().media)
