"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server (real HTTP, PostgreSQL).

Playwright's sync API runs an event loop in the test thread; Django then refuses ORM calls from that thread unless
DJANGO_ALLOW_ASYNC_UNSAFE is set. Only the tests of this package set it (an autouse fixture), and the browser lives
for this package only, so the rest of the suite keeps Django's check.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("WINK_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "var" / "screenshots"

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium chromium-driver; "
           "scripts/ensure_services.sh does it)",
)


@pytest.fixture(scope="package", autouse=True)
def _allow_orm_beside_playwright():
    # Package scope: still set while each test's database flush runs at teardown.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def seed(transactional_db, media_root):
    from tests.e2e.seed import seed_all, seed_live_state

    data = seed_all()
    seed_live_state(data)
    return data


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    yield page
    context.close()


@pytest.fixture
def shots():
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def save(page, name: str, full_page: bool = True) -> Path:
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save


def sign_in(page, base_url: str, username: str, password: str | None = None) -> None:
    from tests.e2e.seed import PASSWORD

    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")


UNLABELLED_CONTROLS_JS = """
() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea, button')).filter(el => {
  if (el.closest('[hidden]')) return false;
  const byLabel = el.labels && Array.from(el.labels).some(l => l.textContent.trim());
  const byAria = (el.getAttribute('aria-label') || '').trim() || el.getAttribute('aria-labelledby');
  const byText = el.tagName === 'BUTTON' && el.textContent.trim();
  return !(byLabel || byAria || byText);
}).map(el => el.outerHTML.slice(0, 120))
"""


def assert_accessible_basics(page) -> None:
    """Every control has a name, the page has one h1 and a main landmark, and the skip link reaches it."""
    assert page.evaluate(UNLABELLED_CONTROLS_JS) == []
    assert page.locator("h1").count() == 1
    assert page.locator("main#main").count() == 1
    assert page.evaluate("document.documentElement.lang") == "en"
    first = page.evaluate("document.querySelector('a[href], button, input, select, textarea, [tabindex]').textContent")
    assert first.strip() == "Skip to content"
    page.locator(".skip-link").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
