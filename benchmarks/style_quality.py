"""How well each parameterization style-transfers at its defaults, measured with trained features.

    pip install -e ".[bench]"
    python benchmarks/style_quality.py [--size 128] [--pairs skimage:chelsea/skimage:coffee,...]

Each parameterization (pixel, fft, cppn, fourier_cppn, hashgrid) runs the style transfer of
tfart.style_transfer.RECIPES on each content/style pair (PAIRS: four pairs of the photographs
scikit-image ships) with the same seed and the trained VGG16 of `--weights hed`. Then the
result is measured with the same network:
- style: the Gram distance to the style image (mean over the style layers), divided by the
  unstyled content photo's. 1 is no style at all, and lower is more style.
- content: the feature distance to the content photo at block4_conv2, divided by uniform
  noise's. 0 is the photo itself, and 1 is no content at all.
- seconds: wall time of the whole job, the CPPNs' content fit included.
- to pixel's style: when the run first reached pixel's final style distance. That is the
  Gram distance measured on each step's input image, in seconds from the start of the job.
- grid peaks: spectral power at the harmonics of a 10-pixel period over that of their
  neighbours (benchmarks/fit.py). It is about 1 for a photograph and well above 1 for the
  Fourier-CPPN's old dot lattice.
All runs happen side by side in one process. Compare times within one run only. The last
table is each parameterization's worst pair: the recipes must hold on photographs they were not
tuned on, so that is the figure to judge them by.
--before also runs the defaults before the recipes (BEFORE). Writes a sheet to --sheet: a row
per pair, content, style, then the results in the table's order.
"""
import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from fit import grid_peakiness  # noqa: E402  (benchmarks/fit.py)
from tfart import generators, imaging, jobs, monitors, objectives, optimize, style_transfer  # noqa: E402
from tfart.backbones import Backbone  # noqa: E402
from tfart.errors import UserError  # noqa: E402

PARAMETERIZATIONS = ("pixel", "fft", "cppn", "fourier_cppn", "hashgrid")
# Content/style pairs: the one the recipes were swept on first, then three others (a portrait
# under a stained tissue's texture, a cup under a field of galaxies, a rocket under a cat's fur).
PAIRS = ("skimage:chelsea/skimage:coffee", "skimage:astronaut/skimage:immunohistochemistry",
         "skimage:coffee/skimage:hubble_deep_field", "skimage:rocket/skimage:chelsea")
# The defaults before the recipes (tfart 0.1 until this benchmark): the classic 1e6:1 balance,
# Adam at 0.02, and the smooth x, y, r CPPN (generators.SMOOTH_START) fitted for 200 steps at 0.01.
BEFORE = style_transfer.Recipe(lr=0.02, style_weight=1e6, content_weight=1.0, fit_steps=200, fit_lr=0.01)


def style_measure(backbone, style):
    """The style distance as a function of an image: the style transfer's own unweighted style
    term (so that it compares with the per-step style term of a run)."""
    return _measure(objectives.style(backbone, [style], list(style_transfer.STYLE_LAYERS)), backbone)


def distances(backbone, content, style):
    """(style distance, content distance) functions of an image, as style_measure."""
    content_term = objectives.content(backbone, content, list(style_transfer.CONTENT_LAYERS))
    return style_measure(backbone, style), _measure(content_term, backbone)


def _measure(term, backbone):
    return lambda image: float(term(objectives.Context(image, backbone(image))))


def boxed(image, size):
    """[H, W, 3] in the middle of a white size x size cell (H, W <= size): the sheet's cells are one size."""
    cell = np.ones((size, size, 3), np.float32)
    top, left = (size - image.shape[0]) // 2, (size - image.shape[1]) // 2
    cell[top:top + image.shape[0], left:left + image.shape[1]] = image
    return cell


def peaks(image):
    """grid_peakiness of the image's top-left corner, cut to a multiple of 10 pixels."""
    height, width = (d - d % 10 for d in image.shape[1:3])
    return grid_peakiness(np.asarray(image)[0, :height, :width])


def transfer(parameterization, backbone, content, style, seed, steps=None, before=False, content_weight=None,
             coarse=None, subpixel=None, lr=None, watch=(), **changes):
    """Run one style transfer at the recipe's defaults (or the old ones), `changes` to its generator:
    (generator, History, seconds, start time, recipe). Also the seed experiment's run
    (benchmarks/parameterizations.py: content weight 0, the noise as content, a coarse stage,
    sampling at the pixel centres or within the pixels, a cellular automaton grown from its seed
    with `watch`, more monitors)."""
    keras.utils.set_random_seed(seed)
    recipe = (BEFORE if before else style_transfer.RECIPES[parameterization]).replace(
        steps=steps, content_weight=content_weight, subpixel=subpixel, lr=lr)
    height, width = content.shape[1:3]
    generator = generators.make(parameterization, height, width, seed=seed, **{**recipe.generator, **changes})
    objective = style_transfer.objective(backbone, content, [style], recipe)
    history = monitors.History()
    start = time.perf_counter()
    init = None if generator.animated else jobs.Init(content, recipe.fit_steps, recipe.fit_lr)
    jobs.run(generator, objective, backbone, height=height, width=width,
             settings=optimize.Settings(steps=recipe.steps, lr=recipe.lr, subpixel=recipe.subpixel,
                                        normalize_gradients=recipe.normalize_gradients),
             outputs=jobs.Outputs(progress=False, checkpoint_every=0), init=init, watch=[history, *watch],
             coarse=coarse)
    seconds = time.perf_counter() - start
    return generator, history, seconds, start, recipe


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="hed", help="hed (trained, offline), imagenet or a VGG16 file")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=None, help="override every recipe's steps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pairs", default=",".join(PAIRS), help="CONTENT/STYLE images, comma-separated")
    parser.add_argument("--only", default=",".join(PARAMETERIZATIONS))
    parser.add_argument("--before", action="store_true", help="also run the defaults before the recipes")
    parser.add_argument("--sheet", default="out/benchmarks/style_quality.png")
    args = parser.parse_args()
    pairs = [pair.split("/") for pair in args.pairs.split(",")]
    if any(len(pair) != 2 for pair in pairs):
        raise UserError(f"--pairs: write each pair as CONTENT/STYLE, got {args.pairs!r}")
    backbone = Backbone("vgg16", style_transfer.layers(), args.weights)
    runs = [(name, False) for name in args.only.split(",")]
    runs += [(name, True) for name in args.only.split(",")] if args.before else []
    worst, rows = {}, []  # label -> [(style, pair), (content, pair)]
    for content_path, style_path in pairs:
        content = imaging.load_image(content_path, args.size, "--pairs")
        style = imaging.load_image(style_path, args.size, "--pairs")
        style_distance, content_distance = distances(backbone, content, style)
        height, width = content.shape[1:3]
        noise = imaging.noise_image(height, width, 1, args.seed)
        unstyled, noise_content = style_distance(content), content_distance(noise)
        pair = f"{content_path.split(':')[-1]}/{style_path.split(':')[-1]}"
        print(f"\ncontent {content_path}, style {style_path}, {width}x{height}, VGG16 --weights {args.weights}, "
              f"seed {args.seed}")
        print(f"unstyled photo: style distance {unstyled:.4g}, grid peaks {peaks(content):.2f}; "
              f"uniform noise: content distance {noise_content:.4g}")
        print(f"{'parameterization':<22}{'lr':>7}{'steps':>6}{'fit':>5}{'style w':>8}"
              f"{'style':>8}{'content':>9}{'seconds':>9}{'to pixel style':>16}{'grid peaks':>12}")
        results, pixel_final = [], None
        for name, before in runs:
            generator, history, seconds, start, recipe = transfer(name, backbone, content, style, args.seed,
                                                                  args.steps, before)
            image = generator.image(height, width)
            style_ratio = style_distance(image) / unstyled
            content_ratio = content_distance(image) / noise_content
            per_step = history.column("style") / recipe.style_weight
            if pixel_final is None:
                pixel_final = float(per_step[-1])  # the first row (pixel at its recipe) sets the bar
            reached = np.nonzero(per_step <= pixel_final)[0]
            when = f"{history.times[reached[0]] - start:.1f} s" if len(reached) else "never"
            label = f"{name} (before)" if before else name
            fit = recipe.fit_steps if generator.resolution_free else "-"
            print(f"{label:<22}{recipe.lr:>7g}{recipe.steps:>6}{fit:>5}{recipe.style_weight:>8g}"
                  f"{style_ratio:>8.4f}{content_ratio:>9.4f}{seconds:>9.1f}{when:>16}{peaks(image):>12.2f}", flush=True)
            results.append(image[0])
            old = worst.get(label, [(-1, ""), (-1, "")])
            worst[label] = [max(old[0], (style_ratio, pair)), max(old[1], (content_ratio, pair))]
        style_as_content = imaging.resize(style[0], height, width)
        rows.append([boxed(image, args.size) for image in [content[0], style_as_content, *results]])
    print("\nthe worst pair of each parameterization (style: Gram distance / the unstyled photo's, want <= 0.3; "
          "content: feature distance / noise's, want <= 0.4)")
    print(f"{'parameterization':<22}{'worst style':>12}  {'pair':<34}{'worst content':>14}  pair")
    for label, ((style_ratio, style_pair), (content_ratio, content_pair)) in worst.items():
        met = "met" if style_ratio <= 0.3 and content_ratio <= 0.4 else "NOT met"
        print(f"{label:<22}{style_ratio:>12.4f}  {style_pair:<34}{content_ratio:>14.4f}  {content_pair:<34}{met}")
    os.makedirs(os.path.dirname(args.sheet) or ".", exist_ok=True)
    imaging.save_png(args.sheet, imaging.contact_sheet([cell for row in rows for cell in row], columns=len(rows[0])))
    print(f"wrote {args.sheet}: a row per pair: content, style, then the rows above in order")


if __name__ == "__main__":
    try:
        main()
    except UserError as e:
        raise SystemExit(f"error: {e}")
