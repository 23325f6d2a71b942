"""Bad files: empty or corrupt images, unreadable videos, missing or mismatched weights."""

from __future__ import annotations

import pickle

import cv2
import numpy as np
import pytest
import torch

from siamfc.errors import DataError, WeightsError
from siamfc.io.frames import read_image
from siamfc.io.video import open_source
from siamfc.model import SiamFC
from siamfc.model import weights as weights_module
from siamfc.model.weights import load_weights, save_weights
from siamfc.tracking import SiamFCTracker


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory):
    torch.manual_seed(0)
    return save_weights(SiamFC(), tmp_path_factory.mktemp("w") / "random.safetensors", card={"note": "random"})


# -- images ---------------------------------------------------------------------------------------
def test_missing_empty_and_corrupt_images(tmp_path):
    with pytest.raises(DataError, match="image file not found: .*nope.jpg"):
        read_image(tmp_path / "nope.jpg")
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(DataError, match="image file is empty: .*empty.jpg"):
        read_image(tmp_path / "empty.jpg")
    (tmp_path / "corrupt.jpg").write_bytes(b"\xff\xd8\xff this is not a jpeg")
    with pytest.raises(DataError, match="cannot decode image .*corrupt.jpg"):
        read_image(tmp_path / "corrupt.jpg")


def test_truncated_jpeg_is_corrupt_not_half_grey(tmp_path):
    """A real JPEG cut short decodes in OpenCV (missing rows grey, a libjpeg warning only); here
    it is an error naming the file. The whole file, progressive or not, still reads."""
    rng = np.random.default_rng(0)
    image = cv2.GaussianBlur(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8), (0, 0), 2)
    for name, flags in [("baseline", []), ("progressive", [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])]:
        data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90, *flags])[1].tobytes()
        (tmp_path / f"{name}.jpg").write_bytes(data)
        np.testing.assert_array_equal(
            read_image(tmp_path / f"{name}.jpg"), cv2.imdecode(np.frombuffer(data, np.uint8), 1)
        )
        cut = tmp_path / f"{name}_cut.jpg"
        cut.write_bytes(data[: int(len(data) * 0.6)])
        assert cv2.imread(str(cut)) is not None  # what OpenCV alone would train or track on
        with pytest.raises(DataError, match=f"truncated JPEG.*{name}_cut.jpg"):
            read_image(cut)


def test_corrupt_frame_in_a_folder_names_the_file(tmp_path):
    cv2.imwrite(str(tmp_path / "0001.png"), np.zeros((20, 20, 3), np.uint8))
    (tmp_path / "0002.png").write_bytes(b"garbage")
    frames = iter(open_source(tmp_path))
    assert next(frames).shape == (20, 20, 3)
    with pytest.raises(DataError, match="cannot decode image .*0002.png"):
        next(frames)


# -- sources and videos ---------------------------------------------------------------------------
def test_unreadable_video(tmp_path):
    (tmp_path / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    with pytest.raises(DataError, match="cannot read video .*broken.mp4"):
        open_source(tmp_path / "broken.mp4")
    (tmp_path / "text.avi").write_text("just text")
    with pytest.raises(DataError, match="cannot read video .*text.avi"):
        open_source(tmp_path / "text.avi")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(DataError, match="video file is empty: .*empty.mp4"):
        open_source(tmp_path / "empty.mp4")


def test_bad_sources(tmp_path):
    with pytest.raises(DataError, match="source not found: .*missing.mp4"):
        open_source(tmp_path / "missing.mp4")
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(DataError, match="no image files"):
        open_source(tmp_path / "empty_dir")
    with pytest.raises(DataError, match="no image files .* match"):
        open_source(str(tmp_path / "*.jpg"))
    cv2.imwrite(str(tmp_path / "one.png"), np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(DataError, match="single image"):
        open_source(tmp_path / "one.png")


def test_camera_that_does_not_open():
    with pytest.raises(DataError, match="cannot open camera 97"):
        open_source("97")


# -- weights --------------------------------------------------------------------------------------
def test_missing_weights(tmp_path, monkeypatch):
    with pytest.raises(WeightsError, match="weights file not found: .*none.safetensors"):
        load_weights(tmp_path / "none.safetensors")
    with pytest.raises(WeightsError, match="weights file not found"):
        SiamFCTracker(weights=tmp_path / "none.safetensors")
    # A shipped file missing from an installation: a plain message, not a traceback.
    monkeypatch.setattr(weights_module, "_SHIPPED_DIR", tmp_path)
    with pytest.raises(WeightsError, match="shipped weights siamfc_scratch.safetensors are missing"):
        weights_module.load_weights("scratch")


def test_weights_of_the_wrong_shape(tmp_path, random_weights):
    from safetensors.torch import load_file, save_file

    state = load_file(str(random_weights))
    state["backbone.conv5.0.weight"] = torch.zeros(32, 192, 3, 3)
    save_file(state, str(tmp_path / "narrow.safetensors"))
    with pytest.raises(
        WeightsError,
        match=r"backbone\.conv5\.0\.weight has shape \(32, 192, 3, 3\), "
        r"the architecture needs \(256, 192, 3, 3\)",
    ):
        load_weights(tmp_path / "narrow.safetensors")


def test_weights_of_another_architecture(tmp_path):
    from safetensors.torch import save_file

    save_file({"features.0.weight": torch.zeros(64, 3, 3, 3)}, str(tmp_path / "vgg.safetensors"))
    with pytest.raises(
        WeightsError,
        match="do not fit the SiamFC AlexNet architecture: missing .*unexpected "
        r"\['features.0.weight'\]",
    ):
        load_weights(tmp_path / "vgg.safetensors")
    # A siamfc-pytorch checkpoint: right network, other conventions -> pointed to `siamfc convert`.
    torch.save({"backbone.conv1.0.weight": torch.zeros(96, 3, 11, 11)}, tmp_path / "siamfc_alexnet_e50.pth")
    with pytest.raises(WeightsError, match="siamfc convert"):
        load_weights(tmp_path / "siamfc_alexnet_e50.pth")


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_corrupt_and_unsafe_weight_files(tmp_path, random_weights):
    (tmp_path / "cut.safetensors").write_bytes(random_weights.read_bytes()[:1000])
    with pytest.raises(WeightsError, match="cannot read weights file .*cut.safetensors"):
        load_weights(tmp_path / "cut.safetensors")
    (tmp_path / "empty.safetensors").write_bytes(b"")
    with pytest.raises(WeightsError, match="cannot read weights file"):
        load_weights(tmp_path / "empty.safetensors")

    # A pickle that would run code when unpickled: refused, and the code never runs.
    class Exploit:
        def __reduce__(self):
            return (exec, ("open({!r}, 'w').write('pwned')".format(str(tmp_path / "pwned")),))

    with open(tmp_path / "evil.pth", "wb") as f:
        pickle.dump(Exploit(), f)
    with pytest.raises(WeightsError, match="cannot read weights file .*evil.pth"):
        load_weights(tmp_path / "evil.pth")
    assert not (tmp_path / "pwned").exists()
