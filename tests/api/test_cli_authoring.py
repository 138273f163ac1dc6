"""``khumkrong protocols lint|rehearse|diff`` and ``khumkrong cases migrate``."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import app
from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.models import Case
from engine.protocols import service as protocols
from tests.conftest import FIXTURES

runner = CliRunner()
REFERENCE = FIXTURES / "reference_protocol.bpmn"
CORPUS = FIXTURES / "lint"
SCENARIO = """
[start]
data = { channel = "school" }

[[steps]]
at = "PT1H"
complete = "report"
as = "spm_tak"
data = { severity = "high" }

[[steps]]
advance = "PT30H"
"""


def run(*args: str):
    # Rich sizes its tables from COLUMNS when the output is not a terminal.
    return runner.invoke(app, list(args), env={"COLUMNS": "250"})


# -- lint ---------------------------------------------------------------------------------------


def test_lint_with_forms_checks_forms_and_gateway_fields():
    clean = run("protocols", "lint", str(CORPUS / "clean.bpmn"), "--forms", str(CORPUS / "forms"))
    assert clean.exit_code == 0, clean.output
    assert "no findings" in clean.output
    broken = run("protocols", "lint", str(CORPUS / "gateway-field-unknown.bpmn"), str(CORPUS / "form-missing.bpmn"), "--forms", str(CORPUS / "forms"))
    assert broken.exit_code == 1
    assert "gateway-field-unknown" in broken.output and "weapon_seen" in broken.output
    assert "form-missing" in broken.output
    # Without a forms folder the form rules do not run.
    assert run("protocols", "lint", str(CORPUS / "form-missing.bpmn")).exit_code == 0


def test_lint_against_a_catalogue_of_protocols_makes_an_uncaught_message_an_error(tmp_path):
    message_file = str(CORPUS / "message-uncaught.bpmn")
    alone = run("protocols", "lint", message_file)
    assert alone.exit_code == 0 and "warning" in alone.output and "refer_p9" in alone.output

    catalogue = tmp_path / "protocols"
    catalogue.mkdir()
    (catalogue / "p1.bpmn").write_text((CORPUS / "clean.bpmn").read_text(encoding="utf-8"), encoding="utf-8")
    assert run("protocols", "lint", message_file, "--catalogue", str(catalogue)).exit_code == 1

    receiver = (CORPUS / "clean.bpmn").read_text(encoding="utf-8").replace(
        '<bpmn:startEvent id="begin"><bpmn:outgoing>to_intake</bpmn:outgoing></bpmn:startEvent>',
        '<bpmn:startEvent id="begin"><bpmn:outgoing>to_intake</bpmn:outgoing><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>',
    ).replace("<bpmn:process", '<bpmn:message id="m" name="refer_p9"/><bpmn:process')
    (catalogue / "p9.bpmn").write_text(receiver, encoding="utf-8")
    caught = run("protocols", "lint", message_file, "--catalogue", str(catalogue))
    assert caught.exit_code == 0 and "no findings" in caught.output


@pytest.mark.parametrize("option, complaint", [
    ("--forms", "does not exist"),
    ("--catalogue", "is not a folder"),
])
def test_lint_with_a_missing_folder_is_bad_input(tmp_path, option, complaint):
    result = run("protocols", "lint", str(REFERENCE), option, str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert complaint in result.stderr


# -- rehearse -----------------------------------------------------------------------------------


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "late.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_rehearse_prints_the_timeline_as_a_table(scenario):
    result = run("protocols", "rehearse", str(REFERENCE), "--scenario", str(scenario))
    assert result.exit_code == 0, result.output
    for expected in ("(report)", "(assess)", "(follow_up)", "12-01 10:00", "pmj_tak", "ค้าง / open"):
        assert expected in result.output


def test_rehearse_prints_the_timeline_as_json(scenario):
    result = run("protocols", "rehearse", str(REFERENCE), "--scenario", str(scenario), "--json")
    assert result.exit_code == 0, result.output
    timeline = json.loads(result.stdout)
    assert [(row["task"], row["created"]) for row in timeline["rows"]] == [
        ("report", "2026-11-30T09:00:00+07:00"),
        ("assess", "2026-11-30T10:00:00+07:00"),
        ("follow_up", "2026-12-01T10:00:00+07:00"),
    ]


def test_rehearse_refuses_bad_input_and_reports_failing_steps(tmp_path, scenario):
    missing = run("protocols", "rehearse", str(REFERENCE), "--scenario", str(tmp_path / "none.toml"))
    assert missing.exit_code == 2 and "cannot read scenario" in missing.stderr

    typo = tmp_path / "typo.toml"
    typo.write_text('[[steps]]\ncomplet = "report"\n', encoding="utf-8")
    bad = run("protocols", "rehearse", str(REFERENCE), "--scenario", str(typo))
    assert bad.exit_code == 2 and "unknown key(s) complet" in bad.stderr

    no_protocol = run("protocols", "rehearse", str(tmp_path / "none.bpmn"), "--scenario", str(scenario))
    assert no_protocol.exit_code == 2 and "cannot read protocol" in no_protocol.stderr

    wrong = tmp_path / "wrong.toml"
    wrong.write_text('[[steps]]\ncomplete = "assess"\nas = "pmj_tak"\n', encoding="utf-8")
    failed = run("protocols", "rehearse", str(REFERENCE), "--scenario", str(wrong))
    assert failed.exit_code == 1
    assert "scenario step 1 failed" in failed.stderr and "report (spm_tak)" in failed.stderr
    assert "(report)" in failed.stdout  # the timeline up to the failure

    refused = run("protocols", "rehearse", str(CORPUS / "dead-end.bpmn"), "--scenario", str(scenario))
    assert refused.exit_code == 1 and "dead-end" in refused.stderr


# -- diff ---------------------------------------------------------------------------------------


def test_diff_of_two_files_as_text_and_json(tmp_path):
    renamed = tmp_path / "renamed.bpmn"
    renamed.write_text(REFERENCE.read_text(encoding="utf-8").replace("บันทึกเรื่อง", "บันทึกและปิดเรื่อง"), encoding="utf-8")
    text = run("protocols", "diff", str(REFERENCE), str(renamed))
    assert text.exit_code == 0, text.output
    assert text.stdout.splitlines() == [
        "~ เปลี่ยนชื่อ งาน 'file_report': \"บันทึกเรื่อง\" → \"บันทึกและปิดเรื่อง\"",
        "~ renamed userTask 'file_report': \"บันทึกเรื่อง\" → \"บันทึกและปิดเรื่อง\"",
    ]
    as_json = run("protocols", "diff", str(REFERENCE), str(renamed), "--json")
    assert json.loads(as_json.stdout)["renamed"][0]["new"] == "บันทึกและปิดเรื่อง"


def test_diff_of_unreadable_files_is_bad_input(tmp_path):
    missing = run("protocols", "diff", str(REFERENCE), str(tmp_path / "none.bpmn"))
    assert missing.exit_code == 2 and "cannot read protocol" in missing.stderr
    broken = tmp_path / "broken.bpmn"
    broken.write_text("<bpmn:definitions", encoding="utf-8")
    unreadable = run("protocols", "diff", str(REFERENCE), str(broken))
    assert unreadable.exit_code == 2 and "the new protocol cannot be read" in unreadable.stderr


@pytest.fixture
def stored(session, network, clock, people):
    """Version 1 (published, one running case) and version 2 (renames filing) of 'reference'."""
    policy = people["policy"]
    text = REFERENCE.read_text(encoding="utf-8")
    first, _ = protocols.store_draft(session=session, key="reference", bpmn=text, network=network, clock=clock, actor=policy)
    protocols.publish(session=session, key="reference", version=1, clock=clock, actor=policy)
    case = commands.start_case(session=session, protocol_key="reference", data={}, actor=people["school_worker"], clock=clock, network=network)
    protocols.store_draft(
        session=session, key="reference", bpmn=text.replace("บันทึกเรื่อง", "บันทึกและปิดเรื่อง"),
        network=network, clock=clock, actor=policy,
    )
    return case


def test_diff_of_stored_versions(database_url, stored):
    result = run("protocols", "diff", "--key", "reference", "1", "2", "--database-url", database_url, "--json")
    assert result.exit_code == 0, result.output
    assert [c["element_id"] for c in json.loads(result.stdout)["renamed"]] == ["file_report"]
    unknown = run("protocols", "diff", "--key", "reference", "1", "7", "--database-url", database_url)
    assert unknown.exit_code == 2 and "has no version 7" in unknown.stderr
    not_a_number = run("protocols", "diff", "--key", "reference", "1", "latest", "--database-url", database_url)
    assert not_a_number.exit_code == 2 and "'latest' is not a version number" in not_a_number.stderr


# -- cases migrate ------------------------------------------------------------------------------


def test_cases_migrate_moves_running_cases_and_audits_the_actor(database_url, stored, session, clock, people):
    unpublished = run("cases", "migrate", "reference", "--to", "2", "--database-url", database_url)
    assert unpublished.exit_code == 2 and "not published" in unpublished.stderr

    protocols.publish(session=session, key="reference", version=2, clock=clock, actor=people["policy"])
    nobody = run("cases", "migrate", "reference", "--to", "2", "--by", "nobody", "--database-url", database_url)
    assert nobody.exit_code == 2 and "no active user 'nobody'" in nobody.stderr

    moved = run("cases", "migrate", "reference", "--to", "2", "--by", "policy", "--database-url", database_url)
    assert moved.exit_code == 0, moved.output
    assert "moved 1, refused 0" in moved.stdout
    session.expire_all()
    assert session.get(Case, stored.id).protocol_version_id == protocols.get_version(session=session, key="reference", version=2).id
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.migrated")).all()
    assert (event.actor_username, event.case_id, event.details["from_version"]) == ("policy", stored.id, 1)


def test_cases_migrate_exits_1_when_a_case_is_refused(database_url, stored, session, network, clock, people):
    text = REFERENCE.read_text(encoding="utf-8")
    without_report = text.replace('id="report"', 'id="intake"').replace('targetRef="report"', 'targetRef="intake"').replace(
        'sourceRef="report"', 'sourceRef="intake"').replace("<bpmn:flowNodeRef>report</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>intake</bpmn:flowNodeRef>")
    version, _ = protocols.store_draft(session=session, key="reference", bpmn=without_report, network=network, clock=clock, actor=people["policy"])
    protocols.publish(session=session, key="reference", version=version.version, clock=clock, actor=people["policy"])
    result = run("cases", "migrate", "reference", "--to", str(version.version), "--database-url", database_url)
    assert result.exit_code == 1
    assert "refused" in result.stdout and "(report)" in result.stdout and "moved 0, refused 1" in result.stdout
