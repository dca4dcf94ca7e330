"""Every script end to end at tiny sizes, and its answers to bad input."""
import json
import os

import numpy as np
from PIL import Image


def test_cppn_art_variations_animation_export_and_render_again(run_script, tmp_path):
    out, model = tmp_path / "art", tmp_path / "model"
    code, stdout, stderr = run_script(
        "cppn_art", "--width", "40", "--height", "24", "--variations", "3", "--frames", "4",
        "--fold", "3", "--seed", "4", "--out", str(out), "--export", str(model))
    assert code == 0, stderr
    files = sorted(os.listdir(out))
    assert "cppn_seed4_sheet.png" in files and "cppn_seed4_loop.gif" in files
    first = np.asarray(Image.open(out / "cppn_seed4_000.png"))
    assert first.shape == (24, 40, 3) and first.std() > 5
    gif = Image.open(out / "cppn_seed4_loop.gif")
    assert gif.n_frames == 4 and gif.size == (40, 24)

    # The recipe makes the same picture again, and at 4x.
    recipe = str(out / "cppn_seed4_001.json")
    code, _, stderr = run_script("render", "--recipe", recipe, "--width", "40", "--height", "24",
                                 "--out", str(tmp_path / "again.png"))
    assert code == 0, stderr
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "again.png")),
                                  np.asarray(Image.open(out / "cppn_seed4_001.png")))
    code, _, stderr = run_script("render", "--model", str(model), "--width", "160", "--height", "96",
                                 "--supersample", "2", "--tile", "32", "--out", str(tmp_path / "big.png"))
    assert code == 0, stderr
    assert Image.open(tmp_path / "big.png").size == (160, 96)
    code, _, stderr = run_script("render", "--model", str(model), "--frames", "3", "--width", "16",
                                 "--height", "16", "--out", str(tmp_path / "loop.gif"))
    assert code == 0, stderr
    assert Image.open(tmp_path / "loop.gif").n_frames == 3

    # The loop's recipe makes the same animation again.
    code, _, stderr = run_script("render", "--recipe", str(out / "cppn_seed4_loop.json"), "--width", "40",
                                 "--height", "24", "--out", str(tmp_path / "again.gif"))
    assert code == 0, stderr
    original, again = Image.open(out / "cppn_seed4_loop.gif"), Image.open(tmp_path / "again.gif")
    assert again.n_frames == original.n_frames == 4
    for i in range(4):
        original.seek(i)
        again.seek(i)
        # GIF palettes may differ where batched and single renders round a last bit apart.
        diff = np.abs(np.asarray(original.convert("RGB"), float) - np.asarray(again.convert("RGB"), float))
        assert diff.mean() < 1.0


def test_mp4_loops(run_script, tmp_path):
    import imageio.v2 as imageio
    code, _, stderr = run_script("cppn_art", "--width", "32", "--height", "24", "--frames", "5",
                                 "--video", "mp4", "--out", str(tmp_path))
    assert code == 0, stderr
    reader = imageio.get_reader(str(tmp_path / "cppn_seed0_loop.mp4"))
    frames = [f for f in reader]
    assert len(frames) == 5 and frames[0].shape == (24, 32, 3)


def test_cppn_art_fourier_grey_16_bit(run_script, tmp_path):
    code, _, stderr = run_script("cppn_art", "--generator", "fourier_cppn", "--grid", "6", "--grey", "--bits", "16",
                                 "--width", "32", "--height", "32", "--out", str(tmp_path))
    assert code == 0, stderr
    image = Image.open(tmp_path / "fourier_cppn_seed0.png")
    assert image.size == (32, 32)
    with open(tmp_path / "fourier_cppn_seed0.png", "rb") as f:
        header = f.read(33)
    assert header[24] == 16 and header[25] == 0  # IHDR: 16-bit greyscale
    recipe = json.load(open(tmp_path / "fourier_cppn_seed0.json"))
    assert recipe["generator"]["colour"] is False and recipe["bits"] == 16
    assert recipe["generator"]["grid"] == [6, 6]


def _fails_cleanly(result, *needles):
    code, stdout, stderr = result
    assert code != 0
    last = stderr.strip().splitlines()[-1] if "error:" in stderr else stderr
    for needle in needles:
        assert needle in stderr, stderr
    assert "Traceback" not in stderr
    return last


def test_bad_inputs_fail_with_one_clear_line_and_write_nothing(run_script, tmp_path):
    out = tmp_path / "out"
    _fails_cleanly(run_script("cppn_art", "--width", "0", "--out", str(out)), "--width")
    _fails_cleanly(run_script("cppn_art", "--width", "1000000", "--height", "1000000", "--out", str(out)),
                   "--width", "32768")
    _fails_cleanly(run_script("cppn_art", "--width", "30000", "--height", "30000", "--out", str(out)),
                   "--width/--height", "too large")
    _fails_cleanly(run_script("cppn_art", "--activation", "wobble", "--width", "8", "--height", "8",
                              "--out", str(out)), "error: --activation: must be tanh")
    assert not out.exists() or not any(p for p in out.iterdir() if not p.name.startswith("."))
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    _fails_cleanly(run_script("cppn_art", "--width", "8", "--height", "8", "--out", str(blocker / "x")),
                   "error: --out: cannot write")
    missing = str(tmp_path / "missing")
    _fails_cleanly(run_script("render", "--model", missing, "--out", str(tmp_path / "a.png")),
                   f"error: --model: no such SavedModel folder '{missing}'")
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "saved_model.pb").write_bytes(b"\x00garbage")
    _fails_cleanly(run_script("render", "--model", str(corrupt), "--out", str(tmp_path / "a.png")),
                   "error: --model:", "not a readable tfart SavedModel")
    assert not (tmp_path / "a.png").exists()


def test_sixteen_bit_png_holds_the_exact_values(tmp_path):
    import zlib

    from tfart import imaging
    pixels = np.random.default_rng(0).integers(0, 65536, (5, 7, 3), dtype=np.uint16)
    path = imaging.save_png(str(tmp_path / "x.png"), pixels)
    data = open(path, "rb").read()
    idat = data[data.index(b"IDAT") + 4:data.index(b"IEND") - 8]
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(5, 1 + 7 * 6)
    np.testing.assert_array_equal(raw[:, 1:].copy().view(">u2").reshape(5, 7, 3), pixels)
    assert Image.open(path).size == (7, 5)
