"""Static files, the npm packages served from node_modules, and /docs working offline."""
from __future__ import annotations

import pytest

from api.pages.rendering import PAGE_CSP
from api.pages.static import INSTALL_HINT, vendor_missing
from tests.requirements import unavailable


@pytest.fixture
def npm_packages():
    missing = vendor_missing()
    if missing:
        unavailable(f"the front-end packages ({', '.join(missing)})", INSTALL_HINT)


def test_docs_is_swagger_ui_from_this_server_under_the_page_policy(browser):
    page = browser.get("/docs")
    assert page.status_code == 200
    assert '<html lang="th">' in page.text and "<title>เอกสาร API" in page.text
    assert 'src="/static/vendor/swagger-ui/swagger-ui-bundle.js"' in page.text
    assert 'src="/static/js/swagger-init.js"' in page.text
    assert "cdn" not in page.text.lower()
    assert page.headers["content-security-policy"] == PAGE_CSP
    assert browser.get("/redoc").status_code == 404
    assert browser.get("/openapi.json", headers={"accept": "application/json"}).json()["info"]["title"] == "Khumkrong"


def test_the_pages_own_files_are_served_for_revalidation(browser):
    css = browser.get("/static/css/app.css")
    assert css.status_code == 200 and css.headers["cache-control"] == "no-cache" and "etag" in css.headers
    assert browser.get("/static/css/app.css", headers={"if-none-match": css.headers["etag"]}).status_code == 304
    assert browser.get("/static/../pyproject.toml").status_code == 404


def test_the_npm_packages_are_served_but_nothing_else_of_node_modules(browser, npm_packages):
    for path in ("/static/vendor/bpmn-js/bpmn-modeler.production.min.js",
                 "/static/vendor/bpmn-js-properties-panel/bpmn-js-properties-panel.umd.js",
                 "/static/vendor/properties-panel/properties-panel.css", "/static/vendor/htmx/htmx.min.js",
                 "/static/vendor/swagger-ui/swagger-ui-bundle.js"):
        assert browser.get(path).status_code == 200, path
    assert browser.get("/static/vendor/axe-core/axe.min.js").status_code == 404  # test tooling is not served
    assert browser.get("/static/vendor/bpmn-js/../package.json").status_code == 404
