"""Random search, the baseline: never worse than its start, within its budget, and it improves."""
import numpy as np
import pytest
import tensorflow as tf

from tfart import objectives, search, transforms
from tfart.errors import UserError
from tfart.generators.strokes import Strokes


def target_image():
    y, x = np.mgrid[0:24, 0:24] / 24
    return np.stack([x, y, 1 - x], -1)[None].astype("float32")


def test_random_search_is_never_worse_than_its_start_and_respects_the_budget():
    g = Strokes(strokes=8, style="marker", seed=0)
    objective = objectives.reconstruction(target_image())
    start = float(objective(objectives.Context(image=g.image(24, 24), features={})))
    result = search.random_search(g, objective, None, 24, 24, budget=60, seed=1)
    assert result.evaluations == 60 and len(result.history) == 60
    assert result.start == pytest.approx(start, rel=1e-6)
    assert all(b <= a for a, b in zip(result.history, result.history[1:]))  # the best only improves
    assert result.loss < start  # 59 tries find something better at this scale
    # The generator holds the best candidate found, not the last one tried.
    final = float(objective(objectives.Context(image=g.image(24, 24), features={})))
    assert final == pytest.approx(result.loss, rel=1e-5)


def test_random_search_stops_at_its_target_and_refuses_a_bad_budget():
    g = Strokes(strokes=4, seed=0)
    objective = objectives.reconstruction(target_image())
    result = search.random_search(g, objective, None, 24, 24, budget=1000, target=1e9)
    assert result.stopped == "target" and result.evaluations == 1
    with pytest.raises(UserError, match="--budget: must be at least 1"):
        search.random_search(g, objective, None, 24, 24, budget=0)


def test_a_search_started_again_reuses_its_compiled_functions_and_finds_the_same():
    """search.compiled: a caller searching the same drawing again (perception.draw's fresh starts)
    passes the functions back; they are not traced again, and the search is the one it would be."""
    objective = objectives.reconstruction(target_image())
    fresh = Strokes(strokes=8, style="marker", seed=0)
    alone = search.random_search(fresh, objective, None, 24, 24, budget=30, seed=1)
    g = Strokes(strokes=8, style="marker", seed=0)
    functions = search.compiled(g, objective, None, 24, 24)
    first = search.random_search(g, objective, None, 24, 24, budget=30, seed=1, functions=functions)
    assert first.history == pytest.approx(alone.history, rel=1e-6)
    g.set_weights(Strokes(strokes=8, style="marker", seed=5).get_weights())  # a new start, the same variables
    search.random_search(g, objective, None, 24, 24, budget=30, seed=2, functions=functions)
    assert [f.experimental_get_tracing_count() for f in (functions.render, functions.loss)] == [1, 1]
    with pytest.raises(ValueError, match="another generator"):
        search.random_search(fresh, objective, None, 24, 24, budget=30, functions=functions)


def test_a_candidate_that_is_not_better_is_undone():
    g = Strokes(strokes=50, seed=0)
    before = g.points.numpy().copy()
    never_better = objectives.Objective(lambda ctx: tf.reduce_mean(ctx.image) * 0.0, "flat")
    search.random_search(g, never_better, None, 8, 8, budget=2, fraction=0.1)
    np.testing.assert_array_equal(g.points.numpy(), before)


def test_under_random_transforms_a_paired_search_keeps_no_lucky_draw():
    # The reproduction: candidates that change nothing, an objective that draws transforms.
    ramp = tf.constant(np.linspace(0, 1, 25 * 25 * 3).reshape(1, 25, 25, 3), tf.float32)
    moved = transforms.standard(24)  # 24 px in, 25 px out: pad, jitter, scale, rotate, jitter
    noisy = objectives.Objective(lambda ctx: tf.reduce_mean(tf.square(moved(ctx.image) - ramp)), "noisy")
    transforms.seed(0)
    unpaired = search.random_search(Strokes(strokes=8, style="marker", seed=0), noisy, None, 24, 24,
                                    budget=40, scale=1e-12, seed=1)
    assert unpaired.kept > 0 and unpaired.loss < unpaired.start  # chance kept as progress, before pairing
    g = Strokes(strokes=8, style="marker", seed=0)
    paired = search.random_search(g, noisy, None, 24, 24, budget=79, scale=1e-12, seed=1, paired=True)
    assert paired.kept == 0 and paired.evaluations == 79 and len(paired.history) == 40
    # What it reports is the best's loss on fresh draws: unbiased, unlike the unpaired search's.
    image = g.image(24, 24)
    truth = np.array([float(noisy(objectives.Context(image=image, features={}))) for _ in range(200)])
    error = truth.std() / np.sqrt(len(paired.history))
    assert abs(np.mean(paired.history) - truth.mean()) < 4 * error
    assert unpaired.loss < truth.mean() - 4 * error


def test_a_paired_search_still_finds_better_drawings():
    moved = transforms.compose(transforms.pad(2), transforms.jitter(4))  # a shift of up to 2 px either way
    noisy = objectives.Objective(lambda ctx: tf.reduce_mean(tf.square(moved(ctx.image) - target_image())), "noisy")

    def expected(g):  # the loss over many draws
        transforms.seed(3)
        image = g.image(24, 24)
        return np.mean([float(noisy(objectives.Context(image=image, features={}))) for _ in range(50)])
    g = Strokes(strokes=8, style="marker", seed=0)
    start = expected(g)
    result = search.random_search(g, noisy, None, 24, 24, budget=81, seed=1, paired=True)
    assert result.kept > 0 and result.evaluations == 81
    assert expected(g) < 0.99 * start  # 0.300 -> 0.292 in 40 candidates
