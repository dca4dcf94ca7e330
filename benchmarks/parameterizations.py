"""The seed experiment on every image parameterization, with real trained features.

    python benchmarks/parameterizations.py --weights hed [--size 256] [--steps 300] [--only pixel,hashgrid]

Grows skimage:coffee's style on grain-8 noise, style only (content weight 0), on the trained
VGG16 of `--weights hed` (style layers block1..5_conv1), as `tfart-style --content noise:8
--content_weight 0` does: each parameterization with its recipe (tfart.style_transfer.RECIPES),
the same seed and the same number of Adam steps at full size. Pixel and FFT images take the
noise; resolution-free generators are first fitted to it (the recipe's fit steps, timed with the
run). A `+coarse` row runs Coarse(0.5, COARSE_STEPS) first: that many steps at half the size.
cppn_multiscale is the cppn recipe with Gaussian features at three bandwidths (2, 6, 18) instead
of one (6); fourier_cppn_random the fourier_cppn recipe with random, non-integer frequencies.
The hash grid's recipe samples each step at a random point within the pixels (Settings.subpixel);
the hashgrid_centres rows sample at the pixel centres only, as every other row does.
hashgrid_stagger shifts each level's grid by half its cell (HashGrid(stagger=True)).
nca is a neural cellular automaton (generators.NCA): it ignores the noise and grows the style
from its seed. It trains for --nca_budget times pixel's wall time, with its pool and 32-64-step
rollouts, and prints three rows, each its picture grown from the seed: at pixel's wall time, at
the end of its budget, and on a 4x larger grid (the same rule, judged at that size), then its
stability: the style loss after 1,000 steps from the seed against after its longest training
rollout (64 steps). Its time-to-quality (the nca row) reads its per-step training losses, as for
every row: for the automaton, those of the pool's states after their rollout.

Prints, per row: the final style loss (Gram distance, summed over layers) relative to pixel's,
the wall time, and time-to-quality: the seconds from the start (fit included) until the style
loss first reaches pixel's final loss, measured in one process, side by side. The final loss is
measured once more on the result at the pixel centres (what is saved and shown); the per-step
losses behind time-to-quality are each step's own, for the sub-pixel rows at that step's
offset. Writes the results side by side to --sheet and, with --save DIR, each resolution-free generator as
DIR/NAME.keras (render it at any size with tfart-render --model DIR/NAME.keras).
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import time  # noqa: E402

import numpy as np  # noqa: E402

from style_quality import style_measure, transfer  # noqa: E402  (benchmarks/style_quality.py)
from tfart import export, imaging, jobs, monitors, optimize, style_transfer  # noqa: E402
from tfart.backbones import Backbone  # noqa: E402
from tfart.errors import UserError  # noqa: E402
from tfart.spectrum import high_frequency_share  # noqa: E402

COARSE_STEPS = 100
# name: (parameterization, coarse to fine, changes to its recipe (subpixel) and its generator)
ROWS = {"pixel": ("pixel", False, {}), "fft": ("fft", False, {}), "cppn": ("cppn", False, {}),
        "cppn_multiscale": ("cppn", False, {"sigma": [2.0, 6.0, 18.0]}),
        "fourier_cppn": ("fourier_cppn", False, {}),
        "fourier_cppn_random": ("fourier_cppn", False, {"frequencies": "random"}),
        "hashgrid": ("hashgrid", False, {}), "hashgrid_stagger": ("hashgrid", False, {"stagger": True}),
        "hashgrid+coarse": ("hashgrid", True, {}),
        "hashgrid_centres": ("hashgrid", False, {"subpixel": False}),
        "hashgrid_centres+coarse": ("hashgrid", True, {"subpixel": False}),
        "nca": ("nca", False, {})}
STABLE_STEPS = 1000  # the automaton's stability: its picture after this many steps from its seed


class Deadline(monitors.Monitor):
    """Ends a run (stopped 'target') once it has run `seconds`; keeps a copy of the generator's
    variables as they were when it first passed `snapshot` seconds."""

    def __init__(self, seconds, snapshot):
        self.seconds, self.snapshot, self.kept = seconds, snapshot, None

    def on_start(self, run):
        self.start = time.perf_counter()

    def on_step(self, run, loss, terms):
        elapsed = time.perf_counter() - self.start
        if self.kept is None and elapsed >= self.snapshot:
            self.kept = [v.numpy() for v in run.generator.variables]
        if elapsed >= self.seconds:
            raise optimize.StopRun()


def automaton_rows(generator, history, start, deadline, style_loss, size):
    """The cellular automaton's rows: (label, style loss, seconds, picture), and its stability line.

    Each picture is the automaton grown from its seed for its render_steps, judged as it is: at
    pixel's wall time (the variables kept then), at the end of its budget, and on a 4x larger grid
    (the same rule, judged at that size against the style at the training size)."""
    seconds = history.times[-1] - start
    end = [v.numpy() for v in generator.variables]
    rows = []
    if deadline.kept is not None:
        for variable, value in zip(generator.variables, deadline.kept):
            variable.assign(value)
        picture = generator.image(size, size)
        rows.append(("nca at pixel's time", style_loss(picture), deadline.snapshot, picture[0].numpy()))
        for variable, value in zip(generator.variables, end):
            variable.assign(value)
    picture = generator.image(size, size)
    rows.append(("nca", style_loss(picture), seconds, picture[0].numpy()))
    big = generator.image(4 * size, 4 * size)
    rows.append(("nca, 4x grid", style_loss(big), seconds, big[0].numpy()))
    after = {steps: style_loss(generator.picture(generator.grow(size, size, steps=steps)))
             for steps in (generator.rollout[1], generator.render_steps, STABLE_STEPS)}
    rollout = after[generator.rollout[1]]
    line = (f"nca stability: style loss from its seed after {generator.rollout[1]} steps (the longest training "
            f"rollout) {rollout:.5g}, after {generator.render_steps} (its picture) "
            f"{after[generator.render_steps]:.5g}, after {STABLE_STEPS} {after[STABLE_STEPS]:.5g}: "
            f"{after[STABLE_STEPS] / rollout:.2f}x the rollout's")
    return rows, line


def grow(name, backbone, noise, style, steps, seed, watch=()):
    """One seed experiment: (generator, History, start time, recipe)."""
    parameterization, coarse, changes = ROWS[name]
    generator, history, _, start, recipe = transfer(
        parameterization, backbone, noise, style, seed, steps, content_weight=0.0,
        coarse=jobs.Coarse(0.5, COARSE_STEPS) if coarse else None, watch=watch, **changes)
    return generator, history, start, recipe


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="hed", help="hed (trained, offline), imagenet or a VGG16 file")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grain", type=int, default=8)
    parser.add_argument("--style", default="skimage:coffee")
    parser.add_argument("--only", default=",".join(ROWS), help="rows to run, pixel first")
    parser.add_argument("--sheet", default="out/benchmarks/parameterizations.png")
    parser.add_argument("--save", default=None, help="folder for each resolution-free result as NAME.keras")
    parser.add_argument("--nca_budget", type=float, default=10.0,
                        help="the automaton trains for this many times pixel's wall time")
    args = parser.parse_args()
    names = args.only.split(",")
    if names[0] != "pixel" or any(n not in ROWS for n in names):
        raise UserError(f"--only: choose among {', '.join(ROWS)}, pixel first")
    style = imaging.load_image(args.style, args.size, "--style")
    noise = imaging.noise_image(args.size, args.size, args.grain, args.seed)
    backbone = Backbone("vgg16", style_transfer.layers(content_weight=0), args.weights)
    style_loss = style_measure(backbone, style)
    print(f"seed experiment: style {args.style} on grain-{args.grain} noise, {args.size}x{args.size}, "
          f"VGG16 --weights {args.weights}, content weight 0, {args.steps} Adam steps at full size, "
          f"seed {args.seed}")
    print(f"{'parameterization':<24}{'params':>9}{'lr':>7}{'fit':>5}{'coarse':>7}{'style loss':>12}"
          f"{'/ pixel':>9}{'seconds':>9}{'to pixel final':>16}{'HF share':>10}")
    images, pixel_final = [noise[0]], None
    stability = pixel_seconds = None
    for name in names:
        automaton = ROWS[name][0] == "nca"
        watch = [Deadline(args.nca_budget * pixel_seconds, pixel_seconds)] if automaton else []
        generator, history, start, recipe = grow(name, backbone, noise, style, 10 ** 6 if automaton else args.steps,
                                                 args.seed, watch)
        losses = history.column("style") / recipe.style_weight
        seconds = history.times[-1] - start
        result = generator.image(args.size, args.size)
        final = style_loss(result)
        if pixel_final is None:  # the reference row: its final loss is its result, after the last update
            pixel_final, pixel_seconds, when = final, seconds, f"{seconds:.1f} s"
        else:
            reached = np.nonzero(losses <= pixel_final)[0]
            when = f"{history.times[reached[0]] - start:.1f} s" if len(reached) else "never"
        params = int(sum(np.prod(v.shape) for v in generator.trainable_variables))
        coarse = str(COARSE_STEPS) if ROWS[name][1] else "-"
        fit = recipe.fit_steps if generator.resolution_free else "-"
        rows = [(name, final, seconds, result[0].numpy())]
        if automaton:
            rows, stability = automaton_rows(generator, history, start, watch[0], style_loss, args.size)
            print(f"{name}: {len(losses)} steps in {seconds:.1f} s ({args.nca_budget:g}x pixel's wall time)")
        for label, loss, seconds, image in rows:
            images.append(image)
            print(f"{label:<24}{params:>9}{recipe.lr:>7g}{fit:>5}{coarse:>7}{loss:>12.5g}"
                  f"{loss / pixel_final:>9.3f}{seconds:>9.1f}{when if label == name else '-':>16}"
                  f"{high_frequency_share(image):>10.4f}",
                  flush=True)
        if args.save and generator.resolution_free:
            export.save_keras(generator, os.path.join(args.save, f"{name}.keras"))
        if args.save and automaton:
            export.export(generator, os.path.join(args.save, f"{name}_model"))
    if stability:
        print(stability)
    print(f"the style's HF share {high_frequency_share(style[0]):.4f}; 'to pixel final': seconds from the start "
          "(fit and coarse stage included) until the style loss first reaches pixel's final loss")
    size = args.size
    images = [image if image.shape[0] == size else image[:size, :size] for image in images]  # the 4x grid: a corner
    imaging.save_png(args.sheet, imaging.contact_sheet(images, columns=len(images)))
    print(f"wrote {args.sheet}: the noise, then the rows above in order")


if __name__ == "__main__":
    try:
        main()
    except UserError as e:
        raise SystemExit(f"error: {e}")
