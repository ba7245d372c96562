"""The web console in headless Chromium against the real stack.

Chromium is Debian's package (`apt-get install chromium`; `.ci/run` installs it when it
is missing), driven by Playwright for Python pointed at that binary: Playwright never
downloads a browser here (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1). CHROMIUM names another
binary. Screenshots of every screen go to var/screenshots/ (SCREENSHOT_DIR to change it);
the run prints where.
"""

import os
import shutil
from pathlib import Path

import pytest

from deploy.local.stack import REPO
from tests.support.stacks import free_port, start_stack

SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", REPO / "var" / "screenshots"))
_taken: list[Path] = []


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which(
        "chromium-browser")
    if not found:
        pytest.fail("Chromium is not installed: `apt-get update && apt-get install -y chromium` "
                    "(.ci/run does it), or set CHROMIUM to a Chromium binary.", pytrace=False)
    return found


@pytest.fixture(scope="session")
async def browser():
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []  # root has no user namespace
        launched = await playwright.chromium.launch(executable_path=chromium_path(),
                                                    headless=True, args=[*args, "--lang=es-CL"])
        yield launched
        await launched.close()


# Every visible form control has a name a screen reader reads: a <label>, aria-label or
# aria-labelledby (hidden inputs and buttons with text are fine by themselves).
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(e => e.type !== 'hidden' && e.offsetParent !== null)
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !e.getAttribute('aria-labelledby') && !(e.tagName === 'BUTTON'
               && e.textContent.trim()))
  .map(e => e.outerHTML.slice(0, 120))"""


@pytest.fixture(scope="session")
def screenshots():
    """await shoot(page, name): a full-page PNG of the screen, kept as a test artifact,
    after checking that every control on it is labelled."""
    shutil.rmtree(SCREENSHOT_DIR, ignore_errors=True)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    async def shoot(page, name: str) -> Path:
        unlabelled = await page.evaluate(UNLABELLED)
        assert not unlabelled, f"{name}: controls without a label: {unlabelled}"
        path = SCREENSHOT_DIR / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        _taken.append(path)
        return path

    return shoot


@pytest.fixture(scope="module")
async def console_stack(infra, topology, tmp_path_factory):
    """Invoicing, accounting, the worker and the web console as real processes."""
    stack = await start_stack(infra, topology, tmp_path_factory.mktemp("browser-logs"),
                              "browser", web_port=free_port(),
                              env={"PAGE_SIZE": "5", "ENVIRONMENT": "development"})
    yield stack
    stack.stop()


def pytest_terminal_summary(terminalreporter):
    if _taken:
        terminalreporter.write_sep("-", f"{len(_taken)} screenshots of the console in "
                                        f"{SCREENSHOT_DIR}")
        for path in _taken:
            terminalreporter.write_line(f"  {path}")
