import numpy as np
import pytest
from PIL import Image

from tfart import imaging
from tfart.errors import UserError


def test_load_image_converts_every_mode_to_rgb(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 255, (30, 40, 3), dtype=np.uint8)
    Image.fromarray(rgb).convert("L").save(tmp_path / "grey.png")
    rgba = np.dstack([rgb, np.full((30, 40), 0, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "clear.png")
    Image.fromarray((np.arange(1200).reshape(30, 40) * 50).astype(np.uint16)).save(tmp_path / "deep.png")
    for name in ("grey.png", "clear.png", "deep.png"):
        image = imaging.load_image(str(tmp_path / name))
        assert image.shape == (1, 30, 40, 3) and image.dtype == np.float32
        assert 0 <= image.min() and image.max() <= 1
    # fully transparent pixels composite onto white
    np.testing.assert_allclose(imaging.load_image(str(tmp_path / "clear.png")), 1.0)
    assert imaging.load_image(str(tmp_path / "deep.png")).max() > 0.5  # 16-bit range kept, not clipped


def test_load_image_honours_exif_orientation_and_resizes(tmp_path):
    im = Image.new("RGB", (40, 20), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    im.save(tmp_path / "turned.jpg", exif=exif)
    assert imaging.load_image(str(tmp_path / "turned.jpg")).shape == (1, 40, 20, 3)
    assert imaging.load_image(str(tmp_path / "turned.jpg"), max_side=10).shape == (1, 10, 5, 3)


def test_missing_and_corrupt_images(tmp_path):
    with pytest.raises(UserError, match="--style: no such image file"):
        imaging.load_image(str(tmp_path / "nope.jpg"), flag="--style")
    (tmp_path / "bad.jpg").write_bytes(b"definitely not a jpeg")
    with pytest.raises(UserError, match="--content: cannot read image .*: not an image format Pillow knows"):
        imaging.load_image(str(tmp_path / "bad.jpg"))
    Image.fromarray(np.zeros((64, 64, 3), np.uint8) + 90).save(tmp_path / "whole.png")
    (tmp_path / "cut.png").write_bytes((tmp_path / "whole.png").read_bytes()[:-40])
    with pytest.raises(UserError, match=r"--content: cannot read image .*cut.png': .*truncated"):
        imaging.load_image(str(tmp_path / "cut.png"))


@pytest.mark.parametrize("grain", [1, 8, 30])
def test_noise_grain(grain):
    noise = imaging.noise_image(61, 45, grain, seed=1)[0]
    assert noise.shape == (61, 45, 3) and 0 <= noise.min() and noise.max() <= 1
    rows, cols = 61 // grain, 45 // grain
    blocks = noise[:rows * grain, :cols * grain].reshape(rows, grain, cols, grain, 3)
    assert np.ptp(blocks, axis=(1, 3)).max() == 0  # every grain x grain block is one colour
    assert len(np.unique(blocks[:, 0, :, 0, 0])) == rows * cols  # and blocks differ from each other


def test_checking_an_output_path_leaves_an_existing_file_alone(tmp_path):
    old = tmp_path / "result.png"
    old.write_bytes(b"last week's render")
    imaging.check_writable(str(old))
    assert old.read_bytes() == b"last week's render"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.png"]
    with pytest.raises(UserError, match="--out: .* is a folder"):
        imaging.check_writable(str(tmp_path))
    with pytest.raises(UserError, match="--export: .* is a file"):
        imaging.check_writable(str(old), "--export", kind="folder")
    with pytest.raises(UserError, match="--timelapse: animations are written as .gif or .mp4"):
        imaging.check_animation_path(str(tmp_path / "t.avi"), "--timelapse")


def test_labels_under_small_pictures_keep_to_their_own_cell():
    cells = [np.full((48, 48, 3), 0.5, np.float32)] * 3
    sheet = imaging.contact_sheet(cells, columns=3, gap=4, labels=["block4_conv3_pre_relu:230"] * 3)
    strip = sheet[4 + 48:4 + 48 + 12]
    for gap_start in (52, 104):  # the gaps between the columns stay white under the pictures
        assert (strip[:, gap_start:gap_start + 4] == 255).all()
    assert (strip[:, 4:52] < 128).any()  # and the label's end (the channel) is written
