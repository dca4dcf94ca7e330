import numpy as np
import pytest

from tfart import backbones, generators, monitors, objectives, optimize
from tfart.errors import UserError

SIZE = 32
STYLE_LAYERS = ["block1_conv1", "block2_conv1", "block3_conv1"]


@pytest.fixture(scope="module")
def vgg():
    return backbones.Backbone("vgg19", STYLE_LAYERS + ["block4_conv2"], weights=None)


@pytest.fixture(scope="module")
def style_objective(vgg):
    rng = np.random.default_rng(0)
    style = rng.uniform(size=(1, 40, 40, 3)).astype("float32")
    content = rng.uniform(size=(1, SIZE, SIZE, 3)).astype("float32")
    return (1e6 * objectives.style(vgg, [style], STYLE_LAYERS)
            + objectives.content(vgg, content, ["block4_conv2"]))


@pytest.mark.parametrize("parameterization,lr", [("pixel", 0.2), ("fft", 0.05), ("cppn", 0.01),
                                                 ("fourier_cppn", 0.01)])
def test_loss_falls_for_every_parameterization(parameterization, lr, vgg, style_objective):
    g = generators.make(parameterization, SIZE, SIZE, seed=0, reference_size=SIZE)
    result = optimize.optimize(g, style_objective, vgg, SIZE, SIZE, optimize.Settings(steps=15, lr=lr))
    assert result.stopped == "done" and result.step == 15
    assert result.losses[-1] < 0.7 * result.losses[0]


def test_training_the_latent_alone_moves_only_z(vgg, style_objective):
    g = generators.CPPN(seed=1, latent_dim=8)
    weights_before = [v.numpy().copy() for v in g.weight_variables]
    z_before = g.z.numpy().copy()
    result = optimize.optimize(g, style_objective, vgg, SIZE, SIZE,
                               optimize.Settings(steps=15, lr=0.1, train="latent"))
    assert result.losses[-1] < result.losses[0]
    assert np.abs(g.z.numpy() - z_before).max() > 1e-3
    for before, v in zip(weights_before, g.weight_variables):
        np.testing.assert_array_equal(before, v.numpy())


def test_step_is_traced_once(vgg, style_objective):
    g = generators.make("cppn", seed=0)
    result = optimize.optimize(g, style_objective, vgg, SIZE, SIZE, optimize.Settings(steps=6),
                               monitors=[monitors.History()])
    assert result.run.step_fn.experimental_get_tracing_count() == 1


def test_reconstruction_fits_a_target_without_a_backbone():
    target = np.random.default_rng(3).uniform(size=(1, 16, 16, 3)).astype("float32")
    g = generators.PixelImage(16, 16)
    result = optimize.optimize(g, objectives.reconstruction(target), None, 16, 16,
                               optimize.Settings(steps=100, lr=0.2))
    assert result.loss < 0.1 * result.losses[0]


def test_non_finite_loss_stops_and_keeps_the_last_good_state(vgg):
    g = generators.PixelImage(SIZE, SIZE)
    before = g.image(SIZE, SIZE).numpy()
    blow_up = 1e38 * objectives.total_variation() * 1e38  # overflows float32 at once
    result = optimize.optimize(g, blow_up + objectives.total_variation(), vgg, SIZE, SIZE,
                               optimize.Settings(steps=5))
    assert result.stopped == "non-finite" and result.step == 0
    np.testing.assert_array_equal(g.image(SIZE, SIZE).numpy(), before)


def test_bad_settings():
    g = generators.PixelImage(8, 8)
    with pytest.raises(UserError, match="--steps"):
        optimize.optimize(g, objectives.total_variation(), None, 8, 8, optimize.Settings(steps=-1))
    with pytest.raises(UserError, match="--lr"):
        optimize.optimize(g, objectives.total_variation(), None, 8, 8, optimize.Settings(lr=float("nan")))


def test_transforms_keep_gradients_flowing():
    import tensorflow as tf

    from tfart import transforms
    image = tf.Variable(np.random.default_rng(0).uniform(size=(1, 32, 32, 3)).astype("float32"))
    with tf.GradientTape() as tape:
        out = transforms.standard(32)(image)
        loss = tf.reduce_mean(out)
    grad = tape.gradient(loss, image)
    assert out.shape[-1] == 3 and grad is not None and float(tf.reduce_sum(tf.abs(grad))) > 0


def test_lbfgs_minimises_and_reports_every_iteration():
    target = np.random.default_rng(3).uniform(size=(1, 16, 16, 3)).astype("float32")
    g = generators.make("cppn", seed=0)
    history = monitors.History()
    result = optimize.optimize(g, objectives.reconstruction(target), None, 16, 16,
                               optimize.Settings(steps=25, optimizer="lbfgs"), monitors=[history])
    assert result.stopped == "done" and 0 < result.step <= 25
    assert len(history.terms) == result.step
    start = float(objectives.reconstruction(target)(
        objectives.Context(generators.make("cppn", seed=0).image(16, 16), {})))
    assert result.loss < 0.5 * start


def test_lbfgs_refuses_random_transforms_and_missing_tfp(monkeypatch):
    import builtins

    from tfart import transforms
    g = generators.PixelImage(16, 16)
    with pytest.raises(UserError, match="deterministic"):
        optimize.optimize(g, objectives.total_variation(), None, 16, 16,
                          optimize.Settings(steps=2, optimizer="lbfgs"), transform=transforms.jitter(2))
    real_import = builtins.__import__

    def no_tfp(name, *args, **kwargs):
        if name.startswith("tensorflow_probability"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_tfp)
    with pytest.raises(UserError, match=r"pip install -e .\[lbfgs\]"):
        optimize.optimize(g, objectives.total_variation(), None, 16, 16,
                          optimize.Settings(steps=2, optimizer="lbfgs"))


def test_ctrl_c_ends_the_loop_cleanly_and_monitors_still_finish(tmp_path):
    class PressCtrlC(monitors.Monitor):
        def on_step(self, run, loss, terms):
            if run.step == 3:
                raise KeyboardInterrupt

    g = generators.PixelImage(16, 16)
    gif = str(tmp_path / "t.gif")
    result = optimize.optimize(g, objectives.total_variation(), None, 16, 16, optimize.Settings(steps=50),
                               monitors=[monitors.Timelapse(gif, every=1), PressCtrlC()])
    assert result.stopped == "interrupted" and result.step == 3
    from PIL import Image
    assert Image.open(gif).n_frames == 4  # the time-lapse up to the interruption was still written


def test_loss_that_turns_non_finite_mid_run_restores_the_last_good_state():
    import tensorflow as tf
    # Minimising log(0.7 - mean) drives the mean up until the log's argument turns negative.
    cliff = objectives.Objective(lambda ctx: tf.math.log(0.7 - tf.reduce_mean(ctx.image)), "cliff")
    g = generators.PixelImage(8, 8)
    result = optimize.optimize(g, cliff, None, 8, 8, optimize.Settings(steps=200, lr=0.3))
    assert result.stopped == "non-finite" and result.step > 1
    assert not np.isfinite(result.losses[-1])
    kept = float(cliff(objectives.Context(g.image(8, 8), {})))
    assert np.isfinite(kept)
    np.testing.assert_allclose(kept, result.losses[-2], rtol=1e-5)  # the last finite step's state
