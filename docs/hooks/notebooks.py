"""MkDocs hook: the settings the notebooks are executed with, and their plotly figures working offline.

mkdocs-jupyter executes every notebook in ``notebooks/`` while the site is built. This hook, before it
does:

* sets the small budgets the notebook test uses (``LABKIT_NOTEBOOK_SMALL=1``, ``LABKIT_QUIET=1``) unless
  the caller set them, and points ``LABKIT_RUNS`` at a temporary run store, so a build never writes into
  your ``runs/``;
* gives the kernels an IPython start-up file that makes plotly's default renderer write each figure as
  plain HTML without plotly.js (a kernel started by nbclient would otherwise emit only plotly's JSON
  mimetype, which nbconvert cannot render, and plotly's "notebook" renderer needs require.js from a CDN);
* keys mkdocs-jupyter's cache of executed notebooks by labkit's code (`code_key`), so ``./lab docs``
  executes the notebooks again only when the code or a notebook changed;
* ships plotly's own ``plotly.min.js`` (from the installed plotly package) as ``assets/plotly.min.js``
  and loads it at the top of every notebook page, so the figures draw without a network.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from mkdocs.structure.files import File

STARTUP = """\
# Written by docs/hooks/notebooks.py for the docs build: plotly figures as plain HTML (plotly.js is
# loaded by the page itself).
import plotly.io as _pio
from plotly.io._base_renderers import MimetypeRenderer as _Base


class _DocsHTML(_Base):
    def to_mimebundle(self, fig_dict):
        html = _pio.to_html(fig_dict, include_plotlyjs=False, full_html=False, validate=False,
                            config={"responsive": True})
        return {"text/html": html}


_pio.renderers["labkit-docs"] = _DocsHTML()
_pio.renderers.default = "labkit-docs"
"""
ROOT = Path(__file__).resolve().parents[2]
ASSET = "assets/plotly.min.js"
_TMP: tempfile.TemporaryDirectory | None = None


def code_key(root: Path = ROOT) -> str:
    """A hash of everything an executed notebook's outputs depend on in this repository: labkit's sources,
    the notebooks, pyproject.toml and the small-budget switch. mkdocs-jupyter's own cache key is the
    notebook alone, so its cache lives under this key: a change of labkit's code executes them again."""
    h = hashlib.sha1(os.environ.get("LABKIT_NOTEBOOK_SMALL", "").encode())
    files = sorted((root / "labkit").rglob("*.py")) + sorted((root / "notebooks").glob("*.ipynb"))
    for path in [*files, root / "pyproject.toml"]:
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def on_config(config, **kwargs):
    global _TMP
    _TMP = tempfile.TemporaryDirectory(prefix="labkit-docs-")
    tmp = Path(_TMP.name)
    startup = tmp / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-labkit-docs-plotly.py").write_text(STARTUP)
    os.environ["IPYTHONDIR"] = str(tmp / "ipython")
    os.environ.setdefault("LABKIT_NOTEBOOK_SMALL", "1")
    os.environ.setdefault("LABKIT_QUIET", "1")
    os.environ["LABKIT_RUNS"] = str(tmp / "runs")
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is not None and jupyter.config.get("cache"):
        jupyter.config["cache_dir"] = str(Path(jupyter.config["cache_dir"]) / code_key())
    return config


def on_files(files, config, **kwargs):
    import plotly

    bundle = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    files.append(File.generated(config, ASSET, abs_src_path=str(bundle)))
    return files


def on_page_content(html, page, config, files, **kwargs):
    if not page.file.src_uri.endswith(".ipynb"):
        return html
    depth = page.file.src_uri.count("/")
    return f'<script src="{"../" * depth}{ASSET}"></script>\n' + html


def on_post_build(config, **kwargs):
    global _TMP
    if _TMP is not None:
        _TMP.cleanup()
        _TMP = None
