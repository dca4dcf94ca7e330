"""The job runner: outputs checked before work, init and fit stage, resume, why it stopped."""
import io
import os

import numpy as np
import pytest
from PIL import Image

from tfart import backbones, generators, jobs, monitors, objectives, optimize
from tfart.errors import UserError
from tfart.progress import Progress

SIZE = 32
LAYERS = ["block1_conv1", "block2_conv1"]


@pytest.fixture(scope="module")
def vgg():
    return backbones.Backbone("vgg16", LAYERS, weights=None)


@pytest.fixture(scope="module")
def photo():
    y, x = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    return np.stack([x, y, 0.5 + 0.5 * np.sin(6 * x * y)], -1)[None].astype("float32")


@pytest.fixture(scope="module")
def objective(vgg, photo):
    return 1e6 * objectives.style(vgg, [photo[:, ::-1]], LAYERS) + objectives.content(vgg, photo, LAYERS)


def files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_every_output_is_checked_before_any_work(tmp_path, objective, vgg):
    g = generators.make("cppn", seed=0)
    before = [v.numpy().copy() for v in g.trainable_variables]
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    for outputs, message in [
            (jobs.Outputs(png=str(tmp_path / "new" / "a.png"), timelapse=str(tmp_path / "t.avi")), "--timelapse"),
            (jobs.Outputs(png=str(tmp_path / "new" / "a.png"), export=str(blocker)), "--export"),
            (jobs.Outputs(png=str(blocker / "a.png")), "--out: cannot write"),
            (jobs.Outputs(png=str(tmp_path / "a.jpg")), "--out: expected a .png"),
            (jobs.Outputs(png=str(tmp_path / "a.png"), upscale=100000), "--upscale"),
            (jobs.Outputs(png=str(tmp_path / "a.png"), resume=True), "--resume")]:
        with pytest.raises(UserError, match=message):
            jobs.run(g, objective, vgg, height=SIZE, width=SIZE, outputs=outputs,
                     settings=optimize.Settings(steps=2))
    fixed = generators.make("pixel", SIZE, SIZE)
    with pytest.raises(UserError, match="--upscale: the .* fixed-size"):
        jobs.run(fixed, objective, vgg, height=SIZE, width=SIZE,
                 outputs=jobs.Outputs(png=str(tmp_path / "a.png"), upscale=2))
    assert files(tmp_path) == ["a_file"]  # no folder made, nothing written
    for b, v in zip(before, g.trainable_variables):
        np.testing.assert_array_equal(b, v.numpy())


def test_a_cppn_is_fitted_to_the_init_image_as_a_stage_with_its_own_progress(photo, capsys):
    g = generators.make("cppn", seed=0)
    start = float(np.mean((g.image(SIZE, SIZE).numpy() - photo) ** 2))
    result = jobs.run(g, objectives.reconstruction(photo), None, height=SIZE, width=SIZE,
                      settings=optimize.Settings(steps=3, lr=0.001),
                      init=jobs.Init(photo, fit_steps=40, fit_lr=0.02))
    assert result.stopped == "done" and result.step == 3 and result.written == []
    fitted = float(np.mean((g.image(SIZE, SIZE).numpy() - photo) ** 2))
    assert fitted < 0.5 * start
    err = capsys.readouterr().err
    assert "fit 40/40  loss" in err and "step 3/3  loss" in err
    assert "\r" not in err and "\x1b" not in err  # not a terminal: plain lines


def test_pixels_take_the_init_image_and_fit_steps_zero_keeps_a_cppn_as_it_is(photo):
    pixels = generators.make("pixel", SIZE, SIZE)
    jobs.run(pixels, objectives.total_variation(), None, height=SIZE, width=SIZE,
             settings=optimize.Settings(steps=0), init=jobs.Init(photo))
    np.testing.assert_allclose(pixels.image(SIZE, SIZE).numpy(), photo, atol=1e-3)
    g = generators.make("cppn", seed=3)
    before = g.image(SIZE, SIZE).numpy()
    jobs.run(g, objectives.total_variation(), None, height=SIZE, width=SIZE,
             settings=optimize.Settings(steps=0), init=jobs.Init(photo, fit_steps=0))
    np.testing.assert_array_equal(before, g.image(SIZE, SIZE).numpy())


def test_a_finished_job_writes_every_output(tmp_path, objective, vgg, photo):
    out = tmp_path / "run"
    outputs = jobs.Outputs(png=str(out / "a.png"), timelapse=str(out / "a.gif"), timelapse_every=2,
                           logdir=str(out / "tb"), checkpoints=str(out / "a_ckpt"), checkpoint_every=2,
                           upscale=3, export=str(tmp_path / "new" / "model"), postprocess=lambda image: 1 - image,
                           about={"style": "test"})
    g = generators.make("fourier_cppn", SIZE, SIZE, seed=1, grid=4)
    result = jobs.run(g, objective, vgg, height=SIZE, width=SIZE, outputs=outputs,
                      settings=optimize.Settings(steps=4, lr=0.01))
    assert result.stopped == "done" and result.why() == "done"
    assert result.written == [str(out / p) for p in ("a.png", "a.gif", "a_x3.png")] + [str(tmp_path / "new" / "model")]
    png = np.asarray(Image.open(out / "a.png"), np.float32) / 255
    np.testing.assert_allclose(png, 1 - g.image(SIZE, SIZE)[0].numpy(), atol=1 / 255)  # post-processed
    assert Image.open(out / "a_x3.png").size == (3 * SIZE, 3 * SIZE)
    assert Image.open(out / "a.gif").n_frames == 3
    assert os.listdir(out / "tb") and os.listdir(out / "a_ckpt")
    import json

    import tensorflow as tf
    assert json.loads(tf.saved_model.load(str(tmp_path / "new" / "model")).config().numpy())["style"] == "test"


def test_resume_continues_the_step_count_and_the_loss(tmp_path, objective, vgg):
    def session(steps, resume):
        outputs = jobs.Outputs(checkpoints=str(tmp_path / "ckpt"), checkpoint_every=5, resume=resume,
                               progress=False)
        return jobs.run(generators.make("cppn", seed=4), objective, vgg, height=SIZE, width=SIZE,
                        outputs=outputs, settings=optimize.Settings(steps=steps, lr=0.01))

    with pytest.raises(UserError, match="--resume: no checkpoint in"):
        session(10, resume=True)
    first = session(10, resume=False)
    second = session(20, resume=True)
    assert first.step == 10 and second.step == 20 and len(second.losses) == 10
    # The resumed run starts where the first ended (not from a fresh random CPPN)...
    assert second.losses[0] < 0.5 * first.losses[0]
    # ...and matches an uninterrupted 20-step run.
    straight = optimize.optimize(generators.make("cppn", seed=4), objective, vgg, SIZE, SIZE,
                                 optimize.Settings(steps=20, lr=0.01))
    np.testing.assert_allclose(second.losses[-1], straight.losses[-1], rtol=1e-3)
    with pytest.raises(UserError, match="--steps: the checkpoint is at step 20 already"):
        session(20, resume=True)
    # A checkpoint of another generator does not fit.
    with pytest.raises(UserError, match="does not fit these flags"):
        jobs.run(generators.make("cppn", seed=4, latent_dim=3), objective, vgg, height=SIZE, width=SIZE,
                 outputs=jobs.Outputs(checkpoints=str(tmp_path / "ckpt"), resume=True),
                 settings=optimize.Settings(steps=30))


class CtrlCAt(monitors.Monitor):
    def __init__(self, step):
        self.step = step

    def on_step(self, run, loss, terms):
        if run.step == self.step:
            raise KeyboardInterrupt


def test_ctrl_c_while_fitting_keeps_the_current_image(tmp_path, photo, monkeypatch):
    real = monitors.ProgressBar

    class InterruptedBar(real):
        def on_step(self, run, loss, terms):
            super().on_step(run, loss, terms)
            if self.label == "fit" and run.step == 2:
                raise KeyboardInterrupt
    monkeypatch.setattr(monitors, "ProgressBar", InterruptedBar)
    g = generators.make("cppn", seed=0)
    result = jobs.run(g, objectives.total_variation(), None, height=SIZE, width=SIZE,
                      outputs=jobs.Outputs(png=str(tmp_path / "a.png"), export=str(tmp_path / "m")),
                      init=jobs.Init(photo, fit_steps=50))
    assert (result.stopped, result.stage) == ("interrupted", "fit")
    assert result.written == [str(tmp_path / "a.png")] and not (tmp_path / "m").exists()
    assert result.why() == f"interrupted while fitting the content; the current image is in {tmp_path / 'a.png'}"


def test_a_non_finite_loss_keeps_the_last_good_image_and_writes_nothing_else(tmp_path, vgg, photo):
    g = generators.make("pixel", SIZE, SIZE)
    result = jobs.run(g, 1e39 * objectives.style(vgg, [photo], LAYERS), vgg, height=SIZE, width=SIZE,
                      outputs=jobs.Outputs(png=str(tmp_path / "a.png"), export=str(tmp_path / "m")),
                      init=jobs.Init(photo))
    assert result.stopped == "non-finite" and result.written == [str(tmp_path / "a.png")]
    assert result.why().startswith("the loss became inf at step 1; kept the last good image in")
    kept = np.asarray(Image.open(tmp_path / "a.png"), np.float32) / 255
    np.testing.assert_allclose(kept, photo[0], atol=2 / 255)
    assert not (tmp_path / "m").exists()


def test_progress_draws_in_place_on_a_terminal_and_prints_plain_lines_elsewhere():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    log, tty = io.StringIO(), Terminal()
    for stream in (log, tty):
        bar = Progress(100, "step", stream)
        for i in range(1, 101):
            bar.update(i, [("loss", 1.0 / i)])
        bar.close()
    lines = log.getvalue().splitlines()
    assert len(lines) == 11 and lines[0].startswith("step 1/100  loss 1")
    assert lines[-1].startswith("step 100/100  loss 0.01")
    assert "\r" not in log.getvalue() and "\x1b" not in log.getvalue()
    assert tty.getvalue().startswith("\r[") and tty.getvalue().endswith("\n")


def test_progress_estimates_the_time_left_from_the_steps_after_the_first(monkeypatch):
    now = [0.0]
    monkeypatch.setattr("tfart.progress.time.monotonic", lambda: now[0])
    log = io.StringIO()
    bar = Progress(300, "step", log, start=200)  # a resumed run: steps 201..300
    for i in range(201, 212):
        now[0] += 100.0 if i == 201 else 1.0  # the first step traces: 100 s, then 1 s a step
        bar.update(i)
    assert log.getvalue().startswith("step 201/300  1:40\n")  # no estimate from one step
    assert bar._line([]).endswith("about 89 s left")  # 1 s a step, not 10 s


def test_lbfgs_through_the_runner_checkpoints_and_resumes(tmp_path, photo):
    def session(steps, resume):
        outputs = jobs.Outputs(png=str(tmp_path / "a.png"), checkpoints=str(tmp_path / "ckpt"),
                               checkpoint_every=3, resume=resume, progress=False)
        return jobs.run(generators.make("pixel", SIZE, SIZE, seed=1), objectives.reconstruction(photo), None,
                        height=SIZE, width=SIZE, outputs=outputs,
                        settings=optimize.Settings(steps=steps, optimizer="lbfgs"))
    first = session(4, resume=False)
    second = session(8, resume=True)
    assert (first.stopped, first.step, second.step) == ("done", 4, 8)
    assert second.losses[-1] < first.losses[-1] < first.losses[0]
    with pytest.raises(UserError, match="--optimizer lbfgs: needs a deterministic objective"):
        from tfart import transforms
        jobs.run(generators.make("cppn", seed=0), objectives.reconstruction(photo), None, height=SIZE,
                 width=SIZE, settings=optimize.Settings(optimizer="lbfgs"), transform=transforms.jitter(2),
                 init=jobs.Init(photo))  # refused before the fit, not after it


def test_coarse_to_fine_runs_a_small_canvas_first_and_refuses_what_it_cannot_shrink(photo, vgg, objective, capsys):
    style_only = objectives.style(vgg, [photo[:, ::-1]], LAYERS)
    g = generators.make("hashgrid", levels=4, log2_table=8, finest=32, hidden=16, seed=0)
    before = g.image(SIZE, SIZE).numpy()
    result = jobs.run(g, style_only, vgg, height=SIZE, width=SIZE, settings=optimize.Settings(steps=2, lr=0.01),
                      coarse=jobs.Coarse(scale=0.5, steps=3))
    assert result.stopped == "done" and result.step == 2
    err = capsys.readouterr().err
    assert "coarse 3/3  loss" in err and "step 2/2  loss" in err
    assert np.abs(g.image(SIZE, SIZE).numpy() - before).max() > 0
    assert jobs.Coarse(scale=0.25).size(32, 64) == (8, 16)
    for kwargs, message in [
            (dict(generator=generators.make("pixel", SIZE, SIZE)), "--coarse: pixel, fft and nca run at one size"),
            (dict(objective=objective), "--content_weight 0"),
            (dict(coarse=jobs.Coarse(scale=1.5)), "--coarse: .* between 0 and 1"),
            (dict(coarse=jobs.Coarse(steps=0)), "--coarse_steps"),
            (dict(settings=optimize.Settings(steps=2, optimizer="lbfgs")), "--coarse: runs with Adam only")]:
        call = {**dict(generator=g, objective=style_only, coarse=jobs.Coarse(steps=1),
                       settings=optimize.Settings(steps=2)), **kwargs}
        with pytest.raises(UserError, match=message):
            jobs.run(call["generator"], call["objective"], vgg, height=SIZE, width=SIZE,
                     settings=call["settings"], coarse=call["coarse"])


def test_a_short_run_leaves_no_checkpoint_folder(tmp_path, photo):
    outputs = jobs.Outputs(png=str(tmp_path / "a.png"), checkpoints=str(tmp_path / "a_ckpt"), checkpoint_every=50,
                           progress=False)
    jobs.run(generators.make("pixel", SIZE, SIZE, seed=1), objectives.reconstruction(photo), None,
             height=SIZE, width=SIZE, outputs=outputs, settings=optimize.Settings(steps=3, lr=0.01))
    assert sorted(os.listdir(tmp_path)) == ["a.png"]


def test_resume_falls_back_to_the_newest_checkpoint_that_can_be_read(tmp_path, photo, capsys):
    def session(steps, resume):
        outputs = jobs.Outputs(checkpoints=str(tmp_path / "ckpt"), checkpoint_every=2, resume=resume,
                               progress=False)
        return jobs.run(generators.make("pixel", SIZE, SIZE, seed=1), objectives.reconstruction(photo), None,
                        height=SIZE, width=SIZE, outputs=outputs, settings=optimize.Settings(steps=steps, lr=0.01))
    session(4, resume=False)  # checkpoints at steps 2 and 4
    for data in (tmp_path / "ckpt").glob("ckpt-4.data-*"):
        data.write_bytes(data.read_bytes()[:10])  # a truncated write
    resumed = session(6, resume=True)
    assert resumed.step == 6 and len(resumed.losses) == 4  # steps 3..6, from the checkpoint of step 2
    assert "--resume: ckpt-4 (" in capsys.readouterr().err
    for data in (tmp_path / "ckpt").glob("ckpt-*.data-*"):
        data.write_bytes(data.read_bytes()[:10])
    with pytest.raises(UserError, match=r"--resume: no checkpoint in .* can be read: ckpt-6 \("):
        session(8, resume=True)


@pytest.mark.parametrize("name", ["cppn", "hashgrid"])
def test_a_checkpoint_without_adam_holds_every_weight(tmp_path, name):
    """L-BFGS keeps no optimizer state: the checkpoint alone must hold the generator's body (Keras 3
    keeps sublayers in lists that TensorFlow's checkpoints do not follow by themselves)."""
    trained = generators.make(name, SIZE, SIZE, seed=1)
    monitors.Checkpointer(str(tmp_path), trained).manager.save(checkpoint_number=3)
    other = generators.make(name, SIZE, SIZE, seed=2)
    assert monitors.Checkpointer(str(tmp_path), other).resume() == 0  # the step variable was 0 when saved
    np.testing.assert_array_equal(other.image(SIZE, SIZE).numpy(), trained.image(SIZE, SIZE).numpy())
