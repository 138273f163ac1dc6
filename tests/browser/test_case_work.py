"""Case workers, supervisors and the committee in the browser, on the living demo: a worker
starts and claims a task, meets a Thai error with her values kept, fixes it and completes; the
next agency finds its task; a supervisor sees an overdue task after the simulated clock passes
its deadline, acknowledges the escalation and reassigns the task; an uninvolved agency gets the
not-found page. Every main page: Thai title, lang="th", axe-core, the CSP, a screenshot."""
from __future__ import annotations

import re

from sqlalchemy import select

from engine.cases import commands
from engine.cases.models import Case, Escalation, WorkItem
from engine.deadlines.simulation import move_simulated_clock
from engine.network.definition import load_network
from engine.people.actors import Actor
from engine.people.models import User
from engine.protocols.models import ProtocolVersion
from engine.settings import PROJECT_ROOT
from tests.browser.conftest import check_page, screenshot

NETWORK = load_network(PROJECT_ROOT / "protocols" / "network.toml")


def _named(label: str) -> re.Pattern[str]:
    """A field's label as the page writes it: the label, then "*" and " (ต้องกรอก)" when it is required."""
    return re.compile("^" + re.escape(label) + r"\*?( \(ต้องกรอก\))?$")


def _field(page, label: str):
    return page.locator("#task-form").get_by_label(_named(label))


def _choose(page, group: str, option: str) -> None:
    page.locator("#task-form").get_by_role("group", name=_named(group)).get_by_label(option, exact=True).check()


def wait_for_diagram(page) -> None:
    page.wait_for_selector("#diagram[data-ready='true']")


def test_a_worker_starts_a_case_fixes_a_thai_error_completes_and_the_police_find_their_task(tab):
    page = tab.page
    tab.sign_in("worker.pmj_tak")
    assert page.url.endswith("/inbox")
    assert page.locator("#inbox tbody tr[data-task-id]").count() >= 1  # the demo's work is there at once
    check_page(tab, title="งานเข้า", name="inbox")

    page.get_by_role("link", name="เริ่มกรณี", exact=True).click()
    check_page(tab, title="เริ่มกรณี", name="start-case")
    page.get_by_label("การคุ้มครองเด็กที่ถูกทารุณกรรม", exact=False).check()
    page.get_by_label("ผู้แจ้ง").select_option("school_umphang")
    with page.expect_navigation():
        page.get_by_role("button", name="เริ่มกรณีนี้").click()
    assert "/tasks/" in page.url
    task_id = int(page.url.rsplit("/", 1)[1])
    assert "รับแจ้งเหตุ" in page.locator("h1").inner_text()

    with page.expect_navigation():
        page.get_by_role("button", name="รับงานนี้").click()
    wait_for_diagram(page)
    assert page.locator('#diagram g.djs-element.current[data-element-id="receive_report"]').count() == 1
    check_page(tab, title="รับแจ้งเหตุ", name="task", exclude=["#diagram"])

    _field(page, "ชื่อเด็ก").fill("ขวัญใจ")
    _field(page, "นามสกุลเด็ก").fill("ศรีอุ้มผาง")
    _field(page, "วันเดือนปีเกิด").fill("2012-07-21")
    _field(page, "เลขประจำตัวประชาชน").fill("1234567890123")  # the check digit is wrong
    _choose(page, "เด็กเป็นนักเรียน", "ใช่")
    _field(page, "ช่องทางที่รับแจ้ง").select_option(label="โรงเรียน (รายงานของครูตามมาตรา 29 วรรคสอง)")
    page.locator("#task-form").get_by_role("group", name=_named("ลักษณะเหตุ")).get_by_label("ทารุณกรรมทางร่างกาย").check()
    _field(page, "สรุปเหตุที่พบ").fill('ครูพบรอยช้ำที่ขา <script>alert("x")</script>')
    _choose(page, "ผู้ถูกกล่าวหาเป็นครูหรือบุคลากรของสถานศึกษา", "ไม่ใช่")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    with page.expect_navigation():
        page.get_by_role("button", name="ทำงานนี้เสร็จ").click()
    error = page.locator("#f-child_national_id-error")
    assert "13 หลัก" in error.inner_text()
    assert "กรุณาแก้ไขช่องที่มีเครื่องหมาย" in page.locator("#form-errors").inner_text()
    assert _field(page, "ชื่อเด็ก").input_value() == "ขวัญใจ"
    assert _field(page, "เลขประจำตัวประชาชน").input_value() == "1234567890123"
    assert _field(page, "สรุปเหตุที่พบ").input_value() == 'ครูพบรอยช้ำที่ขา <script>alert("x")</script>'
    assert page.locator("#task-form").get_by_role("group", name=_named("เด็กเป็นนักเรียน")).get_by_label("ใช่", exact=True).is_checked()
    check_page(tab, title="รับแจ้งเหตุ", name="task-form-errors", exclude=["#diagram"])

    _field(page, "เลขประจำตัวประชาชน").fill("1103700123466")
    with page.expect_navigation():
        page.get_by_role("button", name="ทำงานนี้เสร็จ").click()
    assert "/inbox?completed=" in page.url
    assert dialogs == []  # the script text was shown, never run
    with tab.server.session_factory() as session:
        intake = session.get(WorkItem, task_id)
        case = session.get(Case, intake.case_id)
        assert intake.state == "completed" and case.child_id is not None
        reference = case.reference
        triage_id = session.scalar(select(WorkItem.id).where(WorkItem.case_id == case.id, WorkItem.task_name == "triage"))

    # Triage from the inbox: claimed with one click (htmx swaps the row), then completed.
    row = page.locator(f"#task-{triage_id}")
    row.get_by_role("button", name="รับงาน").click()
    page.locator(f"#task-{triage_id} .badge.active").wait_for()
    assert "ของคุณ" in page.locator(f"#task-{triage_id}").inner_text()
    page.locator(f"#task-{triage_id}").get_by_role("link", name="คัดกรองและประเมินความเสี่ยง").click()
    _choose(page, "ระดับความเสี่ยง", "สูง")
    _choose(page, "ต้องแยกตัวเด็กจากครอบครัว", "ไม่ใช่")
    _choose(page, "มีเหตุสงสัยว่ามีการกระทำความผิดอาญา", "ใช่")
    _choose(page, "พิจารณาประโยชน์สูงสุดของเด็กแล้ว", "ใช่")
    with page.expect_navigation():
        page.get_by_role("button", name="ทำงานนี้เสร็จ").click()
    assert f"งานของกรณี {reference} เสร็จแล้ว" in page.get_by_role("status").inner_text()

    page.get_by_role("button", name="ออกจากระบบ").click()
    page.wait_for_url("**/signin")
    tab.sign_in("worker.police_tak")
    police_row = page.locator("#inbox tr", has_text=reference)
    assert "รับคำร้องทุกข์" in police_row.inner_text()
    with tab.server.session_factory() as session:
        complaint = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.task_name == "police_receive"))
        assert (complaint.agency_code, complaint.state) == ("police_tak", "open")
    police_row.get_by_role("link", name=reference).click()
    wait_for_diagram(page)
    assert page.locator('#diagram g.djs-element.done[data-element-id="triage"]').count() == 1
    assert page.locator('#diagram g.djs-element.active[data-element-id="police_receive"]').count() == 1
    assert page.locator(".djs-overlay .due-badge").count() >= 1
    check_page(tab, title=reference, name="case", exclude=["#diagram"])


def _start_screening(server) -> tuple[int, str]:
    """A P2 screening that reaches the director's signature (due in 24 hours) now."""
    with server.session_factory() as session:
        school = Actor.of(session.scalar(select(User).where(User.username == "worker.spm_tak")))
        case = commands.start_case(session=session, protocol_key="p2_student_screening", data={}, actor=school,
                                   clock=server.clock, network=NETWORK, reporting_unit="school_padung")
        for task, data in (
            ("know_student", {"child_first_name": "ปลายฟ้า", "concern_source": "teacher_concern"}),
            ("screen_student", {"screen_result": "problem", "abuse_suspected": True, "risk_domains": ["safety"]}),
        ):
            item = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.task_name == task))
            commands.complete(session=session, work_item_id=item.id, data=data, actor=school, clock=server.clock,
                              network=NETWORK)
        signature = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id,
                                                          WorkItem.task_name == "sign_external_referral"))
        return signature.id, case.reference


def test_a_supervisor_sees_an_overdue_task_acknowledges_the_escalation_and_reassigns_it(tab):
    page = tab.page
    task_id, reference = _start_screening(tab.server)
    with tab.server.session_factory() as session:
        # The simulated clock passes the 24-hour deadline; timers fire as the worker would fire them.
        admin = Actor.of(session.scalar(select(User).where(User.username == "admin")))
        move_simulated_clock(session=session, clock=tab.server.clock, network=NETWORK, actor=admin, advance="PT25H")
        escalation = session.scalar(select(Escalation).where(Escalation.work_item_id == task_id))
        assert (escalation.level, escalation.target_agency_code, escalation.status) == (1, "spm_tak", "open")
        worker = session.scalar(select(User).where(User.username == "supervisor.spm_tak"))

    tab.sign_in("supervisor.spm_tak")
    assert page.url.endswith("/dashboard")
    overdue_row = page.locator(f'#overdue tr[data-task-id="{task_id}"]')
    assert reference in overdue_row.inner_text() and "เกินกำหนด" in overdue_row.inner_text()
    assert page.locator('#overdue-by-agency tr[data-key="spm_tak"] rect').count() == 1
    check_page(tab, title="แผงติดตามงาน", name="dashboard")

    card = page.locator(f"#escalation-{escalation.id}")
    card.get_by_label("บันทึก").fill("ผู้อำนวยการอยู่ต่างจังหวัด มอบรองผู้อำนวยการลงนามแทน")
    with page.expect_navigation():
        card.get_by_role("button", name="รับทราบ").click()
    assert "รับทราบการยกระดับแล้ว" in page.get_by_role("status").inner_text()
    card = page.locator(f"#escalation-{escalation.id}")
    card.get_by_label("มอบงานให้").select_option(str(worker.id))
    with page.expect_navigation():
        card.get_by_role("button", name="มอบงาน").click()
    assert "มอบงานให้ supervisor.spm_tak แล้ว" in page.get_by_role("status").inner_text()
    with tab.server.session_factory() as session:
        handled = session.get(Escalation, escalation.id)
        assert (handled.status, handled.climb_at) == ("acknowledged", None)
        task = session.get(WorkItem, task_id)
        assert (task.state, task.assignee_id) == ("claimed", worker.id)
    screenshot(tab, "dashboard-handled")


def test_an_uninvolved_agency_gets_the_not_found_page_for_a_case(tab):
    page = tab.page
    with tab.server.session_factory() as session:
        screening = session.scalar(select(Case).join(WorkItem, WorkItem.case_id == Case.id)
                                   .where(WorkItem.agency_code == "spm_tak").limit(1))
    tab.sign_in("worker.culture_tak")
    answer = tab.goto(f"/cases/{screening.id}")
    assert answer.status == 404
    assert screening.reference not in page.locator("main").inner_text()
    check_page(tab, title="ไม่พบหน้านี้", name="case-not-found")


def test_the_committee_reads_the_monitoring_report_and_a_masked_case(tab):
    page = tab.page
    tab.sign_in("committee")
    assert page.url.endswith("/committee")
    assert page.locator("#report-by-protocol tbody tr").count() >= 9
    assert page.get_by_role("button", name="พิมพ์").is_visible()  # shown once the script runs
    check_page(tab, title="รายงานการกำกับติดตาม", name="committee-report")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible() and not page.locator("form.filters").is_visible()
    screenshot(tab, "committee-report-print")
    page.emulate_media(media="screen")
    with tab.server.session_factory() as session:
        malee = session.scalar(select(Case).where(Case.child_id.is_not(None)).order_by(Case.id))
    tab.goto(f"/cases/{malee.id}")
    wait_for_diagram(page)
    assert "ปิดบังชื่อและเลขประจำตัวไว้" in page.locator("main").inner_text()
    check_page(tab, title="กรณี", name="case-committee", exclude=["#diagram"])
    tab.goto("/cases")
    check_page(tab, title="กรณี", name="cases-list")


def test_comments_on_a_task_are_shown_as_text(tab):
    page = tab.page
    tab.sign_in("worker.pmj_tak")
    with tab.server.session_factory() as session:
        triage = session.scalar(select(WorkItem).where(WorkItem.agency_code == "pmj_tak", WorkItem.task_name == "triage",
                                                       WorkItem.state.in_(["open", "claimed"])).order_by(WorkItem.id))
    tab.goto(f"/tasks/{triage.id}")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.get_by_label("เพิ่มความเห็น").fill('นัดครูประจำชั้น <img src=x onerror="alert(1)"> พรุ่งนี้')
    with page.expect_navigation():
        page.get_by_role("button", name="บันทึกความเห็น").click()
    assert 'นัดครูประจำชั้น <img src=x onerror="alert(1)"> พรุ่งนี้' in page.locator("#comments").inner_text()
    assert page.locator("#comments img").count() == 0 and dialogs == []
    wait_for_diagram(page)
    check_page(tab, title="คัดกรอง", name="task-comments", exclude=["#diagram"])


def test_case_pages_fit_a_tablet(tab):
    page = tab.page
    page.set_viewport_size({"width": 768, "height": 1024})
    tab.sign_in("supervisor.pmj_tak")
    for path in ("/dashboard", "/inbox", "/cases", "/cases/new"):
        tab.goto(path)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), path
    screenshot(tab, "tablet-dashboard")


def test_the_header_counts_the_inbox(tab):
    page = tab.page
    tab.sign_in("worker.health_tak")
    count = int(page.locator(".task-count .count").inner_text())
    assert count >= 1 and f"{count} งาน" in page.locator(".summary").inner_text()


def test_a_supervisor_is_offered_to_reopen_a_closed_case(tab):
    """The form is shown, accessible and Thai; submitting it, and who is not offered it, are
    tested in tests/api/pages (submitting here would add a case to the living demo the other
    browser tests read)."""
    page = tab.page

    with tab.server.session_factory() as session:
        closed = session.scalar(
            select(Case).join(ProtocolVersion, ProtocolVersion.id == Case.protocol_version_id)
            .where(Case.status == "completed", ProtocolVersion.key == "p2_student_screening").order_by(Case.id)
        )
    assert closed is not None, "the living demo has a closed P2 case"
    tab.sign_in("supervisor.spm_tak")
    tab.goto(f"/cases/{closed.id}")
    wait_for_diagram(page)
    form = page.locator("#reopen-form")
    assert form.get_by_label("เหตุที่เปิดกรณีอีกครั้ง").is_visible()
    assert form.get_by_role("button", name="เปิดกรณีใหม่ที่เชื่อมโยงกับกรณีนี้").is_visible()
    check_page(tab, title="กรณี", name="case-reopen-offered", exclude=["#diagram"])
