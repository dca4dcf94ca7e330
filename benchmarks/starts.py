"""Which starts gradient descent takes to p 0.9, how early that shows, and what choosing starts could save.

    pip install -e ".[bench,perceive]"
    python benchmarks/starts.py [--letters BCDGHMNPUW] [--seeds 10-12] [--attempts 10] [--steps 40]
        [--courses out/starts.json]

On the glyph judge of `--models glyphs` (trained on first use and cached), 48 px, 6 pen strokes
(tfart-perceive's letters), no transforms: for each letter and seed, the `--attempts` starts that
tfart-perceive would draw one after another (perception.restart_seed) each run `--steps` Adam steps
as perception.draw takes them (seen sharp and blurred, its learning rate) with no stall rule, and
the target probability is kept at the start and after every step (--courses: a JSON file they are
written to, and read from when it exists). Then it prints:
- how many starts reach 0.9 within the steps, and in how many steps;
- how well the probability at the start and after 1-4 steps tells a start that will reach 0.9 from
  one that will not (the area under the ROC curve: 0.5 is chance, 1 a perfect call);
- what runs spend (evaluations, a step counting `--per_step`, by default the 2.70 forward passes
  that benchmarks/search_vs_gradient.py measured for this drawing) under ways of choosing starts,
  replayed through perception.Goal with tfart-perceive's wait (5 steps): `--runs` runs a letter
  draw its starts at random (with replacement, as benchmarks/patience.py replays) one at a time
  (what tfart-perceive does), or in groups of K, each run m steps (or its probability read, a
  forward pass, for m = 0), the one highest then going on; a run that does not reach 0.9 within
  the budget of 3000 counts the budget;
- two bounds no way of choosing starts can beat: the evaluations of a start known to reach 0.9
  (a perfect call of which starts will), and of the letter's fastest start.
The letters and seeds are kept apart from search_vs_gradient.py's (A, E, K, R, S at seeds 0-2).
"""
import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from patience import Course, attempt  # noqa: E402  (benchmarks/, this script's folder)
from perceive_judges import judge_from  # noqa: E402
from tfart import classifiers, glyphs, perception  # noqa: E402

SIZE, BUDGET = 48, 3000
PEN = dict(strokes=6, style="pen")


def courses(letters, seeds, attempts, steps):
    """{(letter, seed): [course of each start in order: {'p': [start, after each step], 'reached'}]}"""
    judge = judge_from(classifiers.trained_model("glyphs"), "0,1")
    found = {}
    for letter in letters:
        target = glyphs.LETTERS.index(letter)
        for seed in seeds:
            for number in range(attempts):
                start_seed = perception.restart_seed(seed, number)
                keras.utils.set_random_seed(start_seed)
                drawing = perception.start("strokes", SIZE, seed=start_seed, **PEN)
                course = Course(judge, target, drawing)
                start = float(classifiers.scores([judge], [target], drawing.image(SIZE, SIZE))[0])
                counted = perception.step_cost([judge], perception.blur_of("gradient", drawing, SIZE))
                result, _ = perception.draw(drawing, [judge], [target], method="gradient", budget=steps * counted,
                                            size=SIZE, seed=start_seed, progress=False, patience=0, watch=[course])
                found.setdefault((letter, seed), []).append(dict(p=[start] + course.p,
                                                                 reached=result.stopped == "target"))
            print(f"{letter} seed {seed}: {sum(c['reached'] for c in found[letter, seed])} of {attempts} starts "
                  "reached 0.9", flush=True)
    return found


def auc(scores, positive):
    """The area under the ROC curve of `scores` for telling `positive` from the rest."""
    scores, positive = np.asarray(scores), np.asarray(positive, bool)
    above = scores[positive][:, None] - scores[~positive][None, :]
    return float(np.mean((above > 0) + 0.5 * (above == 0)))


def at_step(course, m):
    """The probability after m steps (the last one kept if the start reached 0.9 before)."""
    p = course["p"]
    return 1.0 if course["reached"] and m >= len(p) else p[min(m, len(p) - 1)]


def steps_to_reach(course):
    return len(course["p"]) if course["reached"] else None  # the reaching step is not recorded


def chosen(pool, k, m, per_step, wait, rng, runs=300, budget=BUDGET):
    """(share of runs that reached 0.9, evaluations each spent) of `runs` runs that draw starts of a
    letter from `pool` (at random, with replacement, as patience.py replays) in groups of k, run
    each m steps (or read its probability, a forward pass, for m = 0), and go on with the one
    highest then under Goal's wait (k = 1: a start at a time, as tfart-perceive takes them), until
    one reaches 0.9 or the budget is spent (a run that does not reach it counts the budget)."""
    reached, spent_by_run = 0, []
    for _ in range(runs):
        spent, ok = 0.0, False
        while not ok and budget - spent >= (k if k > 1 else 0) * max(m, 1) * per_step + wait:
            group = [pool[i] for i in rng.integers(len(pool), size=k)]
            if k > 1 and m == 0:
                spent += k
            elif k > 1:
                for course in group:  # each runs m steps, or fewer if it reaches 0.9 in them
                    took = steps_to_reach(course)
                    if took and took <= m:
                        spent, ok = spent + took * per_step, True
                        break
                    spent += m * per_step
                if ok:
                    break
            best = max(group, key=lambda course: at_step(course, m))
            paid = m * per_step if k > 1 else 0.0  # its first m steps
            used, ok, _ = attempt({**best, "per_step": per_step}, "gradient", wait, budget - spent + paid)
            spent += max(0.0, used - paid)
        reached += ok
        spent_by_run.append(spent if ok else budget)
    return reached / runs, spent_by_run


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--letters", default="BCDGHMNPUW")
    parser.add_argument("--seeds", default="10-12", help="first-last")
    parser.add_argument("--attempts", type=int, default=10, help="starts per letter and seed")
    parser.add_argument("--steps", type=int, default=40, help="Adam steps per start")
    parser.add_argument("--per_step", type=float, default=2.70, help="forward passes a gradient step counts")
    parser.add_argument("--runs", type=int, default=300, help="runs replayed a letter")
    parser.add_argument("--courses", default=None, help="a JSON file to keep the courses in (read if it exists)")
    args = parser.parse_args()
    try:
        first, last = (int(s) for s in args.seeds.split("-"))
        if any(c not in glyphs.LETTERS for c in args.letters) or last < first \
                or min(args.attempts, args.steps, args.runs) < 1 \
                or not args.per_step > 0:
            raise ValueError
    except ValueError:
        raise SystemExit("error: --letters: capitals; --seeds: first-last; --attempts, --steps, --runs: at least 1; "
                         "--per_step: more than 0")
    if args.courses and os.path.isfile(args.courses):
        with open(args.courses) as f:
            found = {tuple(key.split()): starts for key, starts in json.load(f).items()}
    else:
        found = courses(args.letters, range(first, last + 1), args.attempts, args.steps)
        if args.courses:
            with open(args.courses, "w") as f:
                json.dump({" ".join(map(str, key)): starts for key, starts in found.items()}, f)
    every = [c for starts in found.values() for c in starts]
    reached = [c["reached"] for c in every]
    took = [steps_to_reach(c) for c in every if c["reached"]]
    letters, seeds = "".join(sorted({key[0] for key in found})), sorted({int(key[1]) for key in found})
    print(f"glyph judge, {SIZE} px, 6 pen strokes, no transforms, letters {letters}, seeds {seeds[0]}-{seeds[-1]}: "
          f"{len(every)} starts of {max(len(c['p']) for c in every) - 1} steps, a step counted as {args.per_step} "
          "forward passes")
    print(f"starts that reach 0.9 within the steps: {np.mean(reached):.2f}, in a median of {np.median(took):.0f} "
          f"steps (quartiles {np.percentile(took, 25):.0f}, {np.percentile(took, 75):.0f})")
    print("telling a start that will reach 0.9 from one that will not, by its probability: area under the ROC curve")
    print("  " + "   ".join(f"{'at the start' if m == 0 else f'after {m}'}: "
                            f"{auc([at_step(c, m) for c in every], reached):.2f}" for m in range(5)))
    patience = perception.patience_of("gradient", perception.start("strokes", SIZE, **PEN), transformed=False)
    wait = patience / perception.step_cost([None], perception.PEN_STROKES["blur"]) * args.per_step
    ends = [attempt({**c, "per_step": args.per_step}, "gradient", wait, 10 ** 6)[1:] for c in every]
    print(f"with tfart-perceive's wait ({wait / args.per_step:.0f} steps) a start reaches 0.9 in "
          f"{np.mean([r for r, _ in ends]):.2f}, stalls in {np.mean([s for _, s in ends]):.2f}, and is still climbing "
          f"after the {args.steps} steps in {np.mean([not (r or s) for r, s in ends]):.2f} (counted as stalled there)")
    print(f"runs drawing starts of their letter at random ({args.runs} a letter), budget {BUDGET}; a run that does "
          "not reach 0.9 counts the budget")
    print(f"{'choice':<46}{'reached':>9}{'median':>8}{'mean':>7}")
    pools = {}
    for (letter, _), starts in found.items():
        pools.setdefault(letter, []).extend(starts)
    ways = [("a start at a time (tfart-perceive)", 1, 0)] + [
        (f"the best of {k} {'at the start' if m == 0 else f'after {m} steps'}", k, m) for k in (2, 3, 5) for m in (0, 3)]
    for name, k, m in ways:
        rng, shares, spent = np.random.default_rng(0), [], []
        for pool in pools.values():
            share, used = chosen(pool, k, m, args.per_step, wait, rng, args.runs)
            shares.append(share)
            spent += used
        print(f"{name:<46}{np.mean(shares):>9.2f}{np.median(spent):>8.0f}{np.mean(spent):>7.0f}", flush=True)
    known = [steps_to_reach(c) * args.per_step for c in every if c["reached"]]
    print(f"{'any start known to reach 0.9 (a bound)':<46}{'':>9}{np.median(known):>8.0f}{np.mean(known):>7.0f}")
    fastest = [min((steps_to_reach(c) for c in pool if c["reached"]), default=np.nan) * args.per_step
               for pool in pools.values()]
    print(f"{'the fastest start of the letter (a bound)':<46}{'':>9}{np.nanmedian(fastest):>8.0f}"
          f"{np.nanmean(fastest):>7.0f}")


if __name__ == "__main__":
    main()
