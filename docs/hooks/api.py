"""MkDocs hook: the API reference, one page per public module of ``labkit/``, generated at build time.

The modules are found on disk (every ``labkit/**.py`` whose name does not start with ``_``, and every
package's ``__init__``), so a new module gets its page without anyone editing the nav: the pages are
``api/<dotted.name>.md``, each holding one mkdocstrings directive, and they are listed under "API
reference" in the nav, grouped by subpackage, after ``api/index.md`` (which is generated too).

Nothing here imports labkit: mkdocstrings reads the sources statically (griffe).
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "labkit"
NAV_TITLE = "API reference"


def public_modules(package: Path = PACKAGE) -> list[str]:
    """Dotted names of labkit's public modules, packages first within each folder, sorted."""
    names = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).with_suffix("")
        parts = list(rel.parts)
        if "__pycache__" in parts or any(p.startswith("_") for p in parts[:-1]):
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        elif parts[-1].startswith("_"):
            continue
        names.append(".".join(parts))
    return sorted(set(names), key=lambda n: (n.split(".")[:-1] if n.count(".") else [], n))


def _page(name: str) -> str:
    return f"# `{name}`\n\n::: {name}\n    options:\n      show_root_heading: false\n"


def _index(names: list[str]) -> str:
    lines = [
        "# API reference",
        "",
        "Generated from the docstrings: one page per public module of `labkit/` (found on disk by",
        "`docs/hooks/api.py`, so a new module gets its page without an edit here). The layers, top to",
        "bottom, and the contracts between them are in [Architecture](../architecture.md).",
        "",
        "| module | first line of its docstring |",
        "| --- | --- |",
    ]
    for name in names:
        lines.append(f"| [`{name}`]({name}.md) | {_summary(name)} |")
    return "\n".join(lines) + "\n"


def _summary(name: str) -> str:
    import ast

    path = PACKAGE.parent / Path(*name.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    except (OSError, SyntaxError):
        doc = ""
    return doc.strip().split("\n\n")[0].replace("\n", " ").replace("|", "\\|")


def _group(names: list[str]) -> list:
    """Nav entries: the top-level modules, then one section per subpackage."""
    groups: dict[str, list] = {}
    top = []
    for name in names:
        parts = name.split(".")
        entry = {name: f"api/{name}.md"}
        if len(parts) == 1 or (len(parts) == 2 and not (PACKAGE / parts[1]).is_dir()):
            top.append(entry)
        else:
            groups.setdefault(".".join(parts[:2]), []).append(entry)
    return [{"Index": "api/index.md"}] + top + [{sub: items} for sub, items in groups.items()]


def on_config(config, **kwargs):
    names = public_modules()
    nav = config.get("nav") or []
    for i, item in enumerate(nav):
        if isinstance(item, dict) and NAV_TITLE in item:
            nav[i] = {NAV_TITLE: _group(names)}
    return config


def on_files(files, config, **kwargs):
    names = public_modules()
    files.append(File.generated(config, "api/index.md", content=_index(names)))
    for name in names:
        files.append(File.generated(config, f"api/{name}.md", content=_page(name)))
    return files
