"""Style loss reached by each image parameterization at the same step budget and seed.

    python benchmarks/parameterizations.py [--weights none|imagenet|PATH] [--steps 200] [--size 128]

Texture synthesis (content weight 0) of scikit-image's `coffee` photograph on VGG19 (style layers
block1..5_conv1, Gram matrices normalised by c*h*w, style weight 1e6) for pixel, fft, cppn and
fourier_cppn, each with Adam from the same seed. Every run starts from the generator's own
random image. Prints the final style loss and the high-frequency energy share of the result
(the photo's own share for reference) and writes the results side by side to --sheet.
With --weights none the VGG19 is random (this machine cannot download ImageNet weights): the
numbers then compare how well each parameterization optimizes, not how good the art is.
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from tfart import backbones, generators, imaging, objectives, optimize  # noqa: E402
from tfart.spectrum import high_frequency_share  # noqa: E402

STYLE = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"]
LEARNING_RATES = {"pixel": 0.05, "fft": 0.05, "cppn": 0.005, "fourier_cppn": 0.005}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="none")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--photo", default="skimage:coffee")
    parser.add_argument("--sheet", default="out/benchmarks/parameterizations.png")
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)  # the random VGG19 weights too
    style = imaging.load_image(args.photo, args.size, "--photo")
    vgg = backbones.Backbone("vgg19", STYLE, args.weights)
    style_loss = objectives.style(vgg, [style], STYLE)
    objective = 1e6 * style_loss
    rows, images = [], []
    for name, lr in LEARNING_RATES.items():
        g = generators.make(name, args.size, args.size, seed=args.seed, reference_size=args.size)
        result = optimize.optimize(g, objective, vgg, args.size, args.size,
                                   optimize.Settings(steps=args.steps, lr=lr))
        image = g.image(args.size, args.size)[0].numpy()
        images.append(image)
        rows.append((name, lr, result.losses[0], result.loss, high_frequency_share(image), result.stopped))
    imaging.save_png(args.sheet, imaging.contact_sheet(images, columns=len(images)))
    print(f"VGG19 weights={args.weights}; style {args.photo} at {args.size}px (HF share "
          f"{high_frequency_share(style[0]):.4f}); {args.steps} Adam steps, seed {args.seed}; sheet -> {args.sheet}")
    print(f"{'parameterization':<18}{'lr':>7}{'first loss':>14}{'final loss':>14}{'HF share':>10}")
    for name, lr, first, final, hf, stopped in rows:
        print(f"{name:<18}{lr:>7.3f}{first:>14.5g}{final:>14.5g}{hf:>10.4f}"
              + ("" if stopped == "done" else f"  ({stopped})"))
    best = min(rows, key=lambda r: r[3])
    print(f"lowest final style loss: {best[0]} ({best[3]:.5g}); "
          f"fourier_cppn/cppn final loss = {rows[3][3] / rows[2][3]:.3f}")


if __name__ == "__main__":
    main()
