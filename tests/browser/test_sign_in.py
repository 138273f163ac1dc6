"""Signing in and out in a browser, the language switch, not found, and CSRF refusal."""
from __future__ import annotations

from tests.browser.conftest import check_page, screenshot


def test_sign_in_out_and_switch_language(tab):
    page = tab.page
    tab.goto("/")
    assert page.url.endswith("/signin")
    check_page(tab, title="เข้าสู่ระบบ", name="sign-in")
    page.get_by_label("ชื่อผู้ใช้").fill("policy")
    page.get_by_label("รหัสผ่าน").fill("wrong password")
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("ชื่อผู้ใช้").input_value() == "policy"
    screenshot(tab, "sign-in-error")

    tab.sign_in("admin")
    assert page.url.endswith("/admin/users")
    header = page.locator(".site-header").inner_text()
    assert "ผู้ดูแลระบบ" in header  # the role, in Thai

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.title().startswith("Users")
    page.get_by_role("button", name="ไทย").click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "th"

    page.get_by_role("button", name="ออกจากระบบ").click()
    page.wait_for_url("**/signin")
    tab.goto("/admin/users")
    assert "/signin?next=/admin/users" in page.url


def test_keyboard_users_can_skip_to_the_content(tab):
    page = tab.page
    tab.sign_in("policy")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="ข้ามไปยังเนื้อหา")
    assert skip.evaluate("(link) => link === document.activeElement")
    assert skip.is_visible()  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#main"


def test_not_found_and_not_allowed_pages(tab):
    tab.sign_in("worker.spm_tak")
    answer = tab.goto("/cases/999999")
    assert answer.status == 404
    check_page(tab, title="ไม่พบหน้านี้", name="not-found")
    answer = tab.goto("/admin/users")
    assert answer.status == 403
    check_page(tab, title="ไม่มีสิทธิ์", name="not-allowed")


def test_a_form_with_a_tampered_token_is_refused(tab):
    page = tab.page
    tab.sign_in("admin")
    page.evaluate("() => document.querySelectorAll('input[name=csrf_token]').forEach((i) => { i.value = 'forged'; })")
    page.locator("tr[data-username='worker.pmj_tak']").get_by_role("button", name="ระงับ").click()
    page.wait_for_load_state()
    assert "แบบฟอร์มหมดอายุ" in page.locator("main").inner_text()
    check_page(tab, title="แบบฟอร์มหมดอายุ", name="csrf-refused")
    tab.goto("/admin/users")
    assert "ใช้งานได้" in page.locator("tr[data-username='worker.pmj_tak']").inner_text()


def test_pages_fit_a_tablet_without_sideways_scrolling(tab):
    page = tab.page
    page.set_viewport_size({"width": 768, "height": 1024})
    tab.sign_in("admin")
    for path in ("/admin/users", "/protocols", "/forms/p1_receive_report", "/admin/network"):
        tab.goto(path)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), path
    tab.goto("/admin/users")
    screenshot(tab, "tablet-admin-users")
