"""Browser tests: the app served by uvicorn on a free port, driven by Debian's chromium.

One browser for the whole session, one server with the demo data on a simulated clock, and a
fresh browser context (cookies, storage) per test. Chromium, Thai fonts and the npm packages
must be installed (``make test`` installs them when it can); without them these tests skip
with a reason that says how to get them, and fail in CI.

Screenshots go to ``build/screenshots/`` (``KHUMKRONG_SCREENSHOTS=docs/screenshots`` writes
them where the README can use them).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.pages.static import INSTALL_HINT, NODE_MODULES, vendor_missing
from engine.clock import SimulatedClock
from engine.demo import demo_password, load_demo
from engine.migrations import upgrade_database
from engine.settings import PROJECT_ROOT, Settings
from engine.wiring import Wiring
from tests.conftest import START, PostgresDatabases
from tests.requirements import unavailable

CHROMIUM = os.environ.get("KHUMKRONG_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("KHUMKRONG_SCREENSHOTS", PROJECT_ROOT / "build" / "screenshots"))
APT_HINT = "install them with `sudo apt-get install chromium fonts-thai-tlwg` (make test does it when run as root)"


def _thai_fonts_installed() -> bool:
    if shutil.which("fc-list") is None:
        return False
    listed = subprocess.run(["fc-list", ":lang=th", "family"], capture_output=True, text=True, check=False)
    return bool(listed.stdout.strip())


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        unavailable(f"chromium ({CHROMIUM})", APT_HINT)
    if not _thai_fonts_installed():
        unavailable("Thai fonts (fonts-thai-tlwg)", APT_HINT)
    missing = vendor_missing()
    if missing or not AXE.exists():
        unavailable(f"the front-end packages ({', '.join(missing) or 'axe-core'})", INSTALL_HINT)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Playwright gives every launch a fresh, throw-away user-data-dir of its own.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield launched
        launched.close()


@dataclass
class Server:
    url: str
    clock: SimulatedClock
    session_factory: sessionmaker[Session]
    password: str  # of the demo accounts


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def server(browser, tmp_path_factory: pytest.TempPathFactory, postgres_databases: PostgresDatabases) -> Iterator[Server]:
    """The app with the demo data (network, protocols, forms, accounts and the living cases, whose
    history ends at the simulated clock's start), on its own database."""
    configured = os.environ.get("KHUMKRONG_DATABASE_URL", "")
    if configured.startswith("postgresql"):
        url = postgres_databases.create()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'khumkrong.db'}"
        upgrade_database(url)
    clock = SimulatedClock(START)
    wiring = Wiring.from_settings(Settings(database_url=url), clock=clock)
    factory, network = wiring.session_factory, wiring.network
    with factory() as session:
        load_demo(session=session, network=network, clock=clock, protocols_dir=wiring.settings.network_file.parent,
                  forms_dir=PROJECT_ROOT / "forms", cases=True)
    app = create_app(wiring=wiring, simulation=True)
    port = _free_port()
    uvicorn_server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=uvicorn_server.run, name="browser-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uvicorn_server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}", clock, factory, demo_password(network))
    uvicorn_server.should_exit = True
    thread.join(timeout=10)
    wiring.dispose()


@dataclass
class Tab:
    """A page in a fresh context, with what its console reported."""

    page: object
    server: Server
    console_errors: list[str] = field(default_factory=list)

    def goto(self, path: str):
        return self.page.goto(self.server.url + path)

    def sign_in(self, username: str, password: str | None = None) -> None:
        self.goto("/signin")
        self.page.get_by_label("ชื่อผู้ใช้").fill(username)
        self.page.get_by_label("รหัสผ่าน").fill(password or self.server.password)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="เข้าสู่ระบบ").click()

    def csp_violations(self) -> list[str]:
        return [message for message in self.console_errors if "Content Security Policy" in message]


@pytest.fixture
def tab(browser, server: Server) -> Iterator[Tab]:
    context = browser.new_context(locale="th-TH", viewport={"width": 1280, "height": 900}, timezone_id="Asia/Bangkok")
    context.set_default_timeout(15_000)
    page = context.new_page()
    opened = Tab(page, server)
    page.on("console", lambda message: opened.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: opened.console_errors.append(f"page error: {error}"))
    yield opened
    context.close()


def check_accessibility(tab: Tab, *, exclude: list[str] | None = None) -> None:
    """axe-core in the page: no serious or critical violation. Injected through the DevTools
    protocol, which the page's CSP does not govern (the app itself never serves axe)."""
    page = tab.page
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate(
        """async (exclude) => {
            const context = exclude.length ? { exclude: exclude.map((s) => [s]) } : document;
            return await axe.run(context, { resultTypes: ['violations'] });
        }""",
        exclude or [],
    )
    serious = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, "\n".join(
        f"{v['impact']} {v['id']}: {v['help']} — " + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"]) for n in v["nodes"][:5])
        for v in serious
    )


def screenshot(tab: Tab, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    tab.page.screenshot(path=str(path), full_page=full_page)
    return path


def check_page(tab: Tab, *, title: str, name: str, exclude: list[str] | None = None) -> None:
    """What every page must do: Thai title and lang, no CSP violation, accessible, a screenshot."""
    page = tab.page
    assert page.evaluate("document.documentElement.lang") == "th"
    assert title in page.title()
    check_accessibility(tab, exclude=exclude)
    assert not tab.csp_violations(), tab.csp_violations()
    screenshot(tab, name)
