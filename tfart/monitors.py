"""Watchers of the optimization loop: progress bar, TensorBoard, time-lapse frames, checkpoints.

A monitor has on_start(run), on_step(run, loss, terms) and on_end(run, result); `run` is the
optimize.Run (generator, size, optimizer, step). Monitors own their I/O, the loop owns none.
"""
import os
import sys
import time

import numpy as np
import tensorflow as tf

from tfart import imaging
from tfart.errors import UserError, first_line
from tfart.progress import Progress


class Monitor:
    def on_start(self, run):
        pass

    def on_step(self, run, loss, terms):
        pass

    def on_end(self, run, result):
        pass


class ProgressBar(Monitor):
    """The step, the loss, each objective term and the time left, on stderr (see tfart.progress)."""

    def __init__(self, label="step", stream=None):
        self.label, self.stream = label, stream

    def on_start(self, run):
        self.bar = Progress(run.settings.steps, self.label, self.stream, start=run.step)

    def on_step(self, run, loss, terms):
        values = [("loss", loss)] + (list(terms.items()) if len(terms) > 1 else [])
        self.bar.update(run.step, values)

    def on_end(self, run, result):
        self.bar.close()


class TensorBoard(Monitor):
    """Scalars (loss and each term) every step and the image every `every` steps, to `logdir`."""

    def __init__(self, logdir, every=25):
        self.logdir, self.every = logdir, every

    def on_start(self, run):
        self.writer = tf.summary.create_file_writer(self.logdir)

    def on_step(self, run, loss, terms):
        with self.writer.as_default(step=run.step):
            tf.summary.scalar("loss", loss)
            for name, value in terms.items():
                tf.summary.scalar(f"terms/{name}", value)
            if run.step % self.every == 0 or run.step == run.settings.steps:
                tf.summary.image("image", run.image()[None])

    def on_end(self, run, result):
        self.writer.flush()


class Timelapse(Monitor):
    """Frames every `every` steps (and the first and last), written as a GIF/MP4 at the end.

    One Timelapse watching several runs in turn (DeepDream's octaves) makes one animation of
    them all, rewritten at the end of each."""

    def __init__(self, path, every=10, fps=12, grey=False):
        self.path, self.every, self.fps, self.frames, self.grey = path, every, fps, [], grey

    def _frame(self, run):
        image = run.image()
        return imaging.to_uint(imaging.luminance(image) if self.grey else image)

    def on_start(self, run):
        if not self.frames:  # a later run starts where the last one's final frame ended
            self.frames.append(self._frame(run))

    def on_step(self, run, loss, terms):
        if run.step % self.every == 0:
            self.frames.append(self._frame(run))

    def on_end(self, run, result):
        if run.step % self.every:
            self.frames.append(self._frame(run))
        imaging.save_animation(self.path, self.frames, fps=self.fps, flag="--timelapse")


def restore(checkpoint, path, mismatch):
    """Restore every variable of `checkpoint` from the checkpoint at `path`, or raise a UserError
    `mismatch: why` (a checkpoint of another generator, size or architecture). A file that cannot
    be read (truncated, corrupt, or gone: a run killed as it saved) raises Unreadable."""
    try:
        status = checkpoint.restore(path)
        # Values this run has no use for (Adam's slots when resuming with L-BFGS, a manager's save
        # counter) are dropped quietly; TensorFlow would otherwise warn about each one at exit.
        status.expect_partial()
        # Every variable of this run must come from the checkpoint: another architecture raises
        # here instead of resuming from a half-restored state.
        status.assert_existing_objects_matched()
    except (IndexError, tf.errors.DataLossError, tf.errors.OutOfRangeError, tf.errors.NotFoundError) as e:
        raise Unreadable(first_line(e, 120)) from None
    except (ValueError, AssertionError, tf.errors.OpError) as e:
        # The half-done restore would warn about every value it left, at exit.
        from absl import logging
        logging.set_verbosity(logging.ERROR)
        tf.get_logger().setLevel("ERROR")
        raise UserError(f"{mismatch}: {first_line(e, 120)}") from None


class Unreadable(Exception):
    """A checkpoint file that cannot be read: truncated or corrupt."""


def restore_newest(checkpoint, manager, mismatch, flag="--resume"):
    """Restore the newest checkpoint of `manager` that can be read, saying which one when a newer
    one could not be; a UserError naming `flag` when there is none. Returns its path."""
    paths = list(reversed(manager.checkpoints))
    if not paths:
        raise UserError(f"{flag}: no checkpoint in {manager.directory!r}")
    skipped = []
    for path in paths:
        try:
            restore(checkpoint, path, mismatch)
        except Unreadable as e:
            skipped.append(f"{os.path.basename(path)} ({e})")
            continue
        if skipped:
            print(f"{flag}: {', '.join(skipped)} cannot be read; resuming from {os.path.basename(path)}",
                  file=sys.stderr)
        return path
    raise UserError(f"{flag}: no checkpoint in {manager.directory!r} can be read: {'; '.join(skipped)}")


def weights_of(model):
    """Every variable of a Keras model, as a list that tf.train.Checkpoint tracks. Keras 3 (3.15)
    keeps a layer's sublayers in its own list type, which TensorFlow's checkpoints do not follow:
    a checkpoint of the model object alone holds only the variables set as attributes (a CPPN's
    head and z, not its body). Adam's checkpoint held the rest by chance, through its own list of
    the variables it trains; a run without Adam (L-BFGS) resumed with its body at the initial
    weights. Listed here, they are saved whatever else is."""
    return list(model.variables)


class Checkpointer(Monitor):
    """tf.train.Checkpoint of the generator, optimizer and step every `every` steps and at the end
    (at the end of a run shorter than `every` only when it was interrupted).

    `resume()` before the loop restores the last checkpoint and returns its step. The optimizer
    (None for L-BFGS, which keeps no state between runs) is built for `variables` first, so that
    its slots exist to be restored.
    """

    def __init__(self, directory, generator, optimizer=None, every=50, variables=None):
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False)
        parts = {"generator": generator, "weights": weights_of(generator), "step": self.step}
        if optimizer is not None:
            optimizer.build(variables if variables is not None else generator.trainable_variables)
            parts["optimizer"] = optimizer
        self.checkpoint = tf.train.Checkpoint(**parts)
        self.directory = directory
        self.manager = tf.train.CheckpointManager(self.checkpoint, directory, max_to_keep=2)
        self.every = every

    def resume(self):
        """Restore the newest readable checkpoint: its step, or a UserError naming --resume."""
        restore_newest(self.checkpoint, self.manager,
                       f"--resume: the checkpoint in {self.directory!r} does not fit these flags "
                       "(size, parameterization, --train, --optimizer)")
        return int(self.step.numpy())

    def _save(self, run):
        self.step.assign(run.step)
        self.manager.save(checkpoint_number=run.step)

    def on_step(self, run, loss, terms):
        if run.step % self.every == 0:
            self._save(run)

    def on_end(self, run, result):
        # A run shorter than `every` steps that ended by itself needs no checkpoint folder; one
        # that was interrupted, or that has checkpoints already, gets its last state saved.
        if result.stopped == "interrupted" or (result.stopped != "non-finite" and self.manager.latest_checkpoint):
            self._save(run)


class History(Monitor):
    """Keeps every step's terms, and the time.perf_counter() it ended at, in memory (for tests,
    benchmarks and plots)."""

    def __init__(self):
        self.terms, self.times = [], []

    def on_step(self, run, loss, terms):
        self.terms.append(dict(terms, loss=loss))
        self.times.append(time.perf_counter())

    def column(self, name):
        return np.array([t[name] for t in self.terms])
