"""The viewer's page in a real browser (Debian's chromium, headless, driven through chromedriver by
Selenium): list, search, open, edit, delete and undo, pin, and the timeline, graph, episodes and
previews render. `.ci/run` installs the browser; without one these tests are skipped, unless
MCP_MEMORY_REQUIRE_BROWSER=1 (set by CI) makes that a failure. With MCP_MEMORY_SCREENSHOTS=<folder>
the main views are saved there as PNG files (docs/images holds the README's)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from mcp_memory.services.app import open_app
from mcp_memory.services.episodes.record import add_step, complete_episode, start_episode
from mcp_memory.web.serve import build_viewer, free_port
from tests.conftest import fake_loader, make_settings
from tests.test_web import seed

pytestmark = pytest.mark.e2e

_CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_DRIVER = shutil.which("chromedriver")
if not (_CHROMIUM and _DRIVER):
    if os.environ.get("MCP_MEMORY_REQUIRE_BROWSER") == "1":
        raise RuntimeError(
            "chromium and chromedriver are required here (apt-get install chromium chromium-driver)"
        )
    pytest.skip("no chromium and chromedriver on this machine", allow_module_level=True)

from selenium import webdriver  # noqa: E402 - only where a browser exists
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

_WAIT = 60  # seconds: generous, the machine may be busy; never a measure of speed


@pytest.fixture
def page(tmp_path: Path) -> Iterator[tuple[Any, dict[str, str]]]:
    """A seeded store served by the viewer (uvicorn in a thread) and a headless chromium on its page."""
    import uvicorn

    settings = make_settings(tmp_path)
    ids = seed(settings, count=30)

    async def episode() -> None:
        async with open_app(settings, loader=fake_loader()) as app:
            found = await start_episode(app, "Build the web bundle")
            await add_step(app, found, "npm run build", result="missing script", ok=False)
            await add_step(app, found, "pnpm run build", result="built", ok=True)
            await complete_episode(app, found, "success", lesson="The web bundle builds with pnpm")

    anyio.run(episode)
    port, token = free_port(), "browser-test-token"
    app = build_viewer(settings, token=token, port=port, loader=fake_loader())
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + _WAIT
    while not server.started:
        assert time.monotonic() < deadline, "the viewer did not start"
        time.sleep(0.05)
    options = webdriver.ChromeOptions()
    options.binary_location = str(_CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(_DRIVER)), options=options)
    driver.implicitly_wait(0)
    try:
        driver.get(f"http://127.0.0.1:{port}/?token={token}")
        yield driver, ids
    finally:
        driver.quit()
        server.should_exit = True
        thread.join(timeout=30)


def _until(driver: Any, check: Callable[[Any], Any]) -> Any:
    # The list is drawn anew when the store changes: an element read a moment ago may be gone.
    return WebDriverWait(driver, _WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(check)


def _cards(driver: Any) -> list[WebElement]:
    return list(driver.find_elements(By.CSS_SELECTOR, "[data-testid=list] [data-testid=memory]"))


def _shoot(driver: Any, name: str) -> None:
    folder = os.environ.get("MCP_MEMORY_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"viewer-{name}.png"))


def _click(driver: Any, css: str) -> None:
    """Click what `css` finds, finding it again if the page drew it anew in between."""
    _until(driver, lambda d: d.find_element(By.CSS_SELECTOR, css).click() or True)


def _card(driver: Any, ident: str) -> WebElement:
    return _until(
        driver, lambda d: d.find_element(By.CSS_SELECTOR, f"[data-testid=list] [data-id='{ident}']")
    )


def test_list_search_open_edit_delete_undo_and_pin_in_a_browser(page: tuple[Any, dict[str, str]]) -> None:
    """The list shows the pinned memory first; a search finds by words with relevance and why; a memory
    opens whole; an edit saves and its history shows the diff; a delete is undone from the toast; a
    pin moves a memory to the top."""
    driver, ids = page
    _until(driver, lambda d: len(_cards(d)) >= 30)
    assert "token" not in driver.current_url  # out of the address bar and the history
    assert _cards(driver)[0].get_attribute("data-id") == ids["rule"]
    assert "pinned" in _cards(driver)[0].text
    assert "of 34" in driver.find_element(By.ID, "list-head").text  # 33 stored, 1 lesson of the episode
    _shoot(driver, "list")

    search = driver.find_element(By.CSS_SELECTOR, "[data-testid=search]")
    search.send_keys("gateway port staging\n")
    _until(driver, lambda d: "results for" in d.find_element(By.ID, "list-head").text)
    _until(
        driver,
        lambda d: _cards(d)[0].get_attribute("data-id") == ids["port"] and "words" in _cards(d)[0].text,
    )
    _shoot(driver, "search")

    _click(driver, f"[data-testid=list] [data-id='{ids['port']}']")
    detail = _until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=detail]:not([hidden])"))
    assert "8443" in detail.find_element(By.CSS_SELECTOR, "[data-testid=content]").text
    assert "api-gateway" in detail.text  # its graph link, as a picture
    _click(driver, "[data-testid=detail] [data-testid=edit]")
    box = _until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=edit-content]"))
    box.clear()
    box.send_keys("The API gateway listens on port 9443 in staging")
    _click(driver, "[data-testid=save]")
    history = _until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=history]"))
    assert history.find_element(By.TAG_NAME, "del").text == "8443"
    assert history.find_element(By.TAG_NAME, "ins").text == "9443"
    _shoot(driver, "memory")

    _click(driver, "[data-testid=close]")
    search.clear()
    search.send_keys("\n")
    _click(driver, f"[data-testid=list] [data-id='{ids['pnpm']}']")
    _click(driver, "[data-testid=detail]:not([hidden]) [data-testid=delete]")
    _until(
        driver,
        lambda d: not d.find_elements(By.CSS_SELECTOR, f"[data-testid=list] [data-id='{ids['pnpm']}']"),
    )
    _click(driver, "[data-testid=toast-action]")
    _card(driver, ids["pnpm"])

    _click(driver, f"[data-testid=list] [data-id='{ids['pnpm']}']")
    _click(driver, "[data-testid=detail]:not([hidden]) [data-testid=pin]")
    _until(
        driver, lambda d: {c.get_attribute("data-id") for c in _cards(d)[:2]} == {ids["rule"], ids["pnpm"]}
    )


def test_timeline_graph_episodes_and_previews_render_in_a_browser(page: tuple[Any, dict[str, str]]) -> None:
    """The timeline draws a bar per day (a click lists that day), the graph draws its entities, the
    episode shows its steps, the agent's view shows the session-start block and a task's context, and
    stats and health list their checks."""
    driver, ids = page

    def tab(name: str) -> None:
        driver.find_element(By.CSS_SELECTOR, f"#tabs [data-tab={name}]").click()

    tab("timeline")
    bars = _until(
        driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=timeline] [data-testid=bar]")
    )
    assert len(bars) == 1  # everything was stored today
    _shoot(driver, "timeline")
    _click(driver, "[data-testid=timeline] [data-testid=bar]")
    _until(driver, lambda d: len(_cards(d)) >= 30 and d.find_element(By.NAME, "since").get_attribute("value"))

    tab("graph")
    field = driver.find_element(By.ID, "graph-q")
    field.send_keys("api-gateway\n")
    nodes = _until(
        driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=graph] [data-testid=node]")
    )
    # Two hops: the gateway, what it runs in and calls, and what that uses.
    assert {n.text.split(" (")[0] for n in nodes} == {"api-gateway", "staging", "auth-service", "postgres"}
    assert ids["port"] in driver.find_element(By.ID, "graph").text  # the linked memory
    _shoot(driver, "graph")

    tab("episodes")
    episode = _until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=episode]"))
    assert "Build the web bundle" in episode.text
    assert "npm run build" in episode.text
    assert "pnpm" in episode.text

    tab("agent")
    block = _until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=session-block]"))
    _until(driver, lambda d: "Never push to main directly" in block.text)
    driver.find_element(By.ID, "task").send_keys("which port does the staging gateway use\n")
    context = driver.find_element(By.CSS_SELECTOR, "[data-testid=context-block]")
    _until(driver, lambda d: "8443" in context.text)
    _shoot(driver, "agent")

    tab("health")
    _until(driver, lambda d: "By kind" in d.find_element(By.CSS_SELECTOR, "[data-testid=health]").text)


def test_the_page_reads_again_when_another_client_writes(
    page: tuple[Any, dict[str, str]], tmp_path: Path
) -> None:
    """A memory stored by another process appears in the open list without a reload."""
    driver, _ = page
    _until(driver, lambda d: len(_cards(d)) >= 30)

    async def write() -> None:
        async with open_app(make_settings(tmp_path), loader=fake_loader()) as app:
            from mcp_memory.services.memories.store import store_memory

            await store_memory(app, "Release notes go in CHANGELOG.md under Unreleased", kind="convention")

    anyio.run(write)
    _until(driver, lambda d: any("CHANGELOG.md" in c.text for c in _cards(d)))
