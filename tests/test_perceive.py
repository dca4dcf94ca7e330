"""tfart-perceive end to end, by gradient and by random search, and its answers to bad input."""
import numpy as np
import pytest
from PIL import Image


def test_gradient_draws_strokes_to_the_target_and_writes_an_svg(run_script, digits_file, tmp_path):
    labels = tmp_path / "digits.txt"
    labels.write_text("\n".join(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]))
    code, out, err = run_script("perceive", "--target", "seven", "--models", digits_file, "--labels", str(labels),
                                "--size", "48", "--strokes", "16", "--out", str(tmp_path / "seven.svg"))
    assert code == 0, err
    assert "gradient:" in out and "'seven'" in out
    p = float(out.split("p = ")[-1].split()[0])
    assert p >= 0.9  # stopped at the threshold
    assert (tmp_path / "seven.svg").read_text().count("<path ") == 16
    assert np.asarray(Image.open(tmp_path / "seven.png")).shape == (48, 48, 3)


def test_random_search_spends_its_budget(run_script, digits_file, tmp_path):
    code, out, err = run_script("perceive", "--target", "7", "--models", digits_file, "--size", "48",
                                "--method", "random_search", "--budget", "41", "--threshold", "1",
                                "--out", str(tmp_path / "r.png"))
    assert code == 0, err
    # Under the standard transforms a candidate and the best are scored on the same draws: 1 + 2 x 20.
    assert "random_search: 41 classifier evaluations" in out and (tmp_path / "r.png").exists()


@pytest.mark.parametrize("args, message", [
    (["--target", "sevn", "--labels", "LABELS"], "digits.keras; did you mean 'seven'?"),
    (["--target", "1", "--labels", "SHORT"], "--labels: "),
    (["--target", "1", "--models", "FEATURES"], "is not a classifier"),
    (["--target", "1", "--models", "BROKEN"], "as a Keras model: not a zip archive"),
    (["--target", "1", "--models", "TEXT"], "as a Keras model: a Keras model file ends in .keras or .h5"),
    (["--target", "1", "--budget", "0"], "--budget: must be at least 1"),
    (["--target", "1", "--patience", "-1"], "--patience: must be 0 (never start again) or more"),
    (["--target", "1", "--blur", "-1"], "--blur: must be 0 (none) or more pixels"),
    (["--target", "1", "--models", ""], "--models: needs one or more classifiers"),
])
def test_bad_input_is_one_line_and_writes_nothing(run_script, digits_file, tmp_path, args, message):
    import tensorflow as tf
    files = {"LABELS": tmp_path / "labels.txt", "SHORT": tmp_path / "short.txt",
             "FEATURES": tmp_path / "features.keras", "BROKEN": tmp_path / "broken.keras",
             "TEXT": tmp_path / "notes.txt"}
    files["LABELS"].write_text("\n".join(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]))
    files["SHORT"].write_text("a\nb\n")
    files["BROKEN"].write_bytes(b"not a model")
    files["TEXT"].write_text("Note to self: train a better model.")
    if "FEATURES" in args:
        tf.keras.Sequential([tf.keras.Input((16, 16, 3)), tf.keras.layers.Conv2D(4, 3)]).save(files["FEATURES"])
    args = [str(files.get(a, a)) for a in args]
    if "--models" not in args:
        args += ["--models", digits_file]
    out = tmp_path / "out"
    code, stdout, stderr = run_script("perceive", *args, "--size", "48", "--out", str(out / "x.png"))
    assert code in (1, 2) and len(stderr.strip().splitlines()) == 1, stderr
    assert message in stderr, stderr
    assert not out.exists()


def constant_judge(tmp_path):
    """A two-class classifier that answers p 0.5 whatever it sees: no gradient, and no drawing
    ever raises its target probability."""
    import keras

    from tfart import classifiers
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(2, kernel_initializer="zeros")])
    model.save(tmp_path / "constant.keras")
    return classifiers.Classifier(str(tmp_path / "constant.keras"))


@pytest.mark.parametrize("method", ["gradient", "random_search"])
def test_ctrl_c_as_a_start_stalls_ends_the_drawing(tmp_path, capsys, monkeypatch, method):
    """Ctrl-C that lands as a start stalls (tfart.interrupts notes it; the stall ends the start)
    ends the drawing as interrupted: it does not start again."""
    import os
    import signal

    from tfart import perception
    from tfart.generators.strokes import Strokes
    stale = perception.Goal.stale

    def stale_and_ctrl_c(goal, spent):
        if stale(goal, spent):
            os.kill(os.getpid(), signal.SIGINT)
            return True
        return False
    monkeypatch.setattr(perception.Goal, "stale", stale_and_ctrl_c)
    result, spent = perception.draw(Strokes(strokes=4, seed=0), [constant_judge(tmp_path)], [1], method=method,
                                    budget=60, size=16, patience=12, progress=True)
    assert result.stopped == "interrupted" and spent <= 15
    assert "starting again" not in capsys.readouterr().err


@pytest.mark.parametrize("method", ["gradient", "random_search"])
@pytest.mark.parametrize("patience", [0, 12])
def test_a_stalled_drawing_starts_again_from_a_new_start(tmp_path, capsys, method, patience):
    from tfart import perception
    from tfart.generators.strokes import Strokes
    judge = constant_judge(tmp_path)
    drawing = Strokes(strokes=4, seed=0)
    result, spent = perception.draw(drawing, [judge], [1], method=method, budget=60, size=16, patience=patience,
                                    progress=True)
    restarts = capsys.readouterr().err.count("stalled at p 0.500 for 12 evaluations: starting again")
    assert result.stopped == "done" and spent <= 60
    if patience:
        # Stalled every 12 evaluations while 12 were left; each start is seeded anew
        # (perception.restart_seed), and as none ended higher than the last, the drawing is the
        # last start, unchanged.
        assert restarts >= 3
        assert result.step * (3 if method == "gradient" else 1) > 12 * restarts  # every start's steps count
    else:
        assert restarts == 0
    expected = Strokes(strokes=4, seed=perception.restart_seed(0, restarts))
    for mine, theirs in zip(drawing.get_weights(), expected.get_weights()):
        np.testing.assert_allclose(mine, theirs, atol=1e-6)


def saturated_judge(tmp_path):
    """A two-class classifier whose class 1 stays out of reach (p about e^-50) however bright the
    drawing, but whose loss has a gradient: every start stalls, and gradient descent moves it."""
    import keras

    from tfart import classifiers
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
    model.layers[-1].set_weights([np.array([[0, 1]] * 3, np.float32), np.array([0, -50], np.float32)])
    model.save(tmp_path / "saturated.keras")
    return classifiers.Classifier(str(tmp_path / "saturated.keras"))


def test_a_drawing_started_again_by_gradient_traces_its_step_once_and_draws_as_before(tmp_path, capsys,
                                                                                      monkeypatch):
    """perception.draw compiles the gradient step once per drawing (optimize.compiled_step) and
    restarts its optimizer at every start: the drawing is the one a new optimizer and step at each
    start drew (as before), with one step made, not one a start."""
    from tfart import jobs, optimize, perception
    from tfart.generators.strokes import Strokes
    judge = saturated_judge(tmp_path)

    def drawn():
        drawing = Strokes(strokes=4, seed=0)
        result, spent = perception.draw(drawing, [judge], [1], method="gradient", budget=60, size=16, patience=12,
                                        progress=True)
        return result, spent, drawing.get_weights(), capsys.readouterr().err.count("starting again")

    made, make_step = [], optimize.make_step
    monkeypatch.setattr(optimize, "make_step", lambda *a, **k: made.append(1) or make_step(*a, **k))
    result, spent, weights, starts = drawn()
    assert starts >= 3 and len(made) == 1
    run = jobs.run
    monkeypatch.setattr(jobs, "run", lambda *a, compiled=None, **k: run(*a, **k))  # a new step at every start
    before, spent_before, weights_before, _ = drawn()
    assert len(made) == 2 + starts + 1  # draw's compiled step (unused here), then one a start
    assert (result.step, spent) == (before.step, spent_before)
    assert result.losses == pytest.approx(before.losses, rel=1e-6)
    for mine, theirs in zip(weights, weights_before):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method", ["gradient", "random_search"])
def test_the_runs_of_two_seeds_share_no_start(tmp_path, capsys, method):
    """A stalled drawing's next start is not the next seed's first, so runs at seeds 0 and 1 are
    two samples, not one shifted by a start (as with seed + 1, + 2, ... before)."""
    import re

    from tfart import perception
    from tfart.generators.strokes import Strokes
    judge = constant_judge(tmp_path)
    starts = {}
    for seed in (0, 1):
        perception.draw(Strokes(strokes=4, seed=seed), [judge], [1], method=method, budget=60, size=16,
                        patience=12, seed=seed, progress=True)
        starts[seed] = {seed} | {int(s) for s in re.findall(r"\(seed (\d+)\)", capsys.readouterr().err)}
    assert len(starts[0]) >= 4 and len(starts[1]) >= 4
    assert not starts[0] & starts[1]


@pytest.mark.parametrize("method, kind", [("gradient", "strokes"), ("gradient", "cppn"),
                                          ("random_search", "strokes"), ("random_search", "cppn")])
def test_by_default_each_method_and_generator_waits_its_own_patience(tmp_path, capsys, method, kind):
    """perception.PATIENCES: strokes, and a CPPN by gradient, start again after 150 evaluations
    without a rise, the rest (random search on a CPPN) after settings.PERCEPTION_PATIENCE; the
    flag's help says so."""
    from tfart import perception, settings
    from tfart.commands import perceive
    judge = constant_judge(tmp_path)
    drawing = perception.start(kind, 16, **({"strokes": 4} if kind == "strokes" else {}))
    wait = perception.patience_of(method, drawing)
    perception.draw(drawing, [judge], [1], method=method, budget=1300, size=16, progress=True)
    restarts = capsys.readouterr().err.count(f"stalled at p 0.500 for {wait} evaluations: starting again")
    assert wait == (settings.PERCEPTION_PATIENCE if (method, kind) == ("random_search", "cppn") else 150)
    # A start stalls after `wait` evaluations while `wait` are left of 1300: once at 600, about 7 times at 150.
    assert (restarts == 1) if wait == 600 else (restarts >= 6)
    assert f"150 for strokes and for gradient on a CPPN, {settings.PERCEPTION_PATIENCE} otherwise" \
        in perceive.FLAGS["patience"].help


def test_a_steady_climb_in_small_steps_is_not_a_stall():
    """Goal: a probability rising 0.005 an evaluation (each step under RISE, 0.02 every 4) keeps
    going; a flat one stalls after `patience` evaluations."""
    from tfart import perception
    for rise, stalls in ((0.005, False), (0.0, True)):
        goal = perception.Goal(None, 0.9, patience=30, left=1000)
        stalled = [goal.observe(0.04 + rise * spent, spent) or goal.stale(spent) for spent in range(100)]
        assert any(stalled) == stalls and goal.stalled == stalls
        assert goal.best == pytest.approx(0.04 + rise * 99)


@pytest.mark.parametrize("cost", [2.65, 2.76, 1.68, 3.0])
def test_a_stall_comes_after_the_same_steps_whatever_a_step_costs(cost):
    """Goal: a gradient drawing flat after a rise at step k stalls at step k + 5 when it waits 5
    steps at a measured cost per step (30 evaluations at the rule's 6), at every k: float rounding
    of (k + 5) * cost - k * cost does not add a step."""
    from tfart import perception
    for k in range(1, 200):
        goal = perception.Goal(None, 0.9, patience=30 / 6 * cost, left=10 ** 6, per_step=cost)
        goal.observe(0.05, 0)
        goal.observe(0.5, k * cost)  # the last rise
        stalls = [step for step in range(k + 1, k + 8)
                  if not goal.observe(0.5, step * cost) and goal.stale(step * cost)]
        assert stalls[0] == k + 5, k


def test_the_drawing_kept_is_the_start_that_ended_highest(tmp_path):
    """Never reaching the threshold, and (at a learning rate of 1e-12) never changing, each start
    stalls; the drawing kept is the start the judge liked best, not the last one."""
    import keras

    from tfart import classifiers, perception
    from tfart.generators.strokes import Strokes
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
    # p(class 1) rises with the drawing's brightness: below 0.5 for any ink on this paper.
    model.layers[-1].set_weights([np.array([[0, 20]] * 3, np.float32), np.array([0, -20 * 2.78], np.float32)])
    model.save(tmp_path / "bright.keras")
    judge = classifiers.Classifier(str(tmp_path / "bright.keras"))
    p = lambda drawing: classifiers.scores([judge], [1], drawing.image(16, 16))[0]  # noqa: E731
    drawing = Strokes(strokes=4, seed=0)
    perception.draw(drawing, [judge], [1], method="gradient", budget=90, size=16, patience=12, lr=1e-12,
                    progress=False)
    starts = [p(Strokes(strokes=4, seed=perception.restart_seed(0, attempt))) for attempt in range(5)]
    assert max(starts) - min(starts) > 0.01 and max(starts) < 0.9  # the starts differ, none reaches it
    assert np.argmax(starts) != 4  # the last start (90 evaluations, 12 a start while 12 are left) is not the best
    assert p(drawing) == pytest.approx(max(starts), abs=1e-4)


def test_a_cppn_drawing_starts_as_a_nearly_flat_tint_that_its_gradient_can_move():
    """perception.start: a CPPN at SMOOTH_START's weights (init_scale 3) opens with saturated
    pixels, where the sigmoid passes on little gradient; tfart-perceive's starts at 1, none."""
    from tfart import generators, perception
    for seed in range(3):
        drawing = perception.start("cppn", 32, seed=seed)
        image = np.asarray(drawing.image(32, 32))
        assert drawing.latent_dim == 0 and drawing.init_scale == 1.0
        assert 0.1 < image.min() and image.max() < 0.9 and image.std() > 0.05  # unsaturated, not blank
    busy = generators.make("cppn", 32, 32, seed=2, latent_dim=0)
    assert np.mean(np.abs(np.asarray(busy.image(32, 32)) - 0.5) > 0.48) > 0.1
    assert perception.start("cppn", 32, seed=0, init_scale=3.0).init_scale == 3.0  # own settings win


def centre_judge(tmp_path, size=32):
    """A two-class classifier of the 2 x 2 pixels at the centre: p(class 1) rises as they darken
    (about 0 where they are white, 1 where black)."""
    import keras
    from tfart import classifiers
    model = keras.Sequential([keras.Input((size, size, 3)), keras.layers.Cropping2D(size // 2 - 1),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
    model.layers[-1].set_weights([np.array([[0, -20]] * 3, np.float32), np.array([0, 30], np.float32)])
    model.save(tmp_path / "centre.keras")
    return classifiers.Classifier(str(tmp_path / "centre.keras"))


def test_a_gradient_step_sees_pen_strokes_blurred_so_a_stroke_away_from_what_the_judge_reads_is_pulled(tmp_path):
    """perception.PEN_STROKES: by gradient, pen strokes are judged sharp and blurred by 1/16 of the
    drawing's side, at lr 0.1, patience 90 (other strokes sharp only, at 0.05, 150); a bar 5 px
    from the pixels a judge reads gets a gradient through the blurred view, and next to none sharp.
    Reaching the threshold is judged on the drawing itself."""
    import tensorflow as tf

    from tfart import classifiers, objectives, perception
    from tfart.commands import perceive
    from tfart.generators.strokes import Strokes
    judge = centre_judge(tmp_path)
    bar = [[[-0.3, 0.3], [0.0, 0.3], [0.3, 0.3]]]  # 4.8 px below the centre at 32 px
    drawing = Strokes(strokes=1, style="pen")
    drawing.points.assign(bar)
    blur = perception.blur_of("gradient", drawing, 32)
    assert blur == 2.0 and perception.blur_of("random_search", drawing, 32) == 0
    assert perception.learning_rate_of(drawing) == 0.1
    for other in (Strokes(strokes=1, style="ink"), perception.start("cppn", 32)):
        assert perception.blur_of("gradient", other, 32) == 0
    assert perception.learning_rate_of(Strokes(strokes=1, style="ink")) == 0.05
    assert "--size / 16 for --style pen by gradient" in perceive.FLAGS["blur"].help
    # ... and wait 90 evaluations (15 steps of 6) for a rise, where other strokes wait 150
    assert perception.patience_of("gradient", drawing) == 90 == perception.PEN_STROKES["patience"]
    assert perception.patience_of("random_search", drawing) == 150
    pull = {}
    for sigma in (blur, 0.0):
        with tf.GradientTape() as tape:
            loss = perception.judged([judge], [1], blur=sigma)(objectives.Context(drawing.image(32, 32), {}))
        pull[sigma] = float(tf.norm(tape.gradient(loss, drawing.points)))
    assert pull[blur] > 1000 * pull[0.0]
    result, _ = perception.draw(drawing, [judge], [1], method="gradient", budget=90, size=32, patience=0,
                                progress=False)
    assert result.stopped == "target"
    assert classifiers.scores([judge], [1], drawing.image(32, 32))[0] >= 0.9


@pytest.mark.parametrize("method, transformed, wait, restarts", [("gradient", True, 90, 1), ("gradient", False, 30, 5),
                                                                 ("random_search", False, 60, 3)])
def test_pen_strokes_wait_less_for_a_rise_when_seen_without_random_transforms(tmp_path, capsys, method, transformed,
                                                                             wait, restarts):
    """perception.PEN_STROKES: a pen drawing by gradient seen through random transforms waits 90
    evaluations (15 steps of 6) for a rise, as drawn (--transforms none) 30 (5 steps), and random
    search 60 candidates; the flag's help says so."""
    from tfart import perception, transforms
    from tfart.commands import perceive
    from tfart.generators.strokes import Strokes
    judge = constant_judge(tmp_path)
    perception.draw(Strokes(strokes=2, style="pen"), [judge], [1], method=method, budget=240, size=16,
                    transform=transforms.jitter(1) if transformed else None, progress=True)
    err = capsys.readouterr().err
    # A start stalls `wait` evaluations after its first while `wait` are left: in 240, once at 90, 5 times at 30,
    # 3 times at 60 by random search (its 4th start has 60 left, none to spare).
    assert err.count(f"stalled at p 0.500 for {wait} evaluations: starting again") == err.count("stalled at") == restarts
    assert "90 for --style pen by gradient; with --transforms none, 30 and 60 by random search" \
        in perceive.FLAGS["patience"].help


@pytest.mark.parametrize("style, per_step, steps", [("ink", None, 20), ("pen", None, 10), ("pen", 5.0, 12)])
def test_a_gradient_step_counts_three_evaluations_per_image_judged(tmp_path, style, per_step, steps):
    """perception.step_cost: a step of ink strokes judges the drawing (3 evaluations); of pen
    strokes, the drawing and its blurred view (6); a benchmark may count what it measured."""
    from tfart import perception
    from tfart.generators.strokes import Strokes
    judge = constant_judge(tmp_path)
    result, spent = perception.draw(Strokes(strokes=2, style=style), [judge], [1], method="gradient", budget=60,
                                    size=16, patience=0, progress=False, per_step=per_step)
    assert (result.step, spent) == (steps, steps * (per_step or 60 / steps))
    assert perception.step_cost([judge, judge], blur=2.0) == 12


@pytest.mark.parametrize("per_step, patience", [(None, None), (1.5, None), (1.5, 150)])
def test_a_step_charged_what_it_measured_still_waits_the_tools_steps(tmp_path, capsys, per_step, patience):
    """draw's patience (its default, or one given) is counted in steps as step_cost counts them
    (150 evaluations of ink strokes: 50 steps of 3); a benchmark that charges a step what it
    measured (1.5) waits as many steps, 75 of its evaluations, so it starts drawings again where
    tfart-perceive does."""
    from tfart import perception
    from tfart.generators.strokes import Strokes
    judge = constant_judge(tmp_path)
    cost = per_step or 3
    result, spent = perception.draw(Strokes(strokes=2, style="ink"), [judge], [1], method="gradient",
                                    budget=110 * cost, size=16, per_step=per_step, patience=patience)
    # The first start stalls 50 steps after its first, at step 51; the second has 59 steps left, too few to stall.
    err = capsys.readouterr().err
    assert err.count(f"stalled at p 0.500 for {150 if per_step is None else 75:g} evaluations: starting again") == 1
    assert result.step == 110 and spent == pytest.approx(110 * cost)
