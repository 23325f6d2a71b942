"""``siamfc serve`` against hostile requests, sent over real HTTP to a live server on loopback.

Each hostile request must be refused with one line ({"error": ...}, a 4xx or 503 status) and the
server must go on serving. What is checked: uploads that make the decoder open other files
(an HLS playlist naming a local video by file://, concat lists, SDP, DASH), formats told by
content and never by name, malformed containers, the Host check (DNS rebinding), cross-site
state changes (Origin, Content-Type), the limits (frame size, frame count, uploads at once, body
size, clip names), probing off the event loop, and a shutdown that waits for the job.
"""

from __future__ import annotations

import http.client
import json
import os
import struct
import threading
import zlib
from pathlib import Path
from urllib.parse import quote

import cv2
import numpy as np
import pytest

pytest.importorskip("starlette", reason="the app extra is not installed (pip install 'siamfc[app]')")
pytest.importorskip("uvicorn", reason="the app extra is not installed (pip install 'siamfc[app]')")
httpx = pytest.importorskip("httpx", reason="httpx is not installed (pip install -e '.[test]')")

from app_fixtures import CROSSING_BOX, ENGINE, live_server, write_clip  # noqa: E402

from siamfc.apps.serve import clips as clips_module  # noqa: E402
from siamfc.apps.serve.guard import HostPolicy  # noqa: E402
from siamfc.apps.serve.server import create_app  # noqa: E402

#: The limits of the server under test: 2 MB, 400 x 300 pixels, 50 frames, one upload at a time.
LIMITS = {"max_upload_mb": 2, "max_pixels": 400 * 300, "max_frames": 50, "max_uploads": 1}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = create_app(engine=ENGINE, folder=tmp_path_factory.mktemp("serve"), **LIMITS)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield client, app


@pytest.fixture(autouse=True)
def still_serving(request):
    """After each test on the shared server: it still answers."""
    yield
    if "server" in request.fixturenames:
        client, app = request.getfixturevalue("server")
        assert client.get("/api/options").status_code == 200
        assert app.state.clips._receiving == 0  # no upload left counted


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """Real files of every accepted format (the Crossing frames), and a private video outside the server."""
    from siamfc.apps.demo import demo_sequence

    folder = tmp_path_factory.mktemp("media")
    frame = demo_sequence().frame(0)
    files = {ext: write_clip(folder / f"clip{ext}", 5) for ext in (".avi", ".mp4", ".webm")}
    for ext in (".jpg", ".png"):
        files[ext] = folder / f"frame{ext}"
        files[ext].write_bytes(cv2.imencode(ext, frame)[1].tobytes())
    files["private"] = write_clip(folder / "private.avi", 5)
    return files


def refused(response, status: int, *words: str) -> str:
    """The one-line message of a refusal with ``status``, checked to contain ``words``."""
    assert response.status_code == status, (response.status_code, response.text)
    message = response.json()["error"]
    assert "\n" not in message and all(w in message for w in words), message
    return message


def upload(client, data: bytes, name: str, **headers):
    return client.post("/api/clips", content=data, headers={"X-Filename": quote(name), **headers})


def track(client, clip_id: str, box=CROSSING_BOX, **headers) -> list[dict]:
    """Run a job to its end: its events, heartbeats left out."""
    response = client.post("/api/track", json={"clip": clip_id, "box": list(box)}, headers=headers)
    assert response.status_code == 200, response.text
    return [e for e in map(json.loads, response.text.splitlines()) if e["type"] != "wait"]


# -- uploads that name other files or URLs -----------------------------------------------------


def referring_files(private: Path) -> dict[str, bytes]:
    url = private.resolve().as_uri()  # file:///.../private.avi
    hls = f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{url}\n#EXT-X-ENDLIST\n".encode()
    return {
        "playlist.m3u8": hls,
        "holiday.mp4": hls,  # the same playlist under a video's name
        "bom.m3u8": b"\xef\xbb\xbf\n" + hls,
        "list.ffconcat": f"ffconcat version 1.0\nfile '{private.name}'\n".encode(),
        "stream.sdp": b"v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\nm=video 5004 RTP/AVP 96\n",
        "manifest.mpd": f'<?xml version="1.0"?><MPD><BaseURL>{url}</BaseURL></MPD>'.encode(),
    }


@pytest.mark.parametrize(
    "name", ["playlist.m3u8", "holiday.mp4", "bom.m3u8", "list.ffconcat", "stream.sdp", "manifest.mpd"]
)
def test_files_that_name_other_files_or_urls_are_refused(server, media, name):
    client, app = server
    before = set(app.state.clips._clips)
    refused(upload(client, referring_files(media["private"])[name], name), 415, name, "other files or URLs")
    assert set(app.state.clips._clips) == before  # no clip: nothing to read the private video through
    assert not [p for p in app.state.clips.folder.iterdir() if p.suffix not in (".avi", ".mp4", ".mkv")]


def test_with_the_demuxer_fixed_a_playlist_cannot_reach_a_local_file(media, tmp_path, monkeypatch):
    # What the server relies on, with the OpenCV installed here: opened plainly, the playlist hands
    # over the private video's frames; with the demuxer fixed to the recognised format it is refused.
    from siamfc.errors import DataError
    from siamfc.io.video import open_video

    playlist = tmp_path / "playlist.m3u8"
    playlist.write_bytes(referring_files(media["private"])["playlist.m3u8"])
    leaked = next(iter(open_video(playlist)))
    assert leaked.shape == (240, 360, 3)
    monkeypatch.setenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;udp")
    for demuxer in ("avi", "mov", "matroska"):
        with pytest.raises(DataError, match="cannot read video"):
            open_video(playlist, demuxer=demuxer)
    assert next(iter(open_video(media[".avi"], demuxer="avi"))).shape == (240, 360, 3)
    assert os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] == "rtsp_transport;udp"  # the user's options are put back


def test_the_format_is_told_by_content_never_by_name(server, media):
    client, _ = server
    for ext, name, frames in [
        (".avi", "clip.m3u8", 5),
        (".mp4", "video.bin", 5),
        (".webm", "no extension", 5),
        (".jpg", "photo.mp4", 1),
        (".png", "frame.png", 1),
    ]:
        response = upload(client, media[ext].read_bytes(), name)
        assert response.status_code == 200, (name, response.text)
        clip = response.json()
        assert (clip["name"], clip["width"], clip["height"], clip["frames"]) == (name, 360, 240, frames)
    # The last upload, a still image, tracks as a one-frame clip; an MP4 is opened with its demuxer fixed.
    assert [e["type"] for e in track(client, clip["id"])] == ["progress", "done"]
    mp4 = upload(client, media[".mp4"].read_bytes(), "again.mp4").json()
    done = track(client, mp4["id"])[-1]
    assert done["type"] == "done" and done["frames"] == 5


def test_a_clip_longer_than_it_said_is_stopped_at_the_limit(media):
    # The frame count is checked at upload from what the container says; while tracking, frames
    # past the limit end the clip with an error instead (a container can understate its length).
    from siamfc.apps.serve.clips import UploadLimits, probe_upload
    from siamfc.apps.serve.formats import AVI
    from siamfc.errors import DataError

    clip = probe_upload(media[".avi"], "clip.avi", AVI, UploadLimits())
    assert len(list(clip.open())) == 5
    clip.max_frames = 3
    frames = clip.open()
    with pytest.raises(DataError, match="more than 3 frames"):
        list(frames)


# -- malformed containers ----------------------------------------------------------------------


def malformed(media) -> dict[str, tuple[bytes, int, str]]:
    """name -> (content, status, words of the message)."""
    avi, mp4, webm = (media[ext].read_bytes() for ext in (".avi", ".mp4", ".webm"))
    rng = np.random.default_rng(0)
    huge_mdat = bytearray(mp4)
    struct.pack_into(">I", huge_mdat, mp4.find(b"mdat") - 4, 0xFFFFFFF0)  # a 4 GB media box in a 26 kB file
    big_png = bytearray(media[".png"].read_bytes())
    struct.pack_into(">II", big_png, 16, 5000, 5000)  # IHDR: 25 Mpixels, with its checksum made right
    struct.pack_into(">I", big_png, 29, zlib.crc32(bytes(big_png[12:29])))
    bomb_jpeg = bytearray(media[".jpg"].read_bytes())
    struct.pack_into(">HH", bomb_jpeg, bomb_jpeg.find(b"\xff\xc0") + 5, 60000, 60000)  # SOF0: 3.6 Gpixels
    cannot = "cannot be decoded"
    return {
        "random.mp4": (rng.bytes(50_000), 415, "not a video"),
        "random-after-avi-head.avi": (avi[:16] + rng.bytes(50_000), 400, cannot),
        "random-after-mp4-head.mp4": (mp4[:16] + rng.bytes(50_000), 400, cannot),
        "random-after-webm-head.webm": (webm[:16] + rng.bytes(50_000), 400, cannot),
        "truncated.avi": (avi[:2000], 400, cannot),
        "truncated.mp4": (mp4[: len(mp4) // 2], 400, cannot),
        "truncated.webm": (webm[:3000], 400, cannot),
        "truncated.png": (media[".png"].read_bytes()[:3000], 400, cannot),
        "huge-mdat.mp4": (bytes(huge_mdat), 400, cannot),
        "big.png": (bytes(big_png), 400, "5000 x 5000", "limit of 120000"),
        "bomb.jpg": (bytes(bomb_jpeg), 400, "limit of 120000"),
        "tiny.avi": (b"RIFF", 415, "not a video"),
        "empty.mp4": (b"", 400, "empty"),
    }


@pytest.mark.parametrize(
    "name",
    [
        "random.mp4",
        "random-after-avi-head.avi",
        "random-after-mp4-head.mp4",
        "random-after-webm-head.webm",
        "truncated.avi",
        "truncated.mp4",
        "truncated.webm",
        "truncated.png",
        "huge-mdat.mp4",
        "big.png",
        "bomb.jpg",
        "tiny.avi",
        "empty.mp4",
    ],
)
def test_malformed_containers_are_refused(server, media, name):
    client, _ = server
    content, status, *words = malformed(media)[name]
    refused(upload(client, content, name), status, name, *words)


def test_a_huge_declared_size_is_refused_before_reading(server):
    client, _ = server
    # httpx will not send less than it declares: http.client sends the headers and a first piece.
    conn = http.client.HTTPConnection(client.base_url.host, client.base_url.port, timeout=30)
    conn.putrequest("POST", "/api/clips")
    conn.putheader("X-Filename", "big.avi")
    conn.putheader("Content-Length", str(10**12))  # a terabyte
    conn.endheaders(b"RIFF\x00\x00\x00\x00AVI " + b"\x00" * 1000)
    response = conn.getresponse()
    assert response.status == 413 and "limit of 2 MB" in json.loads(response.read())["error"]
    conn.close()


# -- who may talk to the server ----------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["attacker.example", "attacker.example:80", "127.0.0.1.attacker.example", "localhost@x"]
)
def test_requests_for_another_host_are_refused(server, host):
    client, _ = server
    refused(client.get("/api/options", headers={"Host": host}), 400, "answers only to")
    refused(client.get("/", headers={"Host": host}), 400, "answers only to")
    refused(client.post("/api/clips/demo", headers={"Host": host}), 400)


def test_the_bound_names_are_served(server):
    client, _ = server
    port = client.base_url.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "LOCALHOST"):
        assert client.get("/api/options", headers={"Host": host}).status_code == 200, host


def test_host_policy_of_each_binding():
    loopback = HostPolicy("127.0.0.1")
    assert all(loopback.allows(h) for h in ("localhost", "127.0.0.1", "::1"))
    assert not loopback.allows("192.168.1.5") and not loopback.allows("attacker.example")
    named = HostPolicy("my-box.lan", extra=["Alias.lan"])
    assert named.allows("my-box.lan") and named.allows("alias.lan") and not named.allows("10.0.0.2")
    everywhere = HostPolicy("0.0.0.0")  # no rebinding gives a Host that is an address: any is served
    assert everywhere.allows("192.168.1.5") and everywhere.allows("fe80::1") and not everywhere.allows("evil.example")


def test_a_cross_site_page_cannot_change_anything(server, media):
    client, app = server
    clip = upload(client, media[".avi"].read_bytes(), "clip.avi").json()
    last = app.state.runner.last
    good = json.dumps({"clip": clip["id"], "box": list(CROSSING_BOX)})
    # A form on another site can post text/plain without asking first: not taken as JSON.
    refused(client.post("/api/track", content=good, headers={"Content-Type": "text/plain"}), 415, "application/json")
    refused(client.post("/api/track", content=good), 415, "application/json")
    port = client.base_url.port
    for origin in ("http://attacker.example", "null", f"http://127.0.0.1:{port + 1}", f"https://localhost:{port}"):
        cross = {"Origin": origin}
        refused(client.post("/api/track", content=good, headers={"Content-Type": "application/json", **cross}), 403)
        refused(upload(client, media[".avi"].read_bytes(), "clip.avi", **cross), 403, "own page")
        refused(client.post("/api/clips/demo", headers=cross), 403)
    refused(upload(client, media[".avi"].read_bytes(), "clip.avi", **{"Sec-Fetch-Site": "cross-site"}), 403)
    assert app.state.runner.last is last  # no job was started
    # A form cannot set X-Filename: an upload without it is refused.
    refused(client.post("/api/clips", content=media[".avi"].read_bytes()), 400, "X-Filename")
    # The server's own page (Origin: the address it is served at) may.
    same = {"Origin": f"http://127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"}
    assert upload(client, media[".avi"].read_bytes(), "clip.avi", **same).status_code == 200
    assert client.get("/api/options", headers={"Origin": "http://attacker.example"}).status_code == 200  # reads


def test_an_oversized_json_body_is_refused(server):
    client, _ = server
    body = json.dumps({"clip": "x", "box": [1, 2, 3, 4], "pad": "x" * 100_000})
    refused(client.post("/api/track", content=body, headers={"Content-Type": "application/json"}), 413, "KB")


# -- limits --------------------------------------------------------------------------------------


def test_frame_size_and_frame_count_limits(server, tmp_path):
    client, _ = server
    large = write_clip(tmp_path / "large.avi", 3, size=(640, 480))
    refused(upload(client, large.read_bytes(), "large.avi"), 400, "640 x 480", "limit of 120000 pixels")
    long = write_clip(tmp_path / "long.avi", 60)
    refused(upload(client, long.read_bytes(), "long.avi"), 400, "60 frames", "limit of 50")


def test_uploads_at_once_are_limited(server, media):
    client, app = server
    data = media[".avi"].read_bytes()
    sent_head, finish = threading.Event(), threading.Event()

    def slow_body():
        yield data[:4096]
        sent_head.set()
        finish.wait(30)
        yield data[4096:]

    result = {}
    sender = threading.Thread(target=lambda: result.update(r=upload(client, slow_body(), "slow.avi")))
    sender.start()
    try:
        assert sent_head.wait(30)
        for _ in range(200):  # until the server has the first upload under way
            if app.state.clips._receiving:
                break
            threading.Event().wait(0.05)
        refused(upload(client, data, "second.avi"), 503, "already receiving 1 upload")
    finally:
        finish.set()
        sender.join(60)
    assert result["r"].status_code == 200


def test_a_stalled_upload_is_dropped(server, media, monkeypatch):
    client, app = server
    monkeypatch.setattr(app.state.clips, "idle_seconds", 0.5)
    receiving, kept = threading.Event(), set(app.state.clips.folder.iterdir())

    def stalled_body():
        yield media[".avi"].read_bytes()[:4096]
        receiving.wait(30)
        for _ in range(600):  # sends nothing more until the server has given up on it
            if not app.state.clips._receiving:
                break
            threading.Event().wait(0.05)
        yield b"late"

    def watch():
        for _ in range(600):
            if app.state.clips._receiving:
                break
            threading.Event().wait(0.05)
        receiving.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        response = upload(client, stalled_body(), "stalled.avi")
    except httpx.HTTPError:
        response = None  # the server answered and closed while the body was still open: also fine
    watcher.join()
    if response is not None:
        refused(response, 400, "stalled")
    assert set(app.state.clips.folder.iterdir()) == kept  # the part received was deleted


def test_a_clip_name_is_cleaned_before_it_is_shown_or_names_a_file(server, media):
    client, app = server
    hostile = "../../etc/" + "a" * 500 + "\x00\x1b[31m<b>.png"
    clip = upload(client, media[".png"].read_bytes(), hostile).json()
    assert len(clip["name"]) <= 100 and not any(c in clip["name"] for c in "/\\\x00\x1b")
    done = track(client, clip["id"])[-1]
    assert done["type"] == "done", done
    response = client.get(done["boxes_url"])
    assert response.status_code == 200
    job = app.state.runner.last
    assert job.boxes_path.parent == job.folder and len(job.boxes_path.name) <= 80
    assert set(job.boxes_path.stem) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
    # The browser is offered the cleaned name (percent-encoded where a header cannot carry it), never the raw one.
    disposition = response.headers["content-disposition"]
    shown = Path(clip["name"]).stem + "_siamfc.txt"
    assert shown in disposition or quote(shown) in disposition
    assert not any(c in disposition for c in "\x00\x1b\r\n") and "../" not in disposition


def test_a_slow_probe_does_not_hold_up_other_requests(server, media, monkeypatch):
    client, _ = server
    entered, release = threading.Event(), threading.Event()
    real_probe = clips_module.probe_upload

    def slow_probe(*args):
        entered.set()
        release.wait(30)
        return real_probe(*args)

    monkeypatch.setattr(clips_module, "probe_upload", slow_probe)
    result = {}
    sender = threading.Thread(target=lambda: result.update(r=upload(client, media[".avi"].read_bytes(), "slow.avi")))
    sender.start()
    try:
        assert entered.wait(30)
        # While the probe runs, the server answers (it would wait for the probe if it ran on the event loop).
        with httpx.Client(base_url=client.base_url, timeout=5) as other:
            assert other.get("/api/options").status_code == 200
    finally:
        release.set()
        sender.join(60)
    assert result["r"].status_code == 200


# -- shutdown ----------------------------------------------------------------------------------


def test_shutdown_stops_the_job_waits_for_it_and_leaves_nothing(tmp_path):
    folder = tmp_path / "serve"
    app = create_app(engine=ENGINE, folder=folder)
    clip_file = write_clip(tmp_path / "long.avi", 300)
    started, seen = threading.Event(), []

    def follow(base, clip_id):
        with httpx.Client(base_url=base, timeout=60) as client:
            payload = {"clip": clip_id, "box": list(CROSSING_BOX)}
            try:
                with client.stream("POST", "/api/track", json=payload) as response:
                    for line in response.iter_lines():
                        seen.append(json.loads(line)["type"])
                        if seen[-1] == "progress":
                            started.set()
            except httpx.HTTPError:
                pass  # the server closed the stream

    with live_server(app) as base:
        with httpx.Client(base_url=base, timeout=60) as client:
            clip = upload(client, clip_file.read_bytes(), "long.avi").json()
        reader = threading.Thread(target=follow, args=(base, clip["id"]))
        reader.start()
        assert started.wait(60)
        job = app.state.runner.last
    # The server has stopped: the job was cancelled and its thread had ended before the files went.
    assert job.state == "cancelled" and not app.state.runner._thread.is_alive()
    assert list(folder.iterdir()) == []  # uploads (ClipStore.close) and results removed
    reader.join(30)
