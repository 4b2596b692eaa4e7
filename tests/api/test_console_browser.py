"""The console page in real Chromium (Debian's, driven by Playwright) against a real daemon.

A technician on a phone-sized screen logs in with the generated password and
sees every device; a wrong password is refused on the page. The page's own
Content-Security-Policy stays on, so waits use locators, not evaluated JS.
"""

from __future__ import annotations

import asyncio
import io
import shutil
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from edge.config.loader import parse_config
from edge.daemon.app import Daemon
from edge.timesync import ClockSync
from tests.fakes import wait_until

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
SITE = """
[site]
box_id = "browser-box"
name = "Browser test"
[store]
data_dir = "{data}"
[console]
port = 0
[[devices]]
kind = "sim.gate"
id = "gate-1"
name = "North gate"
[[devices]]
kind = "sim.sos"
id = "sos-1"
"""


@pytest.fixture
async def running(tmp_path: Path):
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (scripts/system-packages.txt)")
    daemon = Daemon(parse_config(SITE.format(data=tmp_path / "var")), clock_sync=ClockSync(fixed=True),
                    out=io.StringIO())
    stop = asyncio.Event()
    async with asyncio.TaskGroup() as group:
        group.create_task(daemon.run(stop))
        await wait_until(lambda: daemon.health.counts()["online"] == 2)
        yield daemon
        stop.set()


async def test_technician_logs_in_on_a_phone_and_sees_every_device(running: Daemon) -> None:
    password = running.console.credentials.initial_password_file.read_text().strip()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844})
            await page.goto(running.console.url)
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
