"""Perception engines' defaults on more than one judge: the probability each drawing reaches.

    pip install -e ".[bench,perceive]"
    python benchmarks/perceive_judges.py [--budget 400] [--configs cppn,cppn_lr0.01] [--seeds 0]

tfart-perceive's defaults were first tried on one judge, `--models digits`. A default must also
work on judges it was not tuned on, so this trains four in this process (no download), each a
different network on different images:
- digits: tfart.classifiers.train_digits, 48 x 48 grey, dark ink on white, inputs in [0, 1],
  10 classes (what `--models digits` is);
- inverted7: 64 x 64 grey, light ink on black, inputs in [-1, 1], classes 0-6 only, another
  architecture (three strided convolutions, global average pooling, logits out);
- glyphs: tfart.classifiers.train_glyphs, 32 x 32 grey capitals of installed fonts, 26 classes
  (what `--models glyphs` is), with scribbles taught as no letter; how surely it reads each
  letter of the test fonts is printed too;
- rgb_digits: 64 x 64 RGB, inputs in [-1, 1], the digits in a random ink colour on a random
  paper colour, the inverted7 architecture with 10 classes.
`--judges` picks some (default: all four), `--targets` some classes (default: every one).
For each drawing configuration (CONFIGS), judge, target class and seed, tfart.perception.draw
(what tfart-perceive runs, gradient method, the standard random transforms) drives the drawing
toward the target with `--budget` classifier evaluations and stops at p 0.9 (`--transforms none`:
no transforms; `--patience`: another wait before a stalled drawing starts again). Prints each run's
final probability on the untransformed drawing, then per configuration and judge the median,
the worst target and how many reached 0.9; the last line is each configuration's worst run.
"""
import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfart import classifiers, glyphs, perception, style_transfer, transforms  # noqa: E402

# name: (generator, its keyword arguments, learning rate[, blur as a share of the side]); None is
# tfart-perceive's default (tfart.perception.LEARNING_RATES: 0.005 for the CPPNs since this
# benchmark, 0.05 for the rest; the pen strokes' 0.1 and blur, perception.PEN_STROKES, are not used
# here: the strokes are ink).
# A drawing starts as tfart-perceive's does (tfart.perception.start), which the keyword arguments
# override: since 2026-12-05 a CPPN at init_scale 1, so the CPPN configurations of earlier runs in
# docs/benchmarks.md started at 3 (cppn_init3 is the old default; the configurations that became the
# same as another, cppn_init1 as cppn_lr0.05 and fourier_cppn_lr0.005 as fourier_cppn, are gone).
CONFIGS = {
    "strokes": ("strokes", dict(strokes=32, style="ink"), None),
    # ink strokes drawn as pen strokes are (perception.PEN_STROKES), and with either half of it
    "strokes_blur_lr0.1": ("strokes", dict(strokes=32, style="ink"), 0.1, 1 / 16),
    "strokes_blur": ("strokes", dict(strokes=32, style="ink"), None, 1 / 16),
    "strokes_lr0.1": ("strokes", dict(strokes=32, style="ink"), 0.1),
    "pen": ("strokes", dict(strokes=8, style="pen"), None),  # the README alphabet's strokes
    "pen_sharp": ("strokes", dict(strokes=8, style="pen"), 0.05, 0.0),
    "cppn": ("cppn", dict(latent_dim=0), None),
    "cppn_init3": ("cppn", dict(init_scale=3.0), None),
    "cppn_lr0.05": ("cppn", dict(latent_dim=0), 0.05),
    "cppn_lr0.2": ("cppn", dict(latent_dim=0), 0.2),
    "cppn_lr0.02": ("cppn", dict(latent_dim=0), 0.02),
    "cppn_lr0.01": ("cppn", dict(latent_dim=0), 0.01),
    "cppn_features": ("cppn", dict(latent_dim=0, **style_transfer.FOURIER_FEATURES), 0.01),
    "cppn_features_lr0.003": ("cppn", dict(latent_dim=0, **style_transfer.FOURIER_FEATURES), 0.003),
    "fourier_cppn": ("fourier_cppn", dict(latent_dim=0), None),
    "fourier_cppn_lr0.05": ("fourier_cppn", dict(latent_dim=0), 0.05),
    "fourier_cppn_lr0.02": ("fourier_cppn", dict(latent_dim=0), 0.02),
}


def strided_net(images, labels, classes, name, seed, split):
    """Three stride-2 convolutions, global average pooling and logits, trained 30 epochs on the
    first `split` images: (model, accuracy on the rest)."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input(images.shape[1:]),
        keras.layers.Conv2D(24, 3, strides=2, padding="same", activation="relu"),
        keras.layers.Conv2D(48, 3, strides=2, padding="same", activation="relu"),
        keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
        keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(classes)], name=name)
    model.compile(keras.optimizers.Adam(3e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(images[:split], labels[:split], epochs=30, batch_size=64, verbose=0)
    return model, float(model.evaluate(images[split:], labels[split:], verbose=0)[1])


def train_inverted7(seed=0):
    """64 x 64 light-on-dark digits 0-6 in [-1, 1]: (model, held-out accuracy)."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    keep = digits.target < 7
    images = tf.image.resize(digits.images[keep][..., None].astype("float32") / 16.0, (64, 64)).numpy() * 2 - 1
    return strided_net(images, digits.target[keep], 7, "inverted7", seed, int(0.8 * len(images)))


def train_rgb_digits(seed=0):
    """64 x 64 RGB digits, a random dark ink colour on a random light paper colour, in [-1, 1]:
    (model, held-out accuracy)."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    rng = np.random.default_rng(seed)
    ink = tf.image.resize(digits.images[..., None].astype("float32") / 16.0, (64, 64)).numpy()
    dark, light = rng.uniform(0, 0.4, (len(ink), 1, 1, 3)), rng.uniform(0.6, 1, (len(ink), 1, 1, 3))
    images = ((ink * dark + (1 - ink) * light) * 2 - 1).astype("float32")
    return strided_net(images, digits.target, 10, "rgb_digits", seed, 1500)


def train_glyph_judge():
    """The glyph judge of `--models glyphs` (tfart.classifiers.train_glyphs), and a line on how
    surely it reads each letter of the test fonts: (model, accuracies)."""
    model, accuracy, split, _ = classifiers.train_glyphs()
    images, labels = glyphs.render(split["test"], 32)
    p = model.predict(1.0 - images, verbose=0)[np.arange(len(labels)), labels]
    print("glyph judge, median p of the true letter on the test fonts: " + " ".join(
        f"{letter} {np.median(p[labels == i]):.3f}" for i, letter in enumerate(glyphs.LETTERS)))
    return model, accuracy


def judge_from(model, input_range):
    """A classifiers.Classifier of an in-process model (through a file, as tfart-perceive loads one)."""
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"tfart_{model.name}_{os.getpid()}.keras")
    model.save(path)
    try:
        return classifiers.Classifier(path, input_range=input_range)
    finally:
        os.remove(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=int, default=400)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--judges", default="digits,inverted7,glyphs,rgb_digits")
    parser.add_argument("--targets", default="", help="class indices to draw (default: every class of each judge)")
    parser.add_argument("--transforms", default="standard", choices=("standard", "none"),
                        help="the random transforms each step sees (default: tfart-perceive's standard set)")
    parser.add_argument("--patience", type=int, default=None,
                        help="draw's patience in evaluations (default: tfart-perceive's, perception.patience_of)")
    args = parser.parse_args()
    names = args.configs.split(",")
    if any(n not in CONFIGS for n in names) or args.budget < 1:
        raise SystemExit(f"error: --configs: choose from {', '.join(CONFIGS)}; --budget >= 1")
    if args.patience is not None and args.patience < 0:
        raise SystemExit("error: --patience: 0 (never start again) or more")
    seeds = [int(s) for s in args.seeds.split(",")]
    trainers = {"digits": (lambda: classifiers.train_digits(), "0,1", 48, "48 px, [0, 1], 10 classes"),
                "inverted7": (train_inverted7, "-1,1", 64, "64 px grey, [-1, 1], 7 classes"),
                "glyphs": (train_glyph_judge, "0,1", 48, "32 px, [0, 1], 26 letters"),
                "rgb_digits": (train_rgb_digits, "-1,1", 64, "64 px RGB, [-1, 1], 10 classes")}
    wanted = args.judges.split(",")
    if any(j not in trainers for j in wanted):
        raise SystemExit(f"error: --judges: choose from {', '.join(trainers)}")

    judges = {}
    for name in wanted:
        train, input_range, size, about = trainers[name]
        start = time.perf_counter()
        model, accuracy = train()
        accuracy = accuracy["test"] if isinstance(accuracy, dict) else accuracy
        judges[name] = (judge_from(model, input_range), size)
        print(f"judge {name} ({about}) trained here in {time.perf_counter() - start:.0f} s: "
              f"held-out accuracy {accuracy:.3f}" + (" (test fonts)" if name == "glyphs" else ""))
    print(f"gradient, {args.transforms} transforms, budget {args.budget} classifier evaluations, stop at p 0.9, "
          f"patience {args.patience if args.patience is not None else 'of tfart-perceive'}")
    print(f"{'config':<22}{'judge':<11}{'target':>7}{'seed':>6}{'p':>8}{'steps':>7}{'seconds':>9}")
    finals = {}
    for name in names:
        kind, own, lr, share = (CONFIGS[name] + (None,))[:4]
        for judge_name, (judge, size) in judges.items():
            for target in [int(t) for t in args.targets.split(",")] if args.targets else range(judge.classes):
                for seed in seeds:
                    keras.utils.set_random_seed(seed)
                    transforms.seed(seed)
                    drawing = perception.start(kind, size, seed=seed, **own)
                    began = time.perf_counter()
                    result, _ = perception.draw(drawing, [judge], [target], method="gradient", budget=args.budget,
                                                size=size, lr=lr, seed=seed, progress=False, patience=args.patience,
                                                transform=transforms.standard(size)
                                                if args.transforms == "standard" else None,
                                                blur=None if share is None else share * size)
                    p = classifiers.scores([judge], [target], drawing.image(size, size))[0]
                    finals.setdefault((name, judge_name), []).append((p, target, seed))
                    print(f"{name:<22}{judge_name:<11}{target:>7}{seed:>6}{p:>8.3f}{result.step:>7}"
                          f"{time.perf_counter() - began:>9.1f}", flush=True)
    print(f"\n{'config':<22}{'judge':<11}{'median p':>9}{'worst p':>9}{'(target)':>9}{'>= 0.9':>8}")
    for (name, judge_name), runs in finals.items():
        worst = min(runs)
        reached = sum(p >= 0.9 for p, _, _ in runs)
        print(f"{name:<22}{judge_name:<11}{np.median([p for p, _, _ in runs]):>9.3f}{worst[0]:>9.3f}"
              f"{worst[1]:>9}{reached:>5}/{len(runs)}")
    print("worst run of each configuration over every judge: " + ", ".join(
        f"{name} {min(p for (n, _), runs in finals.items() if n == name for p, _, _ in runs):.3f}" for name in names))


if __name__ == "__main__":
    main()
