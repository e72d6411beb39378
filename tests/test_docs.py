"""The documentation: a short README, results tables that equal their result files, the demo's table
against what `labkit demo --quick` prints, and the whole site built in strict mode (every notebook
executed, an API page for every public module).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs", reason="needs the docs extra: pip install -e '.[docs]' (./lab test installs it)")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _hook(name: str):
    spec = importlib.util.spec_from_file_location(f"labkit_docs_hook_{name}", ROOT / "docs" / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


results = _hook("results")
api = _hook("api")


def test_readme_is_short_and_holds_no_results_table():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.encode()) <= 12_800, f"README.md is {len(text.encode())} bytes; move detail into docs/"
    numeric_rows = [
        line for line in text.splitlines() if line.startswith("|") and re.search(r"\d\.\d|±|\[\d+\.\d", line)
    ]
    assert not numeric_rows, f"README.md holds result-like table rows: {numeric_rows[:3]}"


def test_every_results_block_equals_what_its_json_renders():
    differing = results.render_pages(check=True)
    assert not differing, (
        f"{[str(p.relative_to(ROOT)) for p in differing]} differ from docs/results/*.json: "
        "run `python docs/hooks/results.py render` and commit the pages"
    )


def test_every_result_file_names_its_command_and_commit_and_is_shown():
    shown = {m["name"] for page in results.pages() for m in results.markers(page.read_text(encoding="utf-8"))}
    files = sorted(results.RESULTS.glob("*.json"))
    assert files, "no result files under docs/results/"
    for path in files:
        d = json.loads(path.read_text())
        assert d["command"].startswith(("labkit ", "python benchmarks/")) and d["commit"] not in ("", "unknown"), (
            path.name
        )
        assert path.stem in shown, f"{path.name} is rendered on no page"
    for name in shown:
        assert (results.RESULTS / f"{name}.json").is_file(), f"a page renders {name}, which has no JSON"


def test_the_check_catches_a_number_that_changed(tmp_path, monkeypatch):
    """The renderer compares numbers, not just markers: one mean moved by 0.01 changes the page."""
    d = results.load("demo")
    page = next(p for p in results.pages() if any(m["name"] == "demo" for m in results.markers(p.read_text("utf-8"))))
    text = page.read_text(encoding="utf-8")
    assert results.render_text(text) == text
    changed = copy.deepcopy(d)
    changed["summary"]["smote"]["uar"]["mean"] += 0.01
    (tmp_path / "demo.json").write_text(json.dumps(changed))
    for other in results.RESULTS.glob("*.json"):
        if other.name != "demo.json":
            (tmp_path / other.name).write_text(other.read_text())
    monkeypatch.setattr(results, "RESULTS", tmp_path)
    assert results.render_text(text) != text


def test_the_api_reference_has_a_page_for_every_public_module():
    names = set(api.public_modules())
    on_disk = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in (ROOT / "labkit").rglob("*.py")
        if "__pycache__" not in p.parts and not p.name.startswith("_") or p.name == "__init__.py"
    }
    assert "labkit.metrics.coverage" in names and "labkit.cli" in names
    assert names == {n for n in on_disk if not any(part.startswith("_") for part in n.split("."))}


@pytest.mark.parametrize("name, options", [("demo", []), ("demo-quick", ["--quick"])])
def test_the_demo_tables_were_made_with_the_demos_current_options(name, options):
    """Cheap staleness check of both demo tables: the options the demo's comparison step uses today (its
    augmenters, their parameters, seeds, classifier, features, scenario) are the ones their JSON records."""
    from labkit.cli import build_parser
    from labkit.commands import demo

    args = build_parser().parse_args(["demo", *options, "--no-dashboard"])
    argv = next(a for _, a in demo.steps(args) if a[0] == "compare")
    planned = build_parser().parse_args(argv)
    config = results.load(name)["config"]
    recorded_params = sorted(f"{aug}.{k}={v}" for aug, kv in config["augmenter_params"].items() for k, v in kv.items())
    assert config["augmenters"] == planned.augmenters.split(","), f"docs/results/{name}.json: augmenters changed"
    assert recorded_params == sorted(planned.param or []), f"docs/results/{name}.json: augmenter parameters changed"
    for key in ("seeds", "classifier", "features", "source", "protocol", "record_every"):
        assert config[key] == getattr(planned, key), f"docs/results/{name}.json: {key} changed"


@pytest.mark.slow
def test_the_demo_table_is_what_labkit_demo_quick_prints(tmp_path, capsys):
    """The comparison step of `labkit demo --quick` on the real scenario, run as the demo runs it (its own
    argv, through `labkit.cli.main`): the table it prints is the one on Getting started, and its run's
    identity (options, data fingerprint, seeding) is the one the page's JSON records, so a change of the
    demo's defaults cannot leave the page stale. (The demo's other steps run end to end in
    tests/test_demo.py on a tiny corpus.)"""
    from labkit.cli import build_parser
    from labkit.commands import demo

    args = build_parser().parse_args(["demo", "--quick", "--no-dashboard", "--runs", str(tmp_path / "runs")])
    title, argv = next((t, a) for t, a in demo.steps(args) if a[0] == "compare")
    demo._step(title, argv)
    printed = capsys.readouterr().out
    recorded = results.load("demo-quick")
    fresh = json.loads((tmp_path / "runs" / "demo-compare" / "run.json").read_text())["config"]
    assert fresh == recorded["config"], "the demo's comparison changed; rerun `labkit demo --quick` and collect it"
    table = results.compare_table(recorded, "text")
    assert table in printed, f"labkit demo --quick printed another table than docs/results/demo-quick.json:\n{table}"


@pytest.mark.slow
def test_the_site_builds_in_strict_mode(tmp_path):
    """`mkdocs build --strict` (what `./lab docs` runs): links, anchors, API pages, results tables and
    every notebook, executed with the notebook test's small budgets, on a kernel of this interpreter."""
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "labkit docs", "language": "python"}))
    env = {
        **os.environ,
        "JUPYTER_PATH": str(tmp_path / "jupyter") + os.pathsep + os.environ.get("JUPYTER_PATH", ""),
        "LABKIT_NOTEBOOK_SMALL": "1",
        "LABKIT_DOCS_NB_CACHE": "false",  # execute every notebook now, whatever a local build cached
        "NO_MKDOCS_2_WARNING": "1",
    }
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    for nb in NOTEBOOKS:
        html = (site / "notebooks" / f"{nb.stem}.html").read_text(encoding="utf-8")
        assert "jp-OutputArea-output" in html, f"{nb.name} was rendered without outputs"
        assert "application/vnd.plotly.v1+json" not in html
    for name in api.public_modules():
        assert (site / "api" / f"{name}.html").is_file(), f"no API page for {name}"
    assert (site / "assets" / "plotly.min.js").stat().st_size > 1_000_000
    demo = (site / "getting-started.html").read_text(encoding="utf-8")
    assert "docs/results/demo.json" in demo and "smote" in demo


def test_the_oracles_table_and_findings_come_from_the_file(tmp_path, monkeypatch):
    """An ``oracles`` result file renders a row per scenario and sentences computed from its numbers: the
    scenarios where no oracle gains are named (and only those), and the summary form (for README.md)
    holds no table row."""

    def oracle(mean, lo, hi):
        return {"uar": 0.5 + mean, "mean_diff": mean, "ci_low": lo, "ci_high": hi, "p_value": 0.03, "n_folds": 6}

    items = {
        "flat": {"scenario": "flat", "none_uar": 0.6, "oracles": {"oracle-speakers": oracle(-0.01, -0.03, 0.01)}},
        "open": {"scenario": "open", "none_uar": 0.4, "oracles": {"oracle-speakers": oracle(0.08, 0.02, 0.14)}},
        "vague": {"scenario": "vague", "none_uar": 0.5, "oracles": {"oracle-speakers": oracle(0.02, -0.01, 0.05)}},
    }
    for item in items.values():
        item["oracles"]["oracle-speakers"]["n_seeds"] = 2
        item["oracles"]["oracle-population"] = {**item["oracles"]["oracle-speakers"], "mean_diff": -0.02}
    items["open"]["oracles"]["oracle-population"]["mean_diff"] = 0.1
    d = {"name": "oracles", "kind": "oracles", "command": "labkit compare ...", "commit": "abc", "items": items}
    (tmp_path / "oracles.json").write_text(json.dumps(d))
    monkeypatch.setattr(results, "RESULTS", tmp_path)
    block = results.render_block("oracles")
    assert "| `open` | 40.0 | +8.0 [+2.0, +14.0] (0.03) | +10.0 [+2.0, +14.0] (0.03) | 6 × 2 |" in block
    nothing = next(line for line in block.splitlines() if "gain nothing" in line)
    assert "`flat`" in nothing and "`open`" not in nothing and "`vague`" not in nothing
    assert "cannot help there, by construction" in nothing
    assert any("shown" in line and "`open`" in line and "`vague`" not in line for line in block.splitlines())
    summary = results.render_block("oracles", " summary ")
    assert "`flat`" in summary and not any(line.startswith("|") for line in summary.splitlines())
    page = "intro\n<!-- results oracles summary -->\nstale\n<!-- /results -->\n"
    assert results.render_text(page) == f"intro\n<!-- results oracles summary -->\n{summary}<!-- /results -->\n"
    assert (results.ROOT / "README.md") in results.pages()  # README blocks are rendered and checked too
