"""The web app in a real browser: Playwright (from PyPI) driving Debian's chromium against the API on a real
socket (`live_url`), or a local-mode server of its own.

Playwright cannot download its own browsers here, so it launches /usr/bin/chromium (installed by .ci/run)
with the flags that keep it off the network. Every page's console is watched: a script error or a
Content-Security-Policy violation fails the test that caused it. Screenshots go to $MNEMO_SCREENSHOTS
(default: the test home's screenshots/); the ones in docs/images come from there.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from memory.users import Principal
from server.app import create_app
from tests.conftest import TEST_HOME, make_key, serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(os.environ.get("MNEMO_SCREENSHOTS") or TEST_HOME / "screenshots")
# Chromium reports every 4xx answer to fetch() as a console error; the pages get 401s and 404s on purpose.
EXPECTED_CONSOLE = ("Failed to load resource",)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@dataclasses.dataclass
class Watched:
    """A page and what its console said."""

    page: object
    problems: list[str]


async def open_page(browser, **context_options) -> Watched:
    context = await browser.new_context(**{"viewport": {"width": 1280, "height": 860}, **context_options})
    page = await context.new_page()
    page.set_default_timeout(30_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}")
            if m.type == "error" and not m.text.startswith(EXPECTED_CONSOLE) else None)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))  # confirm() answers yes
    return Watched(page, problems)


@pytest.fixture
async def page(browser) -> AsyncIterator:
    """A fresh browser context (its own session storage) and page; fails on console errors."""
    watched = await open_page(browser)
    yield watched.page
    await watched.page.context.close()
    assert watched.problems == [], watched.problems


@pytest.fixture
async def user_key(resources, principal: Principal) -> str:
    return await make_key(resources, principal.tenant_id, principal.user_id)


@pytest.fixture
async def local_url(runtime, settings, tenant) -> AsyncIterator[str]:
    """A server in local mode (`mnemo serve --local`): requests without a key are the local user."""
    local_runtime = dataclasses.replace(runtime, local_principal=Principal(tenant, "local"), owns_resources=False)
    async with serving(create_app(settings, runtime=local_runtime)) as url:
        yield url


async def shot(page, name: str, *, full_page: bool = False) -> Path:
    """Save a screenshot of the page as it is now."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    return path


async def ready(page) -> None:
    """Wait until the page has drawn its data (common.js sets body[data-ready])."""
    await page.wait_for_selector("body[data-ready]")


async def sign_in(page, base: str, key: str, path: str = "/") -> None:
    await page.goto(base + path)
    await page.fill("#api-key", key)
    await page.press("#api-key", "Enter")
    await ready(page)


async def send(page, text: str) -> None:
    """Type a message, send it with Enter, and wait until its turn has ended (chat.js counts them)."""
    ended = int(await page.evaluate("() => document.body.dataset.turns ?? 0"))
    await page.fill("#message", text)
    await page.press("#message", "Enter")
    await page.wait_for_function("n => Number(document.body.dataset.turns ?? 0) > n", arg=ended)
    assert await page.locator(".message.failed").count() == 0, await page.inner_text(".message.failed")
