"""The documentation site and an experiment report, loaded in a real browser.

Headless Chromium (Debian's ``chromium`` package, never a downloaded build) driven by
Playwright loads every page of the built site (``make docs``) and a freshly written report:
each page renders, every image loads, every local link and anchor resolves, and the console
shows no error. Screenshots go to ``docs/_build/screenshots`` (kept by CI as artefacts).

Without Chromium or Playwright these tests skip with the reason; ``.ci/run`` installs
Chromium, builds the site and runs them with ``SPIKEMEM_REQUIRE_BROWSER=1``, which turns
every skip into a failure.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "docs" / "_build" / "html"
SHOTS = ROOT / "docs" / "_build" / "screenshots"


def _need(reason: str):
    if os.environ.get("SPIKEMEM_REQUIRE_BROWSER"):
        pytest.fail(f"SPIKEMEM_REQUIRE_BROWSER is set but {reason}")
    pytest.skip(reason)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    _need("Chromium is not installed (apt-get install chromium; .ci/run does this)")


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("playwright is not installed (pip install -e '.[docs]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True,
                              args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def _local_target(page_path: Path, href: str):
    """(file, fragment) a relative or file: link points to, or None for an external link."""
    url = urlparse(href)
    if url.scheme in ("http", "https", "mailto", "data", "javascript"):
        return None
    if url.scheme == "file":
        target = Path(unquote(url.path))
    elif url.path:
        target = (page_path.parent / unquote(url.path)).resolve()
    else:
        target = page_path
    if target.is_dir():
        target = target / "index.html"
    return target, url.fragment


def check_page(browser, path: Path, shot_name: str) -> list:
    """Load `path`; return a list of problems (empty when the page is sound)."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.goto(path.as_uri(), wait_until="load")
    problems = list(errors)
    if not page.title().strip():
        problems.append("no title")
    if len(page.inner_text("body").strip()) < 20:
        problems.append("empty body")
    broken = page.evaluate("Array.from(document.images).filter(i => !(i.complete && "
                           "i.naturalWidth > 0)).map(i => i.getAttribute('src').slice(0, 80))")
    problems += [f"image does not load: {src}" for src in broken]
    for href in page.evaluate("Array.from(document.querySelectorAll('a[href]'))"
                              ".map(a => a.getAttribute('href'))"):
        target = _local_target(path, href)
        if target is None:
            continue
        file, fragment = target
        if not file.exists():
            problems.append(f"broken link: {href}")
        elif fragment and file.suffix == ".html" and not re.search(
                rf'id="{re.escape(unquote(fragment))}"', file.read_text(errors="replace")):
            problems.append(f"missing anchor: {href}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{shot_name}.png"))
    page.close()
    return problems


def _site_pages() -> list:
    if not (SITE / "index.html").exists():
        _need(f"the site is not built ({SITE}); run make docs")
    return sorted(p for p in SITE.rglob("*.html") if "_sources" not in p.parts)


def test_every_page_of_the_site_renders_with_its_images_and_links(browser):
    pages = _site_pages()
    assert len(pages) >= 20, f"only {len(pages)} pages built"
    problems = {}
    for path in pages:
        name = str(path.relative_to(SITE)).replace("/", "__").removesuffix(".html")
        found = check_page(browser, path, "site__" + name)
        if found:
            problems[str(path.relative_to(SITE))] = found
    assert not problems, problems


def test_gallery_pages_show_figures_metrics_and_command(browser):
    pages = _site_pages()
    gallery = [p for p in pages if p.parent.name == "gallery" and p.name != "index.html"]
    assert len(gallery) >= 10
    for path in gallery:
        page = browser.new_page()
        page.goto(path.as_uri())
        text = page.inner_text("body")
        assert "spikemem run " + path.stem in text, path
        assert "Metrics" in text and "Reproduce" in text, path
        assert page.evaluate("document.images.length") >= 1, path
        page.close()


def test_report_of_a_fresh_experiment_renders_in_the_browser(browser, tmp_path):
    from spikemem.experiments import recall_from_fragments
    out = tmp_path / "rf"
    recall_from_fragments.main(["--out", str(out), "--seed", "3"])
    report = out / "report.html"
    assert check_page(browser, report, "report__recall_from_fragments") == []
    page = browser.new_page()
    page.goto(report.as_uri())
    text = page.inner_text("body")
    for heading in ("Parameters", "Metrics", "Figures", "Provenance", "Data files"):
        assert heading in text
    assert "spikemem run recall_from_fragments --out" in text and "--seed 3" in text
    assert page.evaluate("document.images.length") == len(list(out.glob("*.png")))
    assert page.evaluate("Array.from(document.querySelectorAll('script, link[rel=stylesheet]'))"
                         ".length") == 0   # self-contained
    page.close()


def test_the_page_check_reports_a_broken_image_link_anchor_and_console_error(browser, tmp_path):
    (tmp_path / "other.html").write_text(
        '<html><head><title>o</title></head><body>'
        '<p id="here">another page with enough text</p></body></html>')
    bad = tmp_path / "bad.html"
    bad.write_text('<html><head><title>bad</title></head><body><p>a page with problems in it</p>'
                   '<img src="missing.png"><a href="nowhere.html">x</a>'
                   '<a href="other.html#gone">y</a><a href="other.html#here">z</a>'
                   '<script>console.error("boom")</script></body></html>')
    problems = check_page(browser, bad, "selftest__bad")
    assert any("console error: boom" in p for p in problems)
    assert any("image does not load: missing.png" in p for p in problems)
    assert "broken link: nowhere.html" in problems
    assert "missing anchor: other.html#gone" in problems
    assert not any("#here" in p for p in problems)
