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

import numpy as np  # noqa: E402

from style_quality import style_measure, transfer  # noqa: E402  (benchmarks/style_quality.py)
from tfart import export, imaging, jobs, style_transfer  # noqa: E402
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
        "hashgrid_centres+coarse": ("hashgrid", True, {"subpixel": False})}


def grow(name, backbone, noise, style, steps, seed):
    """One seed experiment: (generator, History, start time, recipe)."""
    parameterization, coarse, changes = ROWS[name]
    generator, history, _, start, recipe = transfer(
        parameterization, backbone, noise, style, seed, steps, content_weight=0.0,
        coarse=jobs.Coarse(0.5, COARSE_STEPS) if coarse else None, **changes)
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
    for name in names:
        generator, history, start, recipe = grow(name, backbone, noise, style, args.steps, args.seed)
        losses = history.column("style") / recipe.style_weight
        seconds = history.times[-1] - start
        result = generator.image(args.size, args.size)
        final = style_loss(result)
        if pixel_final is None:  # the reference row: its final loss is its result, after the last update
            pixel_final, when = final, f"{seconds:.1f} s"
        else:
            reached = np.nonzero(losses <= pixel_final)[0]
            when = f"{history.times[reached[0]] - start:.1f} s" if len(reached) else "never"
        image = result[0].numpy()
        images.append(image)
        params = int(sum(np.prod(v.shape) for v in generator.trainable_variables))
        coarse = str(COARSE_STEPS) if ROWS[name][1] else "-"
        fit = recipe.fit_steps if generator.resolution_free else "-"
        print(f"{name:<24}{params:>9}{recipe.lr:>7g}{fit:>5}{coarse:>7}{final:>12.5g}"
              f"{final / pixel_final:>9.3f}{seconds:>9.1f}{when:>16}{high_frequency_share(image):>10.4f}",
              flush=True)
        if args.save and generator.resolution_free:
            export.save_keras(generator, os.path.join(args.save, f"{name}.keras"))
    print(f"the style's HF share {high_frequency_share(style[0]):.4f}; 'to pixel final': seconds from the start "
          "(fit and coarse stage included) until the style loss first reaches pixel's final loss")
    imaging.save_png(args.sheet, imaging.contact_sheet(images, columns=len(images)))
    print(f"wrote {args.sheet}: the noise, then the rows above in order")


if __name__ == "__main__":
    try:
        main()
    except UserError as e:
        raise SystemExit(f"error: {e}")
