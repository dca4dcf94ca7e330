"""DeepDream's tiles and octaves, and tfart-dream's three modes end to end with their bad input."""
import gc
import weakref

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfart import dream, jobs, objectives, optimize
from tfart.errors import UserError
from tfart.objectives import Context


class TinyBackbone:
    """One 3x3 convolution: a receptive field of one pixel each side, so seams are easy to find."""
    name, min_size = "tiny", 8

    def __init__(self):
        self.conv = tf.keras.layers.Conv2D(6, 3, padding="same", activation="relu",
                                           kernel_initializer=tf.keras.initializers.GlorotNormal(seed=1))
        self.conv.build((None, None, None, 3))

    def __call__(self, images):
        return {"conv": self.conv(images)}


PHOTO = np.random.default_rng(0).uniform(size=(1, 40, 56, 3)).astype("float32")


def gradient(objective, backbone, image=PHOTO):
    image = tf.constant(image)
    with tf.GradientTape() as tape:
        tape.watch(image)
        value = objective(Context(image=image, features=backbone(image) if objective.layers else {}))
    return float(value), tape.gradient(value, image).numpy()[0]


def test_split_covers_the_length_with_near_equal_tiles():
    assert dream._split(96, 64) == [(0, 48), (48, 48)]
    assert dream._split(40, 512) == [(0, 40)]
    parts = dream._split(1000, 300)
    assert sum(n for _, n in parts) == 1000 and max(n for _, n in parts) <= 300 and min(n for _, n in parts) >= 249


def test_tiled_gradient_equals_the_whole_image_gradient_away_from_the_seams():
    backbone, objective = TinyBackbone(), objectives.layer("conv")
    whole_value, whole = gradient(objective, backbone)
    tiled_value, tiled = gradient(dream.tiled(objective, backbone, tile=16, roll=False), backbone)
    # Tiles of 13-14 px: a pixel within 2 of a seam reaches features that saw zero padding.
    inside = np.ones((40, 56), bool)
    for seam, _ in dream._split(40, 16)[1:]:
        inside[seam - 2:seam + 2] = False
    for seam, _ in dream._split(56, 16)[1:]:
        inside[:, seam - 2:seam + 2] = False
    assert inside.mean() > 0.4
    np.testing.assert_allclose(tiled[inside], whole[inside], rtol=1e-4, atol=1e-9)
    assert np.abs(whole).max() > 0 and tiled_value == pytest.approx(whole_value, rel=0.1)


def test_rolls_move_the_seams_so_the_mean_gradient_approaches_the_whole_images():
    backbone, objective = TinyBackbone(), objectives.layer("conv")
    _, whole = gradient(objective, backbone)
    near = np.zeros((40, 56), bool)  # within 2 px of an unrolled seam, away from the borders that a roll wraps
    for seam, _ in dream._split(40, 16)[1:]:
        near[seam - 2:seam + 2, 4:-4] = True
    for seam, _ in dream._split(56, 16)[1:]:
        near[4:-4, seam - 2:seam + 2] = True
    _, fixed = gradient(dream.tiled(objective, backbone, tile=16, roll=False), backbone)
    tf.random.set_seed(0)
    rolled = np.mean([gradient(dream.tiled(objective, backbone, tile=16), backbone)[1] for _ in range(24)], axis=0)
    error = lambda g: np.abs(g - whole)[near].mean()  # noqa: E731
    assert error(rolled) < 0.5 * error(fixed)


def test_tiles_are_not_kept_alive_by_the_tape_of_the_forward_pass():
    """In eager mode a tape records the forward pass inside custom_gradient too: without the
    stop_gradient before each tile, every tile's activations lived until the backward pass."""
    class Recording(TinyBackbone):
        def __init__(self):
            super().__init__()
            self.outputs = []

        def __call__(self, images):
            out = super().__call__(images)
            self.outputs += [weakref.ref(v) for v in out.values()]
            return out
    backbone, image = Recording(), tf.constant(PHOTO)
    objective = dream.tiled(objectives.layer("conv"), backbone, tile=16, roll=False)
    with tf.GradientTape(watch_accessed_variables=False) as tape:  # the loop's tape: optimize.loss_and_gradients
        tape.watch(image)
        value = objective(Context(image=image, features={}))
        gc.collect()
        alive = sum(ref() is not None for ref in backbone.outputs)
    assert len(backbone.outputs) == 12 and alive == 0
    _, expected = gradient(objective, backbone)
    np.testing.assert_allclose(tape.gradient(value, image).numpy()[0], expected, rtol=1e-5, atol=1e-9)


def test_tiled_deepdream_equals_untiled_within_tolerance(tmp_path):
    """The random roll moves the seams at every step, so over a run they do not show."""
    images = {}
    for tile in (16, 512):
        tf.random.set_seed(0)
        path = tmp_path / f"tile{tile}.png"
        result = dream.deepdream(PHOTO, objectives.layer("conv"), TinyBackbone(), optimize.Settings(steps=12, lr=0.05),
                                 jobs.Outputs(png=str(path), progress=False), octaves=2, octave_scale=1.4, tile=tile)
        assert result.stopped == "done" and result.step == 24
        assert result.losses[-1] < result.losses[0]  # the layer is excited more and more
        images[tile] = np.asarray(Image.open(path), float)
    change = np.abs(images[512] - PHOTO[0] * 255).mean()
    assert change > 5  # it dreamt
    assert np.abs(images[16] - images[512]).mean() < 0.15 * change


def test_octaves_grow_to_the_full_size_and_refuse_a_small_photograph():
    assert dream.octave_sizes(100, 200, 3, 2.0, 8) == [(25, 50), (50, 100), (100, 200)]
    with pytest.raises(UserError, match=r"--octaves: 4 octaves at scale 2 shrink the 200x100 photograph "
                                        r"to 25x12, below the backbone's 32 px"):
        dream.octave_sizes(100, 200, 4, 2.0, 32)


def test_deepdream_writes_one_timelapse_over_every_octave(tmp_path):
    gif = tmp_path / "d.gif"
    result = dream.deepdream(PHOTO, objectives.layer("conv"), TinyBackbone(), optimize.Settings(steps=4, lr=0.05),
                             jobs.Outputs(png=str(tmp_path / "d.png"), timelapse=str(gif), timelapse_every=2,
                                          progress=False), octaves=3, octave_scale=1.2, tile=512)
    assert result.written == [str(tmp_path / "d.png"), str(gif)]
    assert Image.open(gif).n_frames == 1 + 3 * 2  # the start, then steps 2 and 4 of each octave


def test_modes_end_to_end(run_script, tmp_path):
    common = ["--backbone", "vgg16", "--weights", "none", "--steps", "3"]
    code, out, err = run_script("dream", "--mode", "dream", "--image", "skimage:chelsea", "--size", "80",
                                "--octaves", "2", "--tile", "64", "--out", str(tmp_path / "d.gif"), *common)
    assert code == 0, err
    assert Image.open(tmp_path / "d.png").size == (80, 53) and Image.open(tmp_path / "d.gif").n_frames >= 2
    code, out, err = run_script("dream", "--mode", "visualize", "--objective", "0.5*block2_conv1:3 - block2_conv1:7",
                                "--parameterization", "cppn", "--batch", "2", "--diversity", "10", "--size", "40",
                                "--upscale", "2", "--export", str(tmp_path / "m"), "--out", str(tmp_path / "v.png"),
                                *common)
    assert code == 0, err
    sheet = Image.open(tmp_path / "v.png")
    assert sheet.size == (2 * 40 + 3 * 4, 40 + 2 * 4)  # the batch of two, side by side
    assert Image.open(tmp_path / "v_x2.png").size == (2 * 80 + 3 * 4, 80 + 2 * 4)
    assert (tmp_path / "m" / "saved_model.pb").exists()
    code, out, err = run_script("dream", "--mode", "atlas", "--layer", "block2_conv1", "--channels", "3,9,11,20",
                                "--size", "36", "--out", str(tmp_path / "a.png"), *common)
    assert code == 0, err
    atlas = np.asarray(Image.open(tmp_path / "a.png"))
    assert atlas.shape == (2 * (36 + 12) + 3 * 4, 2 * 36 + 3 * 4, 3)  # 2 x 2 cells with label strips
    assert atlas[36 + 4:36 + 4 + 12, 4:40].min() < 128  # a label is written under the first cell


@pytest.mark.parametrize("args, message", [
    (["--objective", "block9_conv1:3"], "--objective: unknown layer block9_conv1 for vgg16; valid layers: "
                                        "block1_conv1"),
    (["--objective", "block1_conv1:64"], "--objective: block1_conv1 has 64 channels (0..63), got 64"),
    (["--objective", "block1_conv1:3 +* block1_conv1:4"], "--objective: cannot read '+* block1_conv1:4' at column 16"),
    (["--mode", "atlas", "--layer", "block1_conv1", "--channels", "65"], "--channels: block1_conv1 has 64 channels"),
    (["--objective", "class:3", "--weights", "hed"], "--weights hed: is a VGG16 without its classification top"),
    (["--mode", "dream", "--image", "skimage:chelsea", "--size", "64", "--octaves", "3"],
     "--octaves: 3 octaves at scale 1.4 shrink the 64x43 photograph to 33x22, below the backbone's 32 px"),
    (["--mode", "dream"], "--image: dream mode needs a photograph"),
    (["--mode", "atlas", "--channels", "0"], "--channels: give K >= 1"),
])
def test_bad_input_is_one_line_and_writes_nothing(run_script, tmp_path, args, message):
    out = tmp_path / "out"
    base = ["--backbone", "vgg16"] if "hed" in args else ["--backbone", "vgg16", "--weights", "none"]
    code, stdout, stderr = run_script("dream", *base, *args, "--out", str(out / "x.png"))
    assert code in (1, 2) and stderr.strip().splitlines() == [f"error: {stderr.strip()[7:]}"]
    assert message in stderr, stderr
    assert not out.exists()
