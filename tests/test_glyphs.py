"""Letters from installed fonts: the data set, its split by family, the glyph judge and its commands."""
import json
import os
import shutil

import numpy as np
import pytest

from tfart import classifiers, glyphs
from tfart.errors import UserError


@pytest.fixture(scope="module")
def fonts():
    return glyphs.find_fonts()


def test_installed_packages_ship_enough_fonts_split_by_family(fonts):
    found, skipped = fonts
    families = {f.family for f in found}
    assert len(found) >= 40 and len(families) >= 10
    assert skipped >= 1  # matplotlib's symbol-only STIX files lack the capitals
    split = glyphs.split_fonts(found)
    assert all(split[name] for name in ("train", "val", "test"))
    by_split = {name: {f.family for f in members} for name, members in split.items()}
    assert not by_split["train"] & by_split["test"] and not by_split["train"] & by_split["val"]
    assert sum(len(members) for members in split.values()) == len(found)
    # A family goes where its name's hash falls: leaving another family out moves no family.
    fewer = glyphs.split_fonts([f for f in found if f.family != sorted(by_split["train"])[0]])
    assert {f.family for f in fewer["test"]} == by_split["test"]


def test_glyphs_are_centred_and_scaled_by_their_box(fonts):
    found, _ = fonts
    images, labels = glyphs.render(found[:3], size=32)
    assert images.shape == (78, 32, 32, 1) and images.dtype == np.float32
    assert list(labels[:26]) == list(range(26))
    assert 0.0 <= images.min() and images.max() <= 1.0
    for image in images[..., 0]:
        rows, cols = np.nonzero(image > 0.1)
        height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        assert abs(max(height, width) - glyphs.FILL * 32) <= 2  # the longer side fills FILL of the square
        assert abs((rows.min() + rows.max()) / 2 - 15.5) <= 1.5 and abs((cols.min() + cols.max()) / 2 - 15.5) <= 1.5
        assert image[0, 0] == 0 and image[-1, -1] == 0  # white ink on black


def test_a_fragment_is_a_part_of_a_glyph_never_all_of_it(fonts):
    """A band of columns can hold a whole narrow I; such a "fragment", taught as no letter, capped
    the judge's belief in real I's. Every fragment keeps at most most_ink of its glyph's ink."""
    found, _ = fonts
    images, labels = glyphs.render(found[:4], size=32)
    parts = glyphs.fragments(images, seed=0, most_ink=0.7)
    kept = parts.sum(axis=(1, 2, 3)) / images.sum(axis=(1, 2, 3))
    assert kept.max() <= 0.7
    assert np.all((parts == 0) | (parts == images))  # a band of the glyph, the rest black
    bar = np.zeros((1, 32, 32, 1), np.float32)
    bar[:, 3:29, 14:18] = 1.0  # an I: any band of columns 10 wide or more around it holds all of it
    for seed in range(20):
        assert glyphs.fragments(bar, seed=seed).sum() <= 0.7 * bar.sum()


def test_a_font_that_fails_to_load_is_skipped_and_counted(fonts, tmp_path):
    found, _ = fonts
    shutil.copy(found[0].path, tmp_path / os.path.basename(found[0].path))
    (tmp_path / "broken.ttf").write_bytes(b"not a font")
    usable, skipped = glyphs.find_fonts([str(tmp_path)])
    assert [f.name for f in usable] == [found[0].name] and skipped == 1
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=r"^--fonts: no font that draws 'ABC.*' in '.*empty'$"):
        glyphs.find_fonts([str(tmp_path / "empty")])
    os.remove(tmp_path / os.path.basename(found[0].path))
    with pytest.raises(UserError, match=r"\(1 font files skipped\)$"):
        glyphs.find_fonts([str(tmp_path)])


def test_train_latent_on_glyphs_writes_which_fonts_went_where(run_script, tmp_path):
    out = tmp_path / "letters"
    code, stdout, stderr = run_script("train_latent", "--dataset", "glyphs", "--image_size", "12", "--epochs", "1",
                                      "--batch_size", "256", "--out", str(out))
    assert code == 0, stderr
    assert "capitals of" in stdout and "training fonts" in stdout
    split = json.loads((out / "fonts.json").read_text())
    assert split["train"] and split["test"] and not set(split["train"]) & set(split["test"])
    assert (out / "samples.png").exists() and (out / "decoder.keras").exists()


@pytest.fixture(scope="module")
def glyph_cache(glyph_judge_cache):
    """The tfart cache folder holding the glyph judge (conftest's, trained once per run)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TFART_CACHE", str(glyph_judge_cache))
        judge = classifiers.Classifier("glyphs")
    assert judge.labels == list(glyphs.LETTERS) and judge.size == (32, 32) and judge.channels == 1
    return glyph_judge_cache


def test_the_glyph_judge_reads_fonts_it_never_saw(glyph_cache):
    about = json.loads((glyph_cache / "glyphs_cnn_32px_v3.json").read_text())
    assert about["accuracy"]["test"] >= 0.95
    assert not set(about["fonts"]["train"]) & set(about["fonts"]["test"])


def test_perceive_draws_a_letter_in_strokes_as_an_svg(run_script, tmp_path, glyph_cache, monkeypatch):
    monkeypatch.setenv("TFART_CACHE", str(glyph_cache))
    # the command: the letter judge alone draws with the pen by default
    code, stdout, stderr = run_script("perceive", "--models", "glyphs", "--target", "R", "--strokes", "6",
                                      "--size", "32", "--budget", "60", "--out", str(tmp_path / "R.svg"))
    assert code == 0, stderr
    assert "'R'" in stdout and (tmp_path / "R.png").exists()
    assert "drawing with --style pen" in stderr and "a gradient step counts 6" in stdout
    svg = (tmp_path / "R.svg").read_text()
    assert svg.count("<path") == 6
    code, _, stderr = run_script("perceive", "--models", "glyphs", "--target", "r2", "--size", "32",
                                 "--out", str(tmp_path / "x.png"))
    assert code == 2 and "--target: no class named 'r2' in glyphs" in stderr and not (tmp_path / "x.png").exists()
