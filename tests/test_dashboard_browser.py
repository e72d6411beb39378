"""End to end: start the dashboard with `streamlit run`, drive it in real headless Chromium.

Plays the distribution animation, puts two generators side by side and plays them together,
downloads a figure as PNG (the plot's toolbar) and as interactive HTML (the button), opens a
`labkit report` page offline and plays its animation, and saves screenshots of the pages to
``test-artifacts/screenshots/`` (distribution.png, distribution-pair.png, comparison.png,
training.png, report.png). Skipped when Debian's ``/usr/bin/chromium`` or Playwright is missing
(`./lab test` installs both).

By default the dashboard shows a fabricated run store (Gaussian clouds, `dashboard_fixtures`). Set
``LABKIT_E2E_RUNS=DIR`` to drive it on a real run store instead; the README's screenshots were
taken that way on the store `labkit demo` writes.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from dashboard_fixtures import make_audio_run, make_augmenter_run, make_store, make_training_run

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [pytest.mark.browser, pytest.mark.slow]
BIG, BIG_ITERATIONS = "aaec-big", (0, 10, 20, 30)  # 3,000 train + 1,000 test + 600 generated x 4


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
    if given:
        store = Path(given)
    else:
        store = tmp_path_factory.mktemp("browser-runs")
        # Over 5,000 points (WebGL): the plot component plays its frames itself. The oldest run.
        make_training_run(store, BIG, n_train=3000, n_test=1000, n_gen=600, iterations=BIG_ITERATIONS)
        make_audio_run(store, tmp_path_factory.mktemp("browser-corpus"))  # the inspector's run (real wavs)
        make_augmenter_run(store)  # made before make_store, so the training run of make_store is the newest
        make_store(store)
    port = _free_port()
    log = open(tmp_path_factory.mktemp("browser-log") / "streamlit.log", "w+")
    from labkit.commands.dashboard import streamlit_command

    # Started as `labkit dashboard` starts it, not headless: Streamlit withholds its promotional
    # pop-ups from headless servers anyway, so only a non-headless start tests that the app's own
    # config keeps them away. BROWSER=true makes "opening a browser" a no-op.
    cmd = streamlit_command(REPO / "dashboard" / "app.py", port, "127.0.0.1", headless=False)
    cmd += ["--server.fileWatcherType", "none"]
    server = subprocess.Popen(
        cmd,
        env={**os.environ, "LABKIT_RUNS": str(store), "BROWSER": "true"},
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
    )
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
        yield url, _opening_and_last_iteration(store), store
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


# The Distribution plot is drawn by labkit's plot component (`labkit.viz.components`), in an iframe.
PLOT_IFRAME = 'iframe[title*="labkit_plot"]'


def _plot_frame(page):
    """The frame of the Distribution plot (the component's iframe), once plotly has drawn in it."""
    page.locator(PLOT_IFRAME).first.wait_for()
    frame = page.locator(PLOT_IFRAME).first.element_handle().content_frame()
    frame.locator(".js-plotly-plot .gtitle, .js-plotly-plot .annotation-text").first.wait_for()
    return frame


def _no_exception(page) -> None:
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()
    _no_promotion(page)


# Streamlit's promotional cards and banners (1.67: "Help agents write better apps — Install").
PROMOTIONS = '[data-testid="stSkillsNudge"], .stSkillsNudge, [data-testid*="Nudge"], [data-testid*="Promo"]'


def _no_promotion(page) -> None:
    assert page.locator(PROMOTIONS).count() == 0, page.locator(PROMOTIONS).first.inner_text()
    assert page.get_by_text("Help agents write better apps").count() == 0


def test_dashboard_in_chromium(dashboard_url):
    from playwright.sync_api import sync_playwright

    dashboard_url, (first, last), _ = dashboard_url
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1500})
            page.set_default_timeout(45_000)

            # Distribution page (the default): the plot appears with its play button and slider.
            page.goto(dashboard_url)
            page.get_by_text("Distribution of generated samples").wait_for()
            plot = _plot_frame(page)
            plot.locator(".updatemenu-button").first.wait_for()
            # The page opens on the last iteration; the coverage panel beside the plot follows it.
            page.get_by_text(f"Coverage · iteration {last}").wait_for()
            _no_exception(page)
            # dashboard/.streamlit/config.toml: no Deploy button, no developer menu.
            assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
            assert page.locator('[data-testid="stMainMenu"]').count() == 0
            title = plot.locator(".gtitle").first
            plot.wait_for_function(
                f"() => document.querySelector('.gtitle').textContent.startsWith('iteration {last} (cumulative)')"
            )
            # Back to the first frame with the Streamlit slider, then play from there.
            page.get_by_role("slider").first.focus()
            page.keyboard.press("Home")
            page.get_by_text(f"Coverage · iteration {first}").wait_for()
            plot.wait_for_function(
                f"() => document.querySelector('.gtitle').textContent.startsWith('iteration {first} (cumulative)')"
            )
            title_before = title.text_content()

            # Play: plotly steps through the frames in the browser until the last iteration.
            plot.locator(".updatemenu-button", has_text="Play").first.click()
            until_last = (
                "() => { const e = document.querySelector('.gtitle');"
                f" return e && e.textContent.startsWith('iteration {last} '); }}"
            )
            plot.wait_for_function(until_last, timeout=60_000)
            # The last frame's title carries its own coverage metrics, not the first frame's.
            title_after = title.text_content()
            assert title_after != title_before and "test_gain" in title_after
            # The Streamlit slider picks the opening frame and the metrics beside the plot.
            page.get_by_role("slider").first.focus()
            page.keyboard.press("End")
            page.get_by_text(f"Coverage · iteration {last}").wait_for()
            plot.wait_for_function(until_last)
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
            # Every button label whole: none is cut to "Downloa…".
            for button in page.get_by_role("button", name="Download HTML").all():
                assert button.evaluate("b => b.scrollWidth <= b.clientWidth + 1"), "a button label is cut"
            page.screenshot(path=str(SHOTS / "training.png"), full_page=True)
        finally:
            browser.close()
    for name in ("distribution.png", "comparison.png", "training.png"):
        assert (SHOTS / name).stat().st_size > 10_000, f"{name} looks empty"


def _pair_in(store: Path):
    """(run label, space A, space B, B's last iteration) of a run with two generators on the same real data."""
    from labkit.runstore import Run, RunStore
    from labkit.viz.projection import reference_digest

    for info in RunStore(store).list_runs():
        if info.error:
            continue
        run = Run(info.path)
        spaces = [s for s in run.spaces() if run.snapshot_iterations(s)]
        for i, a in enumerate(spaces):
            for b in spaces[i + 1 :]:
                if reference_digest(run, a) == reference_digest(run, b):
                    return f"{info.run_id} [{info.kind}]", info.run_id, a, b, run.snapshot_iterations(b)[-1]
    pytest.skip(f"no run in {store} recorded two generators on the same real data")


def _choose(page, label: str, option: str, attempts: int = 3, typed: bool = False) -> None:
    """Pick `option` in the Streamlit selectbox labelled `label`.

    The previous choice reruns the app; on a loaded machine that rerun can replace the open dropdown
    while the click lands (seen once in CI: the option resolved but never took the click), so a
    failed pick closes the dropdown and tries again.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(attempts):
        page.get_by_role("combobox", name=label).click()
        if typed:  # long lists are drawn only in part: filter them first
            page.keyboard.type(option)
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=20_000)
            return
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")


def test_two_generators_side_by_side_and_figure_downloads(dashboard_url, tmp_path):
    from playwright.sync_api import sync_playwright

    dashboard_url, _, store = dashboard_url
    label, run_id, a, b, last_b = _pair_in(store)
    name_a, name_b = (s[4:] if s.startswith("aug-") else s for s in (a, b))
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1400}, accept_downloads=True)
            page.set_default_timeout(60_000)
            page.goto(dashboard_url)
            page.get_by_text("Distribution of generated samples").wait_for()
            _plot_frame(page)
            _choose(page, "Run", label)
            _choose(page, "Space", a)
            _choose(page, "Beside it", f"{run_id} · {b}")
            # Two panels, one title each, in one plane: both sides' axes have the same range.
            has = "() => [...document.querySelectorAll('.annotation-text')].some(e => e.textContent.includes({!r}))"
            plot = _plot_frame(page)
            plot.wait_for_function(has.format(f"{name_b} · iteration"))
            plot.wait_for_function(has.format(f"{name_a} · iteration"))
            _no_exception(page)
            ranges = plot.evaluate(
                "() => { const l = document.querySelector('.js-plotly-plot')._fullLayout;"
                " return [l.xaxis.range, l.xaxis2.range, l.yaxis.range, l.yaxis2.range]; }"
            )
            assert ranges[0] == ranges[1] and ranges[2] == ranges[3]
            # Play: both sides step together until B's last recorded iteration.
            plot.locator(".updatemenu-button", has_text="Play").first.click()
            plot.wait_for_function(has.format(f"{name_b} · iteration {last_b} "), timeout=90_000)
            page.wait_for_timeout(700)
            page.screenshot(path=str(SHOTS / "distribution-pair.png"), full_page=True)

            # PNG through the plot's toolbar (plotly draws it in the browser).
            plot.locator(".js-plotly-plot").first.hover()
            with page.expect_download() as png:
                plot.locator('.modebar-btn[data-title="Download plot as a PNG"]').first.click()
            png_path = tmp_path / png.value.suggested_filename
            png.value.save_as(png_path)
            assert png_path.suffix == ".png" and png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert png_path.stat().st_size > 20_000
            # Interactive HTML through the button under the plot: offline, with the animation's frames.
            with page.expect_download() as page_file:
                page.get_by_role("button", name="Download HTML").first.click()
            html_path = tmp_path / page_file.value.suggested_filename
            page_file.value.save_as(html_path)
            text = html_path.read_text()
            assert html_path.suffix == ".html" and "Plotly.newPlot" in text and "addFrames" in text
            assert "xaxis2" in text and f'"name":"{name_b}: generated"' in text  # both panels
            assert re.findall(r"<script[^>]*\bsrc=", text) == []  # plotly.js inside: works offline
        finally:
            browser.close()


def test_labkit_report_opens_offline_and_plays(dashboard_url, tmp_path):
    """`labkit report` output in Chromium: no request leaves the file, the animation plays."""
    from playwright.sync_api import sync_playwright

    from labkit.cli import main

    _, (first, last), store = dashboard_url
    from labkit.runstore import Run, RunStore

    run = next(
        Run(i.path)
        for i in RunStore(store).list_runs()
        if not i.error and any(Run(i.path).snapshot_iterations(s) for s in Run(i.path).spaces())
    )
    out = tmp_path / "report.html"
    assert main(["report", str(run.path), "--out", str(out)]) == 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1100})
            page.set_default_timeout(60_000)
            requests, errors = [], []
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(out.as_uri())
            page.locator(".js-plotly-plot").first.wait_for()
            assert [u for u in requests if not u.startswith(("file:", "data:", "blob:"))] == []
            # The first animated figure: its title follows the frames while it plays.
            plot = page.locator(".js-plotly-plot", has=page.locator(".updatemenu-button")).first
            plot.scroll_into_view_if_needed()
            title = plot.locator(".gtitle")
            assert title.text_content().startswith(f"iteration {first}")
            plot.locator(".updatemenu-button", has_text="Play").click()
            plot.locator(".gtitle", has_text=f"iteration {last} ").wait_for(timeout=60_000)
            assert errors == []
            page.screenshot(path=str(SHOTS / "report.png"), full_page=False)
        finally:
            browser.close()


_AUDIO_DURATION = """(el) => new Promise((resolve) => {
  const done = () => resolve(el.duration);
  if (el.readyState >= 1) { done(); return; }
  el.addEventListener('loadedmetadata', done, {once: true});
  el.addEventListener('error', () => resolve(-1), {once: true});
  el.load();
})"""
_DRAWN_POINTS = (
    "() => { const gd = document.querySelector('.js-plotly-plot');"
    " return gd.calcdata.reduce((n, trace) => n + trace.filter(p => p.x !== undefined).length, 0); }"
)


def _lasso_everything(page, plot) -> None:
    """Drag plotly's lasso (the Distribution plot opens in lasso mode) around the whole plot area."""
    box = plot.locator(".js-plotly-plot .nsewdrag").first.bounding_box()  # in the page's coordinates
    x0, y0, x1, y1 = box["x"] + 2, box["y"] + 2, box["x"] + box["width"] - 2, box["y"] + box["height"] - 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    for x, y in ((x1, y0), (x1, y1), (x0, y1), (x0, y0 + 5)):
        page.mouse.move(x, y, steps=8)
    page.mouse.up()


def test_inspector_lasso_audio_neighbours_and_uncovered_rings(dashboard_url):
    """The whole inspection path on a run over real wav files (`make_audio_run`): a lasso fills the
    table; a test utterance plays; a generated sample shows its full-space neighbours and a playable
    Griffin-Lim reconstruction; the uncovered-test ring changes what is drawn; no promotional pop-up on
    any page. Saves docs/img/inspector.png (the README's picture) when LABKIT_E2E_SCREENSHOT=1."""
    from playwright.sync_api import sync_playwright

    from labkit.runstore import Run, RunStore

    dashboard_url, _, store = dashboard_url
    # The fabricated store's aaec-audio, or in a `labkit demo` store (LABKIT_E2E_RUNS) its AAEC run.
    audio_run = next(
        (i for i in RunStore(store).list_runs() if not i.error and (Path(i.path) / "spectrograms").is_dir()), None
    )
    if audio_run is None:
        pytest.skip(f"{store} has no run that stored generated spectrograms (an AAEC run)")
    run = Run(audio_run.path)
    last = run.snapshot_iterations(run.spaces()[0])[-1]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1500})
            page.set_default_timeout(60_000)
            page.goto(dashboard_url)
            page.get_by_text("Distribution of generated samples").wait_for()
            plot = _plot_frame(page)
            _choose(page, "Run", f"{audio_run.run_id} [{audio_run.kind}]")
            page.get_by_text(f"Coverage · iteration {last}").wait_for()
            plot.wait_for_function(
                f"() => document.querySelector('.gtitle').textContent.startsWith('iteration {last} ')"
            )
            _no_exception(page)

            # How far to trust the plane is printed under it.
            page.get_by_text("How far to trust the plane at this frame").wait_for()

            # The uncovered-test toggle adds rings around test samples: more points drawn.
            before = plot.evaluate(_DRAWN_POINTS)
            page.get_by_text("Ring test samples outside every training ball").click()
            page.get_by_text("test samples lie outside every training ball").wait_for()
            plot.wait_for_function(f"() => ({_DRAWN_POINTS})() > {before}")
            _no_exception(page)

            # A lasso around everything lists the points in the table.
            _lasso_everything(page, plot)
            page.get_by_text(re.compile(r"^\d+ point\(s\) selected\.")).wait_for()
            n_selected = int(page.get_by_text(re.compile(r"point\(s\) selected")).inner_text().split()[0])
            assert n_selected > 20
            page.locator('[data-testid="stDataFrame"]').first.wait_for()

            # A real test utterance: an <audio> whose source loads, with a duration.
            _choose(page, "Point to inspect", "test:0", typed=True)
            page.get_by_text(re.compile(r"^test:0 · class")).first.wait_for()
            audio = page.locator("audio").first
            audio.wait_for(state="attached")
            assert audio.evaluate(_AUDIO_DURATION) > 0.5
            _no_exception(page)

            # A generated sample with a stored spectrogram: full-space neighbours and a playable reconstruction.
            _choose(page, "Point to inspect", f"gen:{last}:0", typed=True)
            page.get_by_text("Nearest real samples in the full feature space").wait_for()
            page.get_by_text("reconstructed with Griffin-Lim").wait_for()
            page.wait_for_function("() => document.querySelectorAll('audio').length >= 6")  # its own + 5 neighbours
            durations = [a.evaluate(_AUDIO_DURATION) for a in page.locator("audio").all()]
            assert all(d > 0.5 for d in durations), durations
            _no_exception(page)
            page.wait_for_timeout(800)
            if os.environ.get("LABKIT_E2E_SCREENSHOT"):
                page.get_by_text("Point to inspect").first.evaluate("e => e.scrollIntoView({block: 'start'})")
                page.wait_for_timeout(500)
                page.screenshot(path=str(REPO / "docs" / "img" / "inspector.png"))

            # No promotional pop-up on the other pages either.
            for link, heading in (("Comparison", "Augmenter comparison"), ("Training", "Training curves")):
                page.get_by_role("link", name=link).click()
                page.get_by_text(heading).first.wait_for()
                page.wait_for_timeout(1500)  # the pop-up, when enabled, comes with the session
                _no_exception(page)
        finally:
            browser.close()


# Pixels the plot component painted in its canvas of generated points.
_PAINTED = """() => { const c = document.querySelector('canvas.labkit-frame-layer');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n; }"""


def test_big_run_plays_selects_and_saves_in_the_plot_component(dashboard_url, tmp_path):
    """Over 5,000 points (WebGL) the plot component draws each frame's generated points into its own
    canvas under plotly's WebGL layer; plotly's slider and Play change frames without a Streamlit rerun;
    a lasso selects the frame's generated points too; the PNG button saves them with the rest."""
    from playwright.sync_api import sync_playwright

    from labkit.runstore import RunStore

    dashboard_url, _, store = dashboard_url
    info = next((i for i in RunStore(store).list_runs() if i.run_id == BIG), None)
    if info is None:
        pytest.skip(f"{store} has no {BIG} run (LABKIT_E2E_RUNS)")
    first, last = BIG_ITERATIONS[0], BIG_ITERATIONS[-1]
    at = "() => document.querySelector('.gtitle').textContent.startsWith('iteration {} ')"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1500}, accept_downloads=True)
            page.set_default_timeout(60_000)
            page.goto(dashboard_url)
            _plot_frame(page)
            _choose(page, "Run", f"{info.run_id} [{info.kind}]")
            page.get_by_text(f"Coverage · iteration {last}").wait_for()
            plot = _plot_frame(page)
            plot.wait_for_function(at.format(last))
            _no_exception(page)
            assert plot.locator("canvas.labkit-frame-layer").count() == 1
            at_last = plot.evaluate(_PAINTED)
            assert at_last > 1000

            # plotly's own slider: the first frame has fewer generated points; Streamlit does not rerun.
            step = plot.locator(".slider-label-group").filter(has_text=re.compile(rf"^{first}$")).first
            box = step.bounding_box()
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] - 10)
            plot.wait_for_function(at.format(first))
            assert 0 < plot.evaluate(_PAINTED) < at_last
            assert page.get_by_text(f"Coverage · iteration {last}").count() == 1
            # Play: to the last frame.
            plot.locator(".updatemenu-button", has_text="Play").first.click()
            plot.wait_for_function(at.format(last), timeout=60_000)
            plot.wait_for_function(f"() => ({_PAINTED})() === {at_last}")

            # A lasso around everything: every real point and every generated point of the frame.
            _lasso_everything(page, plot)
            page.get_by_text(re.compile(r"^\d+ point\(s\) selected\.")).wait_for()
            n_selected = int(page.get_by_text(re.compile(r"point\(s\) selected")).inner_text().split()[0])
            assert n_selected == 3000 + 1000 + 600 * len(BIG_ITERATIONS)
            _choose(page, "Point to inspect", f"gen:{last}:0", typed=True)
            page.get_by_text(re.compile(rf"^gen:{last}:0 · class")).first.wait_for()
            _no_exception(page)

            # The PNG button: plotly draws the whole figure, generated points included.
            plot.locator(".js-plotly-plot").first.hover()
            with page.expect_download() as png:
                plot.locator('.modebar-btn[data-title="Download plot as a PNG"]').first.click()
            path = tmp_path / png.value.suggested_filename
            png.value.save_as(path)
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000
        finally:
            browser.close()
