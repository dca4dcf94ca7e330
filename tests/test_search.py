"""Random search, the baseline: never worse than its start, within its budget, and it improves."""
import numpy as np
import pytest
import tensorflow as tf

from tfart import objectives, search
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


def test_a_candidate_that_is_not_better_is_undone():
    g = Strokes(strokes=50, seed=0)
    before = g.points.numpy().copy()
    never_better = objectives.Objective(lambda ctx: tf.reduce_mean(ctx.image) * 0.0, "flat")
    search.random_search(g, never_better, None, 8, 8, budget=2, fraction=0.1)
    np.testing.assert_array_equal(g.points.numpy(), before)
