"""How often gradient descent takes a single start of pen strokes to p 0.9, seen sharp or also blurred.

    pip install -e ".[bench,perceive]"
    python benchmarks/stroke_blur.py [--variants 0.05:0,0.1:0,0.05:2,0.05:3,0.1:3] [--letters BGMPW] [--seeds 30-35]

The figures behind tfart.perception.PEN_STROKES. On the glyph judge
(tfart-perceive's `--models glyphs`, trained on first use and cached), each variant (learning
rate:blur sigma in pixels) drives single starts of 6 pen strokes at 48 px (tfart.perception.draw,
no transforms, no restarts) for at most `--steps` steps toward p 0.9 of each letter, from each
seed's start, each step judging the drawing and (blur > 0) the drawing so blurred beside it;
p is judged on the sharp drawing. Prints, per variant, how many starts reached 0.9,
the median steps of those that did, and how many per letter. `--judge digits` runs the digits
judge with 32 ink strokes instead (--letters are then digits). `--method random_search` spends
`--steps` x 3 evaluations by random search (with tfart-perceive's patience) instead.
"""
import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from perceive_judges import judge_from  # noqa: E402  (benchmarks/, this script's folder)
from tfart import classifiers, glyphs, perception  # noqa: E402

SIZE = 48
OWN = {"glyphs": dict(strokes=6, style="pen"), "digits": dict(strokes=32, style="ink")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", default="0.05:0,0.1:0,0.05:2,0.05:3,0.1:3", help="lr:blur pairs")
    parser.add_argument("--judge", default="glyphs", choices=sorted(OWN))
    parser.add_argument("--letters", default="BGMPW")
    parser.add_argument("--seeds", default="30-35", help="first-last")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--method", default="gradient", choices=perception.METHODS)
    args = parser.parse_args()
    try:
        variants = [tuple(float(x) for x in v.split(":")) for v in args.variants.split(",")]
        first, last = (int(s) for s in args.seeds.split("-"))
        if any(len(v) != 2 or v[0] <= 0 or v[1] < 0 for v in variants) or args.steps < 1 or last < first:
            raise ValueError
    except ValueError:
        raise SystemExit("error: --variants: lr:blur pairs (lr > 0, blur >= 0); --seeds: first-last; --steps >= 1")
    judge = judge_from(classifiers.trained_model(args.judge), "0,1")
    judge.labels = list(glyphs.LETTERS) if args.judge == "glyphs" else judge.labels
    seeds = range(first, last + 1)
    print(f"{args.judge} judge, {SIZE} px, {OWN[args.judge]}, {args.method}, single starts (no restarts"
          f"{'' if args.method == 'gradient' else ' but the patience'}), at most {args.steps} steps "
          f"(random search: {args.steps * 3} evaluations), no transforms, letters {args.letters}, "
          f"seeds {first}-{last}")
    print(f"{'lr':>6}{'blur':>6}{'reached':>9}{'median':>8}  per letter")
    for lr, blur in variants:
        start, rows = time.perf_counter(), []
        for letter in args.letters:
            target = judge.class_index(letter)
            for seed in seeds:
                keras.utils.set_random_seed(seed)
                drawing = perception.start("strokes", SIZE, seed=seed, **OWN[args.judge])
                # gradient: exactly --steps steps (a step counted as one); random search: 3 candidates a step
                gradient = args.method == "gradient"
                budget, per_step = (args.steps, 1) if gradient else (args.steps * 3, None)
                result, _ = perception.draw(drawing, [judge], [target], method=args.method, size=SIZE, budget=budget,
                                            per_step=per_step, seed=seed, progress=False, lr=lr, blur=blur,
                                            patience=0 if gradient else None)
                rows.append((letter, result.stopped == "target", result.step))
        done = [steps for _, reached, steps in rows if reached]
        median = f"{np.median(done):.0f}" if done else "-"
        each = " ".join(f"{letter}{sum(r for l_, r, _ in rows if l_ == letter)}" for letter in args.letters)
        seconds = time.perf_counter() - start
        print(f"{lr:>6g}{blur:>6g}{len(done):>5}/{len(rows):<3}{median:>8}  {each}   ({seconds:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
