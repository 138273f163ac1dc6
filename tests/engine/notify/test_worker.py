"""The background worker end to end: a late case becomes an escalation and an e-mail that
arrives at a real SMTP server on loopback; the digest goes out once a day."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from engine.cases import assignment, commands
from engine.cases.models import Escalation, WorkItem
from engine.notify.models import OutboxMessage
from engine.people.models import User
from engine.worker import work_once
from tests.conftest import add_user
from tests.engine.cases.test_commands import publish_reference


def test_worker_pass_fires_escalates_and_delivers(session, session_factory, network, clock, people, smtp_server):
    smtp_server.start()
    supervisor = add_user(session, "supervisor.pmj_tak", "supervisor", "pmj_tak")
    for actor in (supervisor, people["social_worker"]):
        session.get(User, actor.user_id).email = f"{actor.username}@tak.example"
    session.commit()
    publish_reference(session, network, clock, people["policy"])
    case = commands.start_case(session=session, protocol_key="reference", data={}, actor=people["school_worker"], clock=clock, network=network)
    report = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    commands.complete(session=session, work_item_id=report.id, data={"severity": "high"}, actor=people["school_worker"], clock=clock, network=network)
    assess = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.task_name == "assess"))
    assignment.claim(session=session, work_item_id=assess.id, actor=people["social_worker"], clock=clock)

    # 25 h later (11:00 Tak time, after the digest hour): the deadline passed an hour ago.
    clock.advance(timedelta(hours=25))
    result = work_once(session_factory=session_factory, clock=clock, network=network, settings=smtp_server.settings)
    assert result.tick.timers_fired == 1
    assert result.digests_queued == 1  # the social worker's overdue assessment

    received = {(r.rcpt_tos[0], r.message["Subject"]) for r in smtp_server.handler.received}
    recipients = sorted(address for address, _ in received)
    # pmj_tak's new-task notice to the worker, the escalation to the supervisor, the digest.
    assert recipients == ["supervisor.pmj_tak@tak.example", "worker.pmj_tak@tak.example", "worker.pmj_tak@tak.example"]
    bodies = [r.message.get_body(("plain",)).get_content() for r in smtp_server.handler.received]
    assert all(case.reference in body for body in bodies)
    assert all("TAK-" not in body.replace(case.reference, "") for body in bodies)  # no other case leaks in
    assert result.delivery.sent == 3
    with session_factory() as check:
        assert check.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent")) == 0
        assert check.scalar(select(func.count()).select_from(Escalation)) == 1

    # The same day again: nothing new to fire, queue or send.
    clock.advance(timedelta(hours=1))
    again = work_once(session_factory=session_factory, clock=clock, network=network, settings=smtp_server.settings)
    assert (again.tick.timers_fired, again.digests_queued, again.delivery.sent) == (0, 0, 0)
    assert len(smtp_server.handler.received) == 3


def test_worker_command_runs_one_pass(database_url, session, network, people, monkeypatch, smtp_server):
    from typer.testing import CliRunner

    from api.cli import app
    from engine.settings import get_settings

    smtp_server.start()
    monkeypatch.setenv("KHUMKRONG_SMTP_PORT", str(smtp_server.port))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["worker", "--once", "--database-url", database_url])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "fired 0 timer(s)" in result.output and "sent 0 message(s)" in result.output
