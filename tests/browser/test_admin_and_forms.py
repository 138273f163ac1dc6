"""Administrators and policy staff in the browser: accounts, the network, forms, /docs."""
from __future__ import annotations

from engine.people.directory import find_user
from tests.browser.conftest import check_page


def test_an_administrator_adds_and_disables_a_person(tab):
    page = tab.page
    tab.sign_in("admin")
    check_page(tab, title="ผู้ใช้", name="admin-users")
    form = page.locator("#add-user")
    form.get_by_label("ชื่อผู้ใช้").fill("สมชาย")  # the server refuses it: a user name is lower-case Latin
    form.get_by_label("ชื่อที่แสดง").fill("ร.ต.ท. สมชาย <ใจดี>")
    form.get_by_label("บทบาท").select_option("case_worker")
    form.get_by_label("หน่วยงาน").select_option("police_tak")
    form.get_by_label("รหัสผ่านแรกเข้า").fill("รหัสผ่านที่ยาวพอ 2569")
    form.get_by_role("button", name="เพิ่ม").click()
    page.wait_for_load_state()
    assert "ชื่อผู้ใช้ต้องมี 2–64 ตัว" in page.locator("#add-user").inner_text()
    kept = page.locator("#add-user")
    assert kept.get_by_label("ชื่อผู้ใช้").input_value() == "สมชาย"
    assert kept.get_by_label("ชื่อที่แสดง").input_value() == "ร.ต.ท. สมชาย <ใจดี>"
    assert kept.get_by_label("หน่วยงาน").input_value() == "police_tak"
    kept.get_by_label("ชื่อผู้ใช้").fill("somchai.police")
    kept.get_by_label("รหัสผ่านแรกเข้า").fill("รหัสผ่านที่ยาวพอ 2569")
    page.locator("#add-user").get_by_role("button", name="เพิ่ม").click()
    page.wait_for_load_state()
    assert "เพิ่มบัญชี somchai.police แล้ว" in page.get_by_role("status").inner_text()
    row = page.locator("tr[data-username='somchai.police']")
    assert "ร.ต.ท. สมชาย <ใจดี>" in row.inner_text()

    row.get_by_role("button", name="ระงับ").click()
    page.wait_for_load_state()
    assert "ถูกระงับ" in page.locator("tr[data-username='somchai.police']").inner_text()
    with tab.server.session_factory() as session:
        user = find_user(session=session, username="somchai.police")
        assert (user.role_code, user.agency_code, user.active) == ("case_worker", "police_tak", False)
    page.locator("tr[data-username='somchai.police']").get_by_role("button", name="เปิดใช้").click()
    page.wait_for_load_state()
    assert "ใช้งานได้" in page.locator("tr[data-username='somchai.police']").inner_text()


def test_the_network_and_api_documentation_pages(tab):
    page = tab.page
    tab.sign_in("admin")
    tab.goto("/admin/network")
    assert "ตำรวจภูธรจังหวัดตาก" in page.locator("main").inner_text()
    check_page(tab, title="เครือข่าย", name="admin-network")
    page.get_by_role("link", name="เอกสาร API").first.click()
    page.locator("#swagger-ui .opblock").first.wait_for()
    assert page.locator("#swagger-ui").get_by_text("/api/v1/protocols", exact=True).count() >= 1
    check_page(tab, title="เอกสาร API", name="api-docs", exclude=["#swagger-ui"])


def test_policy_staff_preview_a_form_with_thai_errors_and_kept_values(tab):
    page = tab.page
    tab.sign_in("policy")
    tab.goto("/forms")
    check_page(tab, title="แบบฟอร์ม", name="forms-list")
    page.get_by_role("link", name="แบบคัดกรองและประเมินความเสี่ยง").click()
    page.get_by_label("สูง").check()
    page.get_by_label("เหตุผลของการประเมิน").fill("<b>พบรอยฟกช้ำ</b>")
    page.get_by_role("button", name="ตรวจคำตอบ").click()
    page.wait_for_load_state()
    summary = page.locator("#form-errors")
    assert "กรุณาแก้ไขช่องที่มีเครื่องหมาย" in summary.inner_text()
    assert page.get_by_label("สูง").is_checked()
    assert page.get_by_label("เหตุผลของการประเมิน").input_value() == "<b>พบรอยฟกช้ำ</b>"
    check_page(tab, title="ตัวอย่าง", name="form-preview-errors")
    tab.goto("/forms/p1_receive_report/edit")
    check_page(tab, title="แก้ไขแบบฟอร์ม", name="form-editor")
