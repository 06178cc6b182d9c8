"""The viewer's first paint: from navigation start to the first page of the memory list drawn (the
page marks `mcp-memory:list`), in headless chromium, at --memories memories and at a reference
store of 100 memories measured in the same run, interleaved.

    uv run python bench/viewer.py [--memories 10000] [--runs 15]

Goal (issue 28): the page's first paint under a second at 10,000 memories. Each run is a fresh
navigation with the cache off (every run loads the page and its first API calls anew).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))


@contextmanager
def _viewer(folder: Path, count: int) -> Iterator[str]:
    """A store of `count` memories (bench/hooks.py's) served by the viewer; its URL."""
    import uvicorn

    from hooks import _build
    from mcp_memory.config import Settings
    from mcp_memory.web.serve import build_viewer, free_port

    folder.mkdir()
    settings = Settings.load(env={}, db_path=folder / "memory.db", data_dir=folder, project="shop")
    anyio.run(_build, settings, count)
    port, token = free_port(), "bench-token"
    app = build_viewer(settings, token=token, port=port)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/?token={token}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _browser() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        raise SystemExit("needs chromium and chromedriver (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disk-cache-size=0",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver), options=options)


def _first_paint(browser: Any, url: str) -> float:
    """Milliseconds from navigation start to the list drawn."""
    browser.get("about:blank")
    browser.get(url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        mark = browser.execute_script(
            "const m = performance.getEntriesByName('mcp-memory:list'); return m.length ? m[0].startTime : null;"
        )
        if mark is not None:
            return float(mark)
        time.sleep(0.01)
    raise SystemExit("the list was never drawn")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--memories", type=int, default=10_000, help="memories in the measured store (default 10,000)"
    )
    parser.add_argument("--runs", type=int, default=15, help="navigations per store (default 15)")
    args = parser.parse_args()
    times: dict[str, list[float]] = {"big": [], "small": []}
    with (
        tempfile.TemporaryDirectory() as tmp,
        _viewer(Path(tmp) / "big", args.memories) as big,
        _viewer(Path(tmp) / "small", 100) as small,
    ):
        browser = _browser()
        try:
            _first_paint(browser, small)  # the browser's own start, not measured
            for _ in range(args.runs):
                times["small"].append(_first_paint(browser, small))
                times["big"].append(_first_paint(browser, big))
        finally:
            browser.quit()
    med_big, med_small = statistics.median(times["big"]), statistics.median(times["small"])
    p95_big = sorted(times["big"])[min(len(times["big"]) - 1, int(0.95 * len(times["big"])))]
    print(f"Viewer first paint (navigation start to the list drawn), {args.runs} navigations each, ms")
    print("| store | median | p95 | ratio to 100 memories | goal |")
    print("|---|---|---|---|---|")
    print(f"| 100 memories (reference) | {med_small:.0f} | | 1.00x | |")
    verdict = "met" if p95_big < 1000 else "NOT met"
    print(
        f"| {args.memories:,} memories | {med_big:.0f} | {p95_big:.0f} | {med_big / med_small:.2f}x | < 1000 ms {verdict} |"
    )


if __name__ == "__main__":
    main()
