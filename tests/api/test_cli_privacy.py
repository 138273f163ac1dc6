"""``khumkrong audit reads`` (issue 14, item 3) and ``khumkrong retention run`` (item 2) from the
command line."""
from __future__ import annotations

import json
from datetime import timedelta

from typer.testing import CliRunner

from api.cli import app as cli
from engine.cases import reads
from tests.engine.privacy.scenes import DAO, MALEE, case_for_child, publish_intake_protocol


def test_audit_reads_lists_who_read_a_childs_data_in_a_period(session, network, clock, people, database_url):
    publish_intake_protocol(session, network, clock, people["policy"])
    worker, social = people["school_worker"], people["social_worker"]
    malee = case_for_child(session, network, clock, worker, MALEE, severity="high")
    dao = case_for_child(session, network, clock, worker, DAO)
    reads.read_case(session=session, case=malee, actor=worker, now=clock.now())  # 30 Nov 2026, 09:00 Tak time
    clock.advance(timedelta(days=2))
    reads.read_case(session=session, case=malee, actor=social, now=clock.now())  # 2 Dec
    reads.read_case(session=session, case=dao, actor=worker, now=clock.now())
    runner = CliRunner(env={"COLUMNS": "250"})

    answer = runner.invoke(cli, ["audit", "reads", "--child", str(malee.child_id), "--from", "2026-12-01",
                                 "--to", "2026-12-02", "--json", "--database-url", database_url])
    assert answer.exit_code == 0, answer.output
    listed = json.loads(answer.output)
    assert [(r["actor_username"], r["action"], r["case_reference"]) for r in listed] == [
        ("worker.pmj_tak", "case.viewed", malee.reference),
    ]
    assert listed[0]["occurred_at"].startswith("2026-12-02T02:00:00")

    table = runner.invoke(cli, ["audit", "reads", "--child", str(malee.child_id), "--database-url", database_url])
    assert table.exit_code == 0, table.output
    assert "worker.spm_tak" in table.output and "worker.pmj_tak" in table.output
    assert "2 read(s)" in table.output and dao.reference not in table.output

    bad = runner.invoke(cli, ["audit", "reads", "--child", str(malee.child_id), "--from", "1 Dec", "--database-url", database_url])
    assert bad.exit_code == 2 and "--from" in bad.output
    missing = runner.invoke(cli, ["audit", "reads", "--child", "99999", "--database-url", database_url])
    assert missing.exit_code == 2 and "not found" in missing.output


def test_retention_run_dry_run_lists_then_run_anonymises(session, network, people, database_url, monkeypatch, tmp_path):
    from sqlalchemy import select

    from engine.children.models import Child
    from engine.clock import SimulatedClock
    from engine.settings import PROJECT_ROOT, get_settings
    from tests.conftest import START
    from tests.engine.privacy.scenes import close_filed_case

    # The command runs on the wall clock: the case closed years before it.
    clock = SimulatedClock(START.replace(year=2021))

    publish_intake_protocol(session, network, clock, people["policy"])
    case = close_filed_case(session, network, clock, people["school_worker"],
                            case_for_child(session, network, clock, people["school_worker"], MALEE))
    # The command reads the network file and runs on the wall clock, years after 2026.
    toml = (PROJECT_ROOT / "protocols" / "network.toml").read_text(encoding="utf-8")
    custom = tmp_path / "network.toml"
    custom.write_text(toml.replace('default = "P10Y"', 'default = "P1Y"').replace(
        'p11_data_breach = "P5Y"', 'p11_data_breach = "P5Y"\np99_misspelt = "P2Y"'), encoding="utf-8")
    monkeypatch.setenv("KHUMKRONG_NETWORK_FILE", str(custom))
    get_settings.cache_clear()
    runner = CliRunner(env={"COLUMNS": "250"})
    try:
        dry = runner.invoke(cli, ["retention", "run", "--dry-run", "--database-url", database_url])
        assert dry.exit_code == 0, dry.output
        assert case.reference in dry.output and "would go" in dry.output and "p99_misspelt" in dry.output
        assert session.get(Child, case.child_id).first_name == "มะลิ"
        done = runner.invoke(cli, ["retention", "run", "--json", "--database-url", database_url])
        assert done.exit_code == 0, done.output
        answer = json.loads(done.output[done.output.index("{"):])
        assert [(c["reference"], c["anonymised"]) for c in answer["cases"]] == [(case.reference, True)]
        assert answer["children"] == [case.child_id]
        session.expire_all()
        assert session.scalar(select(Child.first_name).where(Child.id == case.child_id)) == ""
    finally:
        get_settings.cache_clear()
