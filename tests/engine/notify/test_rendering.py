"""Message templates: Thai then English, Thai dates, and nothing about the child but reference and task."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from jinja2 import UndefinedError

from engine.notify import rendering
from engine.notify.rendering import KINDS, ContextNotAllowed, UnknownKind, render

DUE = datetime(2026, 12, 11, 3, 0, tzinfo=timezone.utc)  # 11 Dec 2026, 10:00 in Tak
AS_OF = datetime(2026, 12, 13, 5, 30, tzinfo=timezone.utc)
DIVIDER = re.compile(r"^-{20,}$", re.MULTILINE)
THAI = re.compile(r"[\u0E00-\u0E7F]")

# ASCII values, so any Thai character in the English part could only come from the template.
ASCII_CONTEXTS = {
    "work_item.new": {"case_reference": "TAK-2026-000001", "task_label": "Report", "due_at": DUE},
    "work_item.assigned": {"case_reference": "TAK-2026-000001", "task_label": "Report", "due_at": DUE},
    "escalation.raised": {
        "case_reference": "TAK-2026-000001", "task_label": "Report", "level": 1, "reason": "overdue",
        "agency_name_th": "SPM", "agency_name_en": "SPM", "due_at": DUE, "climb_at": AS_OF,
    },
    "escalation.climbed": {
        "case_reference": "TAK-2026-000001", "task_label": "Report", "level": 2, "reason": "thrown",
        "agency_name_th": "SPM", "agency_name_en": "SPM", "due_at": DUE, "climb_at": AS_OF,
    },
    "digest": {
        "as_of": AS_OF, "total_count": 1,
        "items": [{"case_reference": "TAK-2026-000001", "task_label": "Report", "due_at": DUE}],
    },
}


def test_every_kind_has_a_context_to_test():
    assert set(ASCII_CONTEXTS) == set(KINDS) == {
        "work_item.new", "work_item.assigned", "escalation.raised", "escalation.climbed", "digest",
    }


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_thai_first_then_english(kind):
    subject, body = render(kind, {**ASCII_CONTEXTS[kind], "recipient_name": "Somchai"})

    thai, english = DIVIDER.split(body)
    assert THAI.search(thai)
    assert english.isascii(), english
    assert "Somchai" in thai and "Somchai" in english
    assert "TAK-2026-000001" in thai and "TAK-2026-000001" in english
    # Thai local time with the Buddhist-era year in Thai, ISO with the offset in English.
    assert "11 ธ.ค. 2569 10:00 น." in thai
    assert "2026-12-11T10:00+07:00" in english
    assert "2026-12-11" not in thai

    first_thai = THAI.search(subject).start()
    first_latin_word = re.search(r"[A-Za-z]{3,}", subject).start()
    assert first_thai < first_latin_word
    # A digest spans cases; every other subject names its case.
    assert ("TAK-2026-000001" in subject) == (kind != "digest")
    assert "\n" not in subject and "\r" not in subject


def test_optional_facts_are_left_out_not_printed_as_none():
    _, body = render("work_item.assigned", {"case_reference": "TAK-2026-000009", "task_label": "Visit"})
    assert "None" not in body
    assert "ครบกำหนด" not in body and "Due" not in body
    assert body.startswith("เรียน ผู้รับผิดชอบ\n")


def test_digest_lists_items_with_how_late():
    items = [
        {"case_reference": "TAK-2026-000001", "task_label": "Report", "due_at": AS_OF - timedelta(days=2, hours=3)},
        {"case_reference": "TAK-2026-000002", "task_label": "Visit", "due_at": AS_OF - timedelta(minutes=45)},
    ]
    subject, body = render("digest", {"as_of": AS_OF, "items": items, "total_count": 5})
    thai, english = DIVIDER.split(body)
    assert "1. TAK-2026-000001 Report\n   ครบกำหนด 11 ธ.ค. 2569 09:30 น. (เกินมาแล้ว 2 วัน 3 ชั่วโมง)" in thai
    assert "2. TAK-2026-000002 Visit\n   ครบกำหนด 13 ธ.ค. 2569 11:45 น. (เกินมาแล้ว 45 นาที)" in thai
    assert "Due 2026-12-11T09:30+07:00 (2 days 3 hours late)" in english
    assert "(45 minutes late)" in english
    # Cut short: the rest are counted, not listed.
    assert "และอีก 3 รายการ" in thai and "And 3 more" in english
    assert "5" in subject and "13 ธ.ค. 2569" in subject


CHILD = "เด็กหญิงสมใจ รักดี"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("extra", ["child_name", "notes", "form_data", "case"])
def test_a_key_outside_the_allowed_ones_is_refused_without_echoing_its_value(kind, extra):
    context = {**ASCII_CONTEXTS[kind], extra: CHILD}
    with pytest.raises(ContextNotAllowed) as refused:
        render(kind, context)
    assert extra in str(refused.value)
    assert CHILD not in str(refused.value)


def test_a_digest_item_cannot_carry_more_than_reference_label_and_due():
    context = {
        "as_of": AS_OF, "total_count": 1,
        "items": [{"case_reference": "TAK-2026-000001", "task_label": "Report", "due_at": DUE, "child_name": CHILD}],
    }
    with pytest.raises(ContextNotAllowed, match=r"items\[0\].*child_name"):
        render("digest", context)


class FakeCase:
    """Stands for an ORM object: something a template could walk to other data from."""

    reference = "TAK-2026-000001"
    state_json = '{"child_name": "%s"}' % CHILD

    def __str__(self) -> str:
        return self.reference


@pytest.mark.parametrize(
    "key, value",
    [
        ("case_reference", FakeCase()),
        ("task_label", {"label": "Report", "child_name": CHILD}),
        ("due_at", "2026-12-11"),
        ("due_at", datetime(2026, 12, 11, 10, 0)),  # naive: the zone would be a guess
        ("level", "1"),
        ("level", True),
        ("reason", "child_name"),
    ],
)
def test_values_must_be_plain_and_of_the_declared_type(key, value):
    context = {**ASCII_CONTEXTS["escalation.raised"], key: value}
    with pytest.raises(ContextNotAllowed) as refused:
        render("escalation.raised", context)
    assert CHILD not in str(refused.value)


def test_missing_required_key_and_unknown_kind_are_refused():
    with pytest.raises(ContextNotAllowed, match="task_label is required"):
        render("work_item.new", {"case_reference": "TAK-2026-000001"})
    with pytest.raises(UnknownKind):
        render("case.details", {"case_reference": "TAK-2026-000001"})


def test_templates_see_only_the_declared_keys():
    seen = rendering.safe_context("work_item.new", {"case_reference": "TAK-2026-000001", "task_label": "Report"})
    assert seen == {"recipient_name": None, "case_reference": "TAK-2026-000001", "task_label": "Report", "due_at": None}
    assert all(isinstance(v, (str, int, datetime, type(None))) for v in seen.values())


def test_undefined_names_in_a_template_fail_instead_of_rendering_blank():
    with pytest.raises(UndefinedError):
        rendering._ENVIRONMENT.from_string("{{ child_name }}").render({})


@pytest.mark.parametrize("breaker", ["\r\n", "\n", "\r", "\u2028", "\x85", "\x0b"])
def test_line_breaks_never_reach_a_subject(breaker):
    label = f"Visit{breaker}Bcc: intruder@example.com{breaker}"
    subject, body = render("work_item.new", {"case_reference": f"TAK{breaker}1", "task_label": label})
    assert not any(ch in subject for ch in "\r\n\u2028\x85\x0b")
    assert subject.endswith("TAK 1 Visit Bcc: intruder@example.com")
    # In the body the value stays on its own line too, so it cannot forge lines of the text.
    assert not any(line.startswith("Bcc:") for line in body.splitlines())
    assert "  งาน: Visit Bcc: intruder@example.com\n" in body


def test_a_very_long_label_is_cut_to_fit_a_subject():
    subject, _ = render("work_item.new", {"case_reference": "TAK-2026-000001", "task_label": "ก" * 2000})
    assert len(subject) == rendering.SUBJECT_MAX_CHARS
    assert subject.endswith("…")
