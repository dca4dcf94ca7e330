"""What starting a stalled drawing again costs: its compiled functions traced afresh, or reused.

    pip install -e ".[bench,perceive]"
    python benchmarks/restart_cost.py [--starts 20] [--candidates 60] [--steps 15]

perception.draw starts a stalled drawing again from new values of the same variables. Random search
compiles its render and loss (tfart.search.compiled), gradient descent its step
(tfart.optimize.compiled_step); traced afresh at each start they cost a third of a search with many
starts and 4.2 s of a 14.2 s CPPN drawing started 9 times (profiles of tfart-perceive, 2026-12-06).
This runs `--starts` fresh starts against the glyph judge of `--models glyphs` (trained on first use
and cached), target A, 48 px, each way, alternating, twice, in one process, and prints the seconds of
each and their ratio: random search of `--candidates` candidates on 6 pen strokes, and `--steps` Adam
steps on 6 pen strokes (seen sharp and blurred, as tfart-perceive draws them) and on its CPPN.
"""
import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from perceive_judges import judge_from  # noqa: E402  (benchmarks/, this script's folder)
from tfart import classifiers, glyphs, optimize, perception, search  # noqa: E402

SIZE = 48
KINDS = {"strokes": dict(strokes=6, style="pen"), "cppn": {}}


def searches(judge, count, candidates, reuse):
    """Seconds for `count` random searches, each from a fresh start of 6 pen strokes."""
    drawing = perception.start("strokes", SIZE, **KINDS["strokes"])
    objective = perception.judged([judge], [glyphs.LETTERS.index("A")])
    functions = search.compiled(drawing, objective, None, SIZE, SIZE) if reuse else None
    began = time.perf_counter()
    for attempt in range(count):
        drawing.set_weights(perception.start("strokes", SIZE, seed=attempt, **KINDS["strokes"]).get_weights())
        search.random_search(drawing, objective, None, SIZE, SIZE, budget=candidates, seed=attempt,
                             functions=functions)
    return time.perf_counter() - began


def descents(judge, kind, count, steps, reuse):
    """Seconds for `count` runs of `steps` Adam steps, each from a fresh start of `kind`, as
    perception.draw takes them (its objective, learning rate and blur)."""
    drawing = perception.start(kind, SIZE, **KINDS[kind])
    blur = perception.blur_of("gradient", drawing, SIZE)
    objective = perception.judged([judge], [glyphs.LETTERS.index("A")], blur=blur)
    settings = optimize.Settings(steps=steps, lr=perception.learning_rate_of(drawing))
    compiled = optimize.compiled_step(drawing, objective, None, SIZE, SIZE, settings) if reuse else None
    began = time.perf_counter()
    for attempt in range(count):
        drawing.set_weights(perception.start(kind, SIZE, seed=attempt, **KINDS[kind]).get_weights())
        if compiled:
            compiled.restart()
        optimize.optimize(drawing, objective, None, SIZE, SIZE, settings, compiled=compiled)
    return time.perf_counter() - began


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--candidates", type=int, default=60)
    parser.add_argument("--steps", type=int, default=15)
    args = parser.parse_args()
    if min(args.starts, args.candidates, args.steps) < 1:
        raise SystemExit("error: --starts, --candidates and --steps: at least 1")
    judge = judge_from(classifiers.trained_model("glyphs"), "0,1")
    runs = {"random search, 6 pen strokes": lambda reuse: searches(judge, args.starts, args.candidates, reuse),
            "gradient, 6 pen strokes": lambda reuse: descents(judge, "strokes", args.starts, args.steps, reuse),
            "gradient, cppn": lambda reuse: descents(judge, "cppn", args.starts, args.steps, reuse)}
    searches(judge, 1, 2, True)  # the judge's own first call, outside the timing
    print(f"glyph judge, target A, {SIZE} px: {args.starts} fresh starts of {args.candidates} candidates (random "
          f"search) or {args.steps} steps (gradient), twice each way, alternating; best of 2")
    print(f"{'':<30}{'traced afresh':>14}{'reused':>9}{'ratio':>8}")
    for name, run in runs.items():
        times = {True: [], False: []}
        for _ in range(2):
            for reuse in (False, True):
                times[reuse].append(run(reuse))
        afresh, reused = min(times[False]), min(times[True])
        print(f"{name:<30}{afresh:>12.2f} s{reused:>7.2f} s{afresh / reused:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
