"""A real headless Chromium (Debian's package) driven by Playwright."""

from __future__ import annotations

import shutil

from aiohttp.test_utils import TestServer
from playwright.async_api import Page

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def log_in(page: Page, server: TestServer, email: str, password: str) -> None:
    """Log in through the login page, as a person would."""
    await page.goto(str(server.make_url("/inloggen")))
    await page.get_by_label("E-mailadres").fill(email)
    await page.get_by_label("Wachtwoord").fill(password)
    await page.get_by_role("button", name="Inloggen").click()
