"""The browser demo's server over real HTTP: uploads, bad input, one job at a time, a closed page.

Every bad input must get a one-line message and leave the server serving; a page that goes away
must stop its job and free it. The end-to-end test in a real browser is test_app_browser.py.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from conftest import require

require("app")

from app_fixtures import CROSSING_BOX, ENGINE, live_server, tracker_boxes, write_clip  # noqa: E402

from siamfc.apps.serve.server import create_app  # noqa: E402
from siamfc.data.box_files import parse_box_text  # noqa: E402
from siamfc.io.video import open_source  # noqa: E402


def request(url: str, data: bytes | None = None, headers=None, method: str | None = None):
    """``(status, body bytes)``, whatever the status."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def post_json(url: str, payload: dict):
    return request(url, json.dumps(payload).encode(), {"Content-Type": "application/json"}, "POST")


def upload(base: str, path, name: str | None = None) -> dict:
    status, body = request(f"{base}/api/clips", path.read_bytes(), {"X-Filename": name or path.name}, "POST")
    assert status == 200, body
    return json.loads(body)


def events(base: str, payload: dict) -> list[dict]:
    """Run a job to its end; its events, heartbeats left out."""
    status, body = post_json(f"{base}/api/track", payload)
    assert status == 200, body
    out = [json.loads(line) for line in body.decode().splitlines()]
    return [e for e in out if e["type"] != "wait"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = create_app(max_upload_mb=2, engine=ENGINE, folder=tmp_path_factory.mktemp("serve"))
    with live_server(app) as base:
        yield base, app


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory):
    return write_clip(tmp_path_factory.mktemp("clip") / "crossing8.avi", 8)


def error_of(status_body) -> tuple[int, str]:
    status, body = status_body
    return status, json.loads(body)["error"]


def test_options_list_what_siamfc_ships(server, monkeypatch, tmp_path):
    from siamfc.model import weights

    base, _ = server
    status, body = request(f"{base}/api/options")
    assert status == 200
    options = json.loads(body)
    assert options["weights"] == list(weights.shipped_weights()) and options["params"] == ["3s", "5s"]
    # A new entry in the one list of shipped weights appears in the page's menu, nothing else to change.
    extra = {**weights.shipped_weights(), "other": tmp_path / "other.safetensors"}
    monkeypatch.setattr(weights, "shipped_weights", lambda: extra)
    assert json.loads(request(f"{base}/api/options")[1])["weights"] == list(extra)


def test_page_and_its_assets_are_served_locally(server):
    base, _ = server
    status, page = request(f"{base}/")
    assert status == 200
    html = page.decode()
    assert "/static/app.js" in html and "/static/app.css" in html
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    for asset in ("app.js", "app.css"):
        status, body = request(f"{base}/static/{asset}")
        assert status == 200 and b"http://" not in body and b"https://" not in body


@pytest.mark.parametrize(
    "name, content, code",
    [("notes.txt", b"not a video at all", 415), ("fake.mp4", b"\x00" * 5000, 415), ("empty.mp4", b"", 400)],
)
def test_an_upload_that_is_not_a_video_is_refused(server, name, content, code):
    base, _ = server
    status, message = error_of(request(f"{base}/api/clips", content, {"X-Filename": name}, "POST"))
    assert status == code and name in message and ("not a video" in message or "empty" in message)
    assert request(f"{base}/api/options")[0] == 200  # still serving


def test_a_huge_upload_is_refused_declared_or_streamed(server):
    base, _ = server
    # The server under test takes 2 MB; the body starts like an AVI (else it is refused for that first).
    big = b"RIFF\x00\x00\x30\x00AVI " + b"\x00" * (3 * 2**20)
    status, message = error_of(request(f"{base}/api/clips", big, {"X-Filename": "big.mp4"}, "POST"))
    assert status == 413 and "limit of 2 MB" in message
    # Without a Content-Length (chunked): refused once the count passes the limit.
    url = urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.request(
        "POST",
        "/api/clips",
        body=(big[i : i + 2**16] for i in range(0, len(big), 2**16)),
        headers={"X-Filename": "big.mp4"},
        encode_chunked=True,
    )
    response = conn.getresponse()
    assert response.status == 413 and "limit of 2 MB" in json.loads(response.read())["error"]
    conn.close()
    assert request(f"{base}/api/options")[0] == 200


@pytest.mark.parametrize(
    "box, words",
    [
        ([204, 150, 0, 50], "0 x 50 pixels"),
        ([204, 150, 17, 0.4], "17 x 0.4"),
        ([900, 150, 17, 50], "entirely outside the 360x240 frame"),
        ([1, 2, 3], "needs a clip and a box"),
    ],
)
def test_bad_boxes_get_a_message(server, short_clip, box, words):
    base, _ = server
    clip = upload(base, short_clip)
    status, message = error_of(post_json(f"{base}/api/track", {"clip": clip["id"], "box": box}))
    assert status == 400 and words in message


def test_unknown_clip_weights_or_params(server, short_clip):
    base, _ = server
    clip = upload(base, short_clip)
    good = {"clip": clip["id"], "box": list(CROSSING_BOX)}
    assert "upload it again" in error_of(post_json(f"{base}/api/track", {**good, "clip": "nope"}))[1]
    assert "unknown weights 'nope'" in error_of(post_json(f"{base}/api/track", {**good, "weights": "nope"}))[1]
    assert "unknown parameter set" in error_of(post_json(f"{base}/api/track", {**good, "params": "7s"}))[1]


def test_a_job_streams_progress_and_gives_the_trackers_boxes(server, short_clip):
    base, app = server
    clip = upload(base, short_clip, "my clip.avi")
    assert (clip["width"], clip["height"], clip["frames"]) == (360, 240, 8)
    got = events(base, {"clip": clip["id"], "box": list(CROSSING_BOX), "params": "3s", "debug": True})
    progress, done = got[:-1], got[-1]
    assert done["type"] == "done", done
    assert [e["frame"] for e in progress] == list(range(8)) and all(e["total"] == 8 for e in progress)
    assert progress[0]["preview"].startswith("data:image/jpeg;base64,")  # the first frame is always previewed

    reference = tracker_boxes(short_clip, CROSSING_BOX)
    shown = parse_box_text(done["boxes"], columns=(4,)) - [1, 1, 0, 0]  # OTB text is 1-based
    np.testing.assert_allclose(shown, reference, atol=1e-3)
    np.testing.assert_allclose([e["box"] for e in progress], reference, atol=1e-3)
    # "lost": the score below the weights' lost threshold (from their model card), per frame
    t = done["lost_threshold"]
    assert done["lost"] == [e["lost"] for e in progress] == [s is not None and s < t for s in done["scores"]]
    status, downloaded = request(base + done["boxes_url"])
    assert status == 200 and downloaded.decode() == done["boxes"]
    status, video = request(base + done["video_url"])
    assert status == 200
    saved = app.state.workdir / "downloaded.webm"
    saved.write_bytes(video)
    frames = list(open_source(saved))
    assert len(frames) == 8 and frames[0].shape[1] > 360  # the debug panels are beside the frame


def test_one_job_at_a_time_and_a_closed_page_stops_its_job(tmp_path):
    app = create_app(engine=ENGINE, folder=tmp_path / "serve")
    with live_server(app) as base:
        one_job_at_a_time(base, app, upload(base, write_clip(tmp_path / "long.avi", 300)))


def one_job_at_a_time(base, app, clip):
    url = urlparse(base)
    first = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    first.request(
        "POST",
        "/api/track",
        body=json.dumps({"clip": clip["id"], "box": list(CROSSING_BOX)}),
        headers={"Content-Type": "application/json"},
    )
    response = first.getresponse()
    assert response.status == 200
    while json.loads(response.readline())["type"] != "progress":  # tracking has started
        pass
    job = app.state.runner.last
    assert job.tracker() is not None

    status, message = error_of(post_json(f"{base}/api/track", {"clip": clip["id"], "box": list(CROSSING_BOX)}))
    assert status == 409 and "one job at a time" in message
    assert request(f"{base}/api/options")[0] == 200  # other requests are served meanwhile

    first.close()  # the page is closed mid-run
    deadline = time.monotonic() + 30
    while app.state.runner.busy and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not app.state.runner.busy and job.state == "cancelled"
    assert job.tracker() is None  # the tracker (and its engine) are gone
    assert not job.folder.exists()  # and so is the half-written video


def test_siamfc_serve_command_starts_and_stops(tmp_path):
    import os
    import re
    import subprocess
    import sys

    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH")])
        ),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "siamfc", "serve", "--port", "0", "--max-upload-mb", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        found = re.search(r"open (http://\S+/) in a browser", line)
        assert found, line
        status, body = request(found.group(1) + "api/options")
        assert status == 200 and json.loads(body)["max_upload_bytes"] == 5 * 2**20
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_on_a_port_in_use_is_one_line(capsys):
    import socket

    from siamfc.apps.cli import main

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        assert main(["serve", "--port", str(taken.getsockname()[1])]) == 2
    finally:
        taken.close()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot listen on 127.0.0.1" in err[0] and "--port" in err[0]


def test_a_parameter_set_file_is_offered_by_its_name_and_tracks_with_its_values(tmp_path, short_clip):
    from siamfc.apps.cli.serve import param_files
    from siamfc.tracking import PRESETS, save_params_file

    mine = PRESETS["3s"].replace(window_influence=0.45, scale_lr=0.9, scale_step=1.07)
    path = save_params_file(tmp_path / "mine.yaml", mine, "3s")
    app = create_app(engine=ENGINE, folder=tmp_path / "serve", param_sets=param_files([str(path)]))
    with live_server(app) as base:
        assert json.loads(request(f"{base}/api/options")[1])["params"] == ["3s", "5s", "mine"]
        clip = upload(base, short_clip)
        done = events(base, {"clip": clip["id"], "box": list(CROSSING_BOX), "params": "mine"})[-1]
    assert done["type"] == "done", done
    shown = parse_box_text(done["boxes"], columns=(4,)) - [1, 1, 0, 0]
    np.testing.assert_allclose(shown, tracker_boxes(short_clip, CROSSING_BOX, params=mine), atol=1e-3)
    assert not np.allclose(shown, tracker_boxes(short_clip, CROSSING_BOX), atol=1e-3)  # not the 3s boxes
