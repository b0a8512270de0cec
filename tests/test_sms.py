"""The message rules of ``coolsms_oauth_django.sms``: counting, typing, normalising, refusing.

The property tests run over arbitrary Unicode (2,000 examples under CI, 200 otherwise).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coolsms_oauth_django import sms

settings.register_profile("sms-ci", max_examples=2000, deadline=None, derandomize=True)
settings.register_profile("sms-dev", max_examples=200, deadline=None)
EXAMPLES = settings.get_profile("sms-ci" if os.environ.get("CI") == "true" else "sms-dev")

GOOD = {"to": "01012345678", "from": "029302266", "text": "안녕하세요"}
#: Any text a Python string can hold, lone surrogates (not UTF-8) included.
ANY_TEXT = st.text(
    alphabet=st.one_of(st.characters(), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF))
)


def refused(message: dict[str, Any]) -> sms.MessageRefused:
    with pytest.raises(sms.MessageRefused) as info:
        sms.validate(message)
    return info.value


# --- byte_length and message_type --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "size"),
    [("", 0), ("hello", 5), ("안녕", 4), ("똠방각하", 8), ("가a", 3), ("😀", 2), ("é", 2)],
)
def test_byte_length_counts_hangul_2_and_ascii_1(text, size):
    assert sms.byte_length(text) == size


def test_a_text_of_90_bytes_is_an_sms_and_91_an_lms():
    assert sms.message_type("가" * 45) == "SMS"
    assert sms.message_type("가" * 45 + "a") == "LMS"
    assert sms.message_type("a" * 90) == "SMS"


def test_an_image_makes_an_mms_and_a_subject_an_lms():
    assert sms.message_type("hi", image=True) == "MMS"
    assert sms.message_type("hi", subject=True) == "LMS"


def test_a_character_outside_euc_kr_makes_a_short_text_an_lms():
    assert sms.message_type("생일 축하해요 🎂") == "LMS"


@EXAMPLES
@given(ANY_TEXT)
def test_byte_length_never_crashes_and_is_at_least_the_length(text):
    size = sms.byte_length(text)
    assert len(text) <= size <= 2 * len(text)


@EXAMPLES
@given(ANY_TEXT)
def test_message_type_is_sms_exactly_when_the_text_fits_an_sms(text):
    kind = sms.message_type(text)
    fits = sms.fits_euc_kr(text) and sms.byte_length(text) <= sms.SMS_MAX_BYTES
    assert kind == ("SMS" if fits else "LMS")


@EXAMPLES
@given(ANY_TEXT.filter(bool))
def test_validate_accepts_or_refuses_with_a_status_code_never_crashes(text):
    try:
        checked = sms.validate({**GOOD, "text": text})
    except sms.MessageRefused as err:
        assert err.status_code in {
            sms.MISSING_VALUE,
            sms.NOT_UTF8,
            sms.NON_PRINTABLE,
            sms.TOO_LONG,
        }
        assert str(err).startswith(err.status_code)
    else:
        assert sms.resolved_type(checked) in ("SMS", "LMS")
        assert sms.byte_length(text) <= sms.LMS_MAX_BYTES


@EXAMPLES
@given(st.text(alphabet=st.characters(blacklist_categories=["Cc", "Cs"]), min_size=1))
def test_an_explicit_sms_outside_euc_kr_is_refused_with_1029(text):
    if sms.fits_euc_kr(text) or not text.strip():
        return
    assert refused({**GOOD, "text": text, "type": "SMS"}).status_code == sms.NOT_EUC_KR


# --- numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["010-1234-5678", "010 1234 5678", " 01012345678 ", "010-1234 5678"]
)
def test_hyphens_and_spaces_are_removed_from_numbers(number):
    checked = sms.validate({**GOOD, "to": number, "from": "02-930-2266"})
    assert (checked["to"], checked["from"]) == ("01012345678", "029302266")


@pytest.mark.parametrize(
    ("field", "value"),
    [("to", "010.1234.5678"), ("to", "phone"), ("to", "12"), ("from", "1234567"), ("to", 1)],
)
def test_a_bad_number_is_refused_with_1011(field, value):
    error = refused({**GOOD, field: value})
    assert error.status_code == sms.BAD_FORMAT
    assert field in error.message


@pytest.mark.parametrize("field", ["to", "from", "text"])
def test_a_missing_field_is_refused_with_1010(field):
    message = dict(GOOD)
    del message[field]
    assert refused(message).status_code == sms.MISSING_VALUE


# --- the rules ---------------------------------------------------------------------------


def test_an_sms_over_90_bytes_is_refused_with_1031():
    error = refused({**GOOD, "text": "가" * 46, "type": "sms"})
    assert error.status_code == sms.TOO_LONG
    assert "92" in error.message


def test_an_lms_over_2000_bytes_is_refused_with_1031():
    # 2,000 Hangul characters are 4,000 bytes: too long for an LMS.
    assert refused({**GOOD, "text": "가" * 1000 + "a"}).status_code == sms.TOO_LONG
    assert sms.validate({**GOOD, "text": "가" * 1000})


def test_a_kakao_text_counts_characters_up_to_1000():
    kakao = {"pfId": "PF1", "templateId": "T1"}
    assert sms.validate({**GOOD, "type": "ATA", "text": "가" * 1000, "kakaoOptions": kakao})
    error = refused({**GOOD, "type": "ATA", "text": "가" * 1001, "kakaoOptions": kakao})
    assert error.status_code == sms.TOO_LONG


def test_a_subject_on_an_sms_is_refused_with_1013():
    assert refused({**GOOD, "type": "SMS", "subject": "공지"}).status_code == sms.SUBJECT_ON_SMS


def test_a_subject_over_40_bytes_is_refused_with_1014():
    assert sms.validate({**GOOD, "subject": "가" * 20})
    assert refused({**GOOD, "subject": "가" * 21}).status_code == sms.SUBJECT_TOO_LONG


def test_an_unknown_type_is_refused_with_1025_and_types_ignore_case():
    assert refused({**GOOD, "type": "FAX"}).status_code == sms.BAD_TYPE
    assert sms.validate({**GOOD, "type": "lms"})["type"] == "LMS"


def test_kakao_options_on_an_sms_are_refused_with_1033():
    error = refused({**GOOD, "kakaoOptions": {"pfId": "PF1"}})
    assert error.status_code == sms.KAKAO_OPTIONS_NOT_ALLOWED


def test_an_alimtalk_needs_a_channel_and_a_template():
    assert refused({**GOOD, "type": "ATA", "kakaoOptions": {}}).status_code == "1041"
    error = refused({**GOOD, "type": "ATA", "kakaoOptions": {"pfId": "PF1"}})
    assert error.status_code == sms.BAD_KAKAO_TEMPLATE
    assert sms.validate({**GOOD, "type": "CTA", "kakaoOptions": {"pfId": "PF1"}})


@pytest.mark.parametrize(("text", "code"), [("a\x00b", "1028"), ("a\ud800b", "1027")])
def test_non_printable_and_non_utf8_texts_are_refused(text, code):
    assert refused({**GOOD, "text": text, "type": "LMS"}).status_code == code


def test_tabs_and_line_breaks_are_allowed():
    assert sms.validate({**GOOD, "text": "첫 줄\r\n둘째 줄\t끝"})


def test_custom_fields_are_limited_with_1032():
    assert sms.validate({**GOOD, "customFields": {"order": "A-1"}})
    assert refused({**GOOD, "customFields": {"k" * 31: "v"}}).status_code == "1032"
    assert refused({**GOOD, "customFields": {"k": 1}}).status_code == "1032"


def test_validate_normalises_a_copy_and_keeps_every_field():
    message = {**GOOD, "to": "010-1234-5678", "country": "82", "customFields": {"a": "b"}}
    checked = sms.validate(message)
    assert message["to"] == "010-1234-5678"
    assert checked == {**message, "to": "01012345678"}


def test_validate_returns_a_message_already_in_form_without_copying():
    message = {**GOOD, "type": "LMS"}
    assert sms.validate(message) is message
    assert sms.validate({**GOOD, "type": "lms"}) == {**GOOD, "type": "LMS"}


def test_a_refusal_is_a_value_error():
    assert issubclass(sms.MessageRefused, ValueError)
