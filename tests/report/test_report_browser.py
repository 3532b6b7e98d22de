"""The page as a person sees it: headless Chromium (Debian's package) renders it with no console error and every
chart drawn. Skipped where Chromium is not installed (`.ci/run` installs it)."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from tests.report.conftest import report_now

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
         "--disable-extensions", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--metrics-recording-only", "--enable-logging=stderr", "--v=0"]
CONSOLE_PROBLEMS = ("Uncaught", "CONSOLE", "Failed to load resource", "net::ERR_")


class ChartFinder(HTMLParser):
    """Per chart figure id: the number of <path> elements with a non-empty `d` inside its <svg>."""

    def __init__(self):
        super().__init__()
        self.charts: dict[str, int] = {}
        self._figure = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "figure" and "chart" in (attrs.get("class") or "").split():
            self._figure = attrs.get("id")
        elif tag == "svg" and self._figure:
            self.charts.setdefault(self._figure, 0)
        elif tag == "path" and self._figure in self.charts and (attrs.get("d") or "").strip():
            self.charts[self._figure] += 1

    def handle_endtag(self, tag):
        if tag == "figure":
            self._figure = None


def chromium(tmp_path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow  # starts Chromium
def test_chromium_renders_every_chart_without_console_errors(cli, seeded, tmp_path):
    page = tmp_path / "report.html"
    result = cli("report", "--html", "-o", str(page), "--now", report_now(), "--json")
    assert result.code == 0, result.stderr
    charts = result.data["charts"]

    dumped = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    problems = [line for line in dumped.stderr.splitlines() if any(p in line for p in CONSOLE_PROBLEMS)]
    assert problems == []
    finder = ChartFinder()
    finder.feed(dumped.stdout)
    assert set(finder.charts) == set(charts) and len(charts) == 6
    assert all(count > 0 for count in finder.charts.values()), finder.charts

    screenshot = tmp_path / "report.png"
    shot = chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=960,3200", "--hide-scrollbars",
                    page.as_uri())
    assert shot.returncode == 0 and screenshot.stat().st_size > 10_000, shot.stderr[-2000:]
    assert [line for line in shot.stderr.splitlines() if any(p in line for p in CONSOLE_PROBLEMS)] == []
    print(f"report screenshot: {screenshot}")
