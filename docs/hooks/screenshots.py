"""The site's screenshots in docs/img/: the home page and one paper page, in headless Chromium.

    ./lab docs && .venv/bin/python docs/hooks/screenshots.py [SITE_DIR]

Drives Debian's /usr/bin/chromium through Playwright (as the dashboard's browser test does) on the built
site's files, so it needs no server.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# name -> (page, anchor it is scrolled to, viewport height)
SHOTS = {"site-home.png": ("index.html", "", 1000), "site-paper.png": ("papers/sahu.html", "#results", 1300)}


def main(site: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for name, (page_path, anchor, height) in SHOTS.items():
            page = browser.new_page(viewport={"width": 1280, "height": height})
            page.goto((site / page_path).resolve().as_uri() + anchor)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(ROOT / "docs" / "img" / name))
            page.close()
            print(f"docs/img/{name}: {page_path}")
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "site")
