"""THE loop: every job trains some of a generator's variables against an objective.

    result = optimize(generator, objective, backbone, height=256, width=256,
                      settings=Settings(steps=300, lr=0.02, train="weights"), monitors=[...])

One compiled `tf.function` step renders the image, applies the random transforms, runs the
frozen backbone, evaluates the objective, and updates the chosen variables. It is traced once;
per step, Python only reads the loss and calls the monitors. The step keeps a copy of the
variables from before its update. When the loss turns non-finite, the variables go back to that
copy (the last state whose loss was finite); when only a gradient does, the current state (whose
loss is finite) is kept. Either way the loop stops there. The tape watches only the variables
being trained: the frozen backbone's are never recorded.
"""
import dataclasses

import keras
import numpy as np
import tensorflow as tf

from tfart import imaging, interrupts, lbfgs
from tfart.errors import UserError
from tfart.objectives import Context
# Settings needs no TensorFlow (the commands define their flags from it before it loads).
from tfart.settings import OPTIMIZERS, SCHEDULES, Settings  # noqa: F401  (re-exported)


class StopRun(Exception):
    """Raised by a monitor's on_step to end the run there, its goal reached (stopped 'target')."""


@dataclasses.dataclass
class Result:
    """What a run ended with: the last step done, the loss history, why it stopped."""
    step: int
    losses: list
    stopped: str = "done"   # 'done', 'target' (a monitor's goal), 'interrupted' or 'non-finite'
    run: object = None      # the Run, with its compiled step_fn

    @property
    def loss(self):
        return self.losses[-1] if self.losses else float("nan")


class Run:
    """The state monitors see: generator, canvas size, optimizer and the step counter."""

    def __init__(self, generator, height, width, optimizer, step, settings, step_fn=None):
        self.generator, self.height, self.width = generator, height, width
        self.optimizer, self.step, self.settings = optimizer, step, settings
        self.step_fn = step_fn

    def image(self):
        """The current image: [H, W, 3] float32 in [0, 1] (a batch's contact sheet)."""
        return imaging.batch_image(self.generator.image(self.height, self.width).numpy())


def make_optimizer(settings):
    lr = settings.lr
    if settings.schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(settings.lr, max(1, settings.steps), alpha=0.05)
    return keras.optimizers.Adam(learning_rate=lr)


def evaluate(generator, objective, backbone, height, width, transform=None, offset=None, training=False):
    """Render the image, show it (transformed) to the backbone, and evaluate: {term: scalar}.

    With a transform, the objective's reference images are stacked under the canvas and
    transformed with it in one batch, so that they see the same random shift, scale and rotation.
    offset: (dx, dy) in pixels, where within each pixel a resolution-free generator is sampled.
    training: the generator's training pictures and its own terms (Generator.training_image: a
    cellular automaton's pool rollouts and overflow term) instead of its canvas.
    """
    if not training:
        return score(generator.image(height, width, offset=offset), objective, backbone, height, width, transform)
    image, own = generator.training_image(height, width, offset=offset)
    return {**score(image, objective, backbone, height, width, transform), **own}


def score(image, objective, backbone, height, width, transform=None):
    """Evaluate an H x W image [B, H, W, 3] as `evaluate` does a generator's: {term: scalar}."""
    if backbone is None or not objective.layers:
        return objective.terms(Context(image=image, features={}))
    if transform is None:
        return objective.terms(Context(image=image, features=backbone(image)))
    names = list(objective.references)
    for name in names:
        if tuple(objective.references[name].shape[1:3]) != (height, width):
            raise UserError(f"{name}: the image is {objective.references[name].shape[2]}x"
                            f"{objective.references[name].shape[1]} but the canvas is {width}x{height}; "
                            "random transforms need them the same size")
    batch = tf.concat([image] + [objective.references[n] for n in names], axis=0)
    features = backbone(transform(batch))
    count = tf.shape(image)[0]
    own = {layer: value[:count] for layer, value in features.items()}
    references = {n: {layer: value[count + i:count + i + 1] for layer, value in features.items()}
                  for i, n in enumerate(names)}
    return objective.terms(Context(image=image, features=own, references=references or None))


def loss_and_gradients(terms_fn, variables):
    """(loss, terms, d loss / d variables) for terms_fn() -> {term: scalar}, the loss their sum;
    zeros for variables the loss does not reach.

    The tape watches `variables` alone, not every variable the computation touches (Keras
    leaves a frozen backbone's TensorFlow variables trainable, so a default tape records them).
    """
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch([getattr(v, "value", v) for v in variables])  # Keras variables wrap tf ones
        terms = terms_fn()
        loss = tf.add_n(list(terms.values()))
    grads = tape.gradient(loss, variables)
    return loss, terms, [tf.zeros_like(v) if g is None else g for g, v in zip(grads, variables)]


def make_step(generator, objective, backbone, height, width, variables, optimizer,
              transform=None, settings=None, last_good=None):
    """The compiled training step: () -> (loss, {term: value}, applied).

    last_good: variables like `variables` that the step keeps the state before its last applied
    update in (the state whose loss was finite; made here from `variables` when None)."""
    settings = settings or Settings()
    last_good = last_good or [tf.Variable(v, trainable=False) for v in variables]

    def step():
        offset = tf.random.uniform([2], -0.5, 0.5) if settings.subpixel else None
        loss, terms, grads = loss_and_gradients(
            lambda: evaluate(generator, objective, backbone, height, width, transform, offset, training=True), variables)
        if settings.normalize_gradients:
            grads = [g / (tf.norm(g) + 1e-8) for g in grads]
        if settings.clip_norm:
            grads, _ = tf.clip_by_global_norm(grads, settings.clip_norm)
        loss_finite = tf.math.is_finite(loss)
        finite = loss_finite
        for g in grads:
            finite = tf.logical_and(finite, tf.reduce_all(tf.math.is_finite(g)))

        def apply():
            for keep, v in zip(last_good, variables):
                keep.assign(v)
            optimizer.apply_gradients(zip(grads, variables))
            return tf.constant(True)

        def restore():
            # A finite loss means this state is good and only its gradient is not: keep it.
            for keep, v in zip(last_good, variables):
                v.assign(tf.where(loss_finite, v, keep))
            return tf.constant(False)
        applied = tf.cond(finite, apply, restore)
        return loss, terms, applied

    return tf.function(step, jit_compile=settings.jit_compile)


@dataclasses.dataclass
class Compiled:
    """An Adam optimizer and the step compiled with it (make_step), kept for optimizing the same
    variables again from new values: perception.draw's fresh starts, which traced a step each
    (a CPPN drawing started 9 times: 16 traces, 4.2 s of 14.2 s). `restart()`, called once the
    variables hold their new values, puts the optimizer back as it was before its first step (no
    moments, iteration 0) and the step's last good state at the new values, so a run after it is
    the run a new optimizer and step would give. `settings` are those it was compiled with."""
    optimizer: object
    step: object
    settings: Settings
    variables: list
    last_good: list
    fresh: list

    def restart(self):
        for variable, value in zip(self.optimizer.variables, self.fresh):
            variable.assign(value)
        for keep, variable in zip(self.last_good, self.variables):
            keep.assign(variable)


def compiled_step(generator, objective, backbone, height, width, settings, transform=None):
    """A Compiled Adam step of `generator`'s settings.train variables against `objective`, for
    optimize's `compiled` (settings' steps count only for a cosine schedule's length)."""
    variables = generator.variables_to_train(settings.train)
    optimizer = make_optimizer(settings)
    optimizer.build(variables)
    last_good = [tf.Variable(v, trainable=False) for v in variables]
    step = make_step(generator, objective, backbone, height, width, variables, optimizer, transform, settings,
                     last_good)
    return Compiled(optimizer, step, settings, variables, last_good, [v.numpy() for v in optimizer.variables])


def check(generator, settings, transform=None):
    """Raise a UserError naming the flag unless `settings` can optimize `generator` (with `transform`)."""
    settings.check()
    if settings.subpixel and not generator.resolution_free:
        raise UserError("--subpixel: pixel and fft images have a fixed size, with nothing between their "
                        "pixels; it needs a resolution-free generator")
    if settings.optimizer == "lbfgs" and getattr(generator, "stochastic", False):
        raise UserError(f"--optimizer lbfgs: needs a deterministic objective; the {generator.name} generator's "
                        "training runs are random (use adam)")
    if settings.optimizer == "lbfgs" and (transform is not None or settings.subpixel):
        fixes = ["--transforms none"] * (transform is not None) + ["--nosubpixel"] * settings.subpixel
        raise UserError(f"--optimizer lbfgs: needs a deterministic objective; use {' and '.join(fixes)}")


def optimize(generator, objective, backbone=None, height=256, width=256, settings=None,
             transform=None, monitors=(), start_step=0, optimizer=None, compiled=None):
    """Minimise `objective` over the chosen variables of `generator` for settings.steps steps.

    Monitors get on_start(run), on_step(run, loss, terms) and on_end(run, result). Ctrl-C ends the
    loop cleanly (result.stopped == 'interrupted') so callers can save the current image.
    compiled: a compiled_step of the same generator, objective, size, transform and settings, whose
    optimizer and step are used as they are (the caller restarts it where it should start afresh).
    """
    settings = settings or Settings()
    check(generator, settings, transform)
    variables = generator.variables_to_train(settings.train)
    if compiled is not None:
        same = dataclasses.replace(settings, steps=0) == dataclasses.replace(compiled.settings, steps=0)
        if not same or [id(v) for v in variables] != [id(v) for v in compiled.variables]:
            raise ValueError("optimize: the compiled step was made for other settings or other variables")
    if settings.optimizer == "lbfgs":
        run = Run(generator, height, width, None, start_step, settings)
        return _loop(run, _lbfgs_steps(generator, objective, backbone, height, width, variables,
                                       settings.steps - start_step), monitors)
    if compiled is not None:
        optimizer, step_fn = compiled.optimizer, compiled.step
    else:
        optimizer = optimizer or make_optimizer(settings)
        if not optimizer.built:  # its slots exist before tracing, so the step is traced once
            optimizer.build(variables)
        step_fn = make_step(generator, objective, backbone, height, width, variables, optimizer,
                            transform, settings)
    run = Run(generator, height, width, optimizer, start_step, settings, step_fn)
    return _loop(run, _adam_steps(step_fn, settings.steps - start_step), monitors)


def _adam_steps(step_fn, steps):
    """One (loss, terms, ok) per compiled step."""
    for _ in range(steps):
        loss, terms, applied = step_fn()
        yield float(loss), terms, bool(applied)
        if not bool(applied):
            return


def _lbfgs_steps(generator, objective, backbone, height, width, variables, steps):
    """One (loss, terms, ok) per accepted L-BFGS iteration (see tfart.lbfgs)."""
    def terms_fn():
        return evaluate(generator, objective, backbone, height, width)

    def value_and_gradients():
        loss, _, grads = loss_and_gradients(terms_fn, variables)
        return loss, grads
    terms = tf.function(terms_fn)
    for loss in lbfgs.minimize(value_and_gradients, variables, steps):
        ok = bool(np.isfinite(loss))
        yield loss, terms() if ok else {}, ok


def _loop(run, steps, monitors):
    """Drive `steps` to the end (or Ctrl-C, or a non-finite loss), telling the monitors."""
    result = Result(step=run.step, losses=[], run=run)
    for m in monitors:
        m.on_start(run)
    try:
        with interrupts.between_steps() as check:
            for loss, terms, ok in steps:
                if not ok:
                    result.stopped = "non-finite"
                    result.losses.append(loss)
                    break
                run.step += 1
                result.step = run.step
                result.losses.append(loss)
                values = {k: float(v) for k, v in terms.items()}
                for m in monitors:
                    m.on_step(run, loss, values)
                check()
    except KeyboardInterrupt:
        result.stopped = "interrupted"
    except StopRun:
        result.stopped = "target"
    for m in monitors:
        m.on_end(run, result)
    return result
