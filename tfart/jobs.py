"""The runner every optimization job composes on.

A job chooses a generator, an objective and a backbone; the runner does the rest, the same way
for every job:

    result = jobs.run(generator, objective, backbone, height=256, width=256,
                      settings=Settings(steps=300),
                      outputs=Outputs(png="out/a.png", timelapse="out/a.gif", export="out/a_model"),
                      init=Init(image=photo))

1. it checks every output path (and the settings) before any work;
2. it resumes from `outputs.checkpoints` when asked;
3. it starts the generator from `init` (pixels take the image; a CPPN is fitted to it, as a
   stage of its own with its own progress line), then, when asked, optimizes a resolution-free
   generator on a smaller canvas first (`coarse`: the same generator, so nothing is resampled);
4. it runs THE loop (tfart.optimize) with the monitors the outputs ask for;
5. it writes the PNG (after `outputs.postprocess`), the upscaled render and the SavedModel,
   each atomically, and returns why it stopped. On Ctrl-C or a non-finite loss it still writes
   the last good image (and the time-lapse so far), and nothing else.
"""
import dataclasses
import math
import os
from typing import Callable, Optional

import numpy as np

from tfart import export, imaging, monitors, objectives, optimize, rendering
from tfart.errors import UserError


@dataclasses.dataclass
class Outputs:
    """What a job writes. Every path is checked before any work; None means "not wanted"."""
    png: Optional[str] = None          # the final image
    timelapse: Optional[str] = None    # .gif or .mp4 of the optimization
    timelapse_every: int = 10          # steps between its frames
    logdir: Optional[str] = None       # TensorBoard scalars and images
    checkpoints: Optional[str] = None  # folder of tf.train checkpoints (needed for resume)
    checkpoint_every: int = 50         # steps between checkpoints (0: none)
    resume: bool = False               # continue from the last checkpoint in `checkpoints`
    upscale: int = 0                   # also render at this many times the size, as PNG_xN.png
    export: Optional[str] = None       # SavedModel folder of the trained generator
    postprocess: Optional[Callable] = None  # [H, W, 3] float in [0, 1] -> the same, before writing
    grey: bool = False                 # written in luminance (a one-channel backbone's pictures), time-lapse too
    animation: Optional[str] = None    # .gif or .mp4 of a finished cellular automaton growing from its seed
    animation_frames: int = 48         # its frames, spread over the automaton's render_steps
    damage: bool = False               # the animation runs twice as long and erases a disc in its middle
    about: dict = dataclasses.field(default_factory=dict)  # recorded in the SavedModel's config()
    labels: Optional[list] = None      # a batch's PNG is a contact sheet; these label its images
    progress: bool = True              # progress lines on stderr
    label: str = "step"                # what the progress line counts

    def upscaled_png(self):
        stem, suffix = os.path.splitext(self.png)
        return f"{stem}_x{self.upscale}{suffix}"

    def check(self, generator=None, height=None, width=None):
        """Raise a UserError naming the flag unless every output can be written."""
        if self.png is not None:
            if not self.png.lower().endswith(".png"):
                raise UserError(f"--out: expected a .png file, got {self.png!r}")
            imaging.check_writable(self.png, "--out")
        if self.timelapse:
            imaging.check_animation_path(self.timelapse, "--timelapse")
        if self.animation:
            imaging.check_animation_path(self.animation, "--out")
            if generator is not None and not generator.animated:
                raise UserError(f"--out: {self.animation!r}: only a cellular automaton (nca) runs as an animation; "
                                "the optimization's time-lapse is --timelapse")
            if generator is not None:
                steps = generator.render_steps * (2 if self.damage else 1)
                if not 1 <= self.animation_frames <= steps:
                    raise UserError(f"--frames: the animation spans {steps} automaton steps; give 1 to {steps} "
                                    f"frames, got {self.animation_frames}")
        if self.damage and not self.animation:
            raise UserError("--damage: erases part of a growing automaton's animation; name one with --out x.gif")
        if self.export:
            imaging.check_writable(self.export, "--export", kind="folder")
        if self.logdir:
            imaging.check_writable(os.path.join(self.logdir, "events"), "--logdir")
        if self.checkpoints and (self.checkpoint_every or self.resume):
            imaging.check_writable(self.checkpoints, "--out (its _ckpt folder)", kind="folder")
        if self.resume and not self.checkpoints:
            raise UserError("--resume: no checkpoint folder is set")
        if self.upscale:
            if self.png is None:
                raise UserError("--upscale: needs a PNG to write (--out)")
            if generator is not None and generator.animated:
                raise UserError("--upscale: a cellular automaton grows more texture on a bigger grid, not a bigger "
                                "picture; render its --export with tfart-render --width W --height H")
            if generator is not None and not generator.resolution_free:
                raise UserError(f"--upscale: the {generator.name} parameterization is a fixed-size "
                                "image; use a CPPN or Fourier-CPPN")
            if height is not None:
                rendering.check_size(height * self.upscale, width * self.upscale, flag="--upscale")


@dataclasses.dataclass
class Init:
    """How the generator starts. `image` ([1, H, W, 3] in [0, 1]) is assigned to pixel and FFT
    images and fitted by resolution-free generators for `fit_steps` steps (0: they keep their
    own random picture). None: every generator starts as it was made."""
    image: Optional[np.ndarray] = None
    fit_steps: int = 200
    fit_lr: float = 0.01


@dataclasses.dataclass
class Coarse:
    """Coarse to fine: `steps` steps on a canvas `scale` times the size before the main stage.

    Each coarse step costs about scale^2 of a full one (the backbone dominates), and a
    resolution-free generator's picture at the small size is the same picture, so the full-size
    stage starts where the coarse one ended. The Adam state carries over. Objectives that
    compare with a reference image at the canvas's size (content) cannot run coarse.
    """
    scale: float = 0.5
    steps: int = 100

    def check(self, generator, objective, transform, height, width):
        if not (0 < self.scale < 1):
            raise UserError(f"--coarse: the coarse canvas's scale must be between 0 and 1, got {self.scale}")
        if self.steps < 1:
            raise UserError(f"--coarse_steps: must be at least 1, got {self.steps}")
        if not generator.resolution_free:
            raise UserError("--coarse: pixel, fft and nca run at one size; use a resolution-free "
                            "parameterization (cppn, fourier_cppn, hashgrid)")
        if objective.references:
            raise UserError("--coarse: the objective compares with a reference image at the canvas's size "
                            f"({', '.join(objective.references)}); use --content_weight 0")
        if transform is not None:
            raise UserError("--coarse: random transforms are made for the full canvas; use --transforms none")
        return self.size(height, width)

    def size(self, height, width):
        return max(8, round(height * self.scale)), max(8, round(width * self.scale))


@dataclasses.dataclass
class JobResult:
    """How a job ended: 'done', 'target' (a monitor's goal was reached), 'interrupted' or
    'non-finite', where, and what it wrote."""
    stopped: str
    stage: str            # 'fit' or 'optimize'
    step: int
    losses: list
    written: list

    @property
    def loss(self):
        return self.losses[-1] if self.losses else float("nan")

    def why(self):
        """One sentence for a user when the job did not finish."""
        image = self.written[0] if self.written else "nothing (no --out)"
        if self.stopped == "interrupted":
            where = "while fitting the content" if self.stage == "fit" else f"at step {self.step}"
            return f"interrupted {where}; the current image is in {image}"
        if self.stopped == "non-finite":
            what = f"the loss became {self.loss}" if not math.isfinite(self.loss) else \
                "the gradients became non-finite"
            return (f"{what} at step {self.step + 1}; kept the last good image in {image} "
                    "(try a smaller --lr or --clip_norm)")
        return "done"


def run(generator, objective, backbone=None, *, height, width, settings=None, outputs=None,
        transform=None, init=None, watch=(), coarse=None, compiled=None):
    """Optimize `generator` against `objective` and write `outputs`: a JobResult.

    generator: a tfart generator; objective: a tfart.objectives.Objective over `backbone`'s
    features (backbone None for pixel-only objectives); height, width: the optimized canvas;
    transform: random transforms applied before the backbone (tfart.transforms); watch: more
    monitors.Monitor objects for the main stage (e.g. monitors.History()); coarse: a Coarse
    stage before the main one (resolution-free generators), or None; compiled: an
    optimize.compiled_step for the main stage, used as it is (not with `coarse`).
    """
    settings = settings or optimize.Settings()
    outputs = outputs or Outputs()
    optimize.check(generator, settings, transform)
    outputs.check(generator, height, width)
    if coarse is not None:
        if settings.optimizer == "lbfgs":
            raise UserError("--coarse: runs with Adam only (L-BFGS keeps no state between stages)")
        small = coarse.check(generator, objective, transform, height, width)
    variables = generator.variables_to_train(settings.train)
    schedule = dataclasses.replace(settings, steps=settings.steps + (coarse.steps if coarse else 0))
    if compiled is not None and coarse is not None:  # optimize.optimize checks its settings and variables
        raise ValueError("jobs.run: a compiled step is the main stage's only")
    optimizer = compiled.optimizer if compiled is not None else \
        optimize.make_optimizer(schedule) if settings.optimizer == "adam" else None

    watchers, start = [], 0
    if outputs.checkpoints and (outputs.checkpoint_every or outputs.resume):
        checkpointer = monitors.Checkpointer(outputs.checkpoints, generator, optimizer,
                                             outputs.checkpoint_every or 10 ** 9, variables)
        if outputs.resume:
            start = checkpointer.resume()
            if start >= settings.steps:
                raise UserError(f"--steps: the checkpoint is at step {start} already; give --steps "
                                f"more than {start} to continue")
            print(f"resuming at step {start}")
        watchers.append(checkpointer)
    if start == 0 and init is not None:
        fitted = _initialise(generator, init, height, width, outputs.progress, settings.subpixel)
        if fitted.stopped != "done":
            return JobResult(fitted.stopped, "fit", 0, fitted.losses, _write_image(generator, height, width, outputs))
    if start == 0 and coarse is not None:
        first = optimize.optimize(generator, objective, backbone, *small,
                                  dataclasses.replace(settings, steps=coarse.steps), optimizer=optimizer,
                                  monitors=[monitors.ProgressBar("coarse")] if outputs.progress else [])
        if first.stopped != "done":
            return JobResult(first.stopped, "coarse", first.step, first.losses,
                             _write_image(generator, height, width, outputs))
    if outputs.progress:
        watchers.append(monitors.ProgressBar(outputs.label))
    if outputs.logdir:
        watchers.append(monitors.TensorBoard(outputs.logdir))
    if outputs.timelapse:
        watchers.append(monitors.Timelapse(outputs.timelapse, outputs.timelapse_every, grey=outputs.grey))
    watchers.extend(watch)

    result = optimize.optimize(generator, objective, backbone, height, width, settings, transform,
                               watchers, start_step=start, optimizer=optimizer, compiled=compiled)
    written = write(generator, height, width, outputs, finished=result.stopped in FINISHED)
    return JobResult(result.stopped, "optimize", result.step, result.losses, written)


FINISHED = ("done", "target")  # a run that ended as planned: every output is written


def write(generator, height, width, outputs, finished=True):
    """Write what `outputs` asks for (checked before the work): the PNG, the time-lapse's name
    (its monitor wrote it), and for a finished run the upscaled render and the SavedModel.
    The paths written, the PNG first. Also the end of the non-differentiable baseline (search)."""
    frames = None
    if finished and outputs.animation:  # its last frame is the PNG
        frames = [_finish(f, outputs) for f in generator.animate(height, width, outputs.animation_frames,
                                                                 damage=outputs.damage)]
    written = _write_image(generator, height, width, outputs, frames[-1] if frames else None)
    if outputs.timelapse:
        written.append(outputs.timelapse)
    if finished:
        if frames:
            written.append(imaging.save_animation(outputs.animation, frames))
        if outputs.upscale:
            big = imaging.batch_image(rendering.render(generator, height * outputs.upscale,
                                                       width * outputs.upscale), outputs.labels)
            written.append(imaging.save_png(outputs.upscaled_png(), _finish(big, outputs), flag="--upscale"))
        if outputs.export:
            export.export(generator, outputs.export, **outputs.about)
            written.append(outputs.export)
    return written


def _initialise(generator, init, height, width, progress, subpixel=False):
    """Start from init.image: assign it to fixed-size images, fit resolution-free ones to it
    (sampled within the pixels when the job's settings are: see optimize.Settings.subpixel)."""
    done = optimize.Result(step=0, losses=[])
    if init.image is None:
        return done
    if hasattr(generator, "assign_image"):
        generator.assign_image(init.image)
        return done
    if not init.fit_steps:
        return done
    part = "both" if generator.latent_dim else "weights"
    return optimize.optimize(generator, objectives.reconstruction(init.image), None, height, width,
                             optimize.Settings(steps=init.fit_steps, lr=init.fit_lr, train=part, subpixel=subpixel),
                             monitors=[monitors.ProgressBar("fit")] if progress else [])


def _finish(image, outputs):
    image = outputs.postprocess(image) if outputs.postprocess else image
    return imaging.luminance(image) if outputs.grey else image


def _write_image(generator, height, width, outputs, finished_image=None):
    if outputs.png is None:
        return []
    if finished_image is not None:
        return [imaging.save_png(outputs.png, finished_image)]
    image = imaging.batch_image(rendering.render(generator, height, width), outputs.labels)
    return [imaging.save_png(outputs.png, _finish(image, outputs))]
