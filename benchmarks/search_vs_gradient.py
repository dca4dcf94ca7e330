"""Perception engines: classifier evaluations that random search and gradient descent need.

    pip install -e ".[bench,perceive]"
    python benchmarks/search_vs_gradient.py [--judges digits,glyphs] [--seeds 0,1,2] [--budget 3000]

No ImageNet weights can be downloaded here, so the judges are trained in this process:
- digits (`--models digits`): a 48 x 48 CNN on scikit-learn's handwritten digits
  (tfart.classifiers.train_digits); drawings of 48 px, 32 strokes of ink; targets 0,1,3,7,8;
- glyphs (`--models glyphs`): the 32 x 32 letter CNN of tfart.classifiers.train_glyphs; drawings
  of 48 px, 6 strokes of the pen style (the issue's example; the README's alphabet has 8); targets A,E,K,R,S.
For each judge, generator (strokes, then CPPN), target class and seed, tfart.perception.draw
(what tfart-perceive runs) drives the same starting drawing to probability 0.9 by gradient and by
random search, no random transforms, each starting a stalled drawing again by tfart-perceive's
rule (its default --patience: each method's own for the generator, tfart.perception.patience_of),
and counts classifier evaluations: a random-search candidate is one; a gradient step is what it
measurably costs in forward passes of that drawing and judge (the median of 30 timed steps over
the median of 30 timed forwards, printed first), against the budget (before 2026-12-05 the budget
and patience counted a step as 3 and only the table the measured cost). Gradient descent waits as
many steps for a rise as tfart-perceive does (draw's default patience with a per_step of its own),
so its drawings start again where the tool's do; until 2026-12-06 the patience was counted at the
measured cost, so a pen drawing that tfart-perceive starts again after 15 steps waited 32 here
(a CPPN 83 steps, not 50).
A run that does not reach 0.9 within --budget counts as the budget (its ratio is a bound: '>=' if
only random search fell short, '?' if gradient did). The last lines are the median ratio random /
gradient per judge and generator (with how many runs of each method reached 0.9), and per judge.

Options for the figures behind two of the project's choices:
- `--glyph_activation relu` trains the glyph judge as it first was (ReLU; GELU is what
  `--models glyphs` trains), and `--dead_gradients` prints, before the table, at how many starting
  drawings (seeds 0-9 x every class) the gradient of the judge's loss is exactly zero, where
  gradient descent cannot move;
- `--strokes N` draws with N strokes instead (how the saving grows with the parameters searched);
- `--stroke_start anywhere` starts the strokes as the ink and marker styles do (short, anywhere
  on the page), not in the pen style's central box.
"""
import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from perceive_judges import judge_from  # noqa: E402  (benchmarks/, this script's folder)
from tfart import classifiers, glyphs, objectives, optimize, perception  # noqa: E402
from tfart.generators import strokes as stroke_renderer  # noqa: E402

SIZE = 48
# judge: (default targets, the stroke generator's own options)
JUDGES = {"digits": ("0,1,3,7,8", dict(strokes=32, style="ink")),
          "glyphs": ("A,E,K,R,S", dict(strokes=6, style="pen"))}


def make(generator, seed, strokes, anywhere=False):
    """The starting drawing; anywhere: strokes started short anywhere on the page (START)."""
    drawing = perception.start(generator, SIZE, seed=seed, **(strokes if generator == "strokes" else {}))
    if generator == "strokes" and anywhere:
        drawing.points.assign(stroke_renderer.starting_points(
            np.random.default_rng(seed), drawing.strokes, *stroke_renderer.START, clip=False, curves=drawing.curves))
    return drawing


def dead_gradients(judge, generator, strokes, anywhere, seeds=10):
    """How many of the starting drawings (`seeds` x every class) have a gradient of exactly 0."""
    dead = 0
    for seed in range(seeds):
        drawing = make(generator, seed, strokes, anywhere)
        variables = drawing.variables_to_train()
        for target in range(judge.classes):
            objective = classifiers.ensemble([judge], [target])
            with tf.GradientTape() as tape:
                loss = objective(objectives.Context(drawing.image(SIZE, SIZE), {}))
            gradients = [g for g in tape.gradient(loss, variables) if g is not None]
            dead += float(tf.linalg.global_norm(gradients)) == 0.0
    return dead, seeds * judge.classes


def step_cost(judge, generator, strokes):
    """Seconds of a gradient step over seconds of a forward evaluation (medians of 30): the step as
    perception.draw takes it (pen strokes seen sharp and blurred, perception.blur_of), the forward
    as random search's (sharp)."""
    drawing = make(generator, 0, strokes)
    objective = classifiers.ensemble([judge], [0])
    seen = perception.judged([judge], [0], blur=perception.blur_of("gradient", drawing, SIZE))
    forward = tf.function(lambda: objective(objectives.Context(drawing.image(SIZE, SIZE), {})))
    variables = drawing.variables_to_train()
    step = tf.function(lambda: optimize.loss_and_gradients(
        lambda: seen.terms(objectives.Context(drawing.image(SIZE, SIZE), {})), variables)[2])
    times = {}
    for name, fn in (("forward", forward), ("step", step)):
        fn()
        samples = []
        for _ in range(30):
            start = time.perf_counter()
            tf.nest.map_structure(lambda t: t.numpy(), fn())
            samples.append(time.perf_counter() - start)
        times[name] = np.median(samples)
    return times["step"] / times["forward"]


def trained_judge(name, activation="gelu"):
    """(classifiers.Classifier, a line on how it was trained) for a judge trained in this process."""
    start = time.perf_counter()
    if name == "digits":
        model, accuracy = classifiers.train_digits()
        about = f"held-out accuracy {accuracy:.3f}"
    else:
        model, accuracies, _, _ = classifiers.train_glyphs(activation=activation)
        about = (f"{activation} units, test-font accuracy {accuracies['test']:.3f}, "
                 f"validation fonts {accuracies['val']:.3f}")
    judge = judge_from(model, "0,1")
    judge.labels = list(glyphs.LETTERS) if name == "glyphs" else judge.labels
    return judge, f"judge {name}: trained here in {time.perf_counter() - start:.1f} s, {about}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--judges", default="digits,glyphs")
    parser.add_argument("--targets", default=None, help="class names or indices (default: each judge's five)")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--generators", default="strokes,cppn")
    parser.add_argument("--budget", type=int, default=3000)
    parser.add_argument("--lr", type=float, default=None,
                        help="the gradient's learning rate (default: tfart-perceive's: 0.1 pen, 0.05 ink, 0.005 CPPNs)")
    parser.add_argument("--glyph_activation", default="gelu", choices=("gelu", "relu"),
                        help="the glyph judge's units (relu: the first judge's, whose gradient was often 0)")
    parser.add_argument("--dead_gradients", action="store_true",
                        help="first count the starting drawings whose gradient is exactly 0")
    parser.add_argument("--strokes", type=int, default=None,
                        help="how many strokes (default: each judge's, 32 ink for digits, 6 pen for glyphs)")
    parser.add_argument("--stroke_start", default="style", choices=("style", "anywhere"),
                        help="anywhere: strokes start short anywhere on the page, not in the pen's central box")
    args = parser.parse_args()
    try:
        names = args.judges.split(",")
        seeds = [int(s) for s in args.seeds.split(",")]
        kinds = args.generators.split(",")
        if any(n not in JUDGES for n in names):
            raise ValueError(f"--judges: {', '.join(JUDGES)}")
        if args.strokes is not None and args.strokes < 1:
            raise ValueError("--strokes: at least 1")
        if any(k not in ("strokes", "cppn", "fourier_cppn", "fft") for k in kinds) or args.budget < 1:
            raise ValueError("--generators: strokes, cppn, fourier_cppn, fft; --budget >= 1")
    except ValueError as e:
        raise SystemExit(f"error: {e}")

    print(f"{SIZE} px drawings, target probability 0.9, budget {args.budget} evaluations, no transforms, "
          f"learning rate {args.lr or 'of tfart-perceive'}, strokes started {args.stroke_start}")
    ratios, reached = {}, {}
    for name in names:
        judge, about = trained_judge(name, args.glyph_activation)
        print(about)
        default_targets, strokes = JUDGES[name]
        strokes = {**strokes, "strokes": args.strokes} if args.strokes else strokes
        try:
            targets = [judge.class_index(t) for t in (args.targets or default_targets).split(",")]
        except Exception as e:
            raise SystemExit(f"error: --targets: {e}")
        costs = {kind: step_cost(judge, kind, strokes) for kind in kinds}
        for kind in kinds:
            drawn = f"{strokes['strokes']} {strokes['style']} strokes" if kind == "strokes" else kind
            print(f"a gradient step of the {drawn} drawing costs {costs[kind]:.2f} forward passes of {name}")
        anywhere = args.stroke_start == "anywhere"
        for kind in kinds if args.dead_gradients else []:
            dead, starts = dead_gradients(judge, kind, strokes, anywhere)
            print(f"{name} {kind}: the gradient is exactly 0 at {dead}/{starts} starting drawings "
                  f"(seeds 0-9 x {judge.classes} classes)", flush=True)
        print(f"{'judge':<8}{'generator':<11}{'target':>7}{'seed':>6}{'gradient':>10}{'random':>9}{'ratio':>9}")
        for kind in kinds:
            for target in targets:
                for seed in seeds:
                    spent = {}
                    for method in perception.METHODS:
                        keras.utils.set_random_seed(seed)
                        drawing = make(kind, seed, strokes, anywhere)
                        # a gradient step counts what it was measured to cost (and waits for a
                        # rise as many steps as in tfart-perceive: draw's default patience)
                        result, used = perception.draw(drawing, [judge], [target], method=method,
                                                       lr=args.lr, budget=args.budget, size=SIZE, seed=seed,
                                                       progress=False, per_step=costs[kind])
                        spent[method] = (used, result.stopped == "target")
                    (grad, grad_ok), (rand, rand_ok) = spent["gradient"], spent["random_search"]
                    ratio = rand / grad
                    mark = "" if rand_ok and grad_ok else (">=" if grad_ok else "?")
                    ratios.setdefault((name, kind), []).append(ratio)
                    reached.setdefault((name, kind), []).append((grad_ok, rand_ok))
                    print(f"{name:<8}{kind:<11}{judge.labels[target]:>7}{seed:>6}{grad:>10.0f}{rand:>8g}"
                          f"{'' if rand_ok else '+'}{mark:>4}{ratio:.1f}", flush=True)
    for (name, kind), values in ratios.items():
        grad_ok, rand_ok = np.sum(reached[name, kind], axis=0)
        print(f"{name} {kind}: median ratio random / gradient {np.median(values):.1f} (runs: {len(values)}; "
              f"reached 0.9: gradient {grad_ok}, random search {rand_ok}; '+': random search did not "
              f"reach 0.9 within the budget)")
    for name in names:
        every = [r for (n, _), values in ratios.items() if n == name for r in values]
        print(f"{name}: median ratio random / gradient {np.median(every):.1f}")


if __name__ == "__main__":
    main()
