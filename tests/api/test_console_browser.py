"""The console page in real Chromium (Debian's, driven by Playwright) against a real daemon.

A technician on a phone-sized screen logs in with the generated password and
sees every device; a wrong password is refused on the page. The page's own
Content-Security-Policy stays on, so waits use locators, not evaluated JS.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from tests.harness import RunningDaemon, running_daemon
from tests.sites import load_site

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
async def running(tmp_path: Path):
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (scripts/system-packages.txt)")
    async with running_daemon(load_site("console-browser", data=tmp_path / "var"), online=2) as daemon:
        yield daemon


async def test_technician_logs_in_on_a_phone_and_sees_every_device(running: RunningDaemon) -> None:
    console = running.daemon.console
    password = console.credentials.initial_password_file.read_text().strip()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844})
            await page.goto(console.url)
            await page.fill("#password", "not-the-password")
            await page.click("#login-button")
            await expect(page.locator("#login-error")).not_to_be_empty()
            assert await page.is_visible("#login-view")

            await page.fill("#password", password)
            await page.click("#login-button")
            await page.wait_for_selector("#status-view:not([hidden])")
            await expect(page.locator("#devices tr")).to_have_count(2)
            rows = await page.inner_text("#devices")
            assert "gate-1" in rows and "sos-1" in rows and "North gate" in rows
            assert rows.count("online") == 2
            assert "browser-box" in await page.inner_text("#box")
            counts = await page.inner_text("#counts")
            assert "2 online" in counts
        finally:
            await browser.close()
