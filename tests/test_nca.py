"""The neural cellular automaton: its perception, its rule, its pool, its export, and the commands."""
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfart import export, generators, jobs, monitors, objectives, optimize
from tfart.errors import UserError
from tfart.generators import nca


def automaton(height=16, width=16, seed=0, **kwargs):
    """An NCA whose rule already changes its cells (a new one's last layer is zero)."""
    cells = generators.make("nca", height, width, seed=seed, **kwargs)
    rng = np.random.default_rng(seed)
    cells.change.kernel.assign(rng.normal(0, 0.05, cells.change.kernel.shape).astype(np.float32))
    return cells


def test_perception_is_a_wrapped_convolution_with_the_four_filters():
    state = np.random.default_rng(0).normal(size=(2, 5, 7, 3)).astype(np.float32)
    seen = nca.perceive(tf.constant(state)).numpy()
    expected = np.zeros(state.shape[:3] + (4 * 3,), np.float32)
    for k in range(4):
        for i in range(3):
            for j in range(3):
                # cross-correlation: filter cell (i, j) weighs the neighbour (i - 1, j - 1) away, on a torus
                shifted = np.roll(state, shift=(1 - i, 1 - j), axis=(1, 2))
                expected[..., k::4] += nca.FILTERS[i, j, k] * shifted
    np.testing.assert_allclose(seen, expected, atol=1e-5)
    assert np.allclose(seen[..., 0::4], state)  # the first of each channel's four is the cell itself
    # a constant grid has no gradient and no curvature, also at the edges
    flat = nca.perceive(tf.ones([1, 4, 6, 2])).numpy()
    assert np.allclose(flat[..., 1::4], 0, atol=1e-6) and np.allclose(flat[..., 3::4], 0, atol=1e-6)


@pytest.mark.parametrize("height,width", [(7, 29), (40, 16), (1, 1)])
def test_a_grid_of_any_size_grows(height, width):
    cells = automaton()
    image = cells.image(height, width).numpy()
    assert image.shape == (1, height, width, 3)
    assert np.isfinite(image).all() and image.min() >= 0 and image.max() <= 1
    assert cells.parameter_count == 48 * 96 + 96 + 96 * 12  # about 6,000, as in the paper


def test_with_the_update_masked_out_the_state_stays():
    cells = automaton()
    state = tf.random.normal([2, 9, 11, nca.CHANNELS], seed=1)
    assert np.array_equal(cells.update(state, tf.zeros([2, 9, 11, 1])).numpy(), state.numpy())
    moved = cells.update(state, tf.ones([2, 9, 11, 1])).numpy()
    assert not np.allclose(moved, state.numpy())
    # stochastic updates: about fire_rate of the cells change in a step
    fires = cells.fires(state, tf.constant([3, 0])).numpy()
    assert 0.3 < fires.mean() < 0.7 and set(np.unique(fires)) <= {0.0, 1.0}


def test_a_new_automaton_leaves_its_seed_as_it_is_but_can_learn_to_leave_it():
    cells = generators.make("nca", 8, 8)
    assert np.allclose(cells.grow(8, 8, steps=20).numpy(), 0)  # its change starts at zero
    # but its hidden layer already responds to the seed, so the change has a gradient there
    assert np.abs(cells.sense(nca.perceive(cells.seed_state(8, 8))).numpy()).max() > 0


def test_the_pool_keeps_its_size_and_takes_back_the_states_it_lent():
    keras.utils.set_random_seed(0)
    cells = automaton(12, 12, pool_size=6, sample_batch=2, rollout=(2, 3), reseed_every=2)
    pool = cells._scratch.states
    before = pool.numpy()
    image, terms = cells.training_image(12, 12)
    after = pool.numpy()
    assert after.shape == before.shape == (6, 12, 12, nca.CHANNELS)
    changed = [i for i in range(6) if not np.array_equal(after[i], before[i])]
    assert 1 <= len(changed) <= 2  # the two it lent, grown (from zeros, a seed grows too)
    assert image.shape == (2, 12, 12, 3) and set(terms) == {"overflow"}
    for i in changed:  # what went back is what was shown
        shown = [np.allclose(after[i][..., :3] + 0.5, image[k].numpy()) for k in range(2)]
        assert any(shown)
    for _ in range(4):
        cells.training_image(12, 12)
    assert cells._scratch.states.shape == (6, 12, 12, nca.CHANNELS)
    assert int(cells._scratch.rounds.numpy()) == 5
    with pytest.raises(UserError, match="--size"):
        cells.training_image(16, 12)


def test_the_pool_is_kept_out_of_saved_files(tmp_path):
    cells = automaton(32, 32)
    names = [v.path if hasattr(v, "path") else v.name for v in cells.variables]
    assert len(cells.variables) == 3, names
    checkpoint = tf.train.Checkpoint(generator=cells)
    path = checkpoint.write(str(tmp_path / "ckpt"))
    saved = [name for name, _ in tf.train.list_variables(path)]
    assert not any("states" in name or "rounds" in name for name in saved), saved


def test_the_export_runs_the_same_frames_as_the_library(tmp_path):
    cells = automaton(16, 16, seed=2, render_steps=6)
    export.export(cells, str(tmp_path / "m"))
    loaded = export.load(str(tmp_path / "m"))
    assert loaded.animated and loaded.render_steps == 6 and loaded.seed == 2
    for damage in (False, True):
        mine = nca.animate(cells, 20, 24, 4, 6, seed=5, damage=damage)
        theirs = nca.animate(loaded, 20, 24, 4, 6, seed=5, damage=damage)
        assert len(mine) == len(theirs) == 4
        for a, b in zip(mine, theirs):
            np.testing.assert_allclose(a, b, atol=1e-6)
    # the still picture is the animation's last frame, here and in the export
    last = nca.animate(cells, 20, 24, 3, 6, seed=2)[-1]
    np.testing.assert_allclose(cells.image(20, 24)[0].numpy(), last, atol=1e-6)
    np.testing.assert_allclose(loaded.image(20, 24)[0].numpy(), last, atol=1e-6)


def test_damage_erases_a_disc_that_the_rule_then_regrows():
    cells = automaton(16, 16, seed=1)
    frames = nca.animate(cells, 24, 24, 8, 8, seed=0, damage=True)  # damage after frame 4 (step 8)
    hole = nca.disc(24, 24)[0, :, :, 0] > 0
    assert np.allclose(frames[4][hole], frames[4][hole][0], atol=0.2)  # a step after the erasure: nearly flat
    assert frames[7][hole].std() > frames[4][hole].std()  # and it grows back
    with pytest.raises(UserError, match="--frames"):
        nca.animate(cells, 8, 8, 10, 4)


def test_training_runs_in_the_loop_with_normalised_gradients_and_no_lbfgs():
    keras.utils.set_random_seed(0)
    cells = generators.make("nca", 16, 16, pool_size=8, rollout=(2, 4))
    target = np.full((1, 16, 16, 3), [0.9, 0.2, 0.1], np.float32)
    settings = optimize.Settings(steps=6, lr=0.002, normalize_gradients=True)
    history = monitors.History()
    result = jobs.run(cells, objectives.reconstruction(target), None, height=16, width=16, settings=settings,
                      outputs=jobs.Outputs(progress=False), watch=[history])
    assert result.stopped == "done" and np.isfinite(result.losses).all()
    assert set(history.terms[-1]) == {"loss", "reconstruction", "overflow"}
    assert int(cells._scratch.rounds.numpy()) == 6  # one pool round per step
    # the first update moved the last layer by lr in each weight (Adam on a normalised gradient)
    assert np.abs(cells.change.kernel.numpy()).max() > 0.001
    with pytest.raises(UserError, match="lbfgs"):
        optimize.check(cells, optimize.Settings(optimizer="lbfgs"))
    with pytest.raises(UserError, match="--upscale"):
        jobs.Outputs(png="x.png", upscale=2).check(cells, 16, 16)


def test_style_grows_a_texture_gif_png_and_export_that_renders_bigger(run_script, tmp_path):
    out, model = tmp_path / "texture.gif", tmp_path / "texture_model"
    code, stdout, stderr = run_script("style_transfer", "--parameterization", "nca", "--content_weight", "0",
                                      "--style", "skimage:coffee", "--weights", "none", "--size", "32",
                                      "--steps", "3", "--out", str(out), "--export", str(model))
    assert code == 0, stderr
    gif = Image.open(out)
    assert gif.n_frames == 48 and gif.size == (32, 32)
    gif.seek(gif.n_frames - 1)
    last = np.asarray(gif.convert("RGB"), np.int16)
    png = np.asarray(Image.open(tmp_path / "texture.png").convert("RGB"), np.int16)
    assert np.abs(last - png).max() <= 8  # the PNG is the GIF's last frame (GIF palettes round)
    assert not os.path.exists(tmp_path / "texture_ckpt" / "timelapse.gif")
    big = tmp_path / "big.gif"
    code, _, stderr = run_script("render", "--model", str(model), "--width", "96", "--height", "64",
                                 "--frames", "6", "--damage", "--out", str(big))
    assert code == 0, stderr
    assert Image.open(big).n_frames == 6 and Image.open(big).size == (96, 64)


@pytest.mark.parametrize("flags,needle", [
    (["--content_weight", "1"], "--content_weight: an nca"),
    (["--upscale", "2"], "--upscale"),
    (["--optimizer", "lbfgs"], "--optimizer lbfgs"),
    (["--damage"], "--damage"),
])
def test_style_refuses_what_an_automaton_cannot_do(run_script, tmp_path, flags, needle):
    out = tmp_path / "t.png"
    code, _, stderr = run_script("style_transfer", "--parameterization", "nca", "--style", "skimage:coffee",
                                 "--weights", "none", "--size", "16", "--steps", "1", "--out", str(out), *flags)
    assert code != 0 and needle in stderr, stderr
    assert "Traceback" not in stderr and not os.path.exists(out)
