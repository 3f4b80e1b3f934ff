"""Browser fixtures shared by every browser test module: Playwright driving Debian's
Chromium, headless; a fresh profile per test; numbered screenshots of each step in
test-artifacts/console/<test>/ (git-ignored), kept as the run's artifacts."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
# Headless Chromium as root in a container: no sandbox (it needs user namespaces),
# and /tmp instead of a small /dev/shm.
LAUNCH_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "install Debian's chromium (scripts/test.sh does)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context()  # a fresh profile: no cookies from other tests
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


@pytest.fixture
def shot(page: Any, request: pytest.FixtureRequest) -> Callable[[str], None]:
    """shot("step"): a full-page screenshot, numbered, in this test's artifact folder."""
    folder = ARTIFACTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)  # only this run's steps
    folder.mkdir(parents=True)
    taken = iter(range(1, 100))

    def take(step: str) -> None:
        page.screenshot(path=str(folder / f"{next(taken):02d}-{step}.png"), full_page=True)

    return take
