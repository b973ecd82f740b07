"""Browser tests: Playwright (sync API) drives Debian's Chromium against the live server.

Playwright cannot download its own browsers here, so every launch uses /usr/bin/chromium. When
that binary is missing the browser tests are skipped on a developer machine, but fail in CI
(CI=true), where a missing browser is a broken setup and not a reason to test less.

Every test here needs `@pytest.mark.browser` and `@pytest.mark.django_db(transaction=True,
serialized_rollback=True)`: the live server runs in another thread and sees only committed data,
and serialized_rollback brings back the rows migrations seed (the template lists) that the flush
after each transactional test removes.
"""

import functools
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import PASSWORD

# Playwright's sync API runs an asyncio event loop in the main thread; Django would otherwise
# refuse every ORM call made by a test or fixture (SynchronousOnlyOperation).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 10_000

expect.set_options(timeout=TIMEOUT_MS)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


@pytest.fixture(scope="session")
def browser() -> Browser:
    if not CHROMIUM.exists():
        message = (
            f"{CHROMIUM} is missing, so the browser tests cannot run "
            "(install it with `make browser-deps` or `apt-get install chromium`)."
        )
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Page:
    """A fresh context (no cookies) per test, Swedish, desktop size."""
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def login(page: Page, live_server, user, password: str | None = None) -> None:
    """Sign in through the real login page and wait until the start page is shown."""
    page.goto(f"{live_server.url}/logga-in/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(password or PASSWORD)
    # The header has a submit button too (the language switch): use the one in <main>.
    page.locator("main").get_by_role("button", name="Logga in").click()
    expect(page).to_have_url(f"{live_server.url}/")


@pytest.fixture
def login_as(page: Page, live_server):
    """`login_as(user)`: `login(page, live_server, user)` bound to this test's page."""
    return functools.partial(login, page, live_server)


@pytest.fixture
def session_as(page: Page, live_server):
    """`session_as(user)`: a signed-in session cookie without the login page (faster).

    For tests about other pages; the login form itself is driven by `login`.
    """

    def sign_in(user) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )

    return sign_in


@pytest.fixture
def sign_in(live_server):
    """`sign_in(page, user)`: `login` for any page, e.g. a second browser context."""

    def do(page: Page, user) -> None:
        login(page, live_server, user)

    return do
