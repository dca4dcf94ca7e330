"""scripts/style_transfer.py end to end at tiny sizes (random-weight VGG19: no downloads)."""
import os

import numpy as np
import pytest
from PIL import Image

TINY = ["--weights", "none", "--size", "48", "--steps", "4", "--checkpoint_every", "0"]


@pytest.fixture
def photo(tmp_path):
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:40, 0:56]
    image = np.stack([x * 4, y * 6, (x + y) * 2], -1) % 256 + rng.integers(0, 30, (40, 56, 3))
    path = tmp_path / "photo.png"
    Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(path)
    return str(path)


def test_seed_experiment_noise_grains_with_timelapses(run_script, photo, tmp_path):
    # The last grain runs the hash grid coarse to fine: the coarse stage adds no frames.
    coarse = ["--parameterization", "hashgrid", "--fit_steps", "2", "--coarse", "0.5", "--coarse_steps", "2"]
    for grain, more in ((1, []), (8, []), (30, coarse)):
        out, gif = tmp_path / f"grain{grain}.png", tmp_path / f"grain{grain}.gif"
        code, stdout, stderr = run_script(
            "style_transfer", "--content", f"noise:{grain}", "--style", photo, "--content_weight", "0",
            "--style_layers", "block3_conv1,block4_conv1,block5_conv1", "--out", str(out),
            "--timelapse", str(gif), "--timelapse_every", "2", *TINY, *more)
        assert code == 0, stderr
        assert ("coarse 2/2" in stderr) == bool(more), stderr
        assert np.asarray(Image.open(out)).shape == (48, 48, 3)
        assert Image.open(gif).n_frames == 3  # steps 0, 2, 4


def test_fourier_cppn_result_renders_at_4x_and_exports(run_script, photo, tmp_path):
    out = tmp_path / "fc.png"
    code, stdout, stderr = run_script(
        "style_transfer", "--content", photo, "--style", f"{photo},{photo}", "--style_blend", "0.7,0.3",
        "--parameterization", "fourier_cppn", "--fit_steps", "3", "--upscale", "4",
        "--export", str(tmp_path / "model"), "--logdir", str(tmp_path / "logs"), "--preserve_colour",
        "--out", str(out), *TINY)
    assert code == 0, stderr
    small, big = Image.open(out), Image.open(tmp_path / "fc_x4.png")
    assert big.size == (small.size[0] * 4, small.size[1] * 4)
    assert os.listdir(tmp_path / "logs")
    code, _, stderr = run_script("render", "--model", str(tmp_path / "model"), "--width", "64",
                                 "--height", "48", "--out", str(tmp_path / "again.png"))
    assert code == 0, stderr


def test_latent_training_and_resume(run_script, photo, tmp_path):
    out = str(tmp_path / "cppn.png")
    common = ["--content", photo, "--style", photo, "--parameterization", "cppn", "--train", "latent",
              "--fit_steps", "0", "--weights", "none", "--size", "48", "--checkpoint_every", "2", "--out", out]
    code, stdout, stderr = run_script("style_transfer", *common, "--steps", "4")
    assert code == 0, stderr
    assert os.path.isdir(tmp_path / "cppn_ckpt")
    code, stdout, stderr = run_script("style_transfer", *common, "--steps", "6", "--resume")
    assert code == 0, stderr
    assert "resuming at step 4" in stdout and "(step 6," in stdout
    for other in (["--latent_dim", "3"], ["--parameterization", "fourier_cppn"]):
        stderr = _error(run_script("style_transfer", *common, "--steps", "8", "--resume", *other))
        assert "error: --resume: the checkpoint in" in stderr and "does not fit these flags" in stderr


def _error(result):
    code, stdout, stderr = result
    assert code != 0, stdout
    assert "Traceback" not in stderr, stderr
    return stderr


def test_bad_inputs(run_script, photo, tmp_path):
    out = tmp_path / "never.png"
    base = ["--out", str(out), *TINY]
    assert "error: --content: no such image file" in _error(run_script(
        "style_transfer", "--content", str(tmp_path / "nope.jpg"), "--style", photo, *base))
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    assert "error: --style: cannot read image" in _error(run_script(
        "style_transfer", "--content", photo, "--style", str(tmp_path / "broken.jpg"), *base))
    assert "unknown layer block9_conv1 for vgg19; valid layers:" in _error(run_script(
        "style_transfer", "--content", photo, "--style", photo, "--style_layers", "block9_conv1", *base))
    assert "error: --style_weight: must be a finite number" in _error(run_script(
        "style_transfer", "--content", photo, "--style", photo, "--style_weight", "nan", *base))
    assert "error: --steps: must be at least 0" in _error(run_script(
        "style_transfer", "--content", photo, "--style", photo, "--steps=-3", *base[:-6]))
    assert "does not fit vgg19" in _error(run_script(
        "style_transfer", "--content", photo, "--style", photo, "--out", str(out), "--weights", photo,
        "--size", "48", "--steps", "2"))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert "error: --out: cannot write" in _error(run_script(
        "style_transfer", "--content", photo, "--style", photo, *TINY, "--out", str(blocker / "o.png")))
    for flag, value, message in [
            ("--style_blend", "1,abc", "error: --style_blend: must be non-negative numbers"),
            ("--style_layers", "", "error: --style_layers: needs at least one layer"),
            ("--clip_norm", "nan", "error: --clip_norm: must be a finite number"),
            ("--export", str(blocker), "error: --export: "),
            ("--logdir", str(blocker / "logs"), "error: --logdir: cannot write"),
            ("--upscale", "4", "error: --upscale: pixel and fft are fixed-size images"),
            ("--fit_lr", "0", "error: --fit_lr: must be a finite number > 0"),
            ("--log2_table", "30", "error: --log2_table: must be from 4 to 24"),
            ("--coarse", "1.5", "error: --coarse: must be 0 (off) or between 0 and 1"),
            ("--subpixel", "true", "error: --subpixel: pixel and fft images have a fixed size"),
            ("--subpixel", "true --parameterization hashgrid --optimizer lbfgs", "use --nosubpixel"),
            ("--coarse", "0.5 --parameterization hashgrid", "error: --coarse: the objective compares with a reference"),
            ("--backbone", "vgg19 --weights hed", "error: --weights hed: is a VGG16; use --backbone vgg16")]:
        first, *more = value.split(" ")
        assert message in _error(run_script("style_transfer", "--content", photo, "--style", photo,
                                            *base, f"{flag}={first}", *more)), flag
    assert not out.exists()


def test_loss_that_becomes_infinite_stops_and_keeps_the_last_good_image(run_script, photo, tmp_path):
    out = tmp_path / "kept.png"
    stderr = _error(run_script("style_transfer", "--content", photo, "--style", photo,
                               "--style_weight", "1e39", "--out", str(out), *TINY))
    assert "error: the loss became inf at step 1; kept the last good image" in stderr
    kept = np.asarray(Image.open(out), np.float32) / 255
    # the content image it started from, untouched by the failed step
    from tfart import imaging
    np.testing.assert_allclose(kept, imaging.load_image(photo, 48)[0], atol=2 / 255)
