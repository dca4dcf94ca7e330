import numpy as np
import pytest
import tensorflow as tf

from tfart import backbones, generators, monitors, objectives, optimize
from tfart.errors import UserError

SIZE = 32
STYLE_LAYERS = ["block1_conv1", "block2_conv1", "block3_conv1"]


@pytest.fixture(scope="module")
def vgg():
    import keras
    keras.utils.set_random_seed(0)  # the same random features in every run
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
    g = generators.make("cppn", seed=1, latent_dim=8)  # the smooth start the jobs use
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


def test_lbfgs_minimises_and_reports_every_iteration(tmp_path):
    target = np.random.default_rng(3).uniform(size=(1, 16, 16, 3)).astype("float32")
    g = generators.make("cppn", seed=0)
    history = monitors.History()
    gif = str(tmp_path / "t.gif")
    result = optimize.optimize(g, objectives.reconstruction(target), None, 16, 16,
                               optimize.Settings(steps=25, optimizer="lbfgs"),
                               monitors=[history, monitors.Timelapse(gif, every=1)])
    assert result.stopped == "done" and 0 < result.step <= 25
    assert len(history.terms) == result.step
    # Each iteration reports its own loss (not its chunk's) and its own image.
    losses = history.column("loss")
    assert len(set(losses)) == len(losses) and np.all(np.diff(losses) <= 0)
    np.testing.assert_allclose(result.losses, losses)
    from PIL import Image
    frames = Image.open(gif)
    pictures = set()
    for i in range(frames.n_frames):
        frames.seek(i)
        pictures.add(frames.convert("RGB").tobytes())
    assert frames.n_frames == result.step + 1 and len(pictures) > result.step // 2
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


def test_content_loss_sees_the_same_random_transform_as_the_canvas():
    from tfart import transforms
    vgg = backbones.Backbone("vgg16", ["block2_conv1"], weights=None)
    photo = np.random.default_rng(5).uniform(size=(1, SIZE, SIZE, 3)).astype("float32")
    g = generators.PixelImage(SIZE, SIZE)
    g.assign_image(photo)
    same = objectives.content(vgg, g.image(SIZE, SIZE).numpy(), ["block2_conv1"], name="same")
    other = objectives.content(vgg, photo[:, ::-1], ["block2_conv1"], name="other")
    for _ in range(6):  # many random draws of pad, jitter, scale and rotation
        terms = optimize.evaluate(g, same + other, vgg, SIZE, SIZE, transforms.standard(SIZE))
        assert float(terms["same"]) < 1e-9 < float(terms["other"])  # moved alike, it matches itself
    with pytest.raises(UserError, match="random transforms need them the same size"):
        small = objectives.content(vgg, photo[:, :16, :16], ["block2_conv1"])
        optimize.evaluate(g, small, vgg, SIZE, SIZE, transforms.standard(SIZE))


@pytest.mark.slow
def test_the_style_transfer_command_runs_content_with_transforms(run_script, tmp_path):
    from PIL import Image
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(tmp_path / "s.png")
    for seed in ("1", "2"):  # both crashed with incompatible feature shapes
        code, _, stderr = run_script("style_transfer", "--content", "noise:1", "--style", str(tmp_path / "s.png"),
                                     "--weights", "none", "--size", "48", "--steps", "4", "--seed", seed,
                                     "--transforms", "standard", "--checkpoint_every", "0",
                                     "--out", str(tmp_path / f"s{seed}.png"))
        assert code == 0, stderr


@pytest.mark.slow
@pytest.mark.parametrize("parameterization", ["pixel", "fft", "cppn", "fourier_cppn"])
def test_jit_compile_runs_every_parameterization_with_transforms(parameterization):
    from tfart import transforms
    vgg = backbones.Backbone("vgg16", ["block1_conv1", "block2_conv1"], weights=None)
    photo = np.random.default_rng(5).uniform(size=(1, SIZE, SIZE, 3)).astype("float32")
    objective = (1e3 * objectives.style(vgg, [photo], ["block1_conv1"])
                 + objectives.content(vgg, photo, ["block2_conv1"]))
    losses = {}
    for jit in (False, True):
        g = generators.make(parameterization, SIZE, SIZE, seed=0, grid=4)
        result = optimize.optimize(g, objective, vgg, SIZE, SIZE, optimize.Settings(steps=2, jit_compile=jit))
        losses[jit] = result.losses
        g = generators.make(parameterization, SIZE, SIZE, seed=0, grid=4)
        moved = optimize.optimize(g, objective, vgg, SIZE, SIZE, optimize.Settings(steps=2, jit_compile=jit),
                                  transform=transforms.standard(SIZE))
        assert moved.stopped == "done" and np.all(np.isfinite(moved.losses))
    np.testing.assert_allclose(losses[True], losses[False], rtol=1e-3)  # XLA computes the same step


def test_transforms_draw_anew_at_every_compiled_step():
    from tfart import transforms

    class Pixels:
        """A 'backbone' that shows the transformed pixels themselves."""
        def __call__(self, images):
            return {"pixels": images}

    left_half = objectives.Objective(lambda ctx: tf.reduce_mean(ctx.features["pixels"][:, :, :8]),
                                     "left", layers=["pixels"])
    g = generators.PixelImage(SIZE, SIZE)
    y, x = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    g.assign_image(np.stack([x, x, x], -1)[None].astype("float32"))
    result = optimize.optimize(g, left_half, Pixels(), SIZE, SIZE, optimize.Settings(steps=12, lr=1e-9),
                               transform=transforms.jitter(6))
    assert len(set(np.round(result.losses, 5))) > 3  # one fixed crop would give one value


def test_a_non_finite_gradient_with_a_finite_loss_keeps_the_current_state():
    g = generators.PixelImage(8, 8)
    g.assign_image(np.full((1, 8, 8, 3), 0.8, np.float32))

    @tf.custom_gradient
    def mean_with_a_cliff(x):
        """The mean, whose gradient turns NaN once the mean is below 0.7."""
        mean = tf.reduce_mean(x)
        return mean, lambda dy: tf.where(mean < 0.7, np.nan, dy) * tf.ones_like(x) / tf.cast(tf.size(x), tf.float32)
    cliff = objectives.Objective(lambda ctx: mean_with_a_cliff(ctx.image), "cliff")
    result = optimize.optimize(g, cliff, None, 8, 8, optimize.Settings(steps=100, lr=0.3))
    assert result.stopped == "non-finite" and np.isfinite(result.losses[-1]) and result.step > 0
    # The state that stopped it has a finite loss: it is kept, not the one before it.
    assert float(tf.reduce_mean(g.image(8, 8))) <= 0.7


def optimize_context(generator, backbone):
    image = generator.image(16, 16)
    return objectives.Context(image=image, features=backbone(image))


def test_the_tape_watches_only_the_trained_variables(monkeypatch):
    vgg = backbones.Backbone("vgg16", ["block1_conv1"], weights=None)
    objective = objectives.content(vgg, np.zeros((1, 16, 16, 3), np.float32), ["block1_conv1"])
    g = generators.PixelImage(16, 16)
    tapes, real = [], tf.GradientTape

    class Spy(real):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            tapes.append(self)
    monkeypatch.setattr(tf, "GradientTape", Spy)
    variables = g.variables_to_train("weights")
    optimize.loss_and_gradients(lambda: objective.terms(optimize_context(g, vgg)), variables)
    watched = {id(v) for v in tapes[0].watched_variables()}
    assert watched == {id(v.value) for v in variables}  # not the backbone's 2 variables


def test_subpixel_samples_each_step_at_a_new_point_within_the_pixels():
    class Ramps(generators.base.Generator):
        """Red is x and green is y, in pixels of a 10-pixel canvas, plus a weight to train."""
        def __init__(self):
            super().__init__(name="ramps")
            self.w = self.add_weight(shape=(), initializer="zeros", name="w")
            self.built = True

        def _render(self, xy, extent, z, pitch):
            return tf.concat([5.0 * xy + self.w, tf.zeros_like(xy[..., :1])], -1)[None]

    class Offsets(monitors.Monitor):
        """The mean of each ramp is where the step sampled, relative to the pixel centres."""
        def __init__(self):
            self.seen = []

        def on_step(self, run, loss, terms):
            self.seen.append((terms["dx"], terms["dy"]))

    mean_of = lambda channel: lambda ctx: tf.reduce_mean(ctx.image[..., channel])  # noqa: E731
    objective = objectives.Objective(mean_of(0), "dx") + objectives.Objective(mean_of(1), "dy")

    def offsets(subpixel):
        seen = Offsets()
        optimize.optimize(Ramps(), objective, None, 10, 10,
                          optimize.Settings(steps=40, lr=1e-9, subpixel=subpixel), monitors=[seen])
        return np.array(seen.seen)
    np.testing.assert_allclose(offsets(False), 0.0, atol=1e-6)  # every step at the centres
    drawn = offsets(True)
    assert np.abs(drawn).max() <= 0.5 and (drawn.min(0) < -0.3).all() and (drawn.max(0) > 0.3).all()
    assert abs(np.corrcoef(drawn.T)[0, 1]) < 0.5  # x and y drawn apart, not along a diagonal


def test_subpixel_is_refused_for_fixed_size_images_and_lbfgs():
    settings = optimize.Settings(steps=2, subpixel=True)
    with pytest.raises(UserError, match="--subpixel: pixel and fft images have a fixed size"):
        optimize.optimize(generators.PixelImage(8, 8), objectives.total_variation(), None, 8, 8, settings)
    with pytest.raises(UserError, match="--optimizer lbfgs: needs a deterministic objective; use --nosubpixel"):
        optimize.optimize(generators.make("cppn"), objectives.total_variation(), None, 8, 8,
                          optimize.Settings(steps=2, optimizer="lbfgs", subpixel=True))


def test_a_compiled_step_restarted_runs_as_a_fresh_one_without_tracing_again():
    """optimize.compiled_step (perception.draw's fresh starts): after restart() a run from a new
    start is the one a new optimizer and step would give, and the step is not traced again."""
    target = np.linspace(0, 1, 24 * 24 * 3, dtype="float32").reshape(1, 24, 24, 3)
    objective = objectives.reconstruction(target)
    settings = optimize.Settings(steps=6, lr=0.05)
    start = lambda: generators.make("strokes", 24, 24, seed=3, strokes=8, style="marker")  # noqa: E731
    fresh = start()
    alone = optimize.optimize(fresh, objective, None, 24, 24, settings)
    drawing = generators.make("strokes", 24, 24, seed=0, strokes=8, style="marker")
    compiled = optimize.compiled_step(drawing, objective, None, 24, 24, settings)
    optimize.optimize(drawing, objective, None, 24, 24, settings, compiled=compiled)  # a first start
    for restart, same in ((False, False), (True, True)):
        drawing.set_weights(start().get_weights())  # a new start: new values, the same variables
        if restart:
            compiled.restart()
        again = optimize.optimize(drawing, objective, None, 24, 24, settings, compiled=compiled)
        assert (again.losses == pytest.approx(alone.losses, rel=1e-6)) == same  # Adam's moments carried over
    for mine, theirs in zip(drawing.get_weights(), fresh.get_weights()):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
    assert compiled.step.experimental_get_tracing_count() == 1
    with pytest.raises(ValueError, match="other settings"):
        optimize.optimize(drawing, objective, None, 24, 24, optimize.Settings(steps=6, lr=0.01), compiled=compiled)


def test_a_restarted_compiled_step_keeps_a_start_whose_loss_is_not_finite_as_a_fresh_step_would():
    """A start whose loss is not finite ends the run at once and is kept as it is, not put back to
    the state of the start before it (the step's last good state is restarted too)."""
    objective = objectives.reconstruction(np.full((1, 8, 8, 3), 0.5, "float32"))
    settings = optimize.Settings(steps=3, lr=0.1)
    drawing = generators.make("pixel", 8, 8, seed=0)
    compiled = optimize.compiled_step(drawing, objective, None, 8, 8, settings)
    optimize.optimize(drawing, objective, None, 8, 8, settings, compiled=compiled)  # a first start
    broken = [w.copy() for w in drawing.get_weights()]
    broken[0].flat[0] = np.nan
    drawing.set_weights(broken)
    compiled.restart()
    result = optimize.optimize(drawing, objective, None, 8, 8, settings, compiled=compiled)
    assert result.stopped == "non-finite" and result.step == 0
    for mine, theirs in zip(drawing.get_weights(), broken):
        np.testing.assert_array_equal(mine, theirs)
