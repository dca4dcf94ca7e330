"""The non-differentiable baseline: random search over a generator's parameters.

Tom White's Perception Engines change a drawing's parameters at random and keep a variant when
the classifiers like it better. `random_search` does that to the same variables that gradient
descent trains, against the same objective (lower is better), so the two compare directly. Its
cost is counted in classifier evaluations: the start is one, each candidate one more (two when
paired under random transforms, see random_search). A gradient step costs one forward and one
backward pass; benchmarks/search_vs_gradient.py measures what that is in forward-pass units.
"""
import dataclasses
import typing

import numpy as np
import tensorflow as tf

from tfart import interrupts, optimize, transforms
from tfart.errors import UserError
from tfart.progress import Progress


@dataclasses.dataclass
class SearchResult:
    """How a search ended: its best loss, the loss it started from, evaluations used, the best
    loss after each candidate, why it stopped ('done', 'target', 'stalled' or 'interrupted'), and
    how many candidates were kept."""
    loss: float
    start: float
    evaluations: int
    history: list
    stopped: str = "done"
    kept: int = 0


# Classifier evaluations (forward passes) one gradient step is counted as: a forward and a
# backward pass, the backward costing about two forwards. benchmarks/search_vs_gradient.py
# measures the ratio on its classifier and prints it.
GRADIENT_STEP_COST = 3.0


class Compiled(typing.NamedTuple):
    """What `compiled` returns: the generator it was made for, and its two functions."""
    generator: object
    render: object
    loss: object


def compiled(generator, objective, backbone, height, width):
    """Compiled(generator, render, loss): `generator`'s drawing and an image's loss under
    `objective`, as compiled functions. random_search traces them once a call; a caller that
    searches the same generator against the same objective again passes them back
    (perception.draw, starting a stalled drawing again from new values of the same variables), so
    they are not traced again: traced afresh, they took a third of a search's time with 24 fresh
    starts (6 pen strokes, the glyph judge)."""
    render = tf.function(lambda: generator.image(height, width))
    loss = tf.function(lambda image: tf.add_n(list(optimize.score(image, objective, backbone, height, width).values())))
    return Compiled(generator, render, loss)


def random_search(generator, objective, backbone, height, width, budget, fraction=0.1, scale=0.1,
                  seed=0, part="weights", target=None, progress=False, stop=None, stalled=None, paired=False,
                  functions=None):
    """Minimise `objective` by random perturbations of `generator`'s variables; a SearchResult.

    budget: classifier evaluations in all (>= 1). Each candidate adds Gaussian noise of
    `scale` x (the variable's spread, at least 0.1) to a random `fraction` of every variable's
    entries; it is kept if its loss is lower, else the variables go back. target: stop once the
    loss is at most this; stop: a function of the evaluations spent, asked after every
    improvement, that ends the search when it returns True (stopped 'target'); stalled: one
    asked after every candidate, that ends it as 'stalled'. The generator ends holding the best
    candidate, never a worse one than it started with.
    paired: for an objective that draws random transforms. A candidate scored on a lucky draw
      would be kept against a best scored on another draw, and the search would keep chance, not
      better drawings; paired, every candidate and the best so far are scored on the same draws
      (common random numbers, transforms.replay). A candidate then costs two evaluations, and the
      loss reported after it is the best's on that draw, an honest estimate, not the luckiest.
    functions: compiled(generator, objective, backbone, height, width) of an earlier call, for this
      generator, to use again (None: compiled here; for another generator, a ValueError).
    """
    if int(budget) < 1:
        raise UserError(f"--budget: must be at least 1 classifier evaluation, got {budget}")
    if not 0 < fraction <= 1 or not scale > 0:
        raise UserError(f"random search: fraction must be in (0, 1] and scale > 0, got {fraction}, {scale}")
    rng = np.random.default_rng(seed)
    variables = generator.variables_to_train(part)
    spreads = [max(float(np.std(v.numpy())) if np.size(v.numpy()) else 0.0, 0.1) for v in variables]

    if functions is not None and functions.generator is not generator:
        raise ValueError("random_search: the functions were compiled for another generator")
    _, render, loss = functions or compiled(generator, objective, backbone, height, width)
    best_image = render()
    best = float(loss(best_image))
    result = SearchResult(loss=best, start=best, evaluations=1, history=[best])
    bar = Progress(int(budget), "evaluation") if progress else None
    kept = [v.numpy() for v in variables]  # the best state so far
    cost = 2 if paired else 1
    try:
        with interrupts.between_steps() as check:
            while result.evaluations + cost <= budget and not (target is not None and result.loss <= target) \
                    and result.stopped == "done":
                for v, value, spread in zip(variables, kept, spreads):
                    mask = rng.random(v.shape) < fraction
                    v.assign(value + mask * rng.normal(0.0, scale * spread, v.shape).astype(np.float32))
                image = render()
                if paired:
                    with transforms.replay():
                        candidate = float(loss(image))
                    result.loss = float(loss(best_image))  # the same draws
                else:
                    candidate = float(loss(image))
                result.evaluations += cost
                if np.isfinite(candidate) and candidate < result.loss:
                    result.loss, kept, best_image = candidate, [v.numpy() for v in variables], image
                    result.kept += 1
                    if stop is not None and stop(result.evaluations):
                        result.stopped = "target"
                if result.stopped == "done" and stalled is not None and stalled(result.evaluations):
                    result.stopped = "stalled"
                result.history.append(result.loss)
                if bar:
                    bar.update(result.evaluations, [("loss", result.loss)])
                check()
    except KeyboardInterrupt:
        result.stopped = "interrupted"
    for v, value in zip(variables, kept):  # the last candidate may have been worse
        v.assign(value)
    if bar:
        bar.close()
    if result.stopped == "done" and target is not None and result.loss <= target:
        result.stopped = "target"
    return result
