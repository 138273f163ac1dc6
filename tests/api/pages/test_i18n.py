"""Thai first, English on request: the catalogue, the switch, titles and lang attributes."""
from __future__ import annotations

import re

from babel.messages.pofile import read_po

from api.pages.catalogue import extracted_ids
from api.pages.i18n import LANGUAGE_COOKIE, catalogue_path, translations
from tests.api.pages.conftest import csrf_of, sign_in

THAI = re.compile(r"[\u0E00-\u0E7F]")
TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def test_every_message_of_the_pages_has_its_thai():
    with catalogue_path("th").open("rb") as source:
        catalogue = read_po(source, locale="th")
    missing = sorted(
        message_id for message_id in extracted_ids()
        if (entry := catalogue.get(message_id)) is None or not entry.string or entry.fuzzy
    )
    assert not missing, f"run `make messages` and translate: {missing}"


def test_thai_translations_keep_their_placeholders():
    with catalogue_path("th").open("rb") as source:
        catalogue = read_po(source, locale="th")
    for entry in catalogue:
        if entry.id:
            assert sorted(re.findall(r"%\((\w+)\)s", entry.id)) == sorted(re.findall(r"%\((\w+)\)s", entry.string)), entry.id


def test_the_compiled_catalogue_translates():
    assert translations("th").gettext("Sign in") == "เข้าสู่ระบบ"
    assert translations("en").gettext("Sign in") == "Sign in"


def test_pages_are_thai_by_default_and_english_after_the_switch(browser, session, clock, accounts):
    sign_in(browser, session, "policy")
    page = browser.get("/protocols")
    assert '<html lang="th">' in page.text
    assert THAI.search(TITLE.search(page.text).group(1))
    switched = browser.post("/language", data={"language": "en", "next": "/protocols", "csrf_token": csrf_of(browser)},
                            follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/protocols"
    assert f"{LANGUAGE_COOKIE}=en" in switched.headers["set-cookie"]
    english = browser.get("/protocols")
    assert '<html lang="en">' in english.text
    assert TITLE.search(english.text).group(1).startswith("Protocols")
    browser.post("/language", data={"language": "th", "next": "/protocols", "csrf_token": csrf_of(browser)})
    assert '<html lang="th">' in browser.get("/protocols").text


def test_an_unknown_language_is_ignored(browser):
    token = csrf_of(browser, "/signin")
    answer = browser.post("/language", data={"language": "xx", "next": "/signin", "csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert LANGUAGE_COOKIE not in answer.headers.get("set-cookie", "")
    browser.cookies.set(LANGUAGE_COOKIE, "xx")
    assert '<html lang="th">' in browser.get("/signin").text
