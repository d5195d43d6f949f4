"""The HTML report in a real browser (Debian's headless Chromium): it fits a 1280-pixel
window and an A4 page without horizontal scrolling, its charts are drawn, and its Chinese
text is rendered with real glyphs, not boxes.

The report is the demo's, from a real run on the simulated bank. Screenshots go to
harness-out/screenshots/ (git-ignored) for a person to look at; the test never compares
pixels with a stored picture.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.procs import HARNESS

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parent.parent / "harness-out" / "screenshots"
A4_WIDTH_PX = 703  # 210 mm less the report's 12 mm print margins, at 96 px per inch

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    done = subprocess.run(
        [HARNESS, "demo", "--count", "1500", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=out,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return out / "report.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: run `make browser` (.ci/run does)")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="harness-chromium-")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=ARGS, headless=True
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


OVERFLOW = """() => {
  const doc = document.documentElement;
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > doc.clientWidth + 0.5)
    .map(e => e.tagName + ' ' + (e.textContent || '').slice(0, 40));
  return {scroll: doc.scrollWidth, client: doc.clientWidth, wide: wide.slice(0, 5)};
}"""

CHARTS = """() => [...document.querySelectorAll('figure svg')].map(s => ({
  width: s.getBoundingClientRect().width,
  marks: s.querySelectorAll('rect').length,
  title: s.getAttribute('aria-label'),
}))"""

GLYPHS = """(text) => {
  const canvas = document.createElement('canvas');
  canvas.width = 96; canvas.height = 48;
  const g = canvas.getContext('2d');
  const font = getComputedStyle(document.querySelector('.lead')).fontFamily;
  const draw = (s) => {
    g.clearRect(0, 0, 96, 48);
    g.font = '32px ' + font;
    g.fillStyle = '#000';
    g.fillText(s, 4, 38);
    return Array.from(g.getImageData(0, 0, 96, 48).data).join(',');
  };
  const tofu = draw('\\u{10FFFD}');
  const glyphs = [...text].map(draw);
  return {
    inked: glyphs.every(d => /[1-9]/.test(d)),
    distinct: new Set(glyphs).size,
    tofu: glyphs.filter(d => d === tofu).length,
  };
}"""


def _cjk_sample(page) -> str:  # type: ignore[no-untyped-def]
    text = page.inner_text("body")
    chars = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    assert len(set(chars)) >= 4, "the report shows no Chinese text to check"
    return "".join(sorted(set(chars))[:6])


def test_report_fits_1280_pixels_with_charts_and_cjk_glyphs(report, browser):
    page = browser.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(report.as_uri())
    fit = page.evaluate(OVERFLOW)
    assert fit["scroll"] <= fit["client"] == 1280, fit
    assert fit["wide"] == [], fit
    charts = page.evaluate(CHARTS)
    assert len(charts) == 4, charts
    drawn = [c for c in charts if c["marks"] > 2]
    assert len(drawn) >= 3 and all(c["width"] > 300 for c in charts), charts
    cjk = page.evaluate(GLYPHS, _cjk_sample(page))
    assert cjk["inked"] and cjk["tofu"] == 0 and cjk["distinct"] == 6, cjk
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "report-1280.png"), full_page=True)
    page.screenshot(path=str(SHOTS / "report-1280-top.png"))
    page.close()


def test_report_prints_on_a4(report, browser):
    page = browser.new_page()
    page.set_viewport_size({"width": A4_WIDTH_PX, "height": 1000})
    page.goto(report.as_uri())
    page.emulate_media(media="print")
    fit = page.evaluate(OVERFLOW)
    assert fit["scroll"] <= fit["client"], fit
    assert fit["wide"] == [], fit
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    assert b"/MediaBox [0 0 595.9" in pdf and b" 842.8" in pdf  # A4 in points
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type/Page") > 1
    (SHOTS).mkdir(parents=True, exist_ok=True)
    (SHOTS / "report-a4.pdf").write_bytes(pdf)
    page.close()
