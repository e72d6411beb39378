"""End to end: start the dashboard with `streamlit run`, drive it in real headless Chromium.

Plays the distribution animation and saves screenshots of the pages to
``test-artifacts/screenshots/`` (distribution.png, comparison.png, training.png). Skipped when
Debian's ``/usr/bin/chromium`` or Playwright is missing (`./lab test` installs both).

By default the dashboard shows a fabricated run store (Gaussian clouds, `dashboard_fixtures`). Set
``LABKIT_E2E_RUNS=DIR`` to drive it on a real run store instead; the README's screenshots were
taken that way on the store `labkit demo` writes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dashboard_fixtures import make_store

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory):
    """A running dashboard on a fabricated run store; the server is always terminated afterwards."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (`./lab setup` or `apt-get install chromium` installs it)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    given = os.environ.get("LABKIT_E2E_RUNS")
    store = Path(given) if given else make_store(tmp_path_factory.mktemp("browser-runs"))
    port = _free_port()
    log = open(tmp_path_factory.mktemp("browser-log") / "streamlit.log", "w+")
    cmd = [sys.executable, "-m", "streamlit", "run", str(REPO / "dashboard" / "app.py"),
           "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    server = subprocess.Popen(cmd, env={**os.environ, "LABKIT_RUNS": str(store)}, stdout=log,
                              stderr=subprocess.STDOUT, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as resp:
                    if resp.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"streamlit did not start (exit {server.poll()}):\n{log.read()[-3000:]}")
            time.sleep(0.3)
        yield url, _opening_and_last_iteration(store)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _opening_and_last_iteration(store: Path) -> tuple[int, int]:
    """First and last recorded iteration of the run the distribution page opens on (newest with data)."""
    from labkit.runstore import Run, RunStore

    for info in RunStore(store).list_runs():
        spaces = [] if info.error else Run(info.path).spaces()
        if spaces:
            its = Run(info.path).snapshot_iterations(spaces[0])
            if its:
                return its[0], its[-1]
    pytest.skip(f"no run with recorded snapshots in {store}")


def _no_exception(page) -> None:
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()


def test_dashboard_in_chromium(dashboard_url):
    from playwright.sync_api import sync_playwright

    dashboard_url, (first, last) = dashboard_url
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1500})
            page.set_default_timeout(45_000)

            # Distribution page (the default): the plot appears with its play button and slider.
            page.goto(dashboard_url)
            page.get_by_text("Distribution of generated samples").wait_for()
            plot = page.locator(".js-plotly-plot").first
            plot.wait_for()
            page.locator(".updatemenu-button").first.wait_for()
            # The coverage panel beside the plot, for the opening frame (iteration 0).
            page.get_by_text(f"Coverage · iteration {first}").wait_for()
            _no_exception(page)
            title = page.locator(".gtitle").first
            title_before = title.text_content()
            assert title_before.startswith(f"iteration {first} (cumulative)")

            # Play: plotly steps through the frames in the browser until the last iteration.
            page.locator(".updatemenu-button", has_text="Play").first.click()
            until_last = ("() => { const e = document.querySelector('.gtitle');"
                          f" return e && e.textContent.startsWith('iteration {last} '); }}")
            page.wait_for_function(until_last, timeout=60_000)
            # The last frame's title carries its own coverage metrics, not the first frame's.
            title_after = title.text_content()
            assert title_after != title_before and "test_gain" in title_after
            # The Streamlit slider picks the opening frame and the metrics beside the plot.
            page.get_by_role("slider").first.focus()
            page.keyboard.press("End")
            page.get_by_text(f"Coverage · iteration {last}").wait_for()
            page.wait_for_function(until_last)
            _no_exception(page)
            page.wait_for_timeout(700)  # let the redrawn plot settle before the picture
            page.screenshot(path=str(SHOTS / "distribution.png"), full_page=True)

            # Comparison page: the summary table and four charts.
            page.get_by_role("link", name="Comparison").click()
            page.get_by_text("Augmenter comparison").wait_for()
            page.get_by_text("Per-class recall").wait_for()
            # Bar chart, per-class recall and (the fabricated store has a sweep) UAR against amount.
            n_plots = 2 if os.environ.get("LABKIT_E2E_RUNS") else 3
            page.wait_for_function(f"() => document.querySelectorAll('.js-plotly-plot').length >= {n_plots}")
            _no_exception(page)
            page.wait_for_timeout(500)
            page.screenshot(path=str(SHOTS / "comparison.png"), full_page=True)

            # Training page: losses and coverage curves.
            page.get_by_role("link", name="Training").click()
            page.get_by_text("Coverage of the real data by generated samples").wait_for()
            page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 3")
            _no_exception(page)
            page.screenshot(path=str(SHOTS / "training.png"), full_page=True)
        finally:
            browser.close()
    for name in ("distribution.png", "comparison.png", "training.png"):
        assert (SHOTS / name).stat().st_size > 10_000, f"{name} looks empty"
