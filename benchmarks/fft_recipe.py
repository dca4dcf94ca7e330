"""The FFT image's style-transfer recipe on the four photo pairs: learning rate and spectrum decay.

    pip install -e ".[bench]"
    python benchmarks/fft_recipe.py [--size 128]

Each pair of style_quality.PAIRS runs pixel at its recipe, then FFT at its recipe and with each
change of CHANGES, with the trained VGG16 of --weights hed, and prints the style distance (over
the unstyled photo's) and the content distance (over noise's) of every result, as
benchmarks/style_quality.py measures them. FFT's recipe lr 0.4 came from this sweep (it was 0.1).
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from style_quality import PAIRS, distances, transfer  # noqa: E402  (benchmarks/style_quality.py)
from tfart import imaging, style_transfer  # noqa: E402
from tfart.backbones import Backbone  # noqa: E402

CHANGES = [("pixel", {}), ("fft", {}), ("fft", {"lr": 0.1}), ("fft", {"lr": 0.2}), ("fft", {"decay": 0.75})]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="hed")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    backbone = Backbone("vgg16", style_transfer.layers(), args.weights)
    print(f"recipe: fft lr {style_transfer.RECIPES['fft'].lr}; {args.size} px, VGG16 --weights {args.weights}")
    for pair in PAIRS:
        content_path, style_path = pair.split("/")
        content = imaging.load_image(content_path, args.size, "content")
        style = imaging.load_image(style_path, args.size, "style")
        style_distance, content_distance = distances(backbone, content, style)
        height, width = content.shape[1:3]
        unstyled = style_distance(content)
        noise = content_distance(imaging.noise_image(height, width, 1, args.seed))
        for name, changes in CHANGES:
            generator, *_ = transfer(name, backbone, content, style, args.seed, **changes)
            image = generator.image(height, width)
            print(f"{pair:<48}{name:<6}{str(changes):<16}style {style_distance(image) / unstyled:.4f} "
                  f"content {content_distance(image) / noise:.4f}", flush=True)


if __name__ == "__main__":
    main()
