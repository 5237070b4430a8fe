"""Debian's Chromium driven by Playwright's Python package: launched by path, never downloaded."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

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
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=path,
            headless=True,
            args=["--no-sandbox", "--enable-unsafe-swiftshader", "--use-angle=swiftshader"],
        )
        context = b.new_context(viewport={"width": viewport[0], "height": viewport[1]}, bypass_csp=not enforce_csp)
        page = context.new_page()
        # the Content Security Policy must never block the console's own scripts, styles or map
        blocked: list[str] = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        try:
            yield page
        finally:
            context.close()
            b.close()
        assert not blocked, blocked


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
