"""The neural cellular automaton: its perception, its rule, its pool, its export, and the commands."""
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfart import export, generators, jobs, monitors, objectives, optimize, style_transfer
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
    pool.assign(np.arange(1, 7, dtype=np.float32)[:, None, None, None] / 10 * np.ones(pool.shape, np.float32))
    before = pool.numpy()
    image, terms = cells.training_image(12, 12)
    after = pool.numpy()
    assert after.shape == before.shape == (6, 12, 12, nca.CHANNELS)
    changed = [i for i in range(6) if not np.array_equal(after[i], before[i])]
    assert len(changed) == 2  # the two it lent, each grown and written back
    assert image.shape == (2, 12, 12, 3) and set(terms) == {"overflow"}
    for i in changed:  # what went back is what was shown
        assert any(np.allclose(after[i][..., :3] + 0.5, image[k].numpy()) for k in range(2))
    for _ in range(4):
        cells.training_image(12, 12)
    assert cells._scratch.states.shape == (6, 12, 12, nca.CHANNELS)
    assert int(cells._scratch.rounds.numpy()) == 5
    with pytest.raises(UserError, match="--size"):
        cells.training_image(16, 12)


def test_every_few_rounds_one_sample_starts_again_from_the_seed():
    keras.utils.set_random_seed(1)
    cells = automaton(8, 8, pool_size=4, sample_batch=2, rollout=(1, 1), reseed_every=3, fire_rate=1e-9)
    pool = cells._scratch.states
    pool.assign(np.ones(pool.shape, np.float32))  # no cell fires: only a reseed changes the pool
    cells.training_image(8, 8)  # round 0: one of the two starts from the seed
    zeros = [i for i in range(4) if np.allclose(pool.numpy()[i], 0)]
    assert len(zeros) == 1 and np.allclose(np.delete(pool.numpy(), zeros, axis=0), 1)
    cells.training_image(8, 8)  # rounds 1 and 2: no reseed
    cells.training_image(8, 8)
    assert sum(np.allclose(pool.numpy()[i], 0) for i in range(4)) == 1


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
    whole = nca.animate(cells, 24, 24, 8, 16, seed=0)  # frame k after 2k steps
    damaged = nca.animate(cells, 24, 24, 8, 8, seed=0, damage=True)  # the same, erased after step 8
    for k in range(3):  # before the damage: the same run
        np.testing.assert_array_equal(whole[k], damaged[k])
    hole = nca.disc(24, 24)[0, :, :, 0] > 0
    # the frame at step 8 shows the hole: the seed's grey inside the disc, the same picture outside
    assert np.allclose(damaged[3][hole], 0.5) and not np.allclose(whole[3][hole], 0.5)
    np.testing.assert_array_equal(whole[3][~hole], damaged[3][~hole])
    near = nca.disc(24, 24, radius=0.25 + 3 / 24)[0, :, :, 0] > 0  # 2 steps later, the change spreads 2 cells
    np.testing.assert_allclose(whole[4][~near], damaged[4][~near], atol=1e-6)
    assert damaged[7][hole].std() > 0.01  # and it grows back
    with pytest.raises(UserError, match="--frames"):
        nca.animate(cells, 8, 8, 10, 4)


def test_a_resumed_run_keeps_the_rule_and_continues(tmp_path):
    keras.utils.set_random_seed(0)
    target = np.full((1, 16, 16, 3), [0.9, 0.2, 0.1], np.float32)
    settings = optimize.Settings(steps=3, lr=0.002, normalize_gradients=True)
    outputs = jobs.Outputs(progress=False, checkpoints=str(tmp_path / "ckpt"), checkpoint_every=3)
    cells = generators.make("nca", 16, 16, pool_size=8, rollout=(2, 3))
    jobs.run(cells, objectives.reconstruction(target), None, height=16, width=16, settings=settings, outputs=outputs)
    rule = [v.numpy() for v in cells.trainable_variables]
    again = generators.make("nca", 16, 16, pool_size=8, rollout=(2, 3))
    resumed = jobs.run(again, objectives.reconstruction(target), None, height=16, width=16,
                       settings=optimize.Settings(steps=5, lr=0.002, normalize_gradients=True),
                       outputs=jobs.Outputs(progress=False, checkpoints=str(tmp_path / "ckpt"), checkpoint_every=3,
                                            resume=True, png=str(tmp_path / "r.png")))
    assert resumed.stopped == "done" and resumed.step == 5 and len(resumed.losses) == 2
    assert not np.allclose(again.change.kernel.numpy(), 0) and not np.allclose(rule[2], 0)


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
    assert np.abs(cells.change.kernel.numpy()).max() > 0.001  # the rule, zero at first, has learned a change
    recipe = style_transfer.RECIPES["nca"]
    assert recipe.normalize_gradients and recipe.content_weight == 0  # the paper's per-variable normalisation
    with pytest.raises(UserError, match="lbfgs"):
        optimize.check(cells, optimize.Settings(optimizer="lbfgs"))
    with pytest.raises(UserError, match="--upscale"):
        jobs.Outputs(png="x.png", upscale=2).check(cells, 16, 16)


def test_style_grows_a_texture_gif_png_and_export_that_renders_bigger(run_script, tmp_path):
    out, model = tmp_path / "texture.gif", tmp_path / "texture_model"
    code, stdout, stderr = run_script("style_transfer", "--parameterization", "nca", "--content_weight", "0",
                                      "--style", "skimage:coffee", "--weights", "none", "--size", "32",
                                      "--steps", "3", "--out", str(out), "--export", str(model),
                                      "--timelapse", str(tmp_path / "training.gif"), "--timelapse_every", "1")
    assert code == 0, stderr
    assert Image.open(tmp_path / "training.gif").n_frames >= 3  # the optimization's own time-lapse beside it
    gif = Image.open(out)
    assert gif.n_frames == 48 and gif.size == (32, 32)
    gif.seek(gif.n_frames - 1)
    last = np.asarray(gif.convert("RGB"), np.int16)
    png = np.asarray(Image.open(tmp_path / "texture.png").convert("RGB"), np.int16)
    assert np.abs(last - png).max() <= 8  # the PNG is the GIF's last frame (GIF palettes round)
    big = tmp_path / "big.gif"
    code, _, stderr = run_script("render", "--model", str(model), "--width", "96", "--height", "64",
                                 "--frames", "6", "--damage", "--out", str(big))
    assert code == 0, stderr
    assert Image.open(big).n_frames == 6 and Image.open(big).size == (96, 64)


def test_render_refuses_what_an_automaton_cannot_do(run_script, tmp_path):
    cells = automaton(8, 8, render_steps=4)
    export.export(cells, str(tmp_path / "m"))
    for flags, needle in [(["--frames", "9", "--out", "a.gif"], "--frames: 9 frames for 4 automaton steps"),
                          (["--damage", "--out", "a.png"], "--damage"),
                          (["--supersample", "2", "--out", "a.png"], "--supersample"),
                          (["--samples", "4", "--out", "a.png"], "--samples"),
                          (["--width", "8192", "--height", "8192", "--out", "a.png"], "too many cells")]:
        code, _, stderr = run_script("render", "--model", str(tmp_path / "m"), *flags[:-2], "--out",
                                     str(tmp_path / flags[-1]))
        assert code != 0 and needle in stderr and "Traceback" not in stderr, stderr
        assert not os.path.exists(tmp_path / flags[-1])


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
