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
and the time one plotly frame change (its own slider) takes to show.
"""

from __future__ import annotations

import argparse
import os
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
    args = parser.parse_args()

    os.environ.setdefault("LABKIT_QUIET", "1")
    import streamlit as st
    from dashboard_fixtures import make_training_run
    from streamlit.testing.v1 import AppTest

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
        print(
            f"frame change, new opening frame (mean of {len(times_new)}):      {sum(times_new) / len(times_new):7.3f} s"
        )
        print(
            f"frame change, frame seen before (mean of {len(times_seen)}):      {sum(times_seen) / len(times_seen):7.3f} s"
        )
        pair_times(root, args, n_real)
        report_times(run)
        if args.browser:
            browser_times(root, [str(it) for it in iterations])


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


def browser_times(root: str, frames: list[str]) -> None:
    """Start the dashboard on `root` and time it in headless Chromium (first render, frame change)."""
    import socket
    import subprocess
    import urllib.request

    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(REPO / "dashboard" / "app.py"),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    server = subprocess.Popen(
        cmd, env={**os.environ, "LABKIT_RUNS": root}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
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
            page = browser.new_page(viewport={"width": 1500, "height": 1200})
            page.set_default_timeout(60_000)
            t0 = time.perf_counter()
            page.goto(url)
            page.locator(".updatemenu-button").first.wait_for()
            page.wait_for_function(
                "() => { const e = document.querySelector('.gtitle');"
                " return e && e.textContent.startsWith('iteration'); }"
            )
            print(f"browser  first render (page open -> plot drawn):    {time.perf_counter() - t0:7.2f} s")
            steps = page.locator(".slider-step-group, .slider-label-group")
            changes = []
            for label in frames[1:4]:
                t0 = time.perf_counter()
                # plotly's slider takes clicks on its rail; click where the step's label sits.
                box = page.locator(".slider-label-group", has_text=label).first.bounding_box()
                page.mouse.click(box["x"] + box["width"] / 2, box["y"] - 10)
                page.wait_for_function(
                    f"() => document.querySelector('.gtitle').textContent.startsWith('iteration {label}')"
                )
                changes.append(time.perf_counter() - t0)
            print(
                f"browser  frame change, plotly slider (mean of {len(changes)}):  {sum(changes) / len(changes):7.3f} s"
                f"  ({steps.count()} slider steps)"
            )
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
