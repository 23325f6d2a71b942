"""The browser demo end to end, in a real browser (Playwright driving Chromium).

Start the server on localhost, upload a short clip through the page's file input, draw the box
with mouse events on the first frame, run, and check that the boxes the page shows and the file
it downloads are the tracker's own, and that the page asked nothing of any other host.

Skips, saying why, only where no browser can be found: Playwright's own Chromium, or a system
one (Debian's ``chromium`` package: /usr/bin/chromium; or SIAMFC_BROWSER=/path/to/chrome).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import require

require("app")
require("playwright")
from app_fixtures import CROSSING_BOX, ENGINE, live_server, tracker_boxes, write_clip  # noqa: E402
from playwright import sync_api  # noqa: E402

from siamfc.apps.serve.server import create_app  # noqa: E402
from siamfc.data.box_files import parse_box_text  # noqa: E402

#: Flags for a headless browser that reaches nothing but the test server.
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SYSTEM_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
N_FRAMES = 8


def find_browser(playwright) -> str | None:
    """A Chromium executable: SIAMFC_BROWSER, else Playwright's own download, else one on PATH."""
    candidates = [os.environ.get("SIAMFC_BROWSER")]
    try:
        candidates.append(playwright.chromium.executable_path)
    except Exception:  # noqa: BLE001 - no Playwright browser download here
        pass
    candidates += [shutil.which(name) for name in SYSTEM_BROWSERS]
    return next((c for c in candidates if c and Path(c).is_file() and os.access(c, os.X_OK)), None)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        executable = find_browser(playwright)
        if executable is None:
            pytest.skip(
                "no Chromium found: install Debian's chromium (apt-get install chromium), run "
                "`playwright install chromium`, or set SIAMFC_BROWSER=/path/to/chrome"
            )
        browser = playwright.chromium.launch(executable_path=executable, args=BROWSER_ARGS)
        yield browser
        browser.close()


def test_upload_draw_track_download_in_a_browser(browser, tmp_path):
    clip = write_clip(tmp_path / "crossing short é.avi", N_FRAMES)  # a name HTTP headers cannot carry as is
    app = create_app(engine=ENGINE, folder=tmp_path / "serve")
    with live_server(app) as base:
        page = browser.new_page(accept_downloads=True)
        page.set_default_timeout(45_000)
        elsewhere = []
        page.on(
            "request",
            lambda r: None if r.url.startswith(base) or r.url.startswith("data:") else elsewhere.append(r.url),
        )
        page.goto(base + "/")
        page.wait_for_function("document.getElementById('weights').options.length > 0")

        page.set_input_files("#file", str(clip))
        page.wait_for_function("document.getElementById('clip-info').textContent.includes('360 x 240')")
        page.wait_for_function("document.getElementById('status').textContent.includes('drag')")

        # Draw the box with the mouse: frame pixels -> screen pixels of the (possibly scaled) canvas.
        canvas = page.locator("#canvas").bounding_box()
        sx, sy = canvas["width"] / 360, canvas["height"] / 240
        x, y, w, h = CROSSING_BOX
        page.mouse.move(canvas["x"] + x * sx, canvas["y"] + y * sy)
        page.mouse.down()
        page.mouse.move(canvas["x"] + (x + w / 2) * sx, canvas["y"] + (y + h / 2) * sy, steps=4)
        page.mouse.move(canvas["x"] + (x + w) * sx, canvas["y"] + (y + h) * sy, steps=4)
        page.mouse.up()
        drawn = [float(v) for v in page.input_value("#box").split(",")]
        assert np.abs(np.subtract(drawn, CROSSING_BOX)).max() <= 1, drawn  # mouse positions round to pixels

        page.select_option("#params", "3s")
        page.click("#run")
        page.wait_for_selector("#result", state="visible")
        assert "done" in page.text_content("#status")

        reference = tracker_boxes(clip, drawn, weights=page.input_value("#weights"))
        shown = parse_box_text(page.text_content("#boxes"), columns=(4,)) - [1, 1, 0, 0]  # OTB text: 1-based
        assert shown.shape == (N_FRAMES, 4)
        np.testing.assert_allclose(shown, reference, atol=1e-3)
        with page.expect_download() as download_info:
            page.click("#download-boxes")
        saved = tmp_path / "downloaded.txt"
        download_info.value.save_as(saved)
        assert saved.read_text() == page.text_content("#boxes")
        assert download_info.value.suggested_filename == "crossing short é_siamfc.txt"

        # The annotated video plays in the page, and the readout follows it.
        page.wait_for_function("document.getElementById('video').readyState >= 1")
        duration = page.evaluate("document.getElementById('video').duration")
        assert abs(duration - N_FRAMES / 30) < 0.05, duration  # every frame, at the clip's 30 fps
        assert page.text_content("#frame-box").startswith("frame ")
        assert elsewhere == [], f"the page reached other hosts: {elsewhere}"
        page.close()


def test_bad_input_busy_server_and_a_closed_page_in_a_browser(browser, tmp_path):
    app = create_app(engine=ENGINE, folder=tmp_path / "serve")
    runner = app.state.runner
    with live_server(app) as base:
        first, second = browser.new_page(), browser.new_page()
        for page in (first, second):
            page.set_default_timeout(30_000)
            page.goto(base + "/")
            page.wait_for_function("document.getElementById('weights').options.length > 0")

        # Not a video: the page says so.
        not_video = tmp_path / "notes.txt"
        not_video.write_text("hello")
        second.set_input_files("#file", str(not_video))
        second.wait_for_function("document.getElementById('status').className === 'error'")
        assert "'notes.txt' is not a video" in second.text_content("#status")

        # A click without a drag: a zero-size box, refused in the page.
        second.click("#use-demo")
        second.wait_for_function("document.getElementById('box').value === '204,150,17,50'")  # its ground truth
        canvas = second.locator("#canvas").bounding_box()
        second.mouse.click(canvas["x"] + 50, canvas["y"] + 50)
        assert "zero size" in second.text_content("#status")

        # The first page tracks the bundled sequence (120 frames); the second is told to wait.
        first.click("#use-demo")
        first.wait_for_function("document.getElementById('box').value.length > 0")
        first.click("#run")
        first.wait_for_function("document.getElementById('status').textContent.startsWith('frame ')")
        job = runner.last
        second.fill("#box", "204,150,17,50")
        second.dispatch_event("#box", "change")
        second.click("#run")
        second.wait_for_function("document.getElementById('status').className === 'error'")
        assert "one job at a time" in second.text_content("#status")

        # Closing the first page mid-run stops its job and frees it; the second page can then track.
        first.close()
        second.wait_for_function("!document.getElementById('run').disabled")
        for _ in range(600):
            if not runner.busy:
                break
            second.wait_for_timeout(50)
        assert job.state == "cancelled" and job.tracker() is None
        second.click("#run")
        second.wait_for_function("document.getElementById('status').textContent.startsWith('frame ')")
        second.click("#stop")
        second.wait_for_function("document.getElementById('status').textContent === 'stopped'")
        second.close()
