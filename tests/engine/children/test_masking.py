"""Initials for readers not shown names; the record in full for those who work the case."""
from __future__ import annotations

from datetime import date

from engine.children.masking import child_as_seen_by, form_values_as_seen_by, initials, name_as_seen_by, shows_identity
from engine.children.models import Child, Guardian
from engine.people.actors import Actor
from tests.conftest import START

WORKER = Actor(1, "worker.pmj_tak", "case_worker", "pmj_tak")
SUPERVISOR = Actor(2, "supervisor.pmj_tak", "supervisor", "pmj_tak")
COMMITTEE = Actor(3, "committee", "committee", None)
ADMIN = Actor(4, "admin", "admin", None)


def test_initials_skip_titles_and_leading_vowels():
    assert initials("มะลิ", "ใจดี") == "ม.จ."
    assert initials("ด.ญ. มะลิ", "ใจดี") == "ม.จ."
    assert initials("เด็กชายเกศ", "แสงทอง") == "ก.ส."
    assert initials("Malee", None) == "M."
    assert initials("", None) is None


def test_who_is_shown_names():
    assert shows_identity(WORKER) and shows_identity(SUPERVISOR)
    assert not shows_identity(COMMITTEE) and not shows_identity(ADMIN)
    assert name_as_seen_by(WORKER, "มะลิ", "ใจดี") == "มะลิ ใจดี"
    assert name_as_seen_by(COMMITTEE, "มะลิ", "ใจดี") == "ม.จ."


def test_a_masked_record_keeps_what_oversight_needs_and_no_identifier():
    child = Child(id=7, first_name="มะลิ", last_name="ใจดี", birth_date=date(2011, 5, 1), national_id="1101700230708",
                  g_code=None, nationality="ไทย", language="กะเหรี่ยง", school="school_takpit", created_at=START,
                  updated_at=START)
    guardians = [Guardian(name="นายสมชาย ใจดี", relation="parent", alleged_abuser=True)]
    full = child_as_seen_by(SUPERVISOR, child, guardians)
    assert (full.masked, full.name, full.national_id, full.guardians[0].name) == (False, "มะลิ ใจดี", "1101700230708", "นายสมชาย ใจดี")
    masked = child_as_seen_by(COMMITTEE, child, guardians)
    assert masked.masked and masked.name == "ม.จ."
    assert (masked.birth_date, masked.national_id, masked.g_code, masked.school) == (None, None, None, None)
    assert (masked.nationality, masked.language) == ("ไทย", "กะเหรี่ยง")
    assert [(g.name, g.relation, g.alleged_abuser) for g in masked.guardians] == [("ส.", "parent", True)]


def test_form_values_mask_the_identifying_fields():
    values = {"child_first_name": "มะลิ", "child_last_name": "ใจดี", "child_national_id": "1101700230708",
              "child_birth_date": "2011-05-01", "guardians": [{"name": "นาง ก", "relation": "parent"}],
              "severity": "high", "incident_summary": "รอยฟกช้ำที่แขน"}
    assert form_values_as_seen_by(WORKER, values) == values
    assert form_values_as_seen_by(ADMIN, values) == {
        "child_first_name": "ม.", "child_last_name": "จ.", "guardians": [{"relation": "parent"}],
        "severity": "high", "incident_summary": "รอยฟกช้ำที่แขน",
    }
