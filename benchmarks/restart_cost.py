"""What starting a stalled random search again costs: its functions traced afresh, or reused.

    pip install -e ".[bench,perceive]"
    python benchmarks/restart_cost.py [--starts 20] [--candidates 60]

perception.draw starts a stalled drawing again from new values of the same variables. Random search
compiles its render and loss (tfart.search.compiled); traced afresh each start they cost a third of
a search with many starts (a profile of tfart-perceive's random search, 2026-12-06). This runs
`--starts` searches of `--candidates` candidates each on 6 pen strokes (48 px) against the glyph
judge of `--models glyphs` (trained on first use and cached), both ways, alternating, in one
process, and prints the seconds of each and their ratio.
"""
import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from perceive_judges import judge_from  # noqa: E402  (benchmarks/, this script's folder)
from tfart import classifiers, glyphs, perception, search  # noqa: E402


def starts(drawing, objective, count, candidates, reuse):
    """Seconds for `count` searches from fresh starts of `drawing`."""
    functions = search.compiled(drawing, objective, None, 48, 48) if reuse else None
    began = time.perf_counter()
    for attempt in range(count):
        fresh = perception.start("strokes", 48, seed=attempt, strokes=6, style="pen")
        fresh.image(8, 8)
        drawing.set_weights(fresh.get_weights())
        search.random_search(drawing, objective, None, 48, 48, budget=candidates, seed=attempt, functions=functions)
    return time.perf_counter() - began


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--candidates", type=int, default=60)
    args = parser.parse_args()
    if args.starts < 1 or args.candidates < 1:
        raise SystemExit("error: --starts and --candidates: at least 1")
    judge = judge_from(classifiers.trained_model("glyphs"), "0,1")
    objective = perception.judged([judge], [glyphs.LETTERS.index("A")])
    drawing = perception.start("strokes", 48, strokes=6, style="pen")
    starts(drawing, objective, 1, 2, True)  # the judge's own first call, outside the timing
    times = {"traced afresh": [], "reused": []}
    for _ in range(2):
        for name in times:
            times[name].append(starts(drawing, objective, args.starts, args.candidates, name == "reused"))
    print(f"random search, 6 pen strokes at 48 px, glyph judge: {args.starts} starts of {args.candidates} candidates, "
          "twice each way, alternating")
    for name, seconds in times.items():
        print(f"functions {name:<14} {min(seconds):6.2f} s (best of 2)")
    print(f"traced afresh / reused: {min(times['traced afresh']) / min(times['reused']):.2f}")


if __name__ == "__main__":
    main()
