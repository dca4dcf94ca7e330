"""How long a perception drawing should wait for a rise before it starts again (perception.PATIENCES).

    pip install -e ".[bench,perceive]"
    python benchmarks/patience.py [--letters BGMPW] [--seeds 10-15] [--methods gradient]
        [--courses out/patience.json]

On the glyph judge (classifiers.train_glyphs, trained here), 48 px drawings (6 pen strokes, or
tfart-perceive's CPPN start), no transforms: each method drives one start per letter and seed
toward p 0.9 with 3000 evaluations and no restarts (perception.draw, patience 0), and its course
is kept: the target probability of the drawing as drawn (what perception.Goal asks) at the start
and after every step or candidate. The courses are then replayed through perception.Goal at each
patience: a run takes starts of its letter at random (with replacement, 300 runs a letter) until
one reaches 0.9 or the 3000 evaluations are spent, the next start getting what is left, as draw
does. Prints, per generator, method and patience, the share of runs that reached 0.9 and the
median and mean evaluations spent (a gradient step counted as the rule counts it,
perception.step_cost: 3, or 6 for pen strokes, judged sharp and blurred). The letters and seeds
are kept apart from those of benchmarks/search_vs_gradient.py (A, E, K, R, S at seeds 0-2).
--methods: the methods whose courses are collected (default: both).
--courses: a JSON file the courses are written to, and read from when it exists.
--drawn: no replay: each run is drawn as tfart-perceive draws it (perception.draw with its stall
rule at each patience, fresh starts without end), on the glyph judge of `--models glyphs`
(trained on first use and cached), one run per letter and seed; `--per_step` is what a gradient
step counts (default: the rule's, perception.step_cost; search_vs_gradient.py measures a pen step
at about 2.65), the patience still counted in the rule's steps, as draw counts any patience. A replay draws
from the few starts recorded for a letter, so a letter whose few good starts climb slowly reaches
0.9 at no short patience there, where the tool would draw new starts (2026-12-06: drawn, every
pen run reached 0.9 at patience 30, which the replay of C, D, H, N had put at 25%). `--lr` sets
the gradient's learning rate of drawn runs (default: tfart-perceive's, perception.learning_rate_of);
`--transforms standard` has each step see tfart-perceive's random transforms (default: none).
"""
import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from perceive_judges import judge_from  # noqa: E402  (benchmarks/, this script's folder)
from tfart import classifiers, glyphs, monitors, perception, transforms  # noqa: E402

SIZE, BUDGET, THRESHOLD = 48, 3000, 0.9
OWN = {"strokes": dict(strokes=6, style="pen"), "cppn": {}}


class Course(monitors.Monitor):
    """The target probability of the drawing as drawn after each gradient step."""

    def __init__(self, judge, target, drawing):
        self.judge, self.target, self.drawing, self.p = judge, target, drawing, []

    def on_step(self, run, loss, terms):
        self.p.append(float(classifiers.scores([self.judge], [self.target], self.drawing.image(SIZE, SIZE))[0]))


def courses(kinds, letters, seeds, methods=perception.METHODS):
    """{'kind method': [{'letter', 'seed', 'p': [probability at the start, after each step or candidate],
    'reached', 'per_step': evaluations a gradient step counts}]}"""
    judge = judge_from(classifiers.train_glyphs()[0], "0,1")
    found = {}
    for kind in kinds:
        for method in methods:
            for letter in letters:
                for seed in seeds:
                    keras.utils.set_random_seed(seed)
                    drawing = perception.start(kind, SIZE, seed=seed, **OWN[kind])
                    target = glyphs.LETTERS.index(letter)
                    course = Course(judge, target, drawing)
                    start = float(classifiers.scores([judge], [target], drawing.image(SIZE, SIZE))[0])
                    result, _ = perception.draw(drawing, [judge], [target], method=method, budget=BUDGET, size=SIZE,
                                                seed=seed, progress=False, patience=0, watch=[course])
                    reached = result.stopped == "target"
                    # random search's history is the best loss so far: -log p with one judge, no transforms
                    p = [start] + course.p if method == "gradient" else np.exp(-np.asarray(result.losses))
                    per_step = perception.step_cost([judge], perception.blur_of(method, drawing, SIZE))
                    found.setdefault(f"{kind} {method}", []).append(
                        dict(letter=letter, seed=seed, p=np.round(p, 5).tolist(), reached=reached, per_step=per_step))
                    ended = "reached 0.9 in" if reached else f"ended at p {p[-1]:.3f} after"
                    print(f"{kind} {method} {letter} seed {seed}: {ended} {result.step} steps or candidates",
                          flush=True)
    return found


def attempt(course, method, patience, left):
    """One start replayed through perception.Goal: (evaluations spent, reached 0.9, stalled)."""
    p, reached = course["p"], course["reached"]
    if method == "gradient":
        # Goal asks after step k (k steps' evaluations) for the drawing after k steps: p[k]; the step
        # that reached the threshold is not recorded (the run stopped there).
        goal = perception.Goal(None, THRESHOLD, patience, left, course.get("per_step", 3.0))
        steps = min(len(p) - (0 if reached else 1), int(left // goal.per_step))
        for k in range(1, steps + 1):
            spent = k * goal.per_step
            if (goal.observe(p[k], spent) if k < len(p) else reached) or goal.stale(spent):
                return spent, not goal.stalled, goal.stalled
        return steps * goal.per_step, False, False
    # random search: the start is one evaluation, candidate i (p[i], the best so far) one more; Goal
    # is asked at the start, after each improvement, and stale after each candidate.
    goal = perception.Goal(None, THRESHOLD, patience, left)
    goal.observe(p[0], 0)
    for i in range(1, min(len(p), left)):
        spent = i + 1
        if (p[i] > p[i - 1] and goal.observe(p[i], spent)) or goal.stale(spent):
            return spent, not goal.stalled, goal.stalled
    return min(len(p), left), False, False


def replay(starts, method, patience, rng, runs=300):
    """(share of runs that reached 0.9, evaluations each run spent)"""
    spent, reached = [], 0
    for _ in range(runs):
        left = BUDGET
        while True:
            used, ok, stalled = attempt(starts[rng.integers(len(starts))], method, patience, left)
            left -= used
            if ok or not stalled:
                break
        spent.append(BUDGET - left if ok else BUDGET)
        reached += ok
    return reached / runs, spent


def drawn(kinds, letters, seeds, methods, patiences, per_step, lr=None, seen="none"):
    """Runs drawn as tfart-perceive draws them, at each patience: prints a row per generator,
    method and patience (share that reached 0.9, median and mean evaluations), then each run's.
    seen: "standard" (tfart-perceive's random transforms, seeded as the run) or "none"."""
    judge = judge_from(classifiers.trained_model("glyphs"), "0,1")
    print(f"glyph judge (--models glyphs), {SIZE} px, {seen} transforms, budget {BUDGET}, runs drawn by "
          f"perception.draw (letters {''.join(letters)}, seeds {seeds[0]}-{seeds[-1]}), a gradient step counted as "
          f"{per_step or 'the rule counts it'}, rise {perception.RISE}, learning rate {lr or 'of tfart-perceive'}")
    print(f"{'generator':<10}{'method':<15}{'patience':>9}{'reached':>9}{'median':>8}{'mean':>7}")
    for kind in kinds:
        for method in methods:
            for patience in patiences:
                spent, runs = [], []
                for letter in letters:
                    for seed in seeds:
                        keras.utils.set_random_seed(seed)
                        transforms.seed(seed)
                        drawing = perception.start(kind, SIZE, seed=seed, **OWN[kind])
                        own = per_step if method == "gradient" else None  # draw waits the rule's steps
                        result, used = perception.draw(drawing, [judge], [glyphs.LETTERS.index(letter)], method=method,
                                                       budget=BUDGET, size=SIZE, seed=seed, progress=False,
                                                       patience=patience, per_step=own, lr=lr,
                                                       transform=transforms.standard(SIZE) if seen == "standard" else None)
                        reached = result.stopped == "target"
                        spent.append(used if reached else BUDGET)
                        runs.append(f"{letter}{seed}:{used:.0f}{'' if reached else '+'}")
                share = np.mean([not r.endswith("+") for r in runs])
                print(f"{kind:<10}{method:<15}{patience:>9}{share:>9.2f}{np.median(spent):>8.0f}{np.mean(spent):>7.0f}"
                      f"   {' '.join(runs)}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--letters", default="BGMPW")
    parser.add_argument("--seeds", default="10-15", help="first-last")
    parser.add_argument("--generators", default="strokes,cppn")
    parser.add_argument("--methods", default=",".join(perception.METHODS))
    parser.add_argument("--patiences", default="90,150,300,600,1200")
    parser.add_argument("--courses", default=None, help="a JSON file to keep the courses in (read if it exists)")
    parser.add_argument("--drawn", action="store_true", help="draw each run as tfart-perceive does, no replay")
    parser.add_argument("--per_step", type=float, default=None,
                        help="with --drawn: the evaluations a gradient step counts (default: the rule's)")
    parser.add_argument("--lr", type=float, default=None,
                        help="with --drawn: the gradient's learning rate (default: tfart-perceive's)")
    parser.add_argument("--transforms", default="none", choices=("none", "standard"),
                        help="with --drawn: what each step sees (standard: tfart-perceive's random transforms)")
    args = parser.parse_args()
    try:
        first, last = (int(s) for s in args.seeds.split("-"))
        kinds, patiences = args.generators.split(","), [int(p) for p in args.patiences.split(",")]
        methods = args.methods.split(",")
        if any(k not in OWN for k in kinds) or any(c not in glyphs.LETTERS for c in args.letters) or last < first \
                or any(m not in perception.METHODS for m in methods):
            raise ValueError
    except ValueError:
        raise SystemExit(f"error: --generators: {', '.join(OWN)}; --methods: {', '.join(perception.METHODS)}; "
                         f"--letters: capitals; --seeds: first-last")
    if args.per_step is not None and args.per_step <= 0:
        raise SystemExit("error: --per_step: more than 0")
    if args.lr is not None and args.lr <= 0:
        raise SystemExit("error: --lr: more than 0")
    if args.drawn:
        return drawn(kinds, args.letters, list(range(first, last + 1)), methods, patiences, args.per_step, args.lr,
                     args.transforms)
    if args.courses and os.path.isfile(args.courses):
        with open(args.courses) as f:
            found = json.load(f)
    else:
        found = courses(kinds, args.letters, range(first, last + 1), methods)
        if args.courses:
            with open(args.courses, "w") as f:
                json.dump(found, f)
    print(f"glyph judge, {SIZE} px, no transforms, budget {BUDGET}, runs replayed from single starts "
          f"(300 a letter), rise {perception.RISE}")
    print(f"{'generator':<10}{'method':<15}{'patience':>9}{'reached':>9}{'median':>8}{'mean':>7}")
    for key, rows in found.items():
        kind, method = key.split()
        for patience in patiences:
            rng, shares, spent = np.random.default_rng(0), [], []
            for letter in sorted({r["letter"] for r in rows}):
                share, used = replay([r for r in rows if r["letter"] == letter], method, patience, rng)
                shares.append(share)
                spent += used
            print(f"{kind:<10}{method:<15}{patience:>9}{np.mean(shares):>9.2f}{np.median(spent):>8.0f}"
                  f"{np.mean(spent):>7.0f}", flush=True)


if __name__ == "__main__":
    main()
