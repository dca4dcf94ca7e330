"""An alphabet in strokes, and whether a judge it was not drawn for reads it.

    pip install -e ".[bench,perceive]"
    python benchmarks/alphabet.py [--strokes 6] [--size 64] [--budget 600] [--out docs/images/alphabet_strokes.png]

Trains the glyph judge of `--models glyphs` (classifiers.train_glyphs, seed 0) and a second one
with another seed (its own weights, its own augmentations), then draws each capital with a few
strokes of the pen style against the first, as `tfart-perceive --models glyphs --target L
--strokes 6 --style pen --size 64 --out L.svg` does (gradient, standard random transforms, stop
at p 0.9). Each drawing's SVG is rendered to PNG by resvg (the file a user keeps, not the
training render), and both judges read that PNG. A letter the second judge also reads is less
likely a fooling image of the first. Prints a row per letter and, last, how many letters reached
p 0.9 for the first judge and how many the second reads as the same letter. Writes the SVG-rendered
letters as one sheet.
"""
import argparse
import io
import os
import string
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from perceive_judges import judge_from  # noqa: E402  (benchmarks/, this script's folder)
from tfart import classifiers, generators, imaging, perception, transforms  # noqa: E402


def rasterize(svg, size):
    """An SVG document -> [1, size, size, 3] float32 in [0, 1] (resvg, as a viewer draws it)."""
    import resvg_py
    png = bytes(resvg_py.svg_to_bytes(svg_string=svg))
    image = Image.open(io.BytesIO(png)).convert("RGB").resize((size, size), Image.LANCZOS)
    return np.asarray(image, np.float32)[None] / 255.0


def judge_of(model):
    judge = judge_from(model, "0,1")
    judge.labels = list(string.ascii_uppercase)
    return judge


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--strokes", type=int, default=6)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--budget", type=int, default=600)
    parser.add_argument("--lr", type=float, default=None, help="default: tfart-perceive's for pen strokes (0.1)")
    parser.add_argument("--letters", default=string.ascii_uppercase)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="out/benchmarks/alphabet_strokes.png")
    args = parser.parse_args()
    if args.strokes < 1 or args.size < 8 or args.budget < 1 or not set(args.letters) <= set(string.ascii_uppercase):
        raise SystemExit("error: --strokes >= 1, --size >= 8, --budget >= 1, --letters: capitals A-Z")

    start = time.perf_counter()
    (first, accuracy, _, _), (second, accuracy2, _, _) = classifiers.train_glyphs(0), classifiers.train_glyphs(1)
    judge, other = judge_of(first), judge_of(second)
    print(f"judges trained here in {time.perf_counter() - start:.0f} s: test-font accuracy {accuracy['test']:.3f} "
          f"(seed 0, the drawing's) and {accuracy2['test']:.3f} (seed 1, the reader)")
    lr = args.lr or perception.PEN_STROKES['lr']
    print(f"{args.strokes} pen strokes, {args.size} px, gradient at lr {lr}, "
          f"seen sharp and blurred by {perception.PEN_STROKES['blur'] * args.size:g} px, standard transforms, "
          f"budget {args.budget}, stop at p 0.9")
    print(f"{'letter':<8}{'p':>7}{'steps':>7}{'reader p':>10}{'reader says':>13}")
    cells, reached, read = [], 0, 0
    for letter in args.letters:
        index = judge.class_index(letter)
        keras.utils.set_random_seed(args.seed)
        transforms.seed(args.seed)
        drawing = generators.make("strokes", args.size, args.size, seed=args.seed, strokes=args.strokes, style="pen")
        result, _ = perception.draw(drawing, [judge], [index], method="gradient", budget=args.budget, size=args.size,
                                    lr=args.lr, transform=transforms.standard(args.size), seed=args.seed,
                                    progress=False)
        image = rasterize(drawing.to_svg(args.size, args.size), args.size)
        p = float(judge.probabilities(image)[0, index])
        others = other.probabilities(image)[0].numpy()
        reached += p >= 0.9
        read += int(others.argmax()) == index
        print(f"{letter:<8}{p:>7.3f}{result.step:>7}{others[index]:>10.3f}{other.labels[int(others.argmax())]:>13}",
              flush=True)
        cells.append(np.repeat(np.repeat(image[0], 2, axis=0), 2, axis=1))
    print(f"{reached}/{len(args.letters)} letters reached p 0.9 for the judge they were drawn for; "
          f"the other judge reads {read}/{len(args.letters)} as the same letter")
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    imaging.save_png(args.out, imaging.contact_sheet(cells, columns=13, background=128) / 255.0)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
