"""report.html in headless Chromium: it renders its plots offline, with no request at all.

The page records on ``<body>`` how many resources it loaded and how many requests its
Content-Security-Policy blocked; ``--dump-dom`` reads them back after the load event. A page
with one external image is the control that the count really catches requests. Needs a
Chromium binary (Debian package ``chromium``); skipped with that reason where there is none.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from harness.report import build_report
from tests.unit.report.conftest import write_run

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def chromium() -> str:
    explicit = os.environ.get("HARNESS_CHROMIUM")
    if explicit:
        return explicit
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium binary on PATH (install the Debian package 'chromium' or set "
                "HARNESS_CHROMIUM)")


def headless(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
         "--virtual-time-budget=3000", *extra, page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120,
    )


def body_attributes(dom: str) -> dict[str, str]:
    m = re.search(r"<body([^>]*)>", dom)
    assert m, dom[:500]
    return dict(re.findall(r'(data-[\w-]+)="([^"]*)"', m.group(1)))


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    return build_report(write_run(root / "reports"))


def test_report_renders_its_plots_without_requests(report, tmp_path):
    proc = headless(report, tmp_path / "profile", "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    attrs = body_attributes(dom)
    assert attrs["data-rendered"] == "yes"
    assert attrs["data-resources"] == "0"
    assert attrs["data-blocked-requests"] == "0"
    assert int(attrs["data-plots"]) == 6
    assert dom.count('class="plot timeline"') == 2
    assert 'class="level"' in dom and 'class="span job-app"' in dom
    assert "net::ERR_" not in proc.stderr


def test_an_external_request_would_be_caught(report, tmp_path):
    page = tmp_path / "with-request.html"
    html = report.read_text()
    page.write_text(html.replace("</body>", '<img src="http://192.0.2.1/x.png"></body>'))
    attrs = body_attributes(headless(page, tmp_path / "profile", "--dump-dom").stdout)
    assert attrs["data-blocked-requests"] == "1"


def test_screenshot_shows_the_page(report, tmp_path):
    shot = tmp_path / "report.png"
    proc = headless(report, tmp_path / "profile", f"--screenshot={shot}",
                    "--window-size=1200,2200", "--hide-scrollbars")
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1200, 2200)
    # Text, tables and six charts compress far worse than a blank page (a few KB).
    assert len(data) > 60_000
