"""Shared browser fixtures: Debian Chromium driven by Playwright against Django's live server.

Reuse them for any browser test:

    @pytest.mark.slow
    def test_something(live_server, login, phone_page, axe_check):
        page = phone_page()
        login(page, "werkende@demo.leerportaal.nl")
        page.goto(live_server.url + "/gesprek/")
        axe_check(page)

- Playwright never downloads a browser here: it launches /usr/bin/chromium (apt-get install
  chromium). Without it, every test in tests/e2e is skipped with the reason.
- live_server runs the portal in a thread on a transactional database: data a test creates must
  be committed (seed_demo() and factories are, outside an atomic block), and is flushed afterwards.
- Celery tasks run in-process (eager) while a browser test runs, so e-mails land in mail.outbox.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}
# axe-core impacts that fail a test; "moderate" and "minor" are reported by axe but not fatal.
BLOCKING_IMPACTS = {"serious", "critical"}


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at Debian's Chromium, headless and offline."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "nl-NL", "timezone_id": "Europe/Amsterdam"}


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright():
    # Playwright's sync API keeps an event loop in this thread from its first use until the end of
    # the session; Django's ORM (test database setup, seeding, assertions, and any test that runs
    # after the browser tests) refuses to run beside one unless told that this is deliberate.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _e2e_celery_eager():
    from leerportaal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def phone_page(browser, browser_context_args):
    """A factory of pages in separate browser contexts (separate logins) on a 360 px wide phone."""
    contexts = []

    def make(**overrides):
        context = browser.new_context(
            **{
                **browser_context_args,
                "viewport": PHONE,
                "is_mobile": True,
                "has_touch": True,
                **overrides,
            }
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def login(live_server):
    """Log a page in through the real login form (with the demo password by default)."""
    from leerportaal.demo import DEMO_PASSWORD

    def do_login(page, email: str, password: str = DEMO_PASSWORD):
        page.goto(f"{live_server.url}/inloggen/")
        page.locator("#id_login").fill(email)
        page.locator("#id_password").fill(password)
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_load_state()
        assert "/inloggen/" not in page.url, f"login failed for {email}"
        if "/2fa/authenticate/" in page.url:
            # Employer staff and coordinators: the demo authenticator code (accounts/demo.py).
            from accounts.demo import current_demo_code

            code = page.locator("input[name=code]")
            code.fill(current_demo_code())
            code.press("Enter")  # submits the code form (the page has other forms too)
            page.wait_for_load_state()
            assert "/2fa/authenticate/" not in page.url, f"second factor failed for {email}"
        return page

    return do_login


@pytest.fixture(scope="session")
def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def axe_check(_axe):
    """Run axe-core on the page; fail on any serious or critical violation, naming each one."""

    def check(page):
        results = _axe.run(page)
        blocking = [
            violation
            for violation in results.response["violations"]
            if violation.get("impact") in BLOCKING_IMPACTS
        ]
        report = "\n".join(
            f"{v['impact']}: {v['id']} — {v['help']} ({len(v['nodes'])} times: "
            f"{', '.join(str(n['target']) for n in v['nodes'][:3])})"
            for v in blocking
        )
        assert not blocking, f"axe violations on {page.url}:\n{report}"
        return results

    return check


@pytest.fixture
def assert_fits_the_screen():
    """Nothing wider than the viewport: no sideways scrolling on a phone."""

    def check(page):
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"

    return check
