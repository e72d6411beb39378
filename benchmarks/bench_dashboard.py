"""Dashboard speed on a run with 20,000 points: first render and frame change (slider move).

    python benchmarks/bench_dashboard.py [--points 20000] [--iterations 10] [--dim 32]

Fabricates an AAEC-like run (half the points real: 80% train, 20% test; half generated, spread over
the iterations), then prints:

* one-off work per run, done by `labkit coverage` or on the first view: the PCA projection and
  the coverage metrics (both cached in the run afterwards);
* first render: the distribution page run under Streamlit's AppTest with cold Streamlit caches
  but the run's cache on disk (what a new visitor pays on the server), and the figure's size;
* frame change: moving the iteration slider to a frame not seen before (the figure for that
  opening frame is built from the cached projection) and back to one seen before (cached figure).

* side by side: two generators of ``--points / 2`` generated samples each on the same real data
  (a comparison run's ``aug-<name>`` spaces): building the pair figure, and the Distribution page
  with "Beside it" set (AppTest, cold Streamlit caches, run caches on disk);
* `labkit report` on the big run: seconds and file size.

AppTest times the server side (script run and figure building), not the browser's drawing.
Playing the animation costs the server nothing: the frames are already in the page. With
``--browser`` (needs /usr/bin/chromium and playwright) the dashboard is also started with
`streamlit run` and driven in headless Chromium: time from opening the page to the plot drawn,
and the time one plotly frame change (its own slider) takes to show. The Distribution plot is drawn
in labkit's plot component (an iframe, `labkit.viz.components`); the timing looks into it.
``--profile`` prints, after the warm-up visit, one visit's timeline of each page (ms from opening it:
resources, long tasks, the iframe's start and the plot component's marks ``labkit:args``,
``labkit:plotly-ready``, ``labkit:draw-start``, ``labkit:drawn``).
``LABKIT_PLOT_COMPONENT=0`` times the `st.plotly_chart` fallback instead. ``--json FILE`` writes the
browser comparison with its command and commit (benchmarks/results/bench-dashboard.json).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the fake-run builders the tests use


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=20000, help="total points, real + generated")
    parser.add_argument("--iterations", type=int, default=10, help="recorded iterations")
    parser.add_argument("--dim", type=int, default=32, help="feature dimension")
    parser.add_argument("--browser", action="store_true", help="also time the page in headless Chromium")
    parser.add_argument(
        "--browser-only",
        action="store_true",
        help="only the headless-Chromium comparison (skips the server-side parts)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="first renders per page in the browser comparison")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print a timeline of one dashboard visit (page and plot-iframe timings) after the warm-up",
    )
    parser.add_argument(
        "--json",
        metavar="FILE",
        help="write the browser comparison (times, ratios, the command, commit and plot mode) to FILE",
    )
    args = parser.parse_args()

    os.environ.setdefault("LABKIT_QUIET", "1")
    from dashboard_fixtures import make_training_run

    from labkit.metrics.coverage import coverage_for_run
    from labkit.viz.figures import distribution_figure
    from labkit.viz.projection import load_or_compute

    n_real = args.points // 2
    n_gen = (args.points - n_real) // args.iterations
    iterations = tuple(range(0, 10 * args.iterations, 10))
    with tempfile.TemporaryDirectory() as root:
        run = make_training_run(
            root,
            "bench",
            n_train=int(0.8 * n_real),
            n_test=n_real - int(0.8 * n_real),
            n_gen=n_gen,
            iterations=iterations,
            d=args.dim,
        )
        total = n_real + n_gen * len(iterations)
        print(f"run: {total} points ({n_real} real, {n_gen} generated x {len(iterations)} iterations), d={args.dim}")

        t0 = time.perf_counter()
        proj = load_or_compute(run)
        print(f"one-off  PCA projection, computed and cached:      {time.perf_counter() - t0:7.2f} s")
        t0 = time.perf_counter()
        rows = coverage_for_run(run, show_progress=False)
        print(f"one-off  coverage metrics, {len(rows)} iterations, cached:   {time.perf_counter() - t0:7.2f} s")

        metrics = {r["iteration"]: r for r in rows}
        t0 = time.perf_counter()
        fig = distribution_figure(proj, cumulative=True, metrics=metrics)
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        size = len(fig.to_json())
        print(
            f"figure   build {build:.3f} s, to JSON {time.perf_counter() - t0:.3f} s, {size / 1e6:.1f} MB "
            f"({len(fig.frames)} frames, cumulative)"
        )

        os.environ["LABKIT_RUNS"] = root
        if not args.browser_only:
            apptest_times(iterations)
        if not args.browser_only:
            pair_times(root, args, n_real)
            report_times(run)
        if args.browser or args.browser_only:
            result = browser_times(
                root, [str(it) for it in iterations], proj, metrics, rounds=args.rounds, profile=args.profile
            )
            if args.json:
                write_result(args, result, total)


def write_result(args, result: dict, total: int) -> None:
    """The browser comparison as a JSON result file (benchmarks/results/bench-dashboard.json), with provenance."""
    import datetime
    import subprocess

    from labkit.utils import write_json_atomic

    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        commit += "+changes" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    argv = " ".join(sys.argv[1:])
    env = "LABKIT_PLOT_COMPONENT=0 " if os.environ.get("LABKIT_PLOT_COMPONENT") == "0" else ""
    payload = {
        "name": Path(args.json).stem,
        "kind": "bench-dashboard",
        "command": f"{env}python benchmarks/bench_dashboard.py {argv}".strip(),
        "commit": commit,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "points": total,
        "iterations": args.iterations,
        "plot": "component" if os.environ.get("LABKIT_PLOT_COMPONENT", "1") != "0" else "st.plotly_chart",
        **result,
    }
    write_json_atomic(Path(args.json), payload)
    print(f"wrote {args.json}")


def apptest_times(iterations) -> None:
    """The Distribution page under Streamlit's AppTest: first render and slider moves (server side)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    t0 = time.perf_counter()
    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=300).run()
    first = time.perf_counter() - t0
    assert not at.exception, at.exception
    print(f"first render (AppTest, cold Streamlit caches):     {first:7.2f} s")

    slider = at.select_slider(key="dist_iter")
    times_new, times_seen = [], []
    for it in iterations[1:4]:
        t0 = time.perf_counter()
        slider.set_value(it).run()
        times_new.append(time.perf_counter() - t0)
    for it in iterations[1:4]:
        t0 = time.perf_counter()
        slider.set_value(it).run()
        times_seen.append(time.perf_counter() - t0)
    assert not at.exception
    print(f"frame change, new opening frame (mean of {len(times_new)}):      {sum(times_new) / len(times_new):7.3f} s")
    print(
        f"frame change, frame seen before (mean of {len(times_seen)}):      {sum(times_seen) / len(times_seen):7.3f} s"
    )


def pair_times(root: str, args, n_real: int) -> None:
    """Two generators side by side: figure build, and the page with "Beside it" chosen."""
    import streamlit as st
    from dashboard_fixtures import make_augmenter_run
    from streamlit.testing.v1 import AppTest

    from labkit.viz.figures import distribution_pair_figure
    from labkit.viz.projection import load_or_compute

    n_gen = args.points // 2 // args.iterations
    its = tuple(range(0, 10 * args.iterations, 10))
    run = make_augmenter_run(
        root,
        "bench-pair",
        n_train=int(0.8 * n_real),
        n_test=n_real - int(0.8 * n_real),
        d=args.dim,
        generators={"smote": ((0,), args.points // 2), "gan": (its, n_gen)},
    )
    a, b = load_or_compute(run, "aug-smote"), load_or_compute(run, "aug-gan")
    t0 = time.perf_counter()
    fig = distribution_pair_figure(a, b, ("smote", "gan"))
    build = time.perf_counter() - t0
    print(
        f"pair     figure build {build:.3f} s, {len(fig.to_json()) / 1e6:.1f} MB ({len(fig.frames)} frames; "
        f"{args.points // 2} + {n_gen * len(its)} generated)"
    )
    st.cache_data.clear()
    st.cache_resource.clear()
    t0 = time.perf_counter()
    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=300).run()
    at.selectbox(key="dist_run").set_value(
        next(o for o in at.selectbox(key="dist_run").options if o.startswith("bench-pair"))
    ).run()
    at.selectbox(key="dist_space").set_value("aug-smote").run()
    t1 = time.perf_counter()
    at.selectbox(key="dist_pair").set_value("bench-pair · aug-gan").run()
    assert not at.exception, at.exception
    print(
        f"pair     page with 'Beside it' set (AppTest): {time.perf_counter() - t1:7.2f} s "
        f"(whole sequence from a cold start {time.perf_counter() - t0:.2f} s)"
    )


def report_times(run) -> None:
    """`labkit report` of the big run: seconds and size."""
    from labkit.viz.report import write_report

    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        info = write_report(run, Path(out) / "report.html")
        print(
            f"report   labkit report: {time.perf_counter() - t0:7.2f} s, {info['bytes'] / 1e6:.1f} MB, "
            f"{info['figures']} figures"
        )


# In-page timing of one plotly frame change: from the slider's mousedown (captured before plotly sees
# it) until the title shows the new frame and the browser has painted it (two animation frames later).
_ARM_FRAME_TIMER = """(label) => {
  window.__frame = new Promise((resolve) => {
    let t0 = null;
    const down = () => { t0 = performance.now(); };
    document.addEventListener('mousedown', down, {capture: true, once: true});
    const done = () => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
    const check = () => {
      const e = document.querySelector('.gtitle');
      if (t0 !== null && e && e.textContent.startsWith('iteration ' + label + ' ')) { obs.disconnect(); done(); }
    };
    const obs = new MutationObserver(check);
    obs.observe(document.body, {subtree: true, childList: true, characterData: true});
    setTimeout(() => { obs.disconnect(); resolve(NaN); }, 60000);  // a frame that never shows: NaN, not a hang
  });
}"""
# The plot is drawn: in the page itself (bare plotly, st.plotly_chart) or in the iframe of labkit's plot
# component (same origin, so its document is readable from the page).
_DRAWN = """() => {
  const docs = [document];
  for (const f of document.querySelectorAll('iframe')) { try { if (f.contentDocument) docs.push(f.contentDocument); } catch (e) {} }
  return docs.some((d) => {
    const e = d.querySelector('.gtitle'); const gl = d.querySelector('.gl-canvas-context');
    return e && e.textContent.startsWith('iteration') && (gl === null || gl.width > 0);
  });
}"""


def _plot_frame(page):
    """The frame that holds the plotly plot: the page itself, or the plot component's iframe."""
    for frame in page.frames:
        try:
            if frame.evaluate("() => document.querySelector('.js-plotly-plot .gtitle') !== null"):
                return frame
        except Exception:  # noqa: BLE001 - a frame that went away or is not readable: not the plot's
            continue
    raise RuntimeError(f"no plotly plot in any frame of {page.url}")


def _first_render(browser, url: str) -> float:
    """Seconds from opening `url` in a fresh browser context (cold cache) to the plot drawn."""
    context = browser.new_context(viewport={"width": 1500, "height": 1200})
    try:
        page = context.new_page()
        page.set_default_timeout(120_000)
        t0 = time.perf_counter()
        page.goto(url)
        page.wait_for_function(_DRAWN, polling="raf")
        page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
        return time.perf_counter() - t0
    finally:
        context.close()


def _frame_changes(browser, url: str, frames: list[str]) -> list[float]:
    """In-page seconds of plotly frame changes through its own slider (see `_ARM_FRAME_TIMER`)."""
    context = browser.new_context(viewport={"width": 1500, "height": 1200})
    try:
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(url)
        page.wait_for_function(_DRAWN, polling="raf")
        page.wait_for_timeout(1000)  # let the page settle (Streamlit's first rerun, fonts)
        frame = _plot_frame(page)
        out = []
        for label in frames:
            frame.evaluate(_ARM_FRAME_TIMER, label)
            step = frame.locator(".slider-label-group").filter(has_text=re.compile(rf"^{re.escape(label)}$")).first
            box = step.bounding_box()  # in the page's coordinates, also inside an iframe
            # plotly's slider takes clicks on its rail; click above the step's label.
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] - 10)
            out.append(frame.evaluate("() => window.__frame") / 1000)
        return out
    finally:
        context.close()


# Long tasks (main-thread work over 50 ms) of every frame, recorded from the document's start.
_LONGTASKS = """window.__longtasks = [];
try {
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longtasks.push([e.startTime, e.duration]); })
    .observe({type: 'longtask', buffered: true});
} catch (e) {}"""
# Times (ms since the page's navigation started) of what a visit waits on: the page's resources, the plot
# iframe's start, its resources (plotly.min.js) and the plot component's own marks (plot.js), long tasks.
_TIMELINE = """() => {
  const t0 = performance.timeOrigin, out = [];
  const add = (who, perf, shift) => {
    const nav = perf.getEntriesByType('navigation')[0];
    if (nav) out.push([shift + nav.responseEnd, who + ' document received']);
    if (nav) out.push([shift + nav.domContentLoadedEventEnd, who + ' DOMContentLoaded']);
    for (const e of perf.getEntriesByType('resource'))
      if (e.responseEnd - e.startTime > 20 || e.name.endsWith('.js'))
        out.push([shift + e.startTime, who + ' fetch ' + e.name.split('/').pop().slice(0, 40) + ' (' + (e.responseEnd - e.startTime).toFixed(0) + ' ms)']);
    for (const e of perf.getEntriesByType('mark')) out.push([shift + e.startTime, who + ' mark ' + e.name]);
    for (const e of perf.getEntriesByType('paint')) out.push([shift + e.startTime, who + ' ' + e.name]);
  };
  add('page', performance, 0);
  for (const [s, d] of (window.__longtasks || [])) out.push([s, 'page long task ' + d.toFixed(0) + ' ms']);
  for (const f of document.querySelectorAll('iframe')) {
    try {
      const w = f.contentWindow, shift = w.performance.timeOrigin - t0;
      out.push([shift, 'iframe created']);
      add('iframe', w.performance, shift);
    } catch (e) {}
  }
  return out.sort((a, b) => a[0] - b[0]);
}"""


def print_timeline(browser, url: str, bare_url: str) -> None:
    """One visit of each page in a fresh context, its timeline printed (ms from opening the page)."""
    for name, target in (("bare", bare_url), ("dashboard", url)):
        context = browser.new_context(viewport={"width": 1500, "height": 1200})
        try:
            context.add_init_script(_LONGTASKS)
            page = context.new_page()
            page.set_default_timeout(120_000)
            t0 = time.perf_counter()
            page.goto(target)
            page.wait_for_function(_DRAWN, polling="raf")
            page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
            total = time.perf_counter() - t0
            print(f"timeline {name}: drawn after {total:.2f} s")
            for at, what in page.evaluate(_TIMELINE):
                print(f"timeline   {at:8.0f} ms  {what}")
        finally:
            context.close()


def browser_times(
    root: str, frames: list[str], proj=None, metrics=None, rounds: int = 3, profile: bool = False
) -> dict:
    """The dashboard against a bare plotly page of the same figure, side by side in headless Chromium.

    The bare page is `figure_html` of the very figure the Distribution page opens on (same traces,
    frames and options), one offline HTML file: what plotly alone costs. Both are opened alternately
    `rounds` times in fresh browser contexts (cold caches) of one browser, so the ratio compares them
    under the same machine load; frame changes are timed inside the page (mousedown → painted).
    """
    import socket
    import statistics
    import subprocess
    import urllib.request

    from playwright.sync_api import sync_playwright

    from labkit.viz.figures import distribution_figure, figure_html

    bare = Path(root) / "bare-plotly.html"
    fig = distribution_figure(proj, cumulative=True, metrics=metrics, iteration=int(frames[-1]), dragmode="lasso")
    bare.write_text(figure_html(fig), encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = REPO / "dashboard" / "app.py"
    from labkit.commands.dashboard import config_flags

    cmd = [sys.executable, "-m", "streamlit", "run", str(app), *config_flags(app)]
    cmd += ["--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"]
    cmd += ["--server.fileWatcherType", "none"]
    server = subprocess.Popen(
        cmd, env={**os.environ, "LABKIT_RUNS": root}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
            )
            warm = _first_render(browser, url)  # warm the server's caches (projection, figure): a second visitor
            print(f"browser  (warm-up visit of the dashboard: {warm:.2f} s)", flush=True)
            if profile:
                print_timeline(browser, url, bare.as_uri())
            firsts = {"bare": [], "dashboard": []}
            for i in range(rounds):
                firsts["bare"].append(_first_render(browser, bare.as_uri()))
                firsts["dashboard"].append(_first_render(browser, url))
                print(
                    f"browser  (round {i + 1}: bare {firsts['bare'][-1]:.2f} s, dashboard {firsts['dashboard'][-1]:.2f} s)",
                    flush=True,
                )
            targets = [f for f in frames[:-1]][:3] + [frames[-1]]
            changes = {
                "bare": _frame_changes(browser, bare.as_uri(), targets),
                "dashboard": _frame_changes(browser, url, targets),
            }
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    med = {k: statistics.median(v) for k, v in firsts.items()}
    print(
        f"browser  first render, bare plotly page (median of {rounds}):  {med['bare']:7.2f} s  "
        f"({', '.join(f'{v:.2f}' for v in firsts['bare'])})"
    )
    print(
        f"browser  first render, dashboard (median of {rounds}):         {med['dashboard']:7.2f} s  "
        f"({', '.join(f'{v:.2f}' for v in firsts['dashboard'])})"
    )
    print(
        f"browser  first render ratio, dashboard / bare:           {med['dashboard'] / med['bare']:7.2f} x  (target <= 1.5)"
    )
    for name in ("bare", "dashboard"):
        ms = [1000 * v for v in changes[name]]
        print(
            f"browser  frame change, {name:9s} (median of {len(ms)}):       {statistics.median(ms):7.0f} ms  "
            f"({', '.join(f'{v:.0f}' for v in ms)})" + ("  (target <= 100 ms)" if name == "dashboard" else "")
        )
    ratio = statistics.median(changes["dashboard"]) / statistics.median(changes["bare"])
    print(f"browser  frame change ratio, dashboard / bare:           {ratio:7.2f} x")
    return {
        "first_render_s": {k: [round(v, 3) for v in firsts[k]] for k in firsts},
        "first_render_median_s": {k: round(v, 3) for k, v in med.items()},
        "first_render_ratio": round(med["dashboard"] / med["bare"], 3),
        "frame_change_ms": {k: [round(1000 * v, 1) for v in changes[k]] for k in changes},
        "frame_change_median_ms": {k: round(1000 * statistics.median(changes[k]), 1) for k in changes},
        "frame_change_ratio": round(ratio, 3),
        "targets": {"first_render_ratio": 1.5, "frame_change_ms": 100},
    }


if __name__ == "__main__":
    main()
