"""The masking rule for a child's record: whole for the people working a case, masked for the
roles that oversee cases."""
from __future__ import annotations

from datetime import date, datetime, timezone

from engine.children.models import Child, Guardian
from engine.children.privacy import child_record, mask_identifier, mask_name, sees_identity, shown_name

NOW = datetime(2026, 11, 30, tzinfo=timezone.utc)


def _child() -> tuple[Child, list[Guardian]]:
    child = Child(id=7, first_name="ด.ญ. มะลิ", last_name="ใจดี", birth_date=date(2011, 5, 14), national_id="1103700123458",
                  g_code="G123456789012", nationality="ไทย", language="ไทย", school="school_takpit",
                  created_at=NOW, updated_at=NOW)
    return child, [Guardian(child_id=7, name="สมชาย ใจดี", relation="step_parent", alleged_abuser=True)]


def test_working_roles_see_the_whole_record():
    child, guardians = _child()
    record = child_record(child, guardians, role="case_worker")
    assert not record.masked and record.full_name == "ด.ญ. มะลิ ใจดี"
    assert (record.national_id, record.g_code, record.birth_date) == ("1103700123458", "G123456789012", date(2011, 5, 14))
    assert record.guardians[0].name == "สมชาย ใจดี"
    assert child_record(child, guardians, role="supervisor").masked is False


def test_overseeing_roles_see_names_and_identifiers_masked():
    child, guardians = _child()
    for role in ("committee", "admin"):
        record = child_record(child, guardians, role=role)
        assert record.masked and not sees_identity(role)
        assert record.full_name == "ด••• ม••• ใ•••"
        assert (record.national_id, record.g_code) == ("•••••••••3458", "•••••••••9012")
        assert record.birth_date is None and record.birth_year == 2011
        assert record.guardians[0].name == "ส••• ใ•••" and record.guardians[0].alleged_abuser is True
        assert (record.school, record.nationality) == ("school_takpit", "ไทย")


def test_masking_keeps_a_letters_marks_and_hides_short_values_whole():
    assert mask_name("น้ำ ฝน") == "น้••• ฝ•••"  # the tone mark stays with its letter
    assert mask_name(None) is None and mask_name("") == ""
    assert mask_identifier("1234") == "••••" and mask_identifier(None) is None
    assert shown_name("มะลิ", None, role="committee") == "ม•••"
    assert shown_name("มะลิ", "ใจดี", role="case_worker") == "มะลิ ใจดี"
    assert shown_name(None, "ใจดี", role="case_worker") is None
