"""Debian's Chromium driven by Playwright's Python package: launched by path, never downloaded.

One Chromium per test process, launched at the first page asked for and closed when the process
ends; each page is in a browser context of its own (its own cookies, storage, service workers and
cache, as a fresh profile has), so no test sees another's session. Launching Playwright's driver
and Chromium took 2-3 s per page on a shared machine, over some forty browser tests.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ARTIFACTS = Path(__file__).parent / "artifacts"


def chromium_path() -> str | None:
    for candidate in (os.environ.get("TANDEM_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@contextmanager
def browser(viewport: tuple[int, int] = (1400, 900), *, enforce_csp: bool = False) -> Iterator[Page]:
    """A fresh page. Playwright's ``wait_for_function`` evaluates its predicate with ``eval``,
    which the console's Content Security Policy forbids, so tests run with the policy bypassed
    unless ``enforce_csp`` (then wait with :func:`wait_until` instead); any page that reports a
    policy violation fails the test either way."""
    required = os.environ.get("TANDEM_REQUIRE_BROWSER") == "1"
    path = chromium_path()
    if path is None:
        if required:
            pytest.fail("TANDEM_REQUIRE_BROWSER=1 but no Chromium: apt-get install chromium chromium-driver")
        pytest.skip("browser tests skipped: install Debian's chromium (the CI script does)")
    context = _chromium(path).new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, bypass_csp=not enforce_csp
    )
    page = context.new_page()
    # the Content Security Policy must never block the console's own scripts, styles or map
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        yield page
    finally:
        context.close()
    assert not blocked, blocked


#: This process's Playwright and Chromium, once launched.
_SHARED: dict[str, Any] = {}


def _chromium(path: str) -> Browser:
    """This process's Chromium; launched again if the last one went away (a crash)."""
    running = _SHARED.get("browser")
    if running is not None and running.is_connected():
        return running  # type: ignore[no-any-return]
    _close_shared()
    from playwright import sync_api

    playwright = sync_api.sync_playwright().start()
    _SHARED["playwright"] = playwright
    _SHARED["browser"] = playwright.chromium.launch(
        executable_path=path,
        headless=True,
        args=["--no-sandbox", "--enable-unsafe-swiftshader", "--use-angle=swiftshader"],
    )
    return _SHARED["browser"]  # type: ignore[no-any-return]


@atexit.register
def _close_shared() -> None:
    browser, playwright = _SHARED.pop("browser", None), _SHARED.pop("playwright", None)
    with contextlib.suppress(Exception):  # a browser that crashed has nothing left to close
        if browser is not None:
            browser.close()
    with contextlib.suppress(Exception):
        if playwright is not None:
            playwright.stop()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def console_log_in(page: Page, base_url: str, coop_id: str, login: str, password: str, query: str = "") -> None:
    """Log a dispatcher into the console and wait until its socket is live."""
    page.goto(f"{base_url}/console/{query}")
    page.fill("input[name=cooperative_id]", coop_id)
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("#login button[type=submit]")
    page.wait_for_function("window.__tandem && window.__tandem.ready")
    page.wait_for_selector("#connection[data-state=live]")


def wait_until(page: Page, expression: str, timeout_s: float = 30.0) -> None:
    """Poll ``expression`` through the debugging protocol (not subject to the page's CSP)."""
    import time

    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout_s} s: {expression}")
        time.sleep(0.1)
