"""A real headless Chromium (Debian's package) driven by Playwright.

Where the browser is missing, the tests skip on a developer's machine but fail in CI (CI=true),
which installs it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, async_playwright

from hub.app import create_app
from hub.platform.config import Settings
from tests.support.browser import CHROMIUM, FLAGS

SCREENSHOTS = pytest.StashKey[list[Path]]()


@pytest.fixture
def screenshots(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for screenshots to look at; the end of the test run says where it is."""
    folder = tmp_path_factory.mktemp("screenshots")
    request.config.stash.setdefault(SCREENSHOTS, []).append(folder)
    return folder


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    for folder in config.stash.get(SCREENSHOTS, []):
        terminalreporter.write_line(f"screenshots of the pages: {folder}")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not os.path.exists(CHROMIUM):
        message = f"no Chromium at {CHROMIUM}: apt-get install -y chromium"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
async def server(haarlem: asyncpg.Pool, dsn: str, settings: Settings) -> AsyncIterator[TestServer]:
    """The hub on a local port, on the test database with Haarlem's teams and routing."""
    test_server = TestServer(create_app(settings, dsn))
    await test_server.start_server()
    yield test_server
    await test_server.close()


@pytest.fixture
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium_path, args=FLAGS)
        yield launched
        await launched.close()
