"""Watchers of the optimization loop: progress bar, TensorBoard, time-lapse frames, checkpoints.

A monitor has on_start(run), on_step(run, loss, terms) and on_end(run, result); `run` is the
optimize.Run (generator, size, optimizer, step). Monitors own their I/O, the loop owns none.
"""
import os

import keras
import numpy as np
import tensorflow as tf

from tfart import imaging


class Monitor:
    def on_start(self, run):
        pass

    def on_step(self, run, loss, terms):
        pass

    def on_end(self, run, result):
        pass


class ProgressBar(Monitor):
    """A progress bar with the loss, each objective term and the ETA."""

    def on_start(self, run):
        self.bar = keras.utils.Progbar(run.settings.steps, stateful_metrics=None, unit_name="step")
        self.bar.update(run.step)

    def on_step(self, run, loss, terms):
        values = [("loss", loss)] + ([(k, v) for k, v in terms.items()] if len(terms) > 1 else [])
        self.bar.stateful_metrics.update(k for k, _ in values)  # show current values, not running means
        self.bar.update(run.step, values=values, finalize=run.step >= run.settings.steps)


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
    """Frames every `every` steps (and the first and last), written as a GIF/MP4 at the end."""

    def __init__(self, path, every=10, fps=12):
        self.path, self.every, self.fps, self.frames = path, every, fps, []

    def on_start(self, run):
        self.frames.append(imaging.to_uint(run.image()))

    def on_step(self, run, loss, terms):
        if run.step % self.every == 0:
            self.frames.append(imaging.to_uint(run.image()))

    def on_end(self, run, result):
        if run.step % self.every:
            self.frames.append(imaging.to_uint(run.image()))
        imaging.save_animation(self.path, self.frames, fps=self.fps, flag="--timelapse")


class Checkpointer(Monitor):
    """tf.train.Checkpoint of the generator, optimizer and step every `every` steps and at the end.

    `restore()` before the loop returns the step to resume from (0 when there is no checkpoint).
    """

    def __init__(self, directory, generator, optimizer, every=50):
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.checkpoint = tf.train.Checkpoint(generator=generator, optimizer=optimizer, step=self.step)
        self.manager = tf.train.CheckpointManager(self.checkpoint, directory, max_to_keep=2)
        self.every = every

    def restore(self):
        if self.manager.latest_checkpoint is None:
            return 0
        # Every variable of this run must come from the checkpoint: a checkpoint of another
        # generator or size raises here instead of resuming from a half-restored state.
        self.checkpoint.restore(self.manager.latest_checkpoint).assert_existing_objects_matched()
        return int(self.step.numpy())

    def _save(self, run):
        self.step.assign(run.step)
        self.manager.save(checkpoint_number=run.step)

    def on_step(self, run, loss, terms):
        if run.step % self.every == 0:
            self._save(run)

    def on_end(self, run, result):
        if result.stopped != "non-finite":
            self._save(run)


class History(Monitor):
    """Keeps every step's terms in memory (for tests, benchmarks and plots)."""

    def __init__(self):
        self.terms = []

    def on_step(self, run, loss, terms):
        self.terms.append(dict(terms, loss=loss))

    def column(self, name):
        return np.array([t[name] for t in self.terms])
